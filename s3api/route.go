package s3api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
)

// handler serves one S3 operation.
type handler func(w http.ResponseWriter, r *http.Request, req *request) error

// splitPath splits a decoded path-style path ("/bucket/key") into bucket
// and key. The key is everything after the bucket's slash, as S3 takes it:
// "/b//a" is key "/a" and "/b/a//c/" key "a//c/"; nothing is normalised.
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// splitRequestPath is splitPath for a request's URL. It splits the path as
// sent (escaped), then decodes bucket and key apart, so that an encoded
// slash (%2F) stays inside the key or bucket it was sent in. A path with
// an empty first segment but more after it ("//bucket/key") names no
// bucket: it is refused rather than served as the service root.
func splitRequestPath(u *url.URL) (bucket, key string, err error) {
	p := u.EscapedPath()
	if p == "" || p == "/" {
		return "", "", nil
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return "", "", s3err.Errorf(s3err.InvalidURI, "path %q does not start with /bucket", p)
	}
	rawBucket, rawKey, _ := strings.Cut(p[1:], "/")
	if bucket, err = url.PathUnescape(rawBucket); err == nil {
		key, err = url.PathUnescape(rawKey)
	}
	if err != nil {
		return "", "", s3err.Errorf(s3err.InvalidURI, "path %q: %w", p, err)
	}
	return bucket, key, nil
}

// parseTarget fills in req's bucket and key from r's Host (under one of
// domains, see vhost.go) or path, and checks that r's URI can be parsed
// as S3 parses it: Go's server lets a query with bad percent-escapes
// through, and url.Values would silently drop the pairs it cannot decode
// (a ?prefix=%zz listing everything).
func parseTarget(r *http.Request, req *request, domains []string) error {
	var err error
	if b, ok := hostBucket(r, domains); ok {
		req.bucket = b
		if req.key, err = splitHostedPath(r.URL); err != nil {
			return err
		}
	} else if req.bucket, req.key, err = splitRequestPath(r.URL); err != nil {
		return err
	}
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		return s3err.Errorf(s3err.InvalidURI, "query %q: %w", r.URL.RawQuery, err)
	}
	return nil
}

// subresources are the query parameters that select an S3 operation other
// than the plain one. Any of them that Floe does not implement gets
// NotImplemented: falling through to the plain handler would, say, turn a
// PUT ?tagging into an overwrite of the object.
var subresources = []string{
	"accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
	"metadataTable", "metrics", "notification", "object-lock", "ownershipControls",
	"partNumber", "policy", "policyStatus", "publicAccessBlock", "renameObject", "replication",
	"requestPayment", "restore", "retention", "select", "select-type", "session", "tagging",
	"torrent", "uploadId", "uploads", "versioning", "versions", "website",
}

// versionIDParam reads ?versionId, which qualifies an operation on one
// version of an object rather than selecting an operation of its own. It
// is refused where S3 has no versioned form of the operation, and when
// it cannot name a version Floe has issued.
func versionIDParam(r *http.Request, req *request, sub string) error {
	v, ok := r.URL.Query()["versionId"]
	if !ok {
		return nil
	}
	versioned := req.key != "" && (sub == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead ||
		r.Method == http.MethodDelete) || sub == "partNumber" && r.Method != http.MethodPut ||
		(sub == "retention" || sub == "legal-hold" || sub == "tagging" || sub == "acl") && r.Method != http.MethodPost ||
		sub == "attributes" && r.Method == http.MethodGet)
	if !versioned || r.Header.Get("X-Amz-Copy-Source") != "" {
		return s3err.Errorf(s3err.InvalidArgument, "%s does not take a versionId", r.Method)
	}
	if !metadata.ValidVersionID(v[0]) {
		return s3err.New(s3err.InvalidArgument, "Invalid version id specified")
	}
	req.versionID = v[0]
	return nil
}

