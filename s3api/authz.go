package s3api

import (
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/policy"
	"github.com/floe-s3/floe/s3api/s3err"
)

// Authorization. A user is what S3 calls an account: it owns its buckets
// and every object in them (S3's default BucketOwnerEnforced ownership).
// A request on a bucket is decided by:
//
//  1. the bucket's policy, if any: an explicit Deny that applies refuses
//     it, whoever asks — the owner too, except for the policy and public
//     access block operations, so an owner cannot lock itself out;
//  2. the owner may do everything else;
//  3. anyone else, anonymous requests included, needs an Allow of the
//     policy; with RestrictPublicBuckets, a policy that is public grants
//     nothing to them at all.
//
// The bucket's owner, policy and public access block are read from
// PostgreSQL for every request, never cached: a cached owner would let a
// user act on a bucket another user created under the same name moments
// after the first was deleted.

// ownerOnly are the actions only the bucket's owner may take, whatever
// its policy says (S3 lets an account's root user manage its policy even
// when the policy denies everyone).
var ownerOnly = map[string]bool{
	"s3:GetBucketPolicy": true, "s3:PutBucketPolicy": true, "s3:DeleteBucketPolicy": true,
	"s3:GetBucketPolicyStatus": true, "s3:GetBucketPublicAccessBlock": true, "s3:PutBucketPublicAccessBlock": true,
}

// versionedAction is the action a request with ?versionId performs
// instead of the plain one, where S3 has a separate permission for it.
var versionedAction = map[string]string{
	"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion",
	"s3:GetObjectTagging": "s3:GetObjectVersionTagging", "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
	"s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging", "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
	"s3:PutObjectAcl": "s3:PutObjectVersionAcl", "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
}

// unchecked reports whether a's request was let through without
// authentication (AcceptAll, in tests): it is then not restricted either.
func (a Auth) unchecked() bool { return !a.Anonymous && a.User == "" }

// authorize decides whether req may perform action, as routed. An empty
// action means the handler checks, per key (DeleteObjects, POST uploads).
// On a bucket it loads the bucket's access into req.access; a bucket that
// does not exist is NoSuchBucket here, before any handler runs.
func (s *Server) authorize(r *http.Request, req *request, action string) error {
	a := req.auth
	switch {
	case req.bucket == "": // ListBuckets: a user's own
		if a.Anonymous {
			return s3err.New(s3err.AccessDenied, "Anonymous users cannot list buckets.")
		}
		return nil
	case action == "s3:CreateBucket":
		if a.Anonymous {
			return s3err.New(s3err.AccessDenied, "Anonymous users cannot create buckets.")
		}
		return nil
	}
	acc, err := s.cfg.Meta.GetBucketAccess(r.Context(), req.bucket)
	if err != nil {
		return err
	}
	req.access = &acc
	if action == "" {
		return nil
	}
	if req.versionID != "" && versionedAction[action] != "" {
		action = versionedAction[action]
	}
	if err := s.allowed(r, req, action, resourceARN(req.bucket, req.key, policy.ObjectAction(action))); err != nil {
		return err
	}
	if bypassGovernance(r) && (action == "s3:PutObjectRetention" || action == "s3:DeleteObject" || action == "s3:DeleteObjectVersion") {
		return s.allowed(r, req, "s3:BypassGovernanceRetention", resourceARN(req.bucket, req.key, true))
	}
	return nil
}

// authorizeOn decides action on another resource than the request's own,
// for the checks a handler makes itself: the source of a copy, each key
// of a DeleteObjects, the key of a POST upload. It loads bucket's access
// when it is not req's bucket.
func (s *Server) authorizeOn(r *http.Request, req *request, bucket, key, action string) error {
	if req.auth.unchecked() {
		return nil
	}
	sub := *req
	sub.bucket, sub.key = bucket, key
	if bucket != req.bucket || req.access == nil {
		acc, err := s.cfg.Meta.GetBucketAccess(r.Context(), bucket)
		if err != nil {
			return err
		}
		sub.access = &acc
	}
	return s.allowed(r, &sub, action, resourceARN(bucket, key, key != ""))
}

// authorizeCopySource decides whether req may read the source of a copy
// (CopyObject, UploadPartCopy): the copy's own PutObject was decided by
// authorize.
func (s *Server) authorizeCopySource(r *http.Request, req *request, bucket, key, versionID string) error {
	action := "s3:GetObject"
	if versionID != "" {
		action = "s3:GetObjectVersion"
	}
	return s.authorizeOn(r, req, bucket, key, action)
}

// authorizeDelete decides one key of a DeleteObjects, which S3 decides
// key by key (an AccessDenied in the result's errors for those refused).
func (s *Server) authorizeDelete(r *http.Request, req *request, key, versionID string) error {
	action := "s3:DeleteObject"
	if versionID != "" {
		action = "s3:DeleteObjectVersion"
	}
	if err := s.authorizeOn(r, req, req.bucket, key, action); err != nil {
		return err
	}
	if bypassGovernance(r) {
		return s.authorizeOn(r, req, req.bucket, key, "s3:BypassGovernanceRetention")
	}
	return nil
}

