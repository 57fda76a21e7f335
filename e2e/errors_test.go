package e2e

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestErrorResponses sends bad requests as raw signed HTTP and checks each
// gets its S3 error: status, <Code> and a <RequestId>, with the gateway
// still serving afterwards.
func TestErrorResponses(t *testing.T) {
	t.Parallel()
	cl := startErrsCluster(t)
	c := cl.client
	ctx := ctxT(t)
	upload := func() string {
		cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("errs"), Key: aws.String("mp")})
		must(t, err, "create upload")
		return aws.ToString(cu.UploadId)
	}
	// An upload with two small parts: completing with both is EntityTooSmall.
	small := upload()
	var smallETags []string
	for i := int32(1); i <= 2; i++ {
		p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("errs"), Key: aws.String("mp"),
			UploadId: aws.String(small), PartNumber: aws.Int32(i), Body: bytes.NewReader([]byte("tiny"))})
		must(t, err, "upload part")
		smallETags = append(smallETags, aws.ToString(p.ETag))
	}
	completeXML := func(parts ...string) []byte {
		var b strings.Builder
		b.WriteString("<CompleteMultipartUpload>")
		for i, e := range parts {
			fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, e)
		}
		b.WriteString("</CompleteMultipartUpload>")
		return []byte(b.String())
	}
	deep := strings.Repeat("<a>", 200_000) + strings.Repeat("</a>", 200_000)

	tests := []struct {
		name   string
		method string
		target string
		hdr    http.Header
		body   []byte
		status int
		code   string
	}{
		{"no such bucket", "GET", "/nobucket/k", nil, nil, 404, "NoSuchBucket"},
		{"no such bucket, list", "GET", "/nobucket", nil, nil, 404, "NoSuchBucket"},
		{"no such key", "GET", "/errs/missing", nil, nil, 404, "NoSuchKey"},
		{"no such upload, complete", "POST", "/errs/mp?uploadId=bogus", nil, completeXML(`"x"`), 404, "NoSuchUpload"},
		{"no such upload, abort", "DELETE", "/errs/mp?uploadId=bogus", nil, nil, 404, "NoSuchUpload"},
		{"no such upload, part", "PUT", "/errs/mp?partNumber=1&uploadId=bogus", nil, []byte("x"), 404, "NoSuchUpload"},
		{"no such upload, list parts", "GET", "/errs/mp?uploadId=bogus", nil, nil, 404, "NoSuchUpload"},
		{"list parts, other key", "GET", "/errs/other?uploadId=" + small, nil, nil, 404, "NoSuchUpload"},
		{"list parts, bad max-parts", "GET", "/errs/mp?max-parts=-1&uploadId=" + small, nil, nil, 400, "InvalidArgument"},
		{"list parts, bad marker", "GET", "/errs/mp?part-number-marker=x&uploadId=" + small, nil, nil, 400, "InvalidArgument"},
		{"list parts, negative marker", "GET", "/errs/mp?part-number-marker=-1&uploadId=" + small, nil, nil, 400, "InvalidArgument"},
		{"invalid part", "POST", "/errs/mp?uploadId=" + small, nil, completeXML(`"0123456789abcdef0123456789abcdef"`), 400, "InvalidPart"},
		{"entity too small", "POST", "/errs/mp?uploadId=" + small, nil, completeXML(smallETags...), 400, "EntityTooSmall"},
		{"invalid range", "GET", "/errs/obj", http.Header{"Range": {"bytes=100-200"}}, nil, 416, "InvalidRange"},
		{"invalid bucket name", "PUT", "/Bad_Name", nil, nil, 400, "InvalidBucketName"},
		{"invalid bucket name, short", "PUT", "/ab", nil, nil, 400, "InvalidBucketName"},
		{"key too long", "PUT", "/errs/" + strings.Repeat("k", 1025), nil, []byte("x"), 400, "KeyTooLongError"},
		{"malformed delete", "POST", "/errs?delete", nil, []byte("<Delete><Object><Key>a</Key></Object"), 400, "MalformedXML"},
		{"delete with no objects", "POST", "/errs?delete", nil, []byte("<Delete></Delete>"), 400, "MalformedXML"},
		{"delete not XML", "POST", "/errs?delete", nil, []byte("hello"), 400, "MalformedXML"},
		{"malformed complete", "POST", "/errs/mp?uploadId=" + small, nil, []byte("<CompleteMultipartUpload><Part>"), 400, "MalformedXML"},
		{"complete, wrong root", "POST", "/errs/mp?uploadId=" + small, nil, []byte("<Delete/>"), 400, "MalformedXML"},
		{"deeply nested XML", "POST", "/errs?delete", nil, []byte(deep), 400, "MalformedXML"},
		{"delete of 1001 keys", "POST", "/errs?delete", nil, []byte("<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>"), 400, "MalformedXML"},
		{"bad max-keys", "GET", "/errs?max-keys=abc", nil, nil, 400, "InvalidArgument"},
		{"bad list-type", "GET", "/errs?list-type=3", nil, nil, 400, "InvalidArgument"},
		{"bad encoding-type", "GET", "/errs?encoding-type=base64", nil, nil, 400, "InvalidArgument"},
		{"bad continuation token", "GET", "/errs?list-type=2&continuation-token=%21%21", nil, nil, 400, "InvalidArgument"},
		{"continuation token of invalid UTF-8", "GET", "/errs?list-type=2&continuation-token=_w", nil, nil, 400, "InvalidArgument"},
		{"negative max-keys", "GET", "/errs?list-type=2&max-keys=-1", nil, nil, 400, "InvalidArgument"},
		{"part number 0", "PUT", "/errs/mp?partNumber=0&uploadId=" + small, nil, []byte("x"), 400, "InvalidArgument"},
		{"part number 10001", "PUT", "/errs/mp?partNumber=10001&uploadId=" + small, nil, []byte("x"), 400, "InvalidArgument"},
		{"part number not a number", "PUT", "/errs/mp?partNumber=one&uploadId=" + small, nil, []byte("x"), 400, "InvalidArgument"},
		{"method on the service", "POST", "/", nil, nil, 405, "MethodNotAllowed"},
		{"delete the service", "DELETE", "/", nil, nil, 405, "MethodNotAllowed"},
		{"get missing bucket policy", "GET", "/errs?policy", nil, nil, 404, "NoSuchBucketPolicy"},
		{"missing policy status", "GET", "/errs?policyStatus", nil, nil, 404, "NoSuchBucketPolicy"},
		{"missing public access block", "GET", "/errs?publicAccessBlock", nil, nil, 404, "NoSuchPublicAccessBlockConfiguration"},
		{"public access block not XML", "PUT", "/errs?publicAccessBlock", nil, []byte("{}"), 400, "MalformedXML"},
		{"bucket policy not JSON", "PUT", "/errs?policy", nil, []byte("Version: 2012-10-17"), 400, "MalformedPolicy"},
		{"bucket policy empty", "PUT", "/errs?policy", nil, nil, 400, "MalformedPolicy"},
		{"bucket policy too large", "PUT", "/errs?policy", nil, append([]byte(`{"Id":"`), bytes.Repeat([]byte("x"), 21<<10)...), 400, "MalformedPolicy"},
		{"put bucket website", "PUT", "/errs?website", nil, []byte("<WebsiteConfiguration/>"), 501, "NotImplemented"},
		{"bucket replication", "GET", "/errs?replication", nil, nil, 501, "NotImplemented"},
		{"lifecycle transition", "PUT", "/errs?lifecycle", http.Header{"Content-Md5": {md5Base64(transitionRule)}}, transitionRule, 501, "NotImplemented"},
		{"bucket policy without statements", "PUT", "/errs?policy", nil, []byte("{}"), 400, "MalformedPolicy"},
		{"bucket policy for another bucket", "PUT", "/errs?policy", nil, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`), 400, "MalformedPolicy"},
		{"bucket policy for no such user", "PUT", "/errs?policy", nil, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/nobody"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::errs/*"}]}`), 400, "MalformedPolicy"},
		{"public object acl", "PUT", "/errs/obj?acl", http.Header{"X-Amz-Acl": {"public-read"}}, nil, 501, "NotImplemented"},
		{"public-read PUT", "PUT", "/errs/obj2", http.Header{"X-Amz-Acl": {"public-read"}}, []byte("x"), 501, "NotImplemented"},
		{"malformed version id", "GET", "/errs/obj?versionId=nope", nil, nil, 400, "InvalidArgument"},
		{"unknown version id", "GET", "/errs/obj?versionId=0123456789abcdef0123456789abcdef", nil, nil, 404, "NoSuchVersion"},
		{"retention without object lock", "GET", "/errs/obj?retention", nil, nil, 400, "InvalidRequest"},
		{"object lock config of a plain bucket", "GET", "/errs?object-lock", nil, nil, 404, "ObjectLockConfigurationNotFoundError"},
		{"no bucket tags", "GET", "/errs?tagging", nil, nil, 404, "NoSuchTagSet"},
		{"no lifecycle", "GET", "/errs?lifecycle", nil, nil, 404, "NoSuchLifecycleConfiguration"},
		{"eleven tags", "PUT", "/errs/obj3", http.Header{"X-Amz-Tagging": {"a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11"}}, []byte("x"), 400, "InvalidTag"},
		{"If-None-Match with an ETag on PUT", "PUT", "/errs/obj", http.Header{"If-None-Match": {`"abc"`}}, []byte("x"), 501, "NotImplemented"},
		{"invalid UTF-8 key, PUT", "PUT", "/errs/%FF%FE", nil, []byte("x"), 400, "InvalidArgument"},
		{"invalid UTF-8 key, GET", "GET", "/errs/%FF%FE", nil, nil, 400, "InvalidArgument"},
		{"NUL in key", "PUT", "/errs/a%00b", nil, []byte("x"), 400, "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, cl.send(t, tt.method, tt.target, withDeleteMD5(tt.target, tt.hdr, tt.body), tt.body), tt.status, tt.code)
			stillServes(t, cl)
		})
	}

	// EntityTooLarge: announce 6 GiB and send none of it.
	t.Run("entity too large", func(t *testing.T) {
		conn := rawPut(t, cl, "errs", "huge", 6<<30, "UNSIGNED-PAYLOAD", nil)
		st, code, _ := readResponse(t, conn, false)
		if st != 400 || code != "EntityTooLarge" {
			t.Fatalf("6 GiB PUT: %d %s, want 400 EntityTooLarge", st, code)
		}
		stillServes(t, cl)
	})
}

