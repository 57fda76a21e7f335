package s3api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/floe-s3/floe/s3api/chunked"
	"github.com/floe-s3/floe/s3api/sigv4"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	testAK     = "AKIAFLOETEST"
	testSecret = "floe/test+secret"
)

// newMeta opens a metadata store on a fresh database holding the test key.
func newMeta(t *testing.T) *metadata.Postgres {
	t.Helper()
	meta, err := metadata.Open(context.Background(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	if err := meta.CreateAccessKey(context.Background(), metadata.AccessKey{ID: testAK, Secret: testSecret}); err != nil {
		t.Fatal(err)
	}
	return meta
}

// hexSHA256 returns hex(sha256(b)).
func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signReq signs r as the S3 SDK does, for key ak/secret at time at, with
// payload as x-amz-content-sha256 ("" sends none).
func signReq(t *testing.T, r *http.Request, ak, secret, payload string, at time.Time) {
	t.Helper()
	if payload != "" {
		r.Header.Set("X-Amz-Content-Sha256", payload)
	}
	hash := payload
	if hash == "" {
		hash = hexSHA256(nil)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: secret},
		r, hash, "s3", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
}

// send sends r and returns the status and S3 error code.
func send(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct{ Code string }
	_ = xml.Unmarshal(b, &e)
	return resp.StatusCode, e.Code
}

func newReq(t *testing.T, method, url string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) == 0 {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	return r
}

func TestSigV4Requests(t *testing.T) {
	meta := newMeta(t)
	ctx := context.Background()
	srv := httptest.NewServer(New(Config{Meta: meta, Auth: NewSigV4(meta, "us-east-1", 0), Logger: zerolog.Nop()}))
	t.Cleanup(srv.Close)
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"keep", "gone"} {
		if _, err := meta.PutObject(ctx, metadata.Object{Bucket: "bkt", Key: k, ETag: `"d41d8cd98f00b204e9800998ecf8427e"`}, nil, metadata.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	deleteKeep := []byte(`<Delete><Object><Key>keep</Key></Object></Delete>`)
	deleteGone := []byte(`<Delete><Object><Key>gone</Key></Object></Delete>`)
	createCfg := []byte(`<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`)
	complete := []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`)
	if err := meta.CreateUpload(ctx, metadata.Upload{ID: "u1", Bucket: "bkt", Key: "up"}); err != nil {
		t.Fatal(err)
	}
	presign := func(t *testing.T, r *http.Request) {
		t.Helper()
		payload := r.Header.Get("X-Amz-Content-Sha256")
		if payload == "" {
			payload = "UNSIGNED-PAYLOAD"
		}
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		q := r.URL.Query()
		q.Set("X-Amz-Expires", "60")
		r.URL.RawQuery = q.Encode()
		u, hdr, err := signer.PresignHTTP(ctx, aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret},
			r, payload, "s3", "us-east-1", now)
		if err != nil {
			t.Fatal(err)
		}
		r.URL, _ = r.URL.Parse(u)
		for k, v := range hdr {
			if !strings.EqualFold(k, "host") {
				r.Header[k] = v
			}
		}
	}
	cases := []struct {
		name         string
		method, path string
		body         []byte
		sign         func(t *testing.T, r *http.Request)
		status       int
		code         string
	}{
		{"anonymous", "GET", "/", nil, func(*testing.T, *http.Request) {}, 403, "AccessDenied"},
		{"signed", "GET", "/", nil, func(t *testing.T, r *http.Request) { signReq(t, r, testAK, testSecret, hexSHA256(nil), now) }, 200, ""},
		{"unsigned payload", "GET", "/bkt", nil, func(t *testing.T, r *http.Request) { signReq(t, r, testAK, testSecret, "UNSIGNED-PAYLOAD", now) }, 200, ""},
		{"wrong secret", "GET", "/", nil, func(t *testing.T, r *http.Request) { signReq(t, r, testAK, "wrong", hexSHA256(nil), now) }, 403, "SignatureDoesNotMatch"},
		{"unknown key", "GET", "/", nil, func(t *testing.T, r *http.Request) { signReq(t, r, "AKIANOBODY", testSecret, hexSHA256(nil), now) }, 403, "InvalidAccessKeyId"},
		{"skewed", "GET", "/", nil, func(t *testing.T, r *http.Request) {
			signReq(t, r, testAK, testSecret, hexSHA256(nil), now.Add(-20*time.Minute))
		}, 403, "RequestTimeTooSkewed"},
		{"no content sha256", "GET", "/", nil, func(t *testing.T, r *http.Request) { signReq(t, r, testAK, testSecret, "", now) }, 400, "InvalidRequest"},
		{"bad content sha256", "GET", "/", nil, func(t *testing.T, r *http.Request) { signReq(t, r, testAK, testSecret, "abc", now) }, 400, "InvalidArgument"},
		{"presigned", "GET", "/bkt", nil, presign, 200, ""},
		{"presigned streaming", "PUT", "/bkt/s", nil, func(t *testing.T, r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", chunked.SignedPayload)
			r.Header.Set("X-Amz-Decoded-Content-Length", "0")
			presign(t, r)
		}, 400, "InvalidRequest"},
		// The body is checked against the signed hash, whatever the handler.
		{"delete body mismatch", "POST", "/bkt?delete", deleteKeep, func(t *testing.T, r *http.Request) {
			r.Header.Set("Content-MD5", contentMD5(deleteKeep))
			signReq(t, r, testAK, testSecret, hexSHA256(deleteGone), now)
		}, 400, "XAmzContentSHA256Mismatch"},
		{"delete body", "POST", "/bkt?delete", deleteGone, func(t *testing.T, r *http.Request) {
			r.Header.Set("Content-MD5", contentMD5(deleteGone))
			signReq(t, r, testAK, testSecret, hexSHA256(deleteGone), now)
		}, 200, ""},
		{"empty put mismatch", "PUT", "/bkt/new", nil, func(t *testing.T, r *http.Request) {
			signReq(t, r, testAK, testSecret, hexSHA256([]byte("x")), now)
		}, 400, "XAmzContentSHA256Mismatch"},
		{"create bucket mismatch", "PUT", "/newbkt", createCfg, func(t *testing.T, r *http.Request) {
			signReq(t, r, testAK, testSecret, hexSHA256(nil), now)
		}, 400, "XAmzContentSHA256Mismatch"},
		// A Content-MD5 is checked on every XML body that has one.
		{"complete md5 mismatch", "POST", "/bkt/up?uploadId=u1", complete, func(t *testing.T, r *http.Request) {
			r.Header.Set("Content-MD5", contentMD5(append(complete, ' ')))
			signReq(t, r, testAK, testSecret, "UNSIGNED-PAYLOAD", now)
		}, 400, "BadDigest"},
		{"create bucket md5 mismatch", "PUT", "/newbkt", createCfg, func(t *testing.T, r *http.Request) {
			r.Header.Set("Content-MD5", contentMD5(nil))
			signReq(t, r, testAK, testSecret, "UNSIGNED-PAYLOAD", now)
		}, 400, "BadDigest"},
		{"complete mismatch", "POST", "/bkt/up?uploadId=u1", complete, func(t *testing.T, r *http.Request) {
			signReq(t, r, testAK, testSecret, hexSHA256(append(complete, ' ')), now)
		}, 400, "XAmzContentSHA256Mismatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReq(t, tc.method, srv.URL+tc.path, tc.body)
			tc.sign(t, r)
			if status, code := send(t, r); status != tc.status || code != tc.code {
				t.Fatalf("got %d %q, want %d %q", status, code, tc.status, tc.code)
			}
		})
	}
	// What the refused requests would have changed is unchanged.
	if _, err := meta.GetObject(ctx, "bkt", "keep"); err != nil {
		t.Errorf("keep after a DeleteObjects with a mismatched body: %v", err)
	}
	if _, err := meta.GetObject(ctx, "bkt", "gone"); !errors.Is(err, metadata.ErrNoSuchKey) {
		t.Errorf("gone after DeleteObjects: %v, want it deleted", err)
	}
	if _, err := meta.GetBucket(ctx, "newbkt"); !errors.Is(err, metadata.ErrNoSuchBucket) {
		t.Errorf("bucket after a refused CreateBucket: %v, want no such bucket", err)
	}
	if _, err := meta.GetUpload(ctx, "bkt", "up", "u1"); err != nil {
		t.Errorf("upload after a refused CompleteMultipartUpload: %v", err)
	}
	for _, k := range []string{"new", "s"} {
		if _, err := meta.GetObject(ctx, "bkt", k); !errors.Is(err, metadata.ErrNoSuchKey) {
			t.Errorf("%s after a refused PUT: %v, want no such key", k, err)
		}
	}
}

func TestKeyCache(t *testing.T) {
	meta := newMeta(t)
	ctx := context.Background()
	c := newKeyCache(meta, 10*time.Second)
	now := time.Now()
	c.now = func() time.Time { return now }

	secret := func(id string) (string, error) { return c.SecretKey(ctx, id) }
	if s, err := secret(testAK); err != nil || s != testSecret {
		t.Fatalf("SecretKey = %q, %v; want %q", s, err, testSecret)
	}
	// Unknown keys are not cached: a key works as soon as it is created.
	if _, err := secret("AKIALATER"); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Fatalf("unknown key: %v, want ErrUnknownKey", err)
	}
	if err := meta.CreateAccessKey(ctx, metadata.AccessKey{ID: "AKIALATER", Secret: "later"}); err != nil {
		t.Fatal(err)
	}
	if s, err := secret("AKIALATER"); err != nil || s != "later" {
		t.Fatalf("new key: %q, %v", s, err)
	}

	// A deleted key stays valid until its cache entry expires.
	if err := meta.DeleteAccessKey(ctx, testAK); err != nil {
		t.Fatal(err)
	}
	now = now.Add(9 * time.Second)
	if s, err := secret(testAK); err != nil || s != testSecret {
		t.Fatalf("deleted key within the TTL: %q, %v; want it still cached", s, err)
	}
	now = now.Add(2 * time.Second)
	if _, err := secret(testAK); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Fatalf("deleted key after the TTL: %v, want ErrUnknownKey", err)
	}
	c.mu.Lock()
	_, cached := c.keys[testAK]
	c.mu.Unlock()
	if cached {
		t.Error("the deleted key is still in the cache")
	}

	// Without a cache, deletion takes effect at once.
	nc := newKeyCache(meta, -1)
	if _, err := nc.SecretKey(ctx, "AKIALATER"); err != nil {
		t.Fatal(err)
	}
	if err := meta.DeleteAccessKey(ctx, "AKIALATER"); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.SecretKey(ctx, "AKIALATER"); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Fatalf("uncached deleted key: %v, want ErrUnknownKey", err)
	}
}
