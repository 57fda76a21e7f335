package e2e

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// newUser creates a user with the real `floe admin user create` and
// returns a client signing with its first key, and its canonical ID.
func (c *cluster) newUser(t *testing.T, name string) (*s3.Client, string) {
	t.Helper()
	out := c.floe(t, "admin", "user", "create", name)
	field := func(label string) string {
		m := regexp.MustCompile(`(?m)^` + label + `:\s+(\S+)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("floe admin user create printed no %s:\n%s", label, out)
		}
		return m[1]
	}
	return newClient(t, c.endpoint, field("Access key ID"), field("Secret access key")), field("Canonical ID")
}

// TestCrossUserAccessDenied: a user's key gets AccessDenied on another
// user's bucket in every operation S3 has on buckets and objects, and
// nothing of the bucket changes for it.
func TestCrossUserAccessDenied(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	ctx := ctxT(t)
	alice := cl.client // the cluster's key belongs to the default user, admin
	bob, bobID := cl.newUser(t, "bob")

	const bucket, bobs = "alices-bucket", "bobs-bucket"
	if _, err := alice.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bobs)}); err != nil {
		t.Fatal(err)
	}
	data := []byte("alice's data, which bob must neither read nor change")
	putBytes(t, alice, bucket, "obj", data)
	putBytes(t, bob, bobs, "bobs-obj", []byte("bob's own"))
	up, err := alice.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu")})
	if err != nil {
		t.Fatal(err)
	}
	b, k, id := aws.String(bucket), aws.String("obj"), up.UploadId
	mpu := aws.String("mpu")
	body := func() *bytes.Reader { return bytes.NewReader([]byte("bob was here")) }
	retain := time.Now().Add(24 * time.Hour)

	ops := []struct {
		name string
		call func(context.Context) error
	}{
		{"HeadBucket", func(ctx context.Context) error {
			_, err := bob.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
			return err
		}},
		{"ListObjects", func(ctx context.Context) error {
			_, err := bob.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b})
			return err
		}},
		{"ListObjectsV2", func(ctx context.Context) error {
			_, err := bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
			return err
		}},
		{"ListObjectVersions", func(ctx context.Context) error {
			_, err := bob.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b})
			return err
		}},
		{"ListMultipartUploads", func(ctx context.Context) error {
			_, err := bob.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
			return err
		}},
		{"GetBucketLocation", func(ctx context.Context) error {
			_, err := bob.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b})
			return err
		}},
		{"DeleteBucket", func(ctx context.Context) error {
			_, err := bob.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b})
			return err
		}},
		{"GetBucketVersioning", func(ctx context.Context) error {
			_, err := bob.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
			return err
		}},
		{"PutBucketVersioning", func(ctx context.Context) error {
			_, err := bob.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
			return err
		}},
		{"GetBucketAcl", func(ctx context.Context) error {
			_, err := bob.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b})
			return err
		}},
		{"PutBucketAcl", func(ctx context.Context) error {
			_, err := bob.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPrivate})
			return err
		}},
		{"GetBucketCors", func(ctx context.Context) error {
			_, err := bob.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
			return err
		}},
		{"PutBucketCors", func(ctx context.Context) error {
			_, err := bob.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{
				CORSRules: []types.CORSRule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}}}}})
			return err
		}},
		{"DeleteBucketCors", func(ctx context.Context) error {
			_, err := bob.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: b})
			return err
		}},
		{"GetBucketPolicy", func(ctx context.Context) error {
			_, err := bob.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
			return err
		}},
		{"PutBucketPolicy", func(ctx context.Context) error {
			_, err := bob.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(publicReadPolicy(bucket))})
			return err
		}},
		{"DeleteBucketPolicy", func(ctx context.Context) error {
			_, err := bob.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b})
			return err
		}},
		{"GetBucketPolicyStatus", func(ctx context.Context) error {
			_, err := bob.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b})
			return err
		}},
		{"GetPublicAccessBlock", func(ctx context.Context) error {
			_, err := bob.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
			return err
		}},
		{"PutPublicAccessBlock", func(ctx context.Context) error {
			_, err := bob.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: b,
				PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{}})
			return err
		}},
		{"DeletePublicAccessBlock", func(ctx context.Context) error {
			_, err := bob.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b})
			return err
		}},
		{"GetBucketLifecycleConfiguration", func(ctx context.Context) error {
			_, err := bob.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
			return err
		}},
		{"PutBucketLifecycleConfiguration", func(ctx context.Context) error {
			_, err := bob.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
					ID: aws.String("wipe"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
					Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}}}})
			return err
		}},
		{"DeleteBucketLifecycle", func(ctx context.Context) error {
			_, err := bob.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b})
			return err
		}},
		{"GetBucketTagging", func(ctx context.Context) error {
			_, err := bob.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
			return err
		}},
		{"PutBucketTagging", func(ctx context.Context) error {
			_, err := bob.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b,
				Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})
			return err
		}},
		{"DeleteBucketTagging", func(ctx context.Context) error {
			_, err := bob.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: b})
			return err
		}},
		{"GetObjectLockConfiguration", func(ctx context.Context) error {
			_, err := bob.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
			return err
		}},
		{"PutObjectLockConfiguration", func(ctx context.Context) error {
			_, err := bob.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: b,
				ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
			return err
		}},
		{"PutObject", func(ctx context.Context) error {
			_, err := bob.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: body()})
			return err
		}},
		{"PutObject new key", func(ctx context.Context) error {
			_, err := bob.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("bobs-new-key"), Body: body()})
			return err
		}},
		{"GetObject", func(ctx context.Context) error {
			_, err := bob.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k})
			return err
		}},
		{"GetObject range", func(ctx context.Context) error {
			_, err := bob.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k, Range: aws.String("bytes=0-3")})
			return err
		}},
		{"HeadObject", func(ctx context.Context) error {
			_, err := bob.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k})
			return err
		}},
		{"DeleteObject", func(ctx context.Context) error {
			_, err := bob.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: k})
			return err
		}},
		{"CopyObject into", func(ctx context.Context) error {
			_, err := bob.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy"), CopySource: aws.String(bobs + "/bobs-obj")})
			return err
		}},
		{"CopyObject out of", func(ctx context.Context) error {
			_, err := bob.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bobs), Key: aws.String("stolen"), CopySource: aws.String(bucket + "/obj")})
			return err
		}},
		{"CreateMultipartUpload", func(ctx context.Context) error {
			_, err := bob.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("bobs-mpu")})
			return err
		}},
		{"UploadPart", func(ctx context.Context) error {
			_, err := bob.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: mpu, UploadId: id, PartNumber: aws.Int32(1), Body: body()})
			return err
		}},
		{"UploadPartCopy", func(ctx context.Context) error {
			_, err := bob.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: mpu, UploadId: id, PartNumber: aws.Int32(1),
				CopySource: aws.String(bobs + "/bobs-obj")})
			return err
		}},
		{"ListParts", func(ctx context.Context) error {
			_, err := bob.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: mpu, UploadId: id})
			return err
		}},
		{"CompleteMultipartUpload", func(ctx context.Context) error {
			_, err := bob.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: mpu, UploadId: id,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"x"`)}}}})
			return err
		}},
		{"AbortMultipartUpload", func(ctx context.Context) error {
			_, err := bob.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: mpu, UploadId: id})
			return err
		}},
		{"GetObjectAttributes", func(ctx context.Context) error {
			_, err := bob.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: k,
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
			return err
		}},
		{"GetObjectAcl", func(ctx context.Context) error {
			_, err := bob.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: b, Key: k})
			return err
		}},
		{"PutObjectAcl", func(ctx context.Context) error {
			_, err := bob.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: b, Key: k, ACL: types.ObjectCannedACLPrivate})
			return err
		}},
		{"GetObjectTagging", func(ctx context.Context) error {
			_, err := bob.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: k})
			return err
		}},
		{"PutObjectTagging", func(ctx context.Context) error {
			_, err := bob.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: k,
				Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})
			return err
		}},
		{"DeleteObjectTagging", func(ctx context.Context) error {
			_, err := bob.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: k})
			return err
		}},
		{"GetObjectRetention", func(ctx context.Context) error {
			_, err := bob.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: b, Key: k})
			return err
		}},
		{"PutObjectRetention", func(ctx context.Context) error {
			_, err := bob.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: b, Key: k,
				Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &retain}})
			return err
		}},
		{"GetObjectLegalHold", func(ctx context.Context) error {
			_, err := bob.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: b, Key: k})
			return err
		}},
		{"PutObjectLegalHold", func(ctx context.Context) error {
			_, err := bob.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: b, Key: k,
				LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			err := op.call(ctx)
			if st := httpStatus(err); st != 403 || (errCode(err) != "AccessDenied" && op.name != "HeadBucket" && op.name != "HeadObject") {
				t.Fatalf("bob's %s on alice's bucket: status %d %q (%v), want 403 AccessDenied", op.name, st, errCode(err), err)
			}
		})
	}

	// DeleteObjects answers 200 and refuses each key, as S3 does.
	del, err := bob.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: k}, {Key: aws.String("other")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.Deleted) != 0 || len(del.Errors) != 2 || aws.ToString(del.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("bob's DeleteObjects: deleted %d, errors %+v; want two AccessDenied", len(del.Deleted), del.Errors)
	}

	// Names are global: bob cannot take alice's, and is told whose it is.
	_, err = bob.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b})
	if errCode(err) != "BucketAlreadyExists" {
		t.Errorf("bob creating alice's bucket name: %v, want BucketAlreadyExists", err)
	}
	_, err = alice.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b})
	if errCode(err) != "BucketAlreadyOwnedByYou" {
		t.Errorf("alice creating her own bucket again: %v, want BucketAlreadyOwnedByYou", err)
	}

	// Each sees only their own buckets, with their own owner ID.
	lb, err := bob.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != bobs || aws.ToString(lb.Owner.ID) != bobID ||
		aws.ToString(lb.Owner.DisplayName) != "bob" {
		t.Fatalf("bob's ListBuckets: %d buckets, owner %+v; want only %s, owner bob/%s", len(lb.Buckets), lb.Owner, bobs, bobID)
	}
	var aliceID string
	if err := cl.db(t).QueryRow(ctx, `SELECT canonical_id FROM users WHERE name = 'admin'`).Scan(&aliceID); err != nil {
		t.Fatal(err)
	}
	lo, err := alice.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, FetchOwner: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lo.Contents) != 1 || aws.ToString(lo.Contents[0].Owner.ID) != aliceID {
		t.Fatalf("alice's listing: %+v, want obj owned by %s", lo.Contents, aliceID)
	}
	acl, err := bob.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bobs)})
	if err != nil || aws.ToString(acl.Owner.ID) != bobID || aws.ToString(acl.Grants[0].Grantee.ID) != bobID {
		t.Fatalf("bob's own ACL: %+v, %v; want owner and grantee %s", acl, err, bobID)
	}

	// Nothing of alice's changed: her object, her upload, no stray keys.
	eq(t, getBytes(t, alice, bucket, "obj", ""), data, "alice's object after bob's attempts")
	if n := cl.count(t, `SELECT count(*) FROM objects WHERE bucket = $1 AND key <> 'obj'`, bucket); n != 0 {
		t.Fatalf("%d rows of other keys in alice's bucket", n)
	}
	if n := cl.count(t, `SELECT count(*) FROM objects WHERE bucket = $1 AND key = 'stolen'`, bobs); n != 0 {
		t.Fatal("bob copied alice's object into his bucket")
	}
	if _, err := alice.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: mpu, UploadId: id}); err != nil {
		t.Fatalf("alice's upload after bob's attempts: %v", err)
	}
	tags, err := alice.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: k})
	if err != nil || len(tags.TagSet) != 0 {
		t.Fatalf("alice's tags: %+v, %v", tags, err)
	}

	// A policy is what lets bob in, and only as far as it says.
	if _, err := alice.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(publicReadPolicy(bucket))}); err != nil {
		t.Fatal(err)
	}
	eq(t, getBytes(t, bob, bucket, "obj", ""), data, "bob's GET under a public-read policy")
	_, err = bob.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: k})
	if errCode(err) != "AccessDenied" {
		t.Fatalf("bob's DeleteObject under a public-read policy: %v, want AccessDenied", err)
	}
	eq(t, getBytes(t, alice, bucket, "obj", ""), data, "alice's object after bob's delete")
}