// withDeleteMD5 adds the Content-MD5 of body to hdr for a DeleteObjects
// (target ?delete), which S3 requires, so that the case tests what it
// names; other requests' headers are returned as they are.
func withDeleteMD5(target string, hdr http.Header, body []byte) http.Header {
	if !strings.HasSuffix(target, "?delete") || hdr.Get("Content-Md5") != "" {
		return hdr
	}
	out := hdr.Clone()
	if out == nil {
		out = http.Header{}
	}
	sum := md5.Sum(body)
	out.Set("Content-Md5", base64.StdEncoding.EncodeToString(sum[:]))
	return out
}

// startErrsCluster starts a cluster holding bucket errs and in it the
// object stillServes reads back.
func startErrsCluster(t *testing.T) *cluster {
	t.Helper()
	cl := startCluster(t)
	_, err := cl.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("errs")})
	must(t, err, "create bucket")
	putBytes(t, cl.client, "errs", "obj", []byte(errsObj))
	return cl
}

// errsObj is the content of errs/obj.
const errsObj = "0123456789"

// stillServes checks the gateway answers a plain request.
func stillServes(t *testing.T, cl *cluster) {
	t.Helper()
	if res := cl.send(t, "GET", "/errs/obj", nil, nil); res.status != 200 || string(res.body) != errsObj {
		t.Fatalf("after the bad request: GET answered %d %.200s", res.status, res.body)
	}
}

