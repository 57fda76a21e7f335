package sigv4

import (
	"errors"
	"strings"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

var goodSig = strings.Repeat("0a", 32)

func TestParseAuthorization(t *testing.T) {
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"good", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + goodSig, true},
		{"no spaces", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + goodSig, true},
		{"empty", "", false},
		{"algorithm only", "AWS4-HMAC-SHA256", false},
		{"other algorithm", "AWS4-HMAC-SHA256X Credential=a", false},
		{"missing signature", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, SignedHeaders=host", false},
		{"duplicate", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, Credential=x, SignedHeaders=host, Signature=" + goodSig, false},
		{"unknown part", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, Foo=1, SignedHeaders=host, Signature=" + goodSig, false},
		{"short credential", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3, SignedHeaders=host, Signature=" + goodSig, false},
		{"other service", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=" + goodSig, false},
		{"bad date", "AWS4-HMAC-SHA256 Credential=AK/2024-5-1/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + goodSig, false},
		{"no host", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date, Signature=" + goodSig, false},
		{"upper header", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, SignedHeaders=Host, Signature=" + goodSig, false},
		{"empty header", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, SignedHeaders=host;;x, Signature=" + goodSig, false},
		{"short signature", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc", false},
		{"upper signature", "AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + strings.ToUpper(goodSig), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseAuthorization(tc.in)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if a.accessKey != "AK" || a.scope() != "20240517/us-east-1/s3/aws4_request" || a.signature != goodSig {
					t.Fatalf("parsed %+v", a)
				}
				return
			}
			if !errors.Is(err, s3err.AuthorizationHeaderMalformed) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestURIEncode(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"a b+c/d", "a%20b%2Bc%2Fd"},
		{"é", "%C3%A9"},
		{"*'()!", "%2A%27%28%29%21"},
	}
	for _, tc := range cases {
		if got := uriEncode(tc.in); got != tc.want {
			t.Errorf("uriEncode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AK/20240517/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + goodSig)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAuthorization(s)
		if err != nil {
			return
		}
		if !isHex64(a.signature) || len(a.signedHeaders) == 0 || a.accessKey == "" || !isDate(a.scopeDate) {
			t.Fatalf("accepted bad header %q: %+v", s, a)
		}
	})
}
