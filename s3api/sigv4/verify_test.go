package sigv4

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/floe-s3/floe/s3api/s3err"
)

// requestCases are the requests every signing form must accept.
var requestCases = []struct {
	name, method, path, query string
	hdr                       [][2]string
	body                      string
}{
	{name: "plain get", method: "GET", path: "/bucket/key"},
	{name: "root", method: "GET", path: "/"},
	{name: "space", method: "GET", path: "/bucket/with%20space"},
	{name: "unicode", method: "GET", path: "/bucket/%E6%97%A5%E6%9C%AC/%C3%A9t%C3%A9"},
	{name: "plus", method: "PUT", path: "/bucket/a%2Bb", body: "hello"},
	{name: "double slash", method: "GET", path: "/bucket//a//b/"},
	{name: "dot segments", method: "GET", path: "/bucket/./x/../y"},
	{name: "tilde etc", method: "GET", path: "/bucket/~user/a-b_c.d%21%28%29%2A%27"},
	{name: "encoded slash", method: "GET", path: "/bucket/a%2Fb"},
	{name: "empty values", method: "GET", path: "/bucket", query: "acl&uploads="},
	{name: "repeated keys", method: "GET", path: "/bucket", query: "tag=b&tag=a&tag=c"},
	{name: "special query", method: "GET", path: "/bucket", query: "prefix=a%20b%2Bc&delimiter=%2F&x=%E2%9C%93&y=~-_.&z=%26%3D%3F"},
	{name: "list v2", method: "GET", path: "/bucket/", query: "list-type=2&max-keys=10&start-after=k%2F1"},
	{name: "odd header whitespace", method: "PUT", path: "/bucket/obj", body: "data",
		hdr: [][2]string{{"X-Amz-Meta-Foo", "  a   b    c  "}, {"Content-Type", "text/plain;  charset=utf-8"}, {"X-Amz-Meta-Multi", "one"}, {"X-Amz-Meta-Multi", " two  words "}}},
	{name: "delete", method: "DELETE", path: "/bucket/k", query: "versionId=abc"},
	{name: "head", method: "HEAD", path: "/bucket/k"},
	{name: "post", method: "POST", path: "/bucket", query: "delete", body: "<Delete/>"},
}

func TestVerifyHeaderAccepts(t *testing.T) {
	for _, tc := range requestCases {
		for _, unsigned := range []bool{false, true} {
			name := tc.name
			payload := hexSHA256([]byte(tc.body))
			if unsigned {
				name += "/unsigned"
				payload = unsignedPayload
			}
			t.Run(name, func(t *testing.T) {
				r := clientRequest(t, tc.method, tc.path, tc.query, tc.hdr, []byte(tc.body))
				signHeader(t, r, payload, testSecret)
				ak, chunks, err := newVerifier(signTime.Add(time.Minute)).Verify(overWire(t, r))
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if ak != testAK || chunks != nil {
					t.Fatalf("got %q, %v", ak, chunks)
				}
			})
		}
	}
}

func TestVerifyPresignedAccepts(t *testing.T) {
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			r := clientRequest(t, tc.method, tc.path, tc.query, tc.hdr, nil)
			pr := presign(t, r, "3600", testRegion)
			ak, _, err := newVerifier(signTime.Add(59 * time.Minute)).Verify(overWire(t, pr))
			if err != nil {
				t.Fatalf("Verify %s: %v", pr.URL, err)
			}
			if ak != testAK {
				t.Fatalf("access key %q", ak)
			}
		})
	}
}

// tamperCases alter a correctly signed request (or the verifier).
type tamperCase struct {
	name   string
	mutate func(r *http.Request, v *Verifier)
	want   s3err.Code
}