// route picks the handler for r, and the action (as bucket policies name
// it, "s3:GetObject") it performs; an empty action means the handler
// authorizes what it does itself.
func (s *Server) route(r *http.Request, req *request) (handler, string, error) {
	q := r.URL.Query()
	sub := ""
	for _, name := range subresources {
		if name == "partNumber" && q.Has("uploadId") {
			continue // UploadPart: partNumber qualifies uploadId
		}
		if _, ok := q[name]; ok {
			if sub != "" {
				return nil, "", s3err.Errorf(s3err.InvalidRequest, "conflicting subresources %q and %q", sub, name)
			}
			sub = name
		}
	}
	if err := versionIDParam(r, req, sub); err != nil {
		return nil, "", err
	}
	notImpl := func() (handler, string, error) {
		what := r.Method
		if sub != "" {
			what += " ?" + sub
		}
		return nil, "", s3err.Errorf(s3err.NotImplemented, "%s is not implemented", what)
	}
	switch {
	case req.bucket == "":
		if r.Method == http.MethodGet && sub == "" {
			return s.listBuckets, "s3:ListAllMyBuckets", nil
		}
		if sub != "" {
			return notImpl()
		}
		return nil, "", s3err.New(s3err.MethodNotAllowed, "the service endpoint only lists buckets")
	case req.key == "":
		switch {
		case sub == "" && r.Method == http.MethodPut:
			return s.createBucket, "s3:CreateBucket", nil
		case sub == "" && r.Method == http.MethodHead:
			return s.headBucket, "s3:ListBucket", nil
		case sub == "" && r.Method == http.MethodDelete:
			return s.deleteBucket, "s3:DeleteBucket", nil
		case sub == "" && r.Method == http.MethodGet:
			return s.listObjects, "s3:ListBucket", nil
		case sub == "location" && r.Method == http.MethodGet:
			return s.getBucketLocation, "s3:GetBucketLocation", nil
		case sub == "" && r.Method == http.MethodPost:
			return s.postObject, "", nil
		case sub == "delete" && r.Method == http.MethodPost:
			return s.deleteObjects, "", nil
		case sub == "uploads" && r.Method == http.MethodGet:
			return s.listMultipartUploads, "s3:ListBucketMultipartUploads", nil
		case sub == "versions" && r.Method == http.MethodGet:
			return s.listObjectVersions, "s3:ListBucketVersions", nil
		case sub == "versioning" && r.Method == http.MethodGet:
			return s.getBucketVersioning, "s3:GetBucketVersioning", nil
		case sub == "versioning" && r.Method == http.MethodPut:
			return s.putBucketVersioning, "s3:PutBucketVersioning", nil
		case sub == "acl" && r.Method == http.MethodGet:
			return s.getBucketACL, "s3:GetBucketAcl", nil
		case sub == "acl" && r.Method == http.MethodPut:
			return s.putBucketACL, "s3:PutBucketAcl", nil
		case sub == "cors" && r.Method == http.MethodGet:
			return s.getBucketCors, "s3:GetBucketCORS", nil
		case sub == "cors" && r.Method == http.MethodPut:
			return s.putBucketCors, "s3:PutBucketCORS", nil
		case sub == "cors" && r.Method == http.MethodDelete:
			return s.deleteBucketCors, "s3:PutBucketCORS", nil
		case sub == "policy" && r.Method == http.MethodGet:
			return s.getBucketPolicy, "s3:GetBucketPolicy", nil
		case sub == "policy" && r.Method == http.MethodPut:
			return s.putBucketPolicy, "s3:PutBucketPolicy", nil
		case sub == "policy" && r.Method == http.MethodDelete:
			return s.deleteBucketPolicy, "s3:DeleteBucketPolicy", nil
		case sub == "policyStatus" && r.Method == http.MethodGet:
			return s.getBucketPolicyStatus, "s3:GetBucketPolicyStatus", nil
		case sub == "publicAccessBlock" && r.Method == http.MethodGet:
			return s.getPublicAccessBlock, "s3:GetBucketPublicAccessBlock", nil
		case sub == "publicAccessBlock" && r.Method == http.MethodPut:
			return s.putPublicAccessBlock, "s3:PutBucketPublicAccessBlock", nil
		case sub == "publicAccessBlock" && r.Method == http.MethodDelete:
			return s.deletePublicAccessBlock, "s3:PutBucketPublicAccessBlock", nil
		case sub == "lifecycle" && r.Method == http.MethodGet:
			return s.getBucketLifecycle, "s3:GetLifecycleConfiguration", nil
		case sub == "lifecycle" && r.Method == http.MethodPut:
			return s.putBucketLifecycle, "s3:PutLifecycleConfiguration", nil
		case sub == "lifecycle" && r.Method == http.MethodDelete:
			return s.deleteBucketLifecycle, "s3:PutLifecycleConfiguration", nil
		case sub == "tagging" && r.Method == http.MethodGet:
			return s.getBucketTagging, "s3:GetBucketTagging", nil
		case sub == "tagging" && r.Method == http.MethodPut:
			return s.putBucketTagging, "s3:PutBucketTagging", nil
		case sub == "tagging" && r.Method == http.MethodDelete:
			return s.deleteBucketTagging, "s3:PutBucketTagging", nil
		case sub == "object-lock" && r.Method == http.MethodGet:
			return s.getObjectLockConfiguration, "s3:GetBucketObjectLockConfiguration", nil
		case sub == "object-lock" && r.Method == http.MethodPut:
			return s.putObjectLockConfiguration, "s3:PutBucketObjectLockConfiguration", nil
		}
		return notImpl()
	default:
		switch {
		case sub == "" && r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
			return s.copyObject, "s3:PutObject", nil
		case sub == "" && r.Method == http.MethodPut:
			return s.putObject, "s3:PutObject", nil
		case sub == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			return s.getObject, "s3:GetObject", nil
		case sub == "" && r.Method == http.MethodDelete:
			return s.deleteObject, "s3:DeleteObject", nil
		case sub == "uploads" && r.Method == http.MethodPost:
			return s.createMultipartUpload, "s3:PutObject", nil
		case sub == "partNumber" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			return s.getObject, "s3:GetObject", nil
		case sub == "uploadId" && r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
			return s.uploadPartCopy, "s3:PutObject", nil
		case sub == "uploadId" && r.Method == http.MethodPut:
			return s.uploadPart, "s3:PutObject", nil
		case sub == "uploadId" && r.Method == http.MethodPost:
			return s.completeMultipartUpload, "s3:PutObject", nil
		case sub == "uploadId" && r.Method == http.MethodDelete:
			return s.abortMultipartUpload, "s3:AbortMultipartUpload", nil
		case sub == "uploadId" && r.Method == http.MethodGet:
			return s.listParts, "s3:ListMultipartUploadParts", nil
		case sub == "attributes" && r.Method == http.MethodGet:
			return s.getObjectAttributes, "s3:GetObjectAttributes", nil
		case sub == "acl" && r.Method == http.MethodGet:
			return s.getObjectACL, "s3:GetObjectAcl", nil
		case sub == "acl" && r.Method == http.MethodPut:
			return s.putObjectACL, "s3:PutObjectAcl", nil
		case sub == "tagging" && r.Method == http.MethodGet:
			return s.getObjectTagging, "s3:GetObjectTagging", nil
		case sub == "tagging" && r.Method == http.MethodPut:
			return s.putObjectTagging, "s3:PutObjectTagging", nil
		case sub == "tagging" && r.Method == http.MethodDelete:
			return s.deleteObjectTagging, "s3:DeleteObjectTagging", nil
		case sub == "retention" && r.Method == http.MethodGet:
			return s.getObjectRetention, "s3:GetObjectRetention", nil
		case sub == "retention" && r.Method == http.MethodPut:
			return s.putObjectRetention, "s3:PutObjectRetention", nil
		case sub == "legal-hold" && r.Method == http.MethodGet:
			return s.getObjectLegalHold, "s3:GetObjectLegalHold", nil
		case sub == "legal-hold" && r.Method == http.MethodPut:
			return s.putObjectLegalHold, "s3:PutObjectLegalHold", nil
		}
		return notImpl()
	}
}

