package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAK     = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
	testHost   = "s3.example.test:9000"
)

// signTime is when every test request is signed.
var signTime = time.Date(2024, 5, 17, 12, 30, 45, 0, time.UTC)

// mapCreds is an in-memory Credentials.
type mapCreds map[string]string

func (m mapCreds) SecretKey(_ context.Context, ak string) (string, error) {
	s, ok := m[ak]
	if !ok {
		return "", ErrUnknownKey
	}
	return s, nil
}

// newVerifier returns a Verifier whose clock reads now.
func newVerifier(now time.Time) *Verifier {
	return &Verifier{Creds: mapCreds{testAK: testSecret}, Region: testRegion, Now: func() time.Time { return now }}
}

// awsCreds returns SDK credentials for the test key.
func awsCreds(secret string) aws.Credentials {
	return aws.Credentials{AccessKeyID: testAK, SecretAccessKey: secret}
}

// s3Signer returns an SDK signer configured as the S3 client uses it.
func s3Signer() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// clientRequest builds a client request for path (already S3-encoded) and
// raw query, with headers added value by value.
func clientRequest(t *testing.T, method, path, query string, hdr [][2]string, body []byte) *http.Request {
	t.Helper()
	u := "http://" + testHost + path
	if query != "" {
		u += "?" + query
	}
	r, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) == 0 {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	for _, h := range hdr {
		r.Header.Add(h[0], h[1])
	}
	return r
}

// overWire serialises a client request and parses it as a server would.
func overWire(t *testing.T, r *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("ReadRequest: %v\n%s", err, buf.String())
	}
	return sr
}

// signHeader signs r with an Authorization header and payload hash.
func signHeader(t *testing.T, r *http.Request, payload, secret string) {
	t.Helper()
	r.Header.Set("X-Amz-Content-Sha256", payload)
	if err := s3Signer().SignHTTP(context.Background(), awsCreds(secret), r, payload, "s3", testRegion, signTime); err != nil {
		t.Fatal(err)
	}
}

// presign presigns r for expires and returns the request a client would
// send with the presigned URL.
func presign(t *testing.T, r *http.Request, expires string, region string) *http.Request {
	t.Helper()
	q := r.URL.Query()
	q.Set("X-Amz-Expires", expires)
	r.URL.RawQuery = q.Encode()
	u, hdr, err := s3Signer().PresignHTTP(context.Background(), awsCreds(testSecret), r, "UNSIGNED-PAYLOAD", "s3", region, signTime)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := http.NewRequest(r.Method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		if strings.EqualFold(k, "host") {
			continue
		}
		for _, v := range vs {
			pr.Header.Add(k, v)
		}
	}
	return pr
}

// hexSHA256 returns hex(sha256(b)).
func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
