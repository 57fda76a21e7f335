package s3api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

func handlerName(h handler) string {
	name := runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name()
	name = name[strings.LastIndex(name, ".")+1:]
	return strings.TrimSuffix(name, "-fm")
}

func TestRoute(t *testing.T) {
	s := New(Config{})
	for _, tc := range []struct {
		method, target string
		header         string // X-Amz-Copy-Source
		want           string // handler name, or an S3 error code
	}{
		{"GET", "/", "", "listBuckets"},
		{"PUT", "/", "", "MethodNotAllowed"},
		{"PUT", "/bkt", "", "createBucket"},
		{"PUT", "/bkt/", "", "createBucket"},
		{"HEAD", "/bkt", "", "headBucket"},
		{"DELETE", "/bkt", "", "deleteBucket"},
		{"GET", "/bkt", "", "listObjects"},
		{"GET", "/bkt?list-type=2&prefix=a", "", "listObjects"},
		{"GET", "/bkt?location", "", "getBucketLocation"},
		{"POST", "/bkt?delete", "", "deleteObjects"},
		{"PUT", "/bkt/k", "", "putObject"},
		{"PUT", "/bkt/a/b/c?x-id=PutObject", "", "putObject"},
		{"PUT", "/bkt/k", "src/key", "copyObject"},
		{"GET", "/bkt/k", "", "getObject"},
		{"HEAD", "/bkt/k", "", "getObject"},
		{"DELETE", "/bkt/k", "", "deleteObject"},
		// Subresources Floe lacks must never reach the plain handlers.
		{"PUT", "/bkt/k?tagging", "", "putObjectTagging"},
		{"DELETE", "/bkt/k?tagging", "", "deleteObjectTagging"},
		{"GET", "/bkt/k?tagging&versionId=null", "", "getObjectTagging"},
		{"GET", "/bkt?tagging", "", "getBucketTagging"},
		{"PUT", "/bkt?tagging", "", "putBucketTagging"},
		{"DELETE", "/bkt?tagging", "", "deleteBucketTagging"},
		{"PUT", "/bkt?cors", "", "putBucketCors"},
		{"GET", "/bkt?cors", "", "getBucketCors"},
		{"DELETE", "/bkt?cors", "", "deleteBucketCors"},
		{"POST", "/bkt?cors", "", "NotImplemented"},
		{"GET", "/bkt?policy", "", "getBucketPolicy"},
		{"PUT", "/bkt?policy", "", "putBucketPolicy"},
		{"DELETE", "/bkt?policy", "", "deleteBucketPolicy"},
		{"POST", "/bkt?policy", "", "NotImplemented"},
		{"GET", "/bkt?policyStatus", "", "getBucketPolicyStatus"},
		{"PUT", "/bkt?policyStatus", "", "NotImplemented"},
		{"GET", "/bkt?publicAccessBlock", "", "getPublicAccessBlock"},
		{"PUT", "/bkt?publicAccessBlock", "", "putPublicAccessBlock"},
		{"DELETE", "/bkt?publicAccessBlock", "", "deletePublicAccessBlock"},
		{"GET", "/bkt/k?policy", "", "NotImplemented"},
		{"PUT", "/bkt/k?acl", "", "putObjectACL"},
		{"GET", "/bkt/k?acl&versionId=null", "", "getObjectACL"},
		{"GET", "/bkt?acl", "", "getBucketACL"},
		{"PUT", "/bkt?acl", "", "putBucketACL"},
		{"DELETE", "/bkt?acl", "", "NotImplemented"},
		{"GET", "/bkt?versioning", "", "getBucketVersioning"},
		{"PUT", "/bkt?versioning", "", "putBucketVersioning"},
		{"DELETE", "/bkt?versioning", "", "NotImplemented"},
		{"GET", "/bkt?versions", "", "listObjectVersions"},
		{"GET", "/bkt?versions&key-marker=a&version-id-marker=null", "", "listObjectVersions"},
		// versionId qualifies reads and deletes of one version.
		{"GET", "/bkt/k?versionId=null", "", "getObject"},
		{"HEAD", "/bkt/k?versionId=0123456789abcdef0123456789abcdef", "", "getObject"},
		{"DELETE", "/bkt/k?versionId=null", "", "deleteObject"},
		{"GET", "/bkt/k?versionId=null&partNumber=1", "", "getObject"},
		{"GET", "/bkt/k?versionId=xyz", "", "InvalidArgument"},
		{"PUT", "/bkt/k?versionId=null", "", "InvalidArgument"},
		{"PUT", "/bkt/k?versionId=null", "src/key", "InvalidArgument"},
		{"GET", "/bkt?versionId=null", "", "InvalidArgument"},
		{"PUT", "/bkt/k?tagging&versionId=null", "", "putObjectTagging"},
		{"POST", "/bkt/k?tagging&versionId=null", "", "InvalidArgument"},
		{"GET", "/bkt?object-lock", "", "getObjectLockConfiguration"},
		{"PUT", "/bkt?object-lock", "", "putObjectLockConfiguration"},
		{"GET", "/bkt/k?retention", "", "getObjectRetention"},
		{"PUT", "/bkt/k?retention&versionId=null", "", "putObjectRetention"},
		{"GET", "/bkt/k?legal-hold&versionId=null", "", "getObjectLegalHold"},
		{"PUT", "/bkt/k?legal-hold", "", "putObjectLegalHold"},
		{"DELETE", "/bkt/k?retention", "", "NotImplemented"},
		{"PUT", "/bkt/k?object-lock", "", "NotImplemented"},
		{"POST", "/bkt/k?uploads", "", "createMultipartUpload"},
		{"PUT", "/bkt/k?partNumber=1&uploadId=x", "", "uploadPart"},
		{"POST", "/bkt/k?uploadId=x", "", "completeMultipartUpload"},
		{"DELETE", "/bkt/k?uploadId=x", "", "abortMultipartUpload"},
		{"GET", "/bkt/k?uploadId=x", "", "listParts"},
		{"GET", "/bkt?uploads", "", "listMultipartUploads"},
		{"GET", "/bkt?uploads&prefix=a&max-uploads=3", "", "listMultipartUploads"},
		{"PUT", "/bkt/k?partNumber=1&uploadId=x", "src/key", "uploadPartCopy"},
		{"GET", "/bkt/k?partNumber=2", "", "getObject"},
		{"HEAD", "/bkt/k?partNumber=2", "", "getObject"},
		{"PUT", "/bkt/k?partNumber=2", "", "NotImplemented"},
		{"DELETE", "/bkt/k?partNumber=2", "", "NotImplemented"},
		{"GET", "/bkt/k?tagging&acl", "", "InvalidRequest"},
		{"POST", "/bkt/k", "", "NotImplemented"},
		{"PATCH", "/bkt", "", "NotImplemented"},
		{"GET", "/?acl", "", "NotImplemented"},
		// An empty first segment names no bucket: never the service root.
		{"GET", "//bkt//k", "", "InvalidURI"},
		{"GET", "//", "", "InvalidURI"},
		{"PUT", "//bkt", "", "InvalidURI"},
		{"GET", "/bkt//k", "", "getObject"},
		{"PUT", "/bkt/a//b/", "", "putObject"},
		{"GET", "/bkt/%2F", "", "getObject"},
		{"GET", "/bkt?prefix=%zz", "", "InvalidURI"},
		{"GET", "/bkt?list-type=2&prefix=a%", "", "InvalidURI"},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.header != "" {
			r.Header.Set("X-Amz-Copy-Source", tc.header)
		}
		req := &request{}
		h, err := routeTarget(s, r, req)
		got := ""
		if err != nil {
			var se *s3err.Error
			if !errors.As(err, &se) {
				t.Fatalf("%s %s: non-S3 error %v", tc.method, tc.target, err)
			}
			got = se.Code.Name
		} else {
			got = handlerName(h)
		}
		if got != tc.want {
			t.Errorf("%s %s: routed to %s, want %s", tc.method, tc.target, got, tc.want)
		}
	}
}

