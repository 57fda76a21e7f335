package policy

import "strings"

// resourceKind is what an action's resource names.
type resourceKind uint8

const (
	bucketResource resourceKind = iota + 1 // arn:aws:s3:::bucket
	objectResource                         // arn:aws:s3:::bucket/key
	otherResource                          // neither: account-level actions
)

// actions are the S3 actions a bucket policy may name, by their
// lower-cased names, with the resource each applies to. It is AWS's list
// for buckets and objects, not only what Floe implements: a policy
// written for AWS must parse here, and an action Floe lacks simply never
// occurs in a request.
var actions = func() map[string]resourceKind {
	m := make(map[string]resourceKind)
	add := func(kind resourceKind, names string) {
		for _, n := range strings.Fields(names) {
			m["s3:"+strings.ToLower(n)] = kind
		}
	}
	add(objectResource, `AbortMultipartUpload BypassGovernanceRetention DeleteObject DeleteObjectTagging
		DeleteObjectVersion DeleteObjectVersionTagging GetObject GetObjectAcl GetObjectAttributes
		GetObjectLegalHold GetObjectRetention GetObjectTagging GetObjectTorrent GetObjectVersion
		GetObjectVersionAcl GetObjectVersionAttributes GetObjectVersionForReplication
		GetObjectVersionTagging GetObjectVersionTorrent InitiateReplication ListMultipartUploadParts
		ObjectOwnerOverrideToBucketOwner PutObject PutObjectAcl PutObjectLegalHold PutObjectRetention
		PutObjectTagging PutObjectVersionAcl PutObjectVersionTagging ReplicateDelete ReplicateObject
		ReplicateTags RestoreObject`)
	add(bucketResource, `CreateBucket DeleteBucket DeleteBucketOwnershipControls DeleteBucketPolicy
		DeleteBucketWebsite GetAccelerateConfiguration GetAnalyticsConfiguration GetBucketAcl
		GetBucketCORS GetBucketLocation GetBucketLogging GetBucketNotification
		GetBucketObjectLockConfiguration GetBucketOwnershipControls GetBucketPolicy
		GetBucketPolicyStatus GetBucketPublicAccessBlock GetBucketRequestPayment GetBucketTagging
		GetBucketVersioning GetBucketWebsite GetEncryptionConfiguration
		GetIntelligentTieringConfiguration GetInventoryConfiguration GetLifecycleConfiguration
		GetMetricsConfiguration GetReplicationConfiguration ListBucket ListBucketMultipartUploads
		ListBucketVersions PutAccelerateConfiguration PutAnalyticsConfiguration PutBucketAcl
		PutBucketCORS PutBucketLogging PutBucketNotification PutBucketObjectLockConfiguration
		PutBucketOwnershipControls PutBucketPolicy PutBucketPublicAccessBlock
		PutBucketRequestPayment PutBucketTagging PutBucketVersioning PutBucketWebsite
		PutEncryptionConfiguration PutIntelligentTieringConfiguration PutInventoryConfiguration
		PutLifecycleConfiguration PutMetricsConfiguration PutReplicationConfiguration`)
	add(otherResource, `ListAllMyBuckets GetAccountPublicAccessBlock PutAccountPublicAccessBlock`)
	return m
}()

// ObjectAction reports whether action (an S3 action name such as
// "s3:GetObject", any case) applies to objects rather than to a bucket.
func ObjectAction(action string) bool {
	return actions[strings.ToLower(action)] == objectResource
}

// matchingKinds returns the resource kinds of the known actions p
// matches; none means p names no S3 action at all.
func matchingKinds(p pattern) map[resourceKind]bool {
	kinds := make(map[resourceKind]bool)
	if lit, ok := literalOf(p); ok {
		if k := actions[strings.ToLower(lit)]; k != 0 {
			kinds[k] = true
		}
		return kinds
	}
	for name, k := range actions {
		if p.match(name, true) {
			kinds[k] = true
		}
	}
	return kinds
}

// literalOf returns p's text when it has no wildcard or variable.
func literalOf(p pattern) (string, bool) {
	if len(p) == 0 {
		return "", true
	}
	if len(p) == 1 && p[0].kind == literal {
		return p[0].text, true
	}
	return "", false
}