// copySource parses X-Amz-Copy-Source: "[/]bucket/key[?versionId=...]",
// the path URL-encoded. versionID is empty when none is named.
func copySource(h string) (bucket, key, versionID string, err error) {
	path, query, hasQuery := strings.Cut(h, "?")
	if hasQuery {
		q, qerr := url.ParseQuery(query)
		v, ok := q["versionId"]
		if qerr != nil || !ok || len(q) != 1 || len(v) != 1 {
			return "", "", "", s3err.Errorf(s3err.InvalidArgument, "bad x-amz-copy-source %q: only ?versionId= may follow the key", h)
		}
		if !metadata.ValidVersionID(v[0]) {
			return "", "", "", s3err.New(s3err.InvalidArgument, "Invalid version id specified")
		}
		versionID = v[0]
	}
	dec, uerr := url.PathUnescape(path)
	if uerr != nil {
		return "", "", "", s3err.Errorf(s3err.InvalidArgument, "bad x-amz-copy-source %q", h)
	}
	bucket, key = splitPath("/" + strings.TrimPrefix(dec, "/"))
	if bucket == "" || key == "" {
		return "", "", "", s3err.Errorf(s3err.InvalidArgument, "bad x-amz-copy-source %q", h)
	}
	return bucket, key, versionID, nil
}