// TestMalformedRequests sends malformed requests that must neither crash
// nor hang the gateway: each gets its 4xx S3 error (or, where the input is
// ignorable, a 2xx) within the client's deadline, and the gateway serves
// afterwards.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	cl := startErrsCluster(t)
	chunkedHdr := func(decoded string) http.Header {
		return http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {decoded}}
	}
	huge := bytes.Repeat([]byte("<Object><Key>k</Key></Object>"), 10<<20/29)
	huge = append(append([]byte("<Delete>"), huge...), "</Delete>"...)

	tests := []struct {
		name    string
		method  string
		target  string
		hdr     http.Header
		body    []byte
		payload string // x-amz-content-sha256; empty means the body's hash
		code    string // the expected S3 error; empty means the input is ignored (2xx)
	}{
		{"range garbage", "GET", "/errs/obj", http.Header{"Range": {"bytes=abc"}}, nil, "", ""},
		{"range dashes", "GET", "/errs/obj", http.Header{"Range": {"bytes=--"}}, nil, "", ""},
		{"range other unit", "GET", "/errs/obj", http.Header{"Range": {"chars=0-1"}}, nil, "", ""},
		{"range overflow", "GET", "/errs/obj", http.Header{"Range": {"bytes=99999999999999999999999-"}}, nil, "", "InvalidRange"},
		{"range negative suffix", "GET", "/errs/obj", http.Header{"Range": {"bytes=-0"}}, nil, "", "InvalidRange"},
		{"range many", "GET", "/errs/obj", http.Header{"Range": {"bytes=" + strings.Repeat("0-1,", 5000) + "0-1"}}, nil, "", ""},
		{"decoded length not a number", "PUT", "/errs/c", chunkedHdr("12abc"), []byte("0\r\n\r\n"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "MissingContentLength"},
		{"decoded length negative", "PUT", "/errs/c", chunkedHdr("-5"), []byte("0\r\n\r\n"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "MissingContentLength"},
		{"decoded length huge", "PUT", "/errs/c", chunkedHdr("99999999999999999999"), []byte("0\r\n\r\n"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "MissingContentLength"},
		{"decoded length too large", "PUT", "/errs/c", chunkedHdr("6442450944"), []byte("0\r\n\r\n"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "EntityTooLarge"},
		{"chunk size not hex", "PUT", "/errs/c", chunkedHdr("5"), []byte("zz\r\nhello\r\n0\r\n\r\n"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "InvalidRequest"},
		{"chunk size overflow", "PUT", "/errs/c", chunkedHdr("5"), []byte("fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "InvalidRequest"},
		{"chunk shorter than declared", "PUT", "/errs/c", chunkedHdr("5"), []byte("5\r\nhel"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "IncompleteBody"},
		{"chunks longer than decoded length", "PUT", "/errs/c", chunkedHdr("2"), []byte("5\r\nhello\r\n0\r\n\r\n"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "IncompleteBody"},
		{"no final chunk", "PUT", "/errs/c", chunkedHdr("5"), []byte("5\r\nhello\r\n"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "IncompleteBody"},
		{"signed chunks, bad signature line", "PUT", "/errs/c", chunkedHdr("5"), []byte("5;chunk-signature\r\nhello\r\n0;chunk-signature=\r\n\r\n"), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "InvalidRequest"},
		{"XML body of 10 MB", "POST", "/errs?delete", nil, huge, "", "MalformedXML"},
		{"XML bomb entities", "POST", "/errs?delete", nil, []byte(`<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Delete><Object><Key>&b;</Key></Object></Delete>`), "", "MalformedXML"},
		{"invalid UTF-8 prefix", "GET", "/errs?prefix=%FF", nil, nil, "", "InvalidArgument"},
		{"invalid UTF-8 copy source", "PUT", "/errs/copy", http.Header{"X-Amz-Copy-Source": {"/errs/%FF"}}, nil, "", "InvalidArgument"},
		{"copy source garbage", "PUT", "/errs/copy", http.Header{"X-Amz-Copy-Source": {"%zz"}}, nil, "", "InvalidArgument"},
		{"content-md5 garbage", "PUT", "/errs/m", http.Header{"Content-Md5": {"!!!"}}, []byte("x"), "", "InvalidDigest"},
		{"huge user metadata", "PUT", "/errs/m", http.Header{"X-Amz-Meta-Big": {strings.Repeat("v", 4000)}}, []byte("x"), "", "MetadataTooLarge"},
		{"user metadata just over 2 KB", "PUT", "/errs/m", http.Header{"X-Amz-Meta-A": {strings.Repeat("v", 1024)}, "X-Amz-Meta-B": {strings.Repeat("v", 1023)}}, []byte("x"), "", "MetadataTooLarge"},
		{"user metadata of exactly 2 KB", "PUT", "/errs/m", http.Header{"X-Amz-Meta-A": {strings.Repeat("v", 1023)}, "X-Amz-Meta-B": {strings.Repeat("v", 1023)}}, []byte("x"), "", ""},
		{"user metadata without a name", "PUT", "/errs/m", http.Header{"X-Amz-Meta-": {"v"}}, []byte("x"), "", "InvalidArgument"},
		{"user metadata of invalid UTF-8", "PUT", "/errs/m", http.Header{"X-Amz-Meta-Bin": {"\xff\xfe"}}, []byte("x"), "", "InvalidArgument"},
		{"content-type of invalid UTF-8", "PUT", "/errs/m", http.Header{"Content-Type": {"text/\xff"}}, []byte("x"), "", "InvalidArgument"},
		{"upload with user metadata without a name", "POST", "/errs/m?uploads", http.Header{"X-Amz-Meta-": {"v"}}, nil, "", "InvalidArgument"},
		{"bad escape in the query", "GET", "/errs?prefix=%zz", nil, nil, "", "InvalidURI"},
		{"bad escape in a subresource", "GET", "/errs/obj?uploadId=%g1", nil, nil, "", "InvalidURI"},
		{"empty first path segment", "GET", "//errs//obj", nil, nil, "", "InvalidURI"},
		{"control character in a key", "PUT", "/errs/ctl%01%1F", nil, []byte("x"), "", ""},
		{"negative max-keys, v1", "GET", "/errs?max-keys=-5", nil, nil, "", "InvalidArgument"},
		{"max-keys not a number", "GET", "/errs?list-type=2&max-keys=1e3", nil, nil, "", "InvalidArgument"},
		{"negative max-uploads", "GET", "/errs?uploads&max-uploads=-1", nil, nil, "", "InvalidArgument"},
		{"max-uploads not a number", "GET", "/errs?uploads&max-uploads=ten", nil, nil, "", "InvalidArgument"},
		{"if-modified-since garbage", "GET", "/errs/obj", http.Header{"If-Modified-Since": {"Sun, 99 Foo 12345 99:99:99 XYZ"}}, nil, "", ""},
		{"if-match garbage", "GET", "/errs/obj", http.Header{"If-Match": {`W/"`}}, nil, "", "PreconditionFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res rawResult
			if tt.payload != "" {
				res = cl.sendStream(t, tt.method, tt.target, tt.hdr, bytes.NewReader(tt.body), int64(len(tt.body)), tt.payload)
			} else {
				res = cl.send(t, tt.method, tt.target, withDeleteMD5(tt.target, tt.hdr, tt.body), tt.body)
			}
			if tt.code == "" {
				if res.status/100 != 2 {
					t.Fatalf("got %d %q, want 2xx; body %.300s", res.status, res.code, res.body)
				}
			} else {
				checkError(t, res, res.status, tt.code)
				if res.status/100 != 4 {
					t.Fatalf("%s with status %d, want 4xx", res.code, res.status)
				}
			}
			stillServes(t, cl)
		})
	}

	// A body cut short: the gateway answers (or hangs up) within the
	// deadline, never hangs, and keeps serving.
	t.Run("truncated body", func(t *testing.T) {
		conn := rawPut(t, cl, "errs", "cut", 1000, "UNSIGNED-PAYLOAD", nil)
		_, err := conn.Write([]byte("only ten b"))
		must(t, err, "write")
		must(t, conn.(*net.TCPConn).CloseWrite(), "half-close")
		must(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)), "deadline")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 != 4 {
				t.Fatalf("truncated body: %d, want 4xx", resp.StatusCode)
			}
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("truncated body: the gateway hung")
		}
		stillServes(t, cl)
		if res := cl.send(t, "GET", "/errs/cut", nil, nil); res.code != "NoSuchKey" {
			t.Fatalf("a truncated PUT stored an object: %d %s", res.status, res.code)
		}
	})
}

// transitionRule is a lifecycle configuration with a transition, which
// Floe (one storage class) refuses.
var transitionRule = []byte(`<LifecycleConfiguration><Rule><ID>t</ID><Filter/><Status>Enabled</Status>` +
	`<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>`)

// md5Base64 is the Content-MD5 of b.
func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}
