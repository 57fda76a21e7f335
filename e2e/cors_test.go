package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TestCORS sets a bucket's CORS rules through aws-sdk-go-v2, then checks
// what a browser would see: preflights answered from the rules (allowed,
// refused, unauthenticated), Access-Control headers on actual responses,
// errors included, and nothing once the rules are deleted.
func TestCORS(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("web")})
	must(t, err, "create bucket")
	putBytes(t, c, "web", "video.mp4", []byte(strings.Repeat("frame", 1000)))

	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	wantAPIError(t, err, "NoSuchCORSConfiguration")

	_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedMethods: []string{"PATCH"}, AllowedOrigins: []string{"*"}}}}})
	wantAPIError(t, err, "InvalidRequest")

	rules := []types.CORSRule{
		{ID: aws.String("app"), AllowedOrigins: []string{"https://app.example"}, AllowedMethods: []string{"PUT", "POST", "GET"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600)},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"range"}},
	}
	_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}})
	must(t, err, "put CORS rules")
	got, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	must(t, err, "get CORS rules")
	if len(got.CORSRules) != 2 || aws.ToString(got.CORSRules[0].ID) != "app" || aws.ToInt32(got.CORSRules[0].MaxAgeSeconds) != 600 ||
		strings.Join(got.CORSRules[1].AllowedMethods, ",") != "GET,HEAD" {
		t.Fatalf("GetBucketCors: %+v", got.CORSRules)
	}
	var stored int
	must(t, cl.db(t).QueryRow(ctx, `SELECT jsonb_array_length(cors->'rules') FROM buckets WHERE name = 'web'`).Scan(&stored), "read the stored rules")
	if stored != 2 {
		t.Fatalf("buckets.cors holds %d rules, want 2", stored)
	}

	preflight := func(path, origin, method, headers string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodOptions, cl.endpoint+path, nil)
		must(t, err, "new preflight")
		req.Header.Set("Origin", origin)
		if method != "" {
			req.Header.Set("Access-Control-Request-Method", method)
		}
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err, "preflight")
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		name, path, origin, method, headers string
		status                              int
		allowOrigin, allowHeaders, maxAge   string
	}{
		{"app upload", "/web/new.bin", "https://app.example", "PUT", "content-type, x-amz-date", 200, "https://app.example", "content-type, x-amz-date", "600"},
		{"any origin ranged read", "/web/video.mp4", "https://player.test", "GET", "Range", 200, "*", "range", ""},
		{"any origin upload", "/web/new.bin", "https://player.test", "PUT", "", 403, "", "", ""},
		{"header not allowed", "/web/video.mp4", "https://player.test", "GET", "authorization", 403, "", "", ""},
		{"no method", "/web/video.mp4", "https://player.test", "", "", 400, "", "", ""},
		{"bucket level", "/web", "https://app.example", "POST", "", 200, "https://app.example", "", "600"},
		{"no such bucket", "/nowhere/x", "https://app.example", "GET", "", 404, "", "", ""},
	}
	for _, tt := range tests {
		resp := preflight(tt.path, tt.origin, tt.method, tt.headers)
		if resp.StatusCode != tt.status || resp.Header.Get("Access-Control-Allow-Origin") != tt.allowOrigin ||
			resp.Header.Get("Access-Control-Allow-Headers") != tt.allowHeaders || resp.Header.Get("Access-Control-Max-Age") != tt.maxAge {
			t.Errorf("%s: %d, headers %v; want %d, allow-origin %q, allow-headers %q, max-age %q",
				tt.name, resp.StatusCode, resp.Header, tt.status, tt.allowOrigin, tt.allowHeaders, tt.maxAge)
		}
	}

	// Actual requests: the SDK signs them; the Origin header is the
	// browser's.
	withOrigin := func(origin string) func(*s3.Options) {
		return s3.WithAPIOptions(func(st *middleware.Stack) error { return addHeader(st, "Origin", origin) })
	}
	got1, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("web"), Key: aws.String("video.mp4"), Range: aws.String("bytes=0-9")},
		withOrigin("https://app.example"))
	must(t, err, "ranged GET with an Origin")
	got1.Body.Close()
	if hdr := rawHeader(got1.ResultMetadata); hdr.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		hdr.Get("Access-Control-Expose-Headers") != "ETag" || hdr.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("GET with Origin: headers %v", hdr)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("web"), Key: aws.String("missing")}, withOrigin("https://elsewhere.test"))
	wantAPIError(t, err, "NoSuchKey")
	if _, hdr := httpResponse(err); hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("error with Origin: headers %v, want Access-Control-Allow-Origin *", hdr)
	}
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("web"), Key: aws.String("video.mp4")}, withOrigin("https://elsewhere.test"))
	must(t, err, "delete with an Origin no rule allows")
	if hdr := rawHeader(del.ResultMetadata); hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("DELETE from a disallowed origin got CORS headers: %v", hdr)
	}

	_, err = c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("web")})
	must(t, err, "delete CORS rules")
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	wantAPIError(t, err, "NoSuchCORSConfiguration")
	if resp := preflight("/web/x", "https://app.example", "PUT", ""); resp.StatusCode != 403 {
		t.Fatalf("preflight after DeleteBucketCors: %d, want 403", resp.StatusCode)
	}
}

func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	if errCode(err) != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

// rawHeader is the HTTP response header behind a successful SDK call.
func rawHeader(md middleware.Metadata) http.Header {
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return resp.Header
	}
	return nil
}

// addHeader sets a header on every request of a client call.
func addHeader(st *middleware.Stack, name, value string) error {
	return st.Build.Add(middleware.BuildMiddlewareFunc("addHeader"+name,
		func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				req.Header.Set(name, value)
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
}
