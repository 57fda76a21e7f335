package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/blobtest"
)

// signedRequest returns a request signed by key ak/secret at time at, with
// payload as x-amz-content-sha256 and in the signature.
func signedRequest(t *testing.T, method, url string, body []byte, ak, secret, payload string, at time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	must(t, err, "request")
	if len(body) == 0 {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	r.Header.Set("X-Amz-Content-Sha256", payload)
	must(t, signV4(r, ak, secret, payload, at), "sign")
	return r
}

// signedChunkedPut returns a PUT of payload as a signed aws-chunked body of
// chunkSize chunks, each signed as the SigV4 streaming spec says, chained
// from the request's seed signature: STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or
// with trailer STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER with a signed
// x-amz-checksum-crc32 trailer. If tamper >= 0, signature number tamper
// (0-based; the final empty chunk counts, then the trailer's) is wrong.
func signedChunkedPut(t *testing.T, url string, payload []byte, chunkSize int, ak, secret string, trailer bool, tamper int) *http.Request {
	t.Helper()
	var sizes []int
	for rest := len(payload); rest > 0; rest -= chunkSize {
		sizes = append(sizes, min(rest, chunkSize))
	}
	sizes = append(sizes, 0)
	trailerLine := "x-amz-checksum-crc32:" + crc32Base64(payload)
	// The encoded length is known before the signatures: each is 64 hex digits.
	encLen := 0
	for _, n := range sizes {
		encLen += len(strconv.FormatInt(int64(n), 16)) + len(";chunk-signature=") + 64 + 2 + n + 2
	}
	streaming := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	if trailer {
		streaming += "-TRAILER"
		encLen += len(trailerLine) + 2 + len("x-amz-trailer-signature:") + 64 + 2
	}
	r, err := http.NewRequest(http.MethodPut, url, nil)
	must(t, err, "request")
	r.ContentLength = int64(encLen)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(payload)))
	if trailer {
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	}
	r.Header.Set("X-Amz-Content-Sha256", streaming)
	at := time.Now().UTC()
	must(t, signV4(r, ak, secret, streaming, at), "sign")
	auth := r.Header.Get("Authorization")
	prev := auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]

	mac := func(k []byte, s string) []byte {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	date := at.Format("20060102")
	key := mac(mac(mac(mac([]byte("AWS4"+secret), date), "us-east-1"), "s3"), "aws4_request")
	head := at.Format("20060102T150405Z") + "\n" + date + "/us-east-1/s3/aws4_request\n"
	// chain signs the next link: the string to sign ends with last.
	n := 0
	chain := func(kind, last string) string {
		sig := hex.EncodeToString(mac(key, kind+"\n"+head+prev+"\n"+last))
		prev = sig
		if n++; n-1 == tamper {
			sig = strings.Repeat("0", 64)
		}
		return sig
	}
	var body bytes.Buffer
	off := 0
	for i, size := range sizes {
		chunk := payload[off : off+size]
		off += size
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", size, chain("AWS4-HMAC-SHA256-PAYLOAD", hexSHA256(nil)+"\n"+hexSHA256(chunk)))
		body.Write(chunk)
		if !trailer || i < len(sizes)-1 {
			body.WriteString("\r\n")
		}
	}
	if trailer {
		body.WriteString(trailerLine + "\r\n")
		sig := chain("AWS4-HMAC-SHA256-TRAILER", hexSHA256([]byte(trailerLine+"\n")))
		body.WriteString("x-amz-trailer-signature:" + sig + "\r\n\r\n")
	}
	if body.Len() != encLen {
		t.Fatalf("encoded %d bytes, computed %d", body.Len(), encLen)
	}
	r.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
	return r
}

var (
	createdKeyID     = regexp.MustCompile(`(?m)^Access key ID:\s+(\S+)$`)
	createdKeySecret = regexp.MustCompile(`(?m)^Secret access key:\s+(\S+)$`)
)

