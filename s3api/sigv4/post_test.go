package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

// postHMAC is HMAC-SHA256, written out here rather than taken from the
// code under test.
func postHMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// signPOST signs a base64 policy as a browser-upload client does:
// hex(HMAC(kSigning, policy)) with kSigning derived for date (yyyymmdd),
// region and s3.
func signPOST(secret, date, region, policy string) string {
	k := postHMAC([]byte("AWS4"+secret), date)
	k = postHMAC(k, region)
	k = postHMAC(k, "s3")
	k = postHMAC(k, "aws4_request")
	return hex.EncodeToString(postHMAC(k, policy))
}

// awsPOSTPolicy is the policy of AWS's "Example: Browser-Based Upload using
// HTTP POST (Using AWS Signature Version 4)", byte for byte.
const awsPOSTPolicy = "{ \"expiration\": \"2015-12-30T12:00:00.000Z\",\r\n" +
	"  \"conditions\": [\r\n" +
	"    {\"bucket\": \"sigv4examplebucket\"},\r\n" +
	"    [\"starts-with\", \"$key\", \"user/user1/\"],\r\n" +
	"    {\"acl\": \"public-read\"},\r\n" +
	"    {\"success_action_redirect\": \"http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html\"},\r\n" +
	"    [\"starts-with\", \"$Content-Type\", \"image/\"],\r\n" +
	"    {\"x-amz-meta-uuid\": \"14365123651274\"},\r\n" +
	"    {\"x-amz-server-side-encryption\": \"AES256\"},\r\n" +
	"    [\"starts-with\", \"$x-amz-meta-tag\", \"\"],\r\n" +
	"\r\n" +
	"    {\"x-amz-credential\": \"AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request\"},\r\n" +
	"    {\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"},\r\n" +
	"    {\"x-amz-date\": \"20151229T000000Z\" }\r\n" +
	"  ]\r\n" +
	"}"

// botocorePOSTPolicy is what botocore's generate_presigned_post signs for
// sigv4examplebucket, key user/user1/photo.jpg, at 2015-12-29T00:00:00Z.
const botocorePOSTPolicy = `{"expiration": "2015-12-29T01:00:00Z", "conditions": [{"bucket": "sigv4examplebucket"}, {"key": "user/user1/photo.jpg"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"}, {"x-amz-date": "20151229T000000Z"}]}`

// TestVerifyPOSTVectors checks published signatures: AWS's example and
// botocore's presigned POST, both with AWS's example credentials.
func TestVerifyPOSTVectors(t *testing.T) {
	const ak, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	v := &Verifier{Creds: mapCreds{ak: secret}, Region: "us-east-1"}
	for _, tc := range []struct {
		name, policy, sig string
	}{
		{"AWS example", awsPOSTPolicy, "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"},
		{"botocore", botocorePOSTPolicy, "3364624b39010d9b06f5d9b8c9a18a6e478d261c048159c92f2fd6fa885f14e6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			policy := base64.StdEncoding.EncodeToString([]byte(tc.policy))
			if got := signPOST(secret, "20151229", "us-east-1", policy); got != tc.sig {
				t.Fatalf("the test's own signature %s; published %s", got, tc.sig)
			}
			fields := map[string]string{
				"key":              "user/user1/${filename}",
				"x-amz-algorithm":  "AWS4-HMAC-SHA256",
				"x-amz-credential": ak + "/20151229/us-east-1/s3/aws4_request",
				"x-amz-date":       "20151229T000000Z",
				"policy":           policy,
				"x-amz-signature":  tc.sig,
			}
			got, err := v.VerifyPOST(context.Background(), fields)
			if err != nil || got != ak {
				t.Fatalf("VerifyPOST = %q, %v", got, err)
			}
		})
	}
}