func TestVerifyHeaderRejects(t *testing.T) {
	cases := []tamperCase{
		{"method", func(r *http.Request, _ *Verifier) { r.Method = "DELETE" }, s3err.SignatureDoesNotMatch},
		{"path", func(r *http.Request, _ *Verifier) { r.URL.Path, r.URL.RawPath = "/bucket/other", "" }, s3err.SignatureDoesNotMatch},
		{"path slash", func(r *http.Request, _ *Verifier) { r.URL.Path, r.URL.RawPath = "/bucket//obj", "" }, s3err.SignatureDoesNotMatch},
		{"query added", func(r *http.Request, _ *Verifier) { r.URL.RawQuery += "&x=1" }, s3err.SignatureDoesNotMatch},
		{"query value", func(r *http.Request, _ *Verifier) { r.URL.RawQuery = "a=1&b=3" }, s3err.SignatureDoesNotMatch},
		{"signed header", func(r *http.Request, _ *Verifier) { r.Header.Set("X-Amz-Meta-Foo", "evil") }, s3err.SignatureDoesNotMatch},
		{"host", func(r *http.Request, _ *Verifier) { r.Host = "evil.example" }, s3err.SignatureDoesNotMatch},
		{"payload hash", func(r *http.Request, _ *Verifier) { r.Header.Set("X-Amz-Content-Sha256", hexSHA256([]byte("other"))) }, s3err.SignatureDoesNotMatch},
		{"payload unsigned", func(r *http.Request, _ *Verifier) { r.Header.Set("X-Amz-Content-Sha256", unsignedPayload) }, s3err.SignatureDoesNotMatch},
		{"payload bad", func(r *http.Request, _ *Verifier) { r.Header.Set("X-Amz-Content-Sha256", "nope") }, s3err.InvalidArgument},
		{"payload missing", func(r *http.Request, _ *Verifier) { r.Header.Del("X-Amz-Content-Sha256") }, s3err.InvalidRequest},
		{"secret", func(_ *http.Request, v *Verifier) { v.Creds = mapCreds{testAK: "other-secret"} }, s3err.SignatureDoesNotMatch},
		{"unknown key", func(_ *http.Request, v *Verifier) { v.Creds = mapCreds{} }, s3err.InvalidAccessKeyID},
		{"skew ahead", func(_ *http.Request, v *Verifier) { v.Now = func() time.Time { return signTime.Add(16 * time.Minute) } }, s3err.RequestTimeTooSkewed},
		{"skew behind", func(_ *http.Request, v *Verifier) {
			v.Now = func() time.Time { return signTime.Add(-16 * time.Minute) }
		}, s3err.RequestTimeTooSkewed},
		{"date changed", func(r *http.Request, _ *Verifier) { r.Header.Set("X-Amz-Date", "20240517T123000Z") }, s3err.SignatureDoesNotMatch},
		{"date bad", func(r *http.Request, _ *Verifier) { r.Header.Set("X-Amz-Date", "yesterday") }, s3err.AccessDenied},
		{"no date", func(r *http.Request, _ *Verifier) { r.Header.Del("X-Amz-Date") }, s3err.AccessDenied},
		{"wrong region", func(_ *http.Request, v *Verifier) { v.Region = "eu-west-1" }, s3err.AuthorizationHeaderMalformed},
		{"missing auth", func(r *http.Request, _ *Verifier) { r.Header.Del("Authorization") }, s3err.AccessDenied},
		{"sigv2", func(r *http.Request, _ *Verifier) { r.Header.Set("Authorization", "AWS AKIDEXAMPLE:c2ln") }, s3err.AuthorizationHeaderMalformed},
		{"garbage", func(r *http.Request, _ *Verifier) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 garbage") }, s3err.AuthorizationHeaderMalformed},
		{"both mechanisms", func(r *http.Request, _ *Verifier) { r.URL.RawQuery += "&X-Amz-Algorithm=AWS4-HMAC-SHA256" }, s3err.InvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := clientRequest(t, "PUT", "/bucket/obj", "a=1&b=2", [][2]string{{"X-Amz-Meta-Foo", "bar"}}, []byte("body"))
			signHeader(t, r, hexSHA256([]byte("body")), testSecret)
			sr := overWire(t, r)
			v := newVerifier(signTime)
			tc.mutate(sr, v)
			_, _, err := v.Verify(sr)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want.Name)
			}
		})
	}
}

func TestVerifyPresignedRejects(t *testing.T) {
	cases := []struct {
		name    string
		expires string
		region  string
		mutate  func(r *http.Request, v *Verifier)
		want    s3err.Code
	}{
		{"expired", "900", testRegion, func(_ *http.Request, v *Verifier) {
			v.Now = func() time.Time { return signTime.Add(901 * time.Second) }
		}, s3err.AccessDenied},
		{"not yet valid", "900", testRegion, func(_ *http.Request, v *Verifier) {
			v.Now = func() time.Time { return signTime.Add(-16 * time.Minute) }
		}, s3err.AccessDenied},
		{"over a week", "604801", testRegion, nil, s3err.AuthorizationQueryParametersError},
		{"bad expires", "soon", testRegion, nil, s3err.AuthorizationQueryParametersError},
		{"wrong region", "900", "eu-west-1", nil, s3err.AuthorizationQueryParametersError},
		{"method", "900", testRegion, func(r *http.Request, _ *Verifier) { r.Method = "PUT" }, s3err.SignatureDoesNotMatch},
		{"path", "900", testRegion, func(r *http.Request, _ *Verifier) { r.URL.Path, r.URL.RawPath = "/bucket/other", "" }, s3err.SignatureDoesNotMatch},
		{"query", "900", testRegion, func(r *http.Request, _ *Verifier) { r.URL.RawQuery += "&response-content-type=evil" }, s3err.SignatureDoesNotMatch},
		{"expires changed", "900", testRegion, func(r *http.Request, _ *Verifier) {
			q := r.URL.Query()
			q.Set("X-Amz-Expires", "3600")
			r.URL.RawQuery = q.Encode()
		}, s3err.SignatureDoesNotMatch},
		{"signature", "900", testRegion, func(r *http.Request, _ *Verifier) {
			q := r.URL.Query()
			q.Set("X-Amz-Signature", hexSHA256(nil))
			r.URL.RawQuery = q.Encode()
		}, s3err.SignatureDoesNotMatch},
		{"algorithm", "900", testRegion, func(r *http.Request, _ *Verifier) {
			q := r.URL.Query()
			q.Set("X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256")
			r.URL.RawQuery = q.Encode()
		}, s3err.AuthorizationQueryParametersError},
		{"missing credential", "900", testRegion, func(r *http.Request, _ *Verifier) {
			q := r.URL.Query()
			q.Del("X-Amz-Credential")
			r.URL.RawQuery = q.Encode()
		}, s3err.AuthorizationQueryParametersError},
		{"secret", "900", testRegion, func(_ *http.Request, v *Verifier) { v.Creds = mapCreds{testAK: "x"} }, s3err.SignatureDoesNotMatch},
		{"unknown key", "900", testRegion, func(_ *http.Request, v *Verifier) { v.Creds = mapCreds{} }, s3err.InvalidAccessKeyID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := clientRequest(t, "GET", "/bucket/obj", "versionId=1", nil, nil)
			sr := overWire(t, presign(t, r, tc.expires, tc.region))
			v := newVerifier(signTime)
			if tc.mutate != nil {
				tc.mutate(sr, v)
			}
			_, _, err := v.Verify(sr)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want.Name)
			}
		})
	}
}
