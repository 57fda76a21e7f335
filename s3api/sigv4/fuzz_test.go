package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/smithy-go/encoding/httpbinding"
	"github.com/floe-s3/floe/s3api/s3err"
)

// checkVerifyResult fails t unless Verify's outcome is well-formed: an S3
// error other than InternalError, or acceptance for the test key.
func checkVerifyResult(t *testing.T, ak string, err error) {
	t.Helper()
	if err == nil {
		if ak != testAK {
			t.Fatalf("accepted for access key %q", ak)
		}
		return
	}
	var se *s3err.Error
	var c s3err.Code
	switch {
	case errors.As(err, &se):
		c = se.Code
	case errors.As(err, &c):
	default:
		t.Fatalf("error %v (%T) is not an S3 error", err, err)
	}
	if c == s3err.InternalError {
		t.Fatalf("InternalError: %v", err)
	}
}

// presignedQuery returns the query string of a valid presigned GET, for
// seeds.
func presignedQuery(f *testing.F) string {
	r, _ := http.NewRequest(http.MethodGet, "http://"+testHost+"/bkt/key?X-Amz-Expires=300", nil)
	u, _, err := s3Signer().PresignHTTP(context.Background(), awsCreds(testSecret), r, "UNSIGNED-PAYLOAD", "s3", testRegion, signTime)
	if err != nil {
		f.Fatal(err)
	}
	_, q, _ := strings.Cut(u, "?")
	return q
}

// FuzzVerifyPresigned verifies a GET whose query string is arbitrary: the
// presigned-URL parameters and their parsing.
func FuzzVerifyPresigned(f *testing.F) {
	v := newVerifier(signTime)
	q := presignedQuery(f)
	if r, err := http.NewRequest(http.MethodGet, "http://"+testHost+"/bkt/key?"+q, nil); err != nil {
		f.Fatal(err)
	} else if _, _, err := v.Verify(r); err != nil {
		f.Fatalf("valid seed refused: %v", err)
	}
	f.Add(q)
	f.Add(strings.Replace(q, "X-Amz-Expires=300", "X-Amz-Expires=-1", 1))
	f.Add(strings.Replace(q, "X-Amz-Expires=300", "X-Amz-Expires=99999999999999999999", 1))
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%2F%2F%2F%2F&X-Amz-Signature=")
	f.Add("X-Amz-Signature=%zz")
	f.Add("a=1&a=2&X-Amz-Algorithm&&=")
	f.Add("X-Amz-Date=20240517T123045Z&X-Amz-Date=x")
	f.Fuzz(func(t *testing.T, query string) {
		r, err := http.NewRequest(http.MethodGet, "http://"+testHost+"/bkt/key", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.URL.RawQuery = query
		ak, _, err := v.Verify(r)
		checkVerifyResult(t, ak, err)
	})
}

// wireRequest returns a header-signed PUT as it goes over the wire, for
// seeds.
func wireRequest(f *testing.F, payload string, extra ...[2]string) []byte {
	body := []byte("hello")
	r, _ := http.NewRequest(http.MethodPut, "http://"+testHost+"/bkt/a%20b?partNumber=1&uploadId=x", bytes.NewReader(body))
	for _, h := range extra {
		r.Header.Set(h[0], h[1])
	}
	r.Header.Set("X-Amz-Content-Sha256", payload)
	if err := s3Signer().SignHTTP(context.Background(), awsCreds(testSecret), r, payload, "s3", testRegion, signTime); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzVerifyRequest verifies arbitrary requests as the server parses them
// off the wire: method, path, query, headers (Authorization, X-Amz-Date,
// Date, x-amz-content-sha256, signed headers) in any shape.
func FuzzVerifyRequest(f *testing.F) {
	v := newVerifier(signTime)
	valid := wireRequest(f, hexSHA256([]byte("hello")))
	// The seeds start from requests Verify accepts.
	if r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(valid))); err != nil {
		f.Fatal(err)
	} else if _, _, err := v.Verify(r); err != nil {
		f.Fatalf("valid seed refused: %v", err)
	}
	f.Add(valid)
	f.Add(wireRequest(f, "UNSIGNED-PAYLOAD", [2]string{"Content-Type", "a  b\t c"}))
	f.Add(wireRequest(f, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", [2]string{"X-Amz-Decoded-Content-Length", "5"}))
	f.Add(wireRequest(f, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", [2]string{"X-Amz-Trailer", "x-amz-checksum-crc32"}))
	f.Add([]byte("GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256 HTTP/1.1\r\nHost: h\r\nAuthorization: AWS4-HMAC-SHA256 Credential=a\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: AWS AK:sig\r\nDate: Fri, 17 May 2024 12:30:45 GMT\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/s3/aws4_request, SignedHeaders=host;nope;;, Signature=" +
		strings.Repeat("0", 64) + "\r\nX-Amz-Date: 20240517T123045Z\r\nX-Amz-Content-Sha256: UNSIGNED-PAYLOAD\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // the server would not get this far
		}
		ak, chunks, err := v.Verify(r)
		checkVerifyResult(t, ak, err)
		if err == nil && chunks != nil {
			// The chain must refuse a garbage chunk signature, not panic.
			if chunks.VerifyChunk("zz", []byte("x")) == nil {
				t.Fatal("accepted a garbage chunk signature")
			}
		}
	})
}

// FuzzSignVerifyRoundTrip signs requests with the SDK's signer, as an S3
// client would (key escaped as the SDK escapes it, any query parameter and
// header value), sends them over the wire and checks Verify accepts them:
// the canonical request both sides build must agree.
func FuzzSignVerifyRoundTrip(f *testing.F) {
	f.Add("a/b c+d%", "prefix", "x y", "a  b")
	f.Add("ü/.././/~*'()!$&,;=:@", "list-type", "2", "\tv ")
	f.Add("k", "", "", "")
	v := newVerifier(signTime)
	f.Fuzz(func(t *testing.T, key, qk, qv, hv string) {
		u := "http://" + testHost + "/bkt/" + httpbinding.EscapePath(key, false)
		if qk != "" {
			u += "?" + url.Values{qk: {qv}}.Encode()
		}
		r, err := http.NewRequest(http.MethodPut, u, http.NoBody)
		if err != nil {
			return
		}
		if strings.ContainsFunc(hv, func(c rune) bool { return c < ' ' && c != '\t' || c == 0x7f }) {
			return // Go's client refuses to send such a value
		}
		r.Header.Set("X-Amz-Meta-Fuzz", hv)
		const payload = "UNSIGNED-PAYLOAD"
		r.Header.Set("X-Amz-Content-Sha256", payload)
		if err := s3Signer().SignHTTP(context.Background(), awsCreds(testSecret), r, payload, "s3", testRegion, signTime); err != nil {
			return
		}
		var buf bytes.Buffer
		if err := r.Write(&buf); err != nil {
			return // not sendable
		}
		sr, err := http.ReadRequest(bufio.NewReader(&buf))
		if err != nil {
			return // a server would refuse it before authentication
		}
		if _, _, err := v.Verify(sr); err != nil {
			t.Fatalf("SDK-signed request refused: %v\n%s", err, buf.String())
		}
	})
}
