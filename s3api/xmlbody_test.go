package s3api

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/rs/zerolog"
)

// contentMD5 is the Content-MD5 header value of b.
func contentMD5(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// crc32Header is the x-amz-checksum-crc32 value of b.
func crc32Header(b []byte) string {
	var s [4]byte
	binary.BigEndian.PutUint32(s[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(s[:])
}

// unsignedTrailerBody frames payload as an aws-chunked
// STREAMING-UNSIGNED-PAYLOAD-TRAILER body with an x-amz-checksum-crc32
// trailer of value sum, as SDKs send over HTTPS.
func unsignedTrailerBody(payload []byte, sum string) []byte {
	return fmt.Appendf(nil, "%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n", len(payload), payload, sum)
}

// DeleteObjects must verify its body's digest before deleting anything,
// and S3 requires one (Content-MD5 or an x-amz-checksum-*): with
// UNSIGNED-PAYLOAD nothing else protects the list of keys. Each case
// aims its body at its own key and, when refused, that key must survive.
func TestDeleteObjectsBodyDigest(t *testing.T) {
	meta := newMeta(t)
	ctx := context.Background()
	srv := httptest.NewServer(New(Config{Meta: meta, Auth: NewSigV4(meta, "us-east-1", 0), Logger: zerolog.Nop()}))
	t.Cleanup(srv.Close)
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	body := func(key string) []byte { return []byte(`<Delete><Object><Key>` + key + `</Key></Object></Delete>`) }
	other := []byte(`<Delete><Object><Key>someone-else</Key></Object></Delete>`)
	type prep func(r *http.Request, b []byte) (payload string)
	unsigned := func(h map[string]string) prep {
		return func(r *http.Request, b []byte) string {
			for k, v := range h {
				r.Header.Set(k, v)
			}
			return "UNSIGNED-PAYLOAD"
		}
	}
	cases := []struct {
		name   string
		prep   prep
		status int
		code   string
	}{
		{"no digest, unsigned payload", unsigned(nil), 400, "InvalidRequest"},
		{"no digest, signed payload", func(r *http.Request, b []byte) string { return hexSHA256(b) }, 400, "InvalidRequest"},
		{"algorithm named, no value", unsigned(map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32"}), 400, "InvalidRequest"},
		{"md5 of another body", unsigned(map[string]string{"Content-MD5": contentMD5(other)}), 400, "BadDigest"},
		{"md5 of another body, signed payload", func(r *http.Request, b []byte) string {
			r.Header.Set("Content-MD5", contentMD5(other))
			return hexSHA256(b)
		}, 400, "BadDigest"},
		{"md5 not base64", unsigned(map[string]string{"Content-MD5": "not an md5"}), 400, "InvalidDigest"},
		{"crc32 of another body", unsigned(map[string]string{"X-Amz-Checksum-Crc32": crc32Header(other)}), 400, "BadDigest"},
		{"md5", func(r *http.Request, b []byte) string {
			r.Header.Set("Content-MD5", contentMD5(b))
			return "UNSIGNED-PAYLOAD"
		}, 200, ""},
		{"crc32 header", func(r *http.Request, b []byte) string {
			r.Header.Set("X-Amz-Checksum-Crc32", crc32Header(b))
			return "UNSIGNED-PAYLOAD"
		}, 200, ""},
		{"crc32 trailer", func(r *http.Request, b []byte) string { return chunkedTrailer(r, b, crc32Header(b)) }, 200, ""},
		{"crc32 trailer of another body", func(r *http.Request, b []byte) string { return chunkedTrailer(r, b, crc32Header(other)) }, 400, "BadDigest"},
		{"md5, chunked transfer encoding", func(r *http.Request, b []byte) string {
			r.Header.Set("Content-MD5", contentMD5(b))
			r.ContentLength = -1 // sent with Transfer-Encoding: chunked
			return "UNSIGNED-PAYLOAD"
		}, 200, ""},
		{"bad md5, chunked transfer encoding", func(r *http.Request, b []byte) string {
			r.Header.Set("Content-MD5", contentMD5(other))
			r.ContentLength = -1
			return "UNSIGNED-PAYLOAD"
		}, 400, "BadDigest"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := "k" + strconv.Itoa(i)
			if _, err := meta.PutObject(ctx, metadata.Object{Bucket: "bkt", Key: key, ETag: `"d41d8cd98f00b204e9800998ecf8427e"`}, nil, metadata.Precondition{}); err != nil {
				t.Fatal(err)
			}
			b := body(key)
			r := newReq(t, "POST", srv.URL+"/bkt?delete", b)
			payload := tc.prep(r, b)
			if r.Header.Get("Content-Encoding") == "aws-chunked" {
				b = unsignedTrailerBody(b, r.Header.Get("X-Floe-Test-Trailer"))
				r.Header.Del("X-Floe-Test-Trailer")
				r = withBody(t, r, b)
			}
			signReq(t, r, testAK, testSecret, payload, time.Now())
			if status, code := send(t, r); status != tc.status || code != tc.code {
				t.Fatalf("got %d %q, want %d %q", status, code, tc.status, tc.code)
			}
			_, err := meta.GetObject(ctx, "bkt", key)
			if deleted := errors.Is(err, metadata.ErrNoSuchKey); deleted != (tc.status == 200) {
				t.Fatalf("after %d: GetObject(%s) = %v", tc.status, key, err)
			}
		})
	}
}

// chunkedTrailer makes r an aws-chunked upload whose crc32 trailer is
// sum; the body is framed once the headers are set (see the caller).
func chunkedTrailer(r *http.Request, b []byte, sum string) string {
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(b)))
	r.Header.Set("X-Floe-Test-Trailer", sum)
	return "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
}

// withBody returns r with body b (and its length).
func withBody(t *testing.T, r *http.Request, b []byte) *http.Request {
	t.Helper()
	n := newReq(t, r.Method, r.URL.String(), b)
	n.Header = r.Header
	return n
}
