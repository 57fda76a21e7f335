package metrics

import (
	"net/http"
	"strings"
)

// Operation names the S3 operation of an answered request that the
// router did not name (s3api.RequestDone.Operation is empty: it failed
// before routing), from the action it was routed to (as bucket policies
// name it, s3api.RequestDone.Action) and its method. The action alone is
// ambiguous where one action covers several operations (s3:GetObject is
// GET and HEAD, s3:ListBucket lists and HEADs a bucket), so the method
// picks among them; where the method does not either, the label is the
// action's, documented here:
//
//   - PutObject counts every PUT authorized as s3:PutObject: PutObject,
//     CopyObject, UploadPart, UploadPartCopy.
//   - PostObject counts the POSTs authorized as s3:PutObject:
//     CreateMultipartUpload and CompleteMultipartUpload.
//   - ListObjects counts ListObjects and ListObjectsV2.
//   - PostUploadOrDeleteObjects counts the POSTs routed with no action,
//     to the handlers that authorize by themselves: browser POST uploads
//     and DeleteObjects (and POSTs that failed before routing).
//   - Unrouted counts other requests that failed before routing (bad
//     signature, unknown operation); Preflight counts CORS preflights
//     (OPTIONS).
//
// The result is always one of a bounded set: the actions come from the
// router's code, never from the request, and any action that does not
// look like one maps to "Other".
func Operation(action, method string) string {
	name, ok := strings.CutPrefix(action, "s3:")
	switch {
	case action == "" && method == http.MethodOptions:
		return "Preflight"
	case action == "" && method == http.MethodPost:
		return "PostUploadOrDeleteObjects"
	case action == "":
		return "Unrouted"
	case !ok || !isIdent(name):
		return "Other"
	}
	switch name {
	case "GetObject":
		if method == http.MethodHead {
			return "HeadObject"
		}
	case "ListBucket":
		if method == http.MethodHead {
			return "HeadBucket"
		}
		return "ListObjects"
	case "ListAllMyBuckets":
		return "ListBuckets"
	case "PutObject":
		if method == http.MethodPost {
			return "PostObject"
		}
	case "ListBucketMultipartUploads":
		return "ListMultipartUploads"
	case "ListMultipartUploadParts":
		return "ListParts"
	case "ListBucketVersions":
		return "ListObjectVersions"
	case "GetLifecycleConfiguration":
		return "GetBucketLifecycleConfiguration"
	case "PutLifecycleConfiguration":
		if method == http.MethodDelete {
			return "DeleteBucketLifecycle"
		}
		return "PutBucketLifecycleConfiguration"
	case "GetBucketCORS":
		return "GetBucketCors"
	case "PutBucketCORS":
		if method == http.MethodDelete {
			return "DeleteBucketCors"
		}
		return "PutBucketCors"
	case "PutBucketTagging":
		if method == http.MethodDelete {
			return "DeleteBucketTagging"
		}
	case "PutBucketPublicAccessBlock":
		if method == http.MethodDelete {
			return "DeletePublicAccessBlock"
		}
		return "PutPublicAccessBlock"
	case "GetBucketPublicAccessBlock":
		return "GetPublicAccessBlock"
	case "GetBucketObjectLockConfiguration":
		return "GetObjectLockConfiguration"
	case "PutBucketObjectLockConfiguration":
		return "PutObjectLockConfiguration"
	}
	return name
}

// isIdent reports whether s is a non-empty run of ASCII letters, as every
// S3 action name is, and at most 64 of them.
func isIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// statusClass is "2xx" for 200..299 and so on; "other" outside 100..599.
func statusClass(status int) string {
	switch status / 100 {
	case 1:
		return "1xx"
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	case 5:
		return "5xx"
	}
	return "other"
}
