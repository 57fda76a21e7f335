package e2e

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/blobtest"
)

// Presigned URLs made by aws-sdk-go-v2's presign client, used by a plain
// HTTP client that knows nothing of SigV4: a PUT uploads, a GET downloads
// with the response-* overrides a download link sets (also ranged, also
// of one part), a HEAD answers with them; an expired URL and a tampered
// one are refused. The overrides are part of the signed query, so none
// of this needs the gateway to know a URL was presigned.
func TestPresign(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	pc := s3.NewPresignClient(c)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("presign")})
	must(t, err, "create bucket")

	// An object with stored headers for the overrides to replace, large
	// enough for a ranged read to cross the gateway's first 64 KiB read.
	clip := blobtest.RandBytes(11, 300<<10+17)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("presign"), Key: aws.String("clip"), Body: bytes.NewReader(clip),
		ContentType: aws.String("application/octet-stream"), ContentDisposition: aws.String("inline"),
		CacheControl: aws.String("no-cache"),
	})
	must(t, err, "put clip")
	const (
		disposition = `attachment; filename="x.mp4"`
		contentType = "video/mp4"
	)
	download := &s3.GetObjectInput{Bucket: aws.String("presign"), Key: aws.String("clip"),
		ResponseContentDisposition: aws.String(disposition), ResponseContentType: aws.String(contentType)}
	// overridden fails t unless h carries the download's overrides, and
	// the stored Cache-Control, which no parameter replaced.
	overridden := func(t *testing.T, h http.Header) {
		t.Helper()
		if got := h.Get("Content-Disposition"); got != disposition {
			t.Errorf("Content-Disposition %q, want %q", got, disposition)
		}
		if got := h.Get("Content-Type"); got != contentType {
			t.Errorf("Content-Type %q, want %q", got, contentType)
		}
		if got := h.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("Cache-Control %q, want the stored no-cache", got)
		}
		if got := h.Get("ETag"); got != md5ETag(clip) {
			t.Errorf("ETag %q, want %q", got, md5ETag(clip))
		}
		if t.Failed() {
			t.FailNow()
		}
	}

	t.Run("put", func(t *testing.T) {
		data := blobtest.RandBytes(12, 200<<10+3)
		p, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("presign"), Key: aws.String("uploaded")})
		must(t, err, "presign PUT")
		if p.Method != http.MethodPut {
			t.Fatalf("presigned method %s", p.Method)
		}
		res := presignedDo(t, http.MethodPut, p.URL, p.SignedHeader, bytes.NewReader(data))
		if res.status != http.StatusOK {
			t.Fatalf("presigned PUT: %d %s %.300s", res.status, res.code, res.body)
		}
		if got := res.header.Get("ETag"); got != md5ETag(data) {
			t.Fatalf("presigned PUT ETag %q, want %q", got, md5ETag(data))
		}
		eq(t, getBytes(t, c, "presign", "uploaded", ""), data, "object uploaded through a presigned PUT")
	})

	t.Run("get with overrides", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, download)
		must(t, err, "presign GET")
		q := mustParseURL(t, p.URL).Query()
		if q.Get("response-content-disposition") != disposition || q.Get("response-content-type") != contentType {
			t.Fatalf("presigned URL %s lacks the overrides", p.URL)
		}
		res := presignedDo(t, http.MethodGet, p.URL, nil, nil)
		if res.status != http.StatusOK {
			t.Fatalf("presigned GET: %d %s %.300s", res.status, res.code, res.body)
		}
		eq(t, res.body, clip, "presigned GET")
		overridden(t, res.header)

		// The SDK reads the same overrides back through its own GetObject.
		out, err := c.GetObject(ctx, download)
		must(t, err, "SDK GET with overrides")
		b, err := io.ReadAll(out.Body)
		out.Body.Close()
		must(t, err, "read SDK GET")
		eq(t, b, clip, "SDK GET with overrides")
		if aws.ToString(out.ContentDisposition) != disposition || aws.ToString(out.ContentType) != contentType {
			t.Fatalf("SDK GET: Content-Disposition %q, Content-Type %q", aws.ToString(out.ContentDisposition), aws.ToString(out.ContentType))
		}

		// Without the parameters the stored headers are back.
		plain := presignedGet(t, pc, &s3.GetObjectInput{Bucket: aws.String("presign"), Key: aws.String("clip")})
		if plain.status != http.StatusOK || plain.header.Get("Content-Disposition") != "inline" ||
			plain.header.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("GET without overrides: %d, Content-Disposition %q, Content-Type %q", plain.status,
				plain.header.Get("Content-Disposition"), plain.header.Get("Content-Type"))
		}
	})

	t.Run("get with overrides and a range", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, download)
		must(t, err, "presign GET")
		// Range is not signed: a presigned URL signs only the host.
		const first, last = 70_000, 250_000
		res := presignedDo(t, http.MethodGet, p.URL, http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", first, last)}}, nil)
		if res.status != http.StatusPartialContent {
			t.Fatalf("ranged presigned GET: %d %s %.300s", res.status, res.code, res.body)
		}
		eq(t, res.body, clip[first:last+1], "ranged presigned GET")
		if got, want := res.header.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", first, last, len(clip)); got != want {
			t.Fatalf("Content-Range %q, want %q", got, want)
		}
		if got := res.header.Get("Content-Length"); got != strconv.Itoa(last-first+1) {
			t.Fatalf("Content-Length %s, want %d", got, last-first+1)
		}
		overridden(t, res.header)
	})

	t.Run("get part with overrides", func(t *testing.T) {
		in := *download
		in.PartNumber = aws.Int32(1)
		res := presignedGet(t, pc, &in)
		if res.status != http.StatusPartialContent {
			t.Fatalf("presigned GET ?partNumber=1: %d %s %.300s", res.status, res.code, res.body)
		}
		eq(t, res.body, clip, "presigned GET of part 1 of a one-part object")
		overridden(t, res.header)
	})

	t.Run("head with overrides", func(t *testing.T) {
		p, err := pc.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("presign"), Key: aws.String("clip"),
			ResponseContentDisposition: aws.String(disposition), ResponseContentType: aws.String(contentType)})
		must(t, err, "presign HEAD")
		if p.Method != http.MethodHead {
			t.Fatalf("presigned method %s", p.Method)
		}
		res := presignedDo(t, http.MethodHead, p.URL, nil, nil)
		if res.status != http.StatusOK {
			t.Fatalf("presigned HEAD: %d", res.status)
		}
		if len(res.body) != 0 {
			t.Fatalf("presigned HEAD has a body of %d bytes", len(res.body))
		}
		if got := res.header.Get("Content-Length"); got != strconv.Itoa(len(clip)) {
			t.Fatalf("HEAD Content-Length %s, want %d", got, len(clip))
		}
		overridden(t, res.header)
	})

	t.Run("overrides only on success", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, download)
		must(t, err, "presign GET")
		// A 304 describes the client's copy: the stored headers S3 sends
		// with one, never the overrides.
		res := presignedDo(t, http.MethodGet, p.URL, http.Header{"If-None-Match": {md5ETag(clip)}}, nil)
		if res.status != http.StatusNotModified {
			t.Fatalf("presigned GET If-None-Match the ETag: %d %s", res.status, res.code)
		}
		if res.header.Get("Content-Disposition") != "" || res.header.Get("Content-Type") == contentType {
			t.Fatalf("304 carries the overrides: %v", res.header)
		}
		res = presignedDo(t, http.MethodGet, p.URL, http.Header{"If-Match": {`"0123456789abcdef0123456789abcdef"`}}, nil)
		if res.status != http.StatusPreconditionFailed || res.code != "PreconditionFailed" {
			t.Fatalf("presigned GET If-Match another ETag: %d %s", res.status, res.code)
		}
		if res.header.Get("Content-Disposition") != "" || res.header.Get("Content-Type") != "application/xml" {
			t.Fatalf("412 carries the overrides: %v", res.header)
		}
		missing := *download
		missing.Key = aws.String("no-such-clip")
		res = presignedGet(t, pc, &missing)
		if res.status != http.StatusNotFound || res.code != "NoSuchKey" {
			t.Fatalf("presigned GET of a missing key: %d %s", res.status, res.code)
		}
		if res.header.Get("Content-Disposition") != "" || res.header.Get("Content-Type") != "application/xml" {
			t.Fatalf("404 carries the overrides: %v", res.header)
		}
	})

	t.Run("unknown override", func(t *testing.T) {
		res := cl.send(t, http.MethodGet, "/presign/clip?response-content-md5=x", nil, nil)
		checkError(t, res, http.StatusBadRequest, "InvalidArgument")
	})

	t.Run("anonymous", func(t *testing.T) {
		// The bucket grants nothing to everyone, so authorization refuses
		// the request before the overrides are looked at (a bucket policy
		// granting public reads would bring it to InvalidRequest instead,
		// which the s3api unit test covers); either way, an unsigned
		// request never gets the object presented its way.
		r, err := http.NewRequest(http.MethodGet, cl.endpoint+"/presign/clip?response-content-type=text%2Fhtml", nil)
		must(t, err, "request")
		status, code, b := sendRaw(t, r)
		if status != http.StatusForbidden || code != "AccessDenied" || bytes.Contains(b, clip[:64]) {
			t.Fatalf("anonymous GET with an override: %d %s", status, code)
		}
	})

	t.Run("expired", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, download, s3.WithPresignExpires(time.Second))
		must(t, err, "presign GET for a second")
		q := mustParseURL(t, p.URL).Query()
		if q.Get("X-Amz-Expires") != "1" {
			t.Fatalf("presigned URL %s: X-Amz-Expires %q, want 1", p.URL, q.Get("X-Amz-Expires"))
		}
		signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
		must(t, err, "X-Amz-Date of %s", p.URL)
		// Not a wait for the gateway: the URL's own clock must run out
		// (the gateway runs on this machine's clock), and only then is it
		// checked, once.
		time.Sleep(time.Until(signed.Add(time.Second + 500*time.Millisecond)))
		res := presignedDo(t, http.MethodGet, p.URL, nil, nil)
		if res.status != http.StatusForbidden || res.code != "AccessDenied" {
			t.Fatalf("expired presigned GET: %d %s, want 403 AccessDenied", res.status, res.code)
		}
		if msg := errorMessage(res.body); msg != "Request has expired." {
			t.Fatalf("expired presigned GET: message %q", msg)
		}
	})

	t.Run("tampered", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, download)
		must(t, err, "presign GET")
		for _, tc := range []struct {
			what   string
			change func(u *url.URL)
		}{
			{"another key", func(u *url.URL) { u.Path += "2" }},
			{"another file name", func(u *url.URL) {
				q := u.Query()
				q.Set("response-content-disposition", `attachment; filename="x.exe"`)
				u.RawQuery = q.Encode()
			}},
			{"another content type", func(u *url.URL) {
				q := u.Query()
				q.Set("response-content-type", "text/html")
				u.RawQuery = q.Encode()
			}},
			{"an override added", func(u *url.URL) {
				q := u.Query()
				q.Set("response-cache-control", "public, max-age=31536000")
				u.RawQuery = q.Encode()
			}},
			{"an override dropped", func(u *url.URL) {
				q := u.Query()
				q.Del("response-content-disposition")
				u.RawQuery = q.Encode()
			}},
		} {
			u := mustParseURL(t, p.URL)
			tc.change(u)
			res := presignedDo(t, http.MethodGet, u.String(), nil, nil)
			if res.status != http.StatusForbidden || res.code != "SignatureDoesNotMatch" {
				t.Fatalf("presigned GET with %s: %d %s, want 403 SignatureDoesNotMatch", tc.what, res.status, res.code)
			}
			if bytes.Contains(res.body, clip[:64]) || res.header.Get("Content-Disposition") != "" {
				t.Fatalf("presigned GET with %s leaked the object or its overrides", tc.what)
			}
		}
		// The untouched URL still works: the refusals were the changes'.
		res := presignedDo(t, http.MethodGet, p.URL, nil, nil)
		if res.status != http.StatusOK {
			t.Fatalf("untampered presigned GET: %d %s", res.status, res.code)
		}
		eq(t, res.body, clip, "untampered presigned GET")
	})
}

