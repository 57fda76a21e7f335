package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// presignPOST returns the fields of a browser upload form for bucket,
// its policy holding conditions (plus the bucket and the signing fields)
// for ttl, signed with SigV4 by key id/secret, as an SDK's PresignPost
// builds them. Field names are as a page would send them.
func presignPOST(t testing.TB, id, secret, bucket string, ttl time.Duration, conditions ...any) map[string]string {
	t.Helper()
	now := time.Now().UTC()
	day := now.Format("20060102")
	cred := id + "/" + day + "/us-east-1/s3/aws4_request"
	date := now.Format("20060102T150405Z")
	conds := append([]any{
		map[string]string{"bucket": bucket},
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": date},
	}, conditions...)
	doc, err := json.Marshal(map[string]any{"expiration": now.Add(ttl).Format("2006-01-02T15:04:05.000Z"), "conditions": conds})
	if err != nil {
		t.Fatal(err)
	}
	policy := base64.StdEncoding.EncodeToString(doc)
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), day)
	for _, s := range []string{"us-east-1", "s3", "aws4_request"} {
		k = mac(k, s)
	}
	return map[string]string{
		"Policy": policy, "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": cred,
		"X-Amz-Date": date, "X-Amz-Signature": hex.EncodeToString(mac(k, policy)),
	}
}

// postForm POSTs a multipart form to url: fields (in the order given by
// order, then the rest), then a file part named filename holding data.
func postForm(t testing.TB, target string, fields map[string]string, filename string, data []byte) (*http.Response, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, v := range fields {
		if err := mw.WriteField(name, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	// S3 ignores fields after the file; the form's last word is ours.
	mw.WriteField("x-ignored-after-file", "anything")
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, target, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// with returns fields with more set.
func with(fields map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(fields)+len(kv)/2)
	for k, v := range fields {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestBrowserPOSTUpload: uploads by HTML form, authorised by a signed POST
// policy, each condition enforced, the file streamed into a stored object.
func TestBrowserPOSTUpload(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	ctx := ctxT(t)
	const bucket = "uploads"
	if _, err := cl.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	target := cl.endpoint + "/" + bucket
	sign := func(conds ...any) map[string]string {
		return presignPOST(t, cl.accessKey, cl.secretKey, bucket, 10*time.Minute, conds...)
	}
	standard := []any{
		[]any{"starts-with", "$key", "user/42/"},
		[]any{"content-length-range", 1, 1 << 20},
		[]any{"starts-with", "$Content-Type", "video/"},
		map[string]string{"x-amz-meta-title": "holiday"},
		[]any{"eq", "$success_action_status", "201"},
	}
	base := with(sign(standard...), "key", "user/42/${filename}", "Content-Type", "video/mp4",
		"x-amz-meta-title", "holiday", "success_action_status", "201")
	data := bytes.Repeat([]byte("frame "), 50_000) // 300 kB

	// The upload: 201 with a PostResponse, the object stored as sent.
	res, body := postForm(t, target, base, "clip.mp4", data)
	if res.StatusCode != 201 || !strings.Contains(string(body), "<Key>user/42/clip.mp4</Key>") {
		t.Fatalf("POST: %d %s", res.StatusCode, body)
	}
	if res.Header.Get("ETag") != md5ETag(data) {
		t.Errorf("ETag %s, want %s", res.Header.Get("ETag"), md5ETag(data))
	}
	eq(t, getBytes(t, cl.client, bucket, "user/42/clip.mp4", ""), data, "the posted object")
	head, err := cl.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("user/42/clip.mp4")})
	if err != nil || aws.ToString(head.ContentType) != "video/mp4" || head.Metadata["title"] != "holiday" || aws.ToString(head.ETag) != md5ETag(data) {
		t.Fatalf("HEAD of the posted object: %+v, %v", head, err)
	}

	// success_action_redirect: 303 to it with bucket, key and etag.
	redir := with(sign([]any{"starts-with", "$key", ""}, map[string]string{"success_action_redirect": "https://app.example/done?x=1"}),
		"key", "r.txt", "success_action_redirect", "https://app.example/done?x=1")
	res, body = postForm(t, target, redir, "r.txt", []byte("redirected"))
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != 303 || loc == nil || loc.Host != "app.example" || loc.Query().Get("key") != "r.txt" ||
		loc.Query().Get("bucket") != bucket || loc.Query().Get("x") != "1" || loc.Query().Get("etag") != md5ETag([]byte("redirected")) {
		t.Fatalf("redirect: %d %q %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	// No status asked for: 204.
	plain := with(sign([]any{"starts-with", "$key", ""}), "key", "plain.txt")
	if res, body := postForm(t, target, plain, "p.txt", []byte("p")); res.StatusCode != 204 {
		t.Fatalf("plain POST: %d %s", res.StatusCode, body)
	}

	// Refusals: nothing is stored by any of them.
	expired := with(presignPOST(t, cl.accessKey, cl.secretKey, bucket, -time.Minute, standard...), "key", "user/42/x", "Content-Type", "video/mp4",
		"x-amz-meta-title", "holiday", "success_action_status", "201")
	tampered := with(base)
	tampered["X-Amz-Signature"] = strings.Repeat("0", 64)
	wrongSecret := with(presignPOST(t, cl.accessKey, "not-the-secret", bucket, time.Minute, standard...), "key", "user/42/x",
		"Content-Type", "video/mp4", "x-amz-meta-title", "holiday", "success_action_status", "201")
	for _, tc := range []struct {
		name   string
		fields map[string]string
		data   []byte
		status int
		code   string
	}{
		{"too large", base, bytes.Repeat([]byte("x"), 1<<20+1), 400, "EntityTooLarge"},
		{"empty", base, nil, 400, "EntityTooSmall"},
		{"key outside the prefix", with(base, "key", "user/43/clip.mp4"), data, 403, "AccessDenied"},
		{"other content type", with(base, "Content-Type", "text/html"), data, 403, "AccessDenied"},
		{"other metadata", with(base, "x-amz-meta-title", "other"), data, 403, "AccessDenied"},
		{"extra field", with(base, "x-amz-meta-extra", "1"), data, 403, "AccessDenied"},
		{"no key", func() map[string]string { f := with(base); delete(f, "key"); return f }(), data, 400, "InvalidArgument"},
		{"expired", expired, data, 403, "AccessDenied"},
		{"tampered signature", tampered, data, 403, "SignatureDoesNotMatch"},
		{"wrong secret", wrongSecret, data, 403, "SignatureDoesNotMatch"},
		{"anonymous to a private bucket", map[string]string{"key": "anon.txt"}, data, 403, "AccessDenied"},
	} {
		res, body := postForm(t, target, tc.fields, "bad.mp4", tc.data)
		if code, _ := s3Error(body); res.StatusCode != tc.status || code != tc.code {
			t.Errorf("%s: %d %q, want %d %s; body %.300s", tc.name, res.StatusCode, code, tc.status, tc.code, body)
		}
	}
	if n := cl.count(t, `SELECT count(*) FROM objects WHERE bucket = $1`, bucket); n != 3 {
		t.Fatalf("%d objects in the bucket, want the 3 accepted uploads", n)
	}
	if n := cl.intents(t); n != 0 {
		t.Fatalf("%d write intents left by the refused uploads", n)
	}

	// Not a form at all.
	res, err = http.Post(target, "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if code, _ := s3Error(b); res.StatusCode != 412 || code != "PreconditionFailed" {
		t.Fatalf("POST of text/plain: %d %s", res.StatusCode, b)
	}
}