// postFields returns the fields of a form signed with testSecret for
// testRegion at signTime.
func postFields() map[string]string {
	policy := base64.StdEncoding.EncodeToString([]byte(`{"expiration": "2024-05-17T13:30:45Z", "conditions": [{"bucket": "b"}]}`))
	return map[string]string{
		"key":              "k",
		"bucket":           "b",
		"x-amz-algorithm":  Algorithm,
		"x-amz-credential": testAK + "/20240517/" + testRegion + "/s3/aws4_request",
		"x-amz-date":       "20240517T123045Z",
		"policy":           policy,
		"x-amz-signature":  signPOST(testSecret, "20240517", testRegion, policy),
	}
}

func TestVerifyPOST(t *testing.T) {
	// resign re-signs f's policy with the scope of its credential.
	resign := func(f map[string]string, secret string) {
		parts := strings.Split(f["x-amz-credential"], "/")
		f["x-amz-signature"] = signPOST(secret, parts[1], parts[2], f["policy"])
	}
	missing := func(name string) string {
		return "Bucket POST must contain a field named '" + name + "'.  If it is specified, please check the order of the fields."
	}
	tests := []struct {
		name   string
		change func(f map[string]string)
		code   s3err.Code // zero: accepted
		msg    string
	}{
		{name: "valid", change: func(map[string]string) {}},
		{name: "other fields are not signed", change: func(f map[string]string) { f["acl"] = "public-read"; f["key"] = "other" }},
		{name: "signed with x-amz-date's day but another time", change: func(f map[string]string) { f["x-amz-date"] = "20240517T000000Z" }},
		{name: "a SigV4 form may carry a field named signature", change: func(f map[string]string) { f["signature"] = "x" }},
		{name: "wrong secret", change: func(f map[string]string) { resign(f, "not the secret") },
			code: s3err.SignatureDoesNotMatch},
		{name: "policy changed after signing", change: func(f map[string]string) {
			f["policy"] = base64.StdEncoding.EncodeToString([]byte(`{"expiration": "2099-01-01T00:00:00Z", "conditions": [{"bucket": "b"}]}`))
		}, code: s3err.SignatureDoesNotMatch},
		{name: "signature over the decoded policy", change: func(f map[string]string) {
			doc, _ := base64.StdEncoding.DecodeString(f["policy"])
			f["x-amz-signature"] = signPOST(testSecret, "20240517", testRegion, string(doc))
		}, code: s3err.SignatureDoesNotMatch},
		{name: "signature in upper case", change: func(f map[string]string) { f["x-amz-signature"] = strings.ToUpper(f["x-amz-signature"]) },
			code: s3err.SignatureDoesNotMatch},
		{name: "signature not hex", change: func(f map[string]string) { f["x-amz-signature"] = "zz" },
			code: s3err.SignatureDoesNotMatch},
		{name: "wrong region", change: func(f map[string]string) {
			f["x-amz-credential"] = testAK + "/20240517/eu-west-1/s3/aws4_request"
			resign(f, testSecret)
		}, code: s3err.InvalidArgument, msg: `The region "eu-west-1" is wrong; expecting "us-east-1".`},
		{name: "wrong date", change: func(f map[string]string) {
			f["x-amz-credential"] = testAK + "/20240516/" + testRegion + "/s3/aws4_request"
			resign(f, testSecret)
		}, code: s3err.InvalidArgument, msg: `The credential date "20240516" does not match the request date "20240517".`},
		{name: "unknown key", change: func(f map[string]string) {
			f["x-amz-credential"] = "AKIDUNKNOWN/20240517/" + testRegion + "/s3/aws4_request"
		}, code: s3err.InvalidAccessKeyID},
		{name: "SigV2 form", change: func(f map[string]string) {
			for _, k := range []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
				delete(f, k)
			}
			f["awsaccesskeyid"], f["signature"] = testAK, "0RavWzkygo6QX9caELEqKi9kDbU="
		}, code: s3err.InvalidArgument, msg: "AWS Signature Version 2 (AWSAccessKeyId and signature fields) is not supported"},
		{name: "SigV2 key alone", change: func(f map[string]string) {
			for _, k := range []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
				delete(f, k)
			}
			f["awsaccesskeyid"] = testAK
		}, code: s3err.InvalidArgument, msg: "Signature Version 2"},
		{name: "unsigned", change: func(f map[string]string) {
			for _, k := range []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
				delete(f, k)
			}
		}, code: s3err.AccessDenied, msg: "Anonymous access is not allowed."},
		{name: "no algorithm nor credential", change: func(f map[string]string) { delete(f, "x-amz-algorithm"); delete(f, "x-amz-credential") },
			code: s3err.InvalidArgument, msg: missing("X-Amz-Algorithm")},
		{name: "no credential", change: func(f map[string]string) { delete(f, "x-amz-credential") },
			code: s3err.InvalidArgument, msg: missing("X-Amz-Credential")},
		{name: "no date", change: func(f map[string]string) { delete(f, "x-amz-date") },
			code: s3err.InvalidArgument, msg: missing("X-Amz-Date")},
		{name: "no signature", change: func(f map[string]string) { delete(f, "x-amz-signature") },
			code: s3err.InvalidArgument, msg: missing("X-Amz-Signature")},
		{name: "empty signature", change: func(f map[string]string) { f["x-amz-signature"] = "" },
			code: s3err.InvalidArgument, msg: missing("X-Amz-Signature")},
		{name: "no policy", change: func(f map[string]string) { delete(f, "policy") },
			code: s3err.InvalidArgument, msg: missing("Policy")},
		{name: "other algorithm", change: func(f map[string]string) { f["x-amz-algorithm"] = "AWS4-HMAC-SHA1" },
			code: s3err.InvalidArgument, msg: `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".`},
		{name: "algorithm in lower case", change: func(f map[string]string) { f["x-amz-algorithm"] = "aws4-hmac-sha256" },
			code: s3err.InvalidArgument, msg: "X-Amz-Algorithm only supports"},
		{name: "credential with four parts", change: func(f map[string]string) { f["x-amz-credential"] = testAK + "/20240517/" + testRegion + "/s3" },
			code: s3err.InvalidArgument, msg: "is mal-formed"},
		{name: "credential with six parts", change: func(f map[string]string) { f["x-amz-credential"] += "/x" },
			code: s3err.InvalidArgument, msg: "is mal-formed"},
		{name: "empty access key", change: func(f map[string]string) { f["x-amz-credential"] = "/20240517/" + testRegion + "/s3/aws4_request" },
			code: s3err.InvalidArgument, msg: "A non-empty Access Key (AKID) must be provided in the credential."},
		{name: "credential date malformed", change: func(f map[string]string) {
			f["x-amz-credential"] = testAK + "/2024-05-17/" + testRegion + "/s3/aws4_request"
		},
			code: s3err.InvalidArgument, msg: `Incorrect date format "2024-05-17"`},
		{name: "empty region", change: func(f map[string]string) { f["x-amz-credential"] = testAK + "/20240517//s3/aws4_request" },
			code: s3err.InvalidArgument, msg: "empty region"},
		{name: "other service", change: func(f map[string]string) {
			f["x-amz-credential"] = testAK + "/20240517/" + testRegion + "/iam/aws4_request"
		},
			code: s3err.InvalidArgument, msg: `Incorrect service "iam"`},
		{name: "other terminal", change: func(f map[string]string) {
			f["x-amz-credential"] = testAK + "/20240517/" + testRegion + "/s3/aws5_request"
		},
			code: s3err.InvalidArgument, msg: `Incorrect terminal "aws5_request"`},
		{name: "x-amz-date malformed", change: func(f map[string]string) { f["x-amz-date"] = "2024-05-17T12:30:45Z" },
			code: s3err.InvalidArgument, msg: "must be in the ISO8601 Long Format"},
		{name: "x-amz-date without time", change: func(f map[string]string) { f["x-amz-date"] = "20240517" },
			code: s3err.InvalidArgument, msg: "must be in the ISO8601 Long Format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := postFields()
			tc.change(f)
			in := maps.Clone(f)
			ak, err := newVerifier(signTime).VerifyPOST(context.Background(), f)
			if !maps.Equal(in, f) {
				t.Error("VerifyPOST changed the fields")
			}
			if tc.code == (s3err.Code{}) {
				if err != nil || ak != testAK {
					t.Fatalf("VerifyPOST = %q, %v", ak, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted for %q; want %s", ak, tc.code.Name)
			}
			var se *s3err.Error
			var c s3err.Code
			msg := ""
			switch {
			case errors.As(err, &se):
				c, msg = se.Code, se.Message
			case errors.As(err, &c):
			default:
				t.Fatalf("error %v (%T) is not an S3 error", err, err)
			}
			if c != tc.code || !strings.Contains(msg, tc.msg) {
				t.Fatalf("got %s %q; want %s %q", c.Name, msg, tc.code.Name, tc.msg)
			}
		})
	}
}