// allowed applies the rules in the comment at the top of this file to
// req's principal taking action on resource of req's bucket.
func (s *Server) allowed(r *http.Request, req *request, action, resource string) error {
	a, acc := req.auth, req.access
	if a.unchecked() {
		return nil
	}
	owner := !a.Anonymous && a.User == acc.Owner
	if ownerOnly[action] {
		if owner {
			return nil
		}
		return s3err.New(s3err.AccessDenied, "Only the bucket owner may do this.")
	}
	decision, pol := policy.NoMatch, (*policy.Policy)(nil)
	if acc.Policy != nil {
		var err error
		if pol, err = s.policies.parse(acc.Policy, req.bucket); err != nil {
			return fmt.Errorf("stored policy of %s: %w", req.bucket, err)
		}
		decision = pol.Evaluate(policy.Request{
			Principal: policy.Principal{Anonymous: a.Anonymous, User: a.User, CanonicalID: a.UserID},
			Action:    action, Resource: resource, Context: conditionContext(r, req),
		})
	}
	switch {
	case decision == policy.Deny:
		return s3err.New(s3err.AccessDenied, "Access Denied by the bucket policy.")
	case owner:
		return nil
	case decision == policy.Allow && !(pol.IsPublic() && publicAccessBlock(acc).RestrictPublicBuckets):
		return nil
	}
	return s3err.AccessDenied
}

// resourceARN names a bucket, or an object in it, as policies do.
func resourceARN(bucket, key string, object bool) string {
	if object {
		return "arn:aws:s3:::" + bucket + "/" + key
	}
	return "arn:aws:s3:::" + bucket
}

// conditionContext gives the condition keys a policy may test that r
// provides.
func conditionContext(r *http.Request, req *request) map[string]string {
	c := map[string]string{
		"aws:securetransport": fmt.Sprint(r.TLS != nil),
		"aws:principaltype":   "User",
		"s3:signatureversion": "AWS4-HMAC-SHA256",
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c["aws:sourceip"] = host
	}
	switch {
	case req.auth.Anonymous:
		c["aws:principaltype"] = "Anonymous"
		delete(c, "s3:signatureversion")
	case r.Header.Get("Authorization") != "":
		c["s3:authtype"] = "REST-HEADER"
	case r.Method == http.MethodPost && req.key == "":
		c["s3:authtype"] = "POST"
	default:
		c["s3:authtype"] = "REST-QUERY-STRING"
	}
	if req.auth.User != "" {
		c["aws:username"] = req.auth.User
		c["aws:userid"] = req.auth.UserID
		c["aws:principalarn"] = "arn:aws:iam:::user/" + req.auth.User
	}
	if r.TLS != nil {
		c["s3:tlsversion"] = tlsVersions[r.TLS.Version]
	}
	for key, header := range map[string]string{
		"aws:useragent": "User-Agent", "aws:referer": "Referer", "s3:x-amz-acl": "X-Amz-Acl",
		"s3:x-amz-content-sha256": "X-Amz-Content-Sha256", "s3:x-amz-copy-source": "X-Amz-Copy-Source",
		"s3:x-amz-metadata-directive": "X-Amz-Metadata-Directive", "s3:x-amz-storage-class": "X-Amz-Storage-Class",
		"s3:x-amz-server-side-encryption": "X-Amz-Server-Side-Encryption",
	} {
		if v := r.Header.Get(header); v != "" {
			c[key] = v
		}
	}
	q := r.URL.Query()
	for _, p := range []string{"prefix", "delimiter", "max-keys"} {
		if q.Has(p) {
			c["s3:"+p] = q.Get(p)
		}
	}
	if req.versionID != "" {
		c["s3:versionid"] = req.versionID
	}
	return c
}

// tlsVersions name TLS versions as s3:TlsVersion gives them, a number
// policies compare with NumericLessThan.
var tlsVersions = map[uint16]string{
	tls.VersionTLS10: "1.0", tls.VersionTLS11: "1.1", tls.VersionTLS12: "1.2", tls.VersionTLS13: "1.3",
}

// PublicAccessBlock is a bucket's PublicAccessBlockConfiguration, kept as
// JSON in the metadata store.
type PublicAccessBlock struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration" json:"-"`
	BlockPublicAcls       bool     `json:",omitempty"`
	IgnorePublicAcls      bool     `json:",omitempty"`
	BlockPublicPolicy     bool     `json:",omitempty"`
	RestrictPublicBuckets bool     `json:",omitempty"`
}

// publicAccessBlock decodes acc's configuration; none (or, never
// expected, an unreadable one) blocks nothing.
func publicAccessBlock(acc *metadata.BucketAccess) PublicAccessBlock {
	var p PublicAccessBlock
	if acc.PublicAccessBlock != nil {
		_ = json.Unmarshal(acc.PublicAccessBlock, &p)
	}
	return p
}

// policyCache keeps parsed policies by their text, so a request on a
// bucket with a policy does not parse it again. Unbounded growth is
// prevented by starting afresh past maxPolicies.
type policyCache struct {
	mu sync.Mutex
	m  map[string]*policy.Policy // by bucket + "\x00" + document
}

// maxPolicies bounds policyCache.
const maxPolicies = 1024

// parse returns doc parsed for bucket, from the cache when it can.
func (c *policyCache) parse(doc []byte, bucket string) (*policy.Policy, error) {
	k := bucket + "\x00" + string(doc)
	c.mu.Lock()
	p, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := policy.Parse(doc, bucket)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxPolicies {
		c.m = make(map[string]*policy.Policy)
	}
	c.m[k] = p
	c.mu.Unlock()
	return p, nil
}