func TestAuth(t *testing.T) {
	t.Parallel()
	const ttl = 500 * time.Millisecond
	cl := startCluster(t, "--key-cache-ttl", ttl.String())
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")})
	must(t, err, "create bucket")
	orig := blobtest.RandBytes(1, 100<<10)
	putBytes(t, c, "bkt", "obj", orig)
	objURL := cl.endpoint + "/bkt/obj"

	t.Run("wrong secret", func(t *testing.T) {
		_, err := newClient(t, cl.endpoint, cl.accessKey, "not-the-secret").ListBuckets(ctx, &s3.ListBucketsInput{})
		if errCode(err) != "SignatureDoesNotMatch" || httpStatus(err) != http.StatusForbidden {
			t.Fatalf("list buckets: %v, want 403 SignatureDoesNotMatch", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := newClient(t, cl.endpoint, "FLOENOSUCHKEY", cl.secretKey).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("obj")})
		if errCode(err) != "InvalidAccessKeyId" || httpStatus(err) != http.StatusForbidden {
			t.Fatalf("get: %v, want 403 InvalidAccessKeyId", err)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		r, err := http.NewRequest(http.MethodGet, objURL, nil)
		must(t, err, "request")
		if status, code, _ := sendRaw(t, r); status != http.StatusForbidden || code != "AccessDenied" {
			t.Fatalf("anonymous GET: %d %s, want 403 AccessDenied", status, code)
		}
	})
	t.Run("presigned", func(t *testing.T) {
		pc := s3.NewPresignClient(c)
		in := &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("obj")}
		req, err := pc.PresignGetObject(ctx, in)
		must(t, err, "presign")
		r, err := http.NewRequest(http.MethodGet, req.URL, nil)
		must(t, err, "request")
		status, code, b := sendRaw(t, r)
		if status != http.StatusOK {
			t.Fatalf("presigned GET: %d %s", status, code)
		}
		eq(t, b, orig, "presigned GET")

		short, err := pc.PresignGetObject(ctx, in, s3.WithPresignExpires(time.Second))
		must(t, err, "presign for a second")
		// Not a wait for the gateway: the URL's own clock (signed at a
		// whole second, valid for one) must run out; only then is it
		// checked, once.
		time.Sleep(2100 * time.Millisecond)
		r, err = http.NewRequest(http.MethodGet, short.URL, nil)
		must(t, err, "request")
		if status, code, _ := sendRaw(t, r); status != http.StatusForbidden || code != "AccessDenied" {
			t.Fatalf("expired presigned GET: %d %s, want 403 AccessDenied", status, code)
		}
	})
	t.Run("skewed", func(t *testing.T) {
		r := signedRequest(t, http.MethodGet, objURL, nil, cl.accessKey, cl.secretKey, hexSHA256(nil), time.Now().Add(-20*time.Minute))
		if status, code, _ := sendRaw(t, r); status != http.StatusForbidden || code != "RequestTimeTooSkewed" {
			t.Fatalf("GET signed 20 minutes ago: %d %s, want 403 RequestTimeTooSkewed", status, code)
		}
	})
	t.Run("payload hash mismatch", func(t *testing.T) {
		evil := blobtest.RandBytes(2, len(orig))
		r := signedRequest(t, http.MethodPut, objURL, evil, cl.accessKey, cl.secretKey, hexSHA256(blobtest.RandBytes(3, len(orig))), time.Now())
		if status, code, _ := sendRaw(t, r); status != http.StatusBadRequest || code != "XAmzContentSHA256Mismatch" {
			t.Fatalf("PUT with a wrong x-amz-content-sha256: %d %s, want 400 XAmzContentSHA256Mismatch", status, code)
		}
		eq(t, getBytes(t, c, "bkt", "obj", ""), orig, "object after a PUT with a mismatched payload hash")
	})
	t.Run("unsigned payload", func(t *testing.T) {
		data := blobtest.RandBytes(4, 70<<10)
		r := signedRequest(t, http.MethodPut, cl.endpoint+"/bkt/unsigned", data, cl.accessKey, cl.secretKey, "UNSIGNED-PAYLOAD", time.Now())
		if status, code, _ := sendRaw(t, r); status != http.StatusOK {
			t.Fatalf("UNSIGNED-PAYLOAD PUT: %d %s", status, code)
		}
		eq(t, getBytes(t, c, "bkt", "unsigned", ""), data, "UNSIGNED-PAYLOAD object")
	})
	for _, trailer := range []bool{false, true} {
		t.Run(fmt.Sprintf("signed chunks/trailer=%v", trailer), func(t *testing.T) {
			data := blobtest.RandBytes(5, 200<<10)
			url := cl.endpoint + "/bkt/chunked"
			r := signedChunkedPut(t, url, data, 64<<10, cl.accessKey, cl.secretKey, trailer, -1)
			if status, code, _ := sendRaw(t, r); status != http.StatusOK {
				t.Fatalf("signed aws-chunked PUT: %d %s", status, code)
			}
			eq(t, getBytes(t, c, "bkt", "chunked", ""), data, "signed aws-chunked object")

			// The first, a middle and the final (empty) chunk; the trailer.
			tampers := []int{0, 1, 4}
			if trailer {
				tampers = append(tampers, 5)
			}
			for _, tamper := range tampers {
				r := signedChunkedPut(t, url, blobtest.RandBytes(6, len(data)), 64<<10, cl.accessKey, cl.secretKey, trailer, tamper)
				if status, code, _ := sendRaw(t, r); status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
					t.Fatalf("signature %d tampered: %d %s, want 403 SignatureDoesNotMatch", tamper, status, code)
				}
				eq(t, getBytes(t, c, "bkt", "chunked", ""), data, fmt.Sprintf("object after a PUT with signature %d tampered", tamper))
			}
		})
	}
	t.Run("admin keys", func(t *testing.T) {
		// A key works as soon as it is created: unknown keys are not cached.
		id, secret := randomKeyPair(t)
		kc := newClient(t, cl.endpoint, id, secret)
		if _, err := kc.ListBuckets(ctx, &s3.ListBucketsInput{}); errCode(err) != "InvalidAccessKeyId" {
			t.Fatalf("key not yet created: %v, want InvalidAccessKeyId", err)
		}
		cl.floe(t, "admin", "key", "create", "--access-key", id, "--secret-key", secret)
		if _, err := kc.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			t.Fatalf("new key: %v", err)
		}

		// A generated key, listed without its secret, then deleted.
		out := cl.floe(t, "admin", "key", "create", "--description", "generated in e2e")
		m1, m2 := createdKeyID.FindStringSubmatch(out), createdKeySecret.FindStringSubmatch(out)
		if m1 == nil || m2 == nil {
			t.Fatalf("admin key create printed %q", out)
		}
		gen := newClient(t, cl.endpoint, m1[1], m2[1])
		putBytes(t, gen, "bkt", "by-generated-key", []byte("hello"))
		list := cl.floe(t, "admin", "key", "list")
		for _, want := range []string{cl.accessKey, id, m1[1], "generated in e2e"} {
			if !strings.Contains(list, want) {
				t.Errorf("admin key list lacks %q:\n%s", want, list)
			}
		}
		for _, s := range []string{cl.secretKey, secret, m2[1]} {
			if strings.Contains(list, s) {
				t.Errorf("admin key list shows a secret:\n%s", list)
			}
		}
		cl.floe(t, "admin", "key", "delete", m1[1])
		if err := cl.floeCmd(t, "admin", "key", "delete", m1[1]).Run(); err == nil {
			t.Error("deleting the key twice succeeded")
		}
		// The gateway's key cache forgets the deleted key within its TTL.
		waitFor(t, ttl+200*time.Millisecond, "the deleted key is refused once the key cache TTL has passed", func() (bool, error) {
			_, err := gen.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("by-generated-key")})
			return errCode(err) == "InvalidAccessKeyId", fmt.Errorf("GET with it: %v, want InvalidAccessKeyId", err)
		})
		// The other keys still work.
		eq(t, getBytes(t, kc, "bkt", "by-generated-key", ""), []byte("hello"), "object read with another key")
	})
}