// presignedGet presigns in and GETs the URL with a plain HTTP client.
func presignedGet(t *testing.T, pc *s3.PresignClient, in *s3.GetObjectInput) rawResult {
	t.Helper()
	p, err := pc.PresignGetObject(ctxT(t), in)
	must(t, err, "presign GET %s", aws.ToString(in.Key))
	return presignedDo(t, http.MethodGet, p.URL, nil, nil)
}

// presignedDo sends a request to a presigned URL as a browser or curl
// would: no signing of its own, the headers the presigner said it signed
// (signed) and any others (hdr), body if not nil.
func presignedDo(t *testing.T, method, u string, signed http.Header, body io.Reader) rawResult {
	t.Helper()
	r, err := http.NewRequest(method, u, body)
	must(t, err, "request %s %s", method, u)
	for k, vs := range signed {
		if k != "Host" { // net/http sends the URL's
			r.Header[k] = vs
		}
	}
	resp, err := rawClient.Do(r)
	must(t, err, "%s %s", method, u)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err, "read the response to %s %s", method, u)
	res := rawResult{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode >= 300 {
		res.code, res.requestID = s3Error(b)
	}
	return res
}

// mustParseURL parses u or fails t.
func mustParseURL(t *testing.T, u string) *url.URL {
	t.Helper()
	p, err := url.Parse(u)
	must(t, err, "parse %s", u)
	return p
}

// errorMessage returns the <Message> of an S3 XML error body, or "".
func errorMessage(body []byte) string {
	var e struct {
		Message string `xml:"Message"`
	}
	_ = xml.Unmarshal(body, &e)
	return e.Message
}
