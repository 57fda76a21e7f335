package metrics

import (
	"net/http"
	"testing"
)

// TestOperation: the label names the S3 operation where action and
// method tell it, and stays in a bounded set whatever they are.
func TestOperation(t *testing.T) {
	for _, tc := range []struct{ action, method, want string }{
		{"s3:GetObject", http.MethodGet, "GetObject"},
		{"s3:GetObject", http.MethodHead, "HeadObject"},
		{"s3:PutObject", http.MethodPut, "PutObject"},
		{"s3:PutObject", http.MethodPost, "PostObject"},
		{"s3:DeleteObject", http.MethodDelete, "DeleteObject"},
		{"s3:ListBucket", http.MethodGet, "ListObjects"},
		{"s3:ListBucket", http.MethodHead, "HeadBucket"},
		{"s3:ListAllMyBuckets", http.MethodGet, "ListBuckets"},
		{"s3:CreateBucket", http.MethodPut, "CreateBucket"},
		{"s3:DeleteBucket", http.MethodDelete, "DeleteBucket"},
		{"s3:ListBucketMultipartUploads", http.MethodGet, "ListMultipartUploads"},
		{"s3:ListMultipartUploadParts", http.MethodGet, "ListParts"},
		{"s3:AbortMultipartUpload", http.MethodDelete, "AbortMultipartUpload"},
		{"s3:ListBucketVersions", http.MethodGet, "ListObjectVersions"},
		{"s3:PutBucketCORS", http.MethodPut, "PutBucketCors"},
		{"s3:PutBucketCORS", http.MethodDelete, "DeleteBucketCors"},
		{"s3:GetBucketCORS", http.MethodGet, "GetBucketCors"},
		{"s3:PutLifecycleConfiguration", http.MethodPut, "PutBucketLifecycleConfiguration"},
		{"s3:PutLifecycleConfiguration", http.MethodDelete, "DeleteBucketLifecycle"},
		{"s3:PutBucketTagging", http.MethodDelete, "DeleteBucketTagging"},
		{"s3:PutBucketTagging", http.MethodPut, "PutBucketTagging"},
		{"s3:PutBucketPublicAccessBlock", http.MethodDelete, "DeletePublicAccessBlock"},
		{"s3:GetBucketObjectLockConfiguration", http.MethodGet, "GetObjectLockConfiguration"},
		{"s3:GetObjectTagging", http.MethodGet, "GetObjectTagging"},
		{"", http.MethodOptions, "Preflight"},
		{"", http.MethodPost, "PostUploadOrDeleteObjects"},
		{"", http.MethodGet, "Unrouted"},
		{"", "BREW", "Unrouted"},
		{"iam:CreateUser", http.MethodGet, "Other"},
		{"s3:Get Object", http.MethodGet, "Other"},
		{"s3:", http.MethodGet, "Other"},
	} {
		if got := Operation(tc.action, tc.method); got != tc.want {
			t.Errorf("Operation(%q, %q) = %q, want %q", tc.action, tc.method, got, tc.want)
		}
	}
}

// TestStatusClass buckets status codes for the latency histogram.
func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{100: "1xx", 200: "2xx", 206: "2xx", 304: "3xx", 404: "4xx", 503: "5xx", 0: "other", 999: "other"} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", status, got, want)
		}
	}
}