// failingCreds fails every look-up other than for an unknown key.
type failingCreds struct{}

var errStoreDown = errors.New("store down")

func (failingCreds) SecretKey(context.Context, string) (string, error) { return "", errStoreDown }

func TestVerifyPOSTStoreError(t *testing.T) {
	v := &Verifier{Creds: failingCreds{}, Region: testRegion}
	_, err := v.VerifyPOST(context.Background(), postFields())
	var se *s3err.Error
	if !errors.As(err, &se) || se.Code != s3err.InternalError || !errors.Is(err, errStoreDown) {
		t.Fatalf("got %v; want InternalError wrapping the store's error", err)
	}
}

func TestUnsignedPOST(t *testing.T) {
	for _, tc := range []struct {
		fields map[string]string
		want   bool
	}{
		{map[string]string{}, true},
		{map[string]string{"key": "k", "acl": "public-read"}, true},
		{map[string]string{"key": "k", "policy": "eyJ9"}, true},
		{map[string]string{"x-amz-algorithm": Algorithm}, false},
		{map[string]string{"x-amz-credential": "x"}, false},
		{map[string]string{"x-amz-date": "20240517T123045Z"}, false},
		{map[string]string{"x-amz-signature": ""}, false},
		{map[string]string{"awsaccesskeyid": "AK"}, false},
		{map[string]string{"signature": "s"}, false},
		{postFields(), false},
	} {
		if got := UnsignedPOST(tc.fields); got != tc.want {
			t.Errorf("UnsignedPOST(%q) = %v", tc.fields, got)
		}
	}
}

// FuzzVerifyPOST: VerifyPOST never panics, answers with S3 errors other
// than InternalError, and accepts only the test key's real signature.
func FuzzVerifyPOST(f *testing.F) {
	good := postFields()
	f.Add(good["x-amz-algorithm"], good["x-amz-credential"], good["x-amz-date"], good["x-amz-signature"], good["policy"])
	f.Add("", "", "", "", "")
	f.Add(Algorithm, "a/b/c/d/e", "x", "y", "z")
	f.Add(Algorithm, "//////", "20240517T123045Z", strings.Repeat("0", 64), "")
	f.Fuzz(func(t *testing.T, alg, cred, date, sig, policy string) {
		fields := map[string]string{"x-amz-algorithm": alg, "x-amz-credential": cred, "x-amz-date": date, "x-amz-signature": sig, "policy": policy}
		ak, err := newVerifier(signTime).VerifyPOST(context.Background(), fields)
		checkVerifyResult(t, ak, err)
		if err == nil && sig != signPOST(testSecret, date[:8], testRegion, policy) {
			t.Fatalf("accepted signature %q", sig)
		}
	})
}