// routeTarget parses r's target and routes it, as ServeHTTP does.
func routeTarget(s *Server, r *http.Request, req *request) (handler, error) {
	if err := parseTarget(r, req, nil); err != nil {
		return nil, err
	}
	h, _, err := s.route(r, req)
	return h, err
}

// Keys keep every slash they were sent with: S3 does not normalise paths.
func TestSplitRequestPath(t *testing.T) {
	for _, tc := range []struct {
		target, bucket, key, code string
	}{
		{"/", "", "", ""},
		{"/bkt", "bkt", "", ""},
		{"/bkt/", "bkt", "", ""},
		{"/bkt/k", "bkt", "k", ""},
		{"/bkt//a", "bkt", "/a", ""},
		{"/bkt///a", "bkt", "//a", ""},
		{"/bkt/a//b/", "bkt", "a//b/", ""},
		{"/bkt//", "bkt", "/", ""},
		{"/bkt/%2F", "bkt", "/", ""},
		{"/bkt/a%2Fb", "bkt", "a/b", ""},
		{"/bkt/a/./b/../c", "bkt", "a/./b/../c", ""},
		{"/bkt/%01", "bkt", "\x01", ""},
		{"/bkt/sp%20ace+plus", "bkt", "sp ace+plus", ""},
		{"/bk%2Ft/k", "bk/t", "k", ""}, // an invalid bucket name, refused by its handler
		{"//bkt//k", "", "", "InvalidURI"},
		{"//", "", "", "InvalidURI"},
	} {
		r := httptest.NewRequest("GET", tc.target, nil)
		b, k, err := splitRequestPath(r.URL)
		code := ""
		if err != nil {
			code = s3err.From(err).Code.Name
		}
		if b != tc.bucket || k != tc.key || code != tc.code {
			t.Errorf("%s: bucket %q key %q error %q, want %q %q %q", tc.target, b, k, code, tc.bucket, tc.key, tc.code)
		}
	}
}

func TestCopySource(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, key, version string
		ok                       bool
	}{
		{"bkt/key", "bkt", "key", "", true},
		{"/bkt/a/b%20c", "bkt", "a/b c", "", true},
		{"bkt/%E6%97%A5", "bkt", "日", "", true},
		{"bkt", "", "", "", false},
		{"/bkt/", "", "", "", false},
		{"bkt/k%zz", "", "", "", false},
		{"bkt/k?versionId=1", "", "", "", false}, // not an ID Floe issues
		{"bkt/k?versionId=null", "bkt", "k", "null", true},
		{"bkt/k?versionId=0123456789abcdef0123456789abcdef", "bkt", "k", "0123456789abcdef0123456789abcdef", true},
		{"bkt/k?versionId=null&x=1", "", "", "", false},
		{"bkt/k?other=1", "", "", "", false},
		{"bkt/k?", "", "", "", false},
	} {
		b, k, v, err := copySource(tc.in)
		if (err == nil) != tc.ok || b != tc.bucket || k != tc.key || v != tc.version {
			t.Errorf("copySource(%q) = %q, %q, %q, %v", tc.in, b, k, v, err)
		}
	}
}
