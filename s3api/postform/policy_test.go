package postform

import (
	"encoding/base64"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/s3api/s3err"
)

// b64 encodes a policy document.
func b64(doc string) string { return base64.StdEncoding.EncodeToString([]byte(doc)) }

// awsExamplePolicy is the policy of AWS's "Example: Browser-Based Upload
// using HTTP POST (Using AWS Signature Version 4)", byte for byte (CRLF
// line ends, the blank line included).
const awsExamplePolicy = "{ \"expiration\": \"2015-12-30T12:00:00.000Z\",\r\n" +
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

// awsExampleFields are the fields of AWS's example form as Read returns
// them, plus the bucket and the expanded key a handler sets.
func awsExampleFields() map[string]string {
	return map[string]string{
		"bucket":                       "sigv4examplebucket",
		"key":                          "user/user1/MyPicture.jpg",
		"acl":                          "public-read",
		"success_action_redirect":      "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
		"content-type":                 "image/jpeg",
		"x-amz-meta-uuid":              "14365123651274",
		"x-amz-server-side-encryption": "AES256",
		"x-amz-credential":             "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
		"x-amz-algorithm":              "AWS4-HMAC-SHA256",
		"x-amz-date":                   "20151229T000000Z",
		"x-amz-meta-tag":               "",
		"policy":                       b64(awsExamplePolicy),
		"x-amz-signature":              "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e",
	}
}

func TestParsePolicyAWSExample(t *testing.T) {
	if len(awsExamplePolicy) != 648 {
		t.Fatalf("example policy is %d bytes; AWS's is 648", len(awsExamplePolicy))
	}
	p, err := ParsePolicy(b64(awsExamplePolicy))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2015, 12, 30, 12, 0, 0, 0, time.UTC); !p.Expiration.Equal(want) {
		t.Errorf("expiration %v; want %v", p.Expiration, want)
	}
	want := []Condition{
		{Op: OpEq, Field: "$bucket", Value: "sigv4examplebucket"},
		{Op: OpStartsWith, Field: "$key", Value: "user/user1/"},
		{Op: OpEq, Field: "$acl", Value: "public-read"},
		{Op: OpEq, Field: "$success_action_redirect", Value: "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"},
		{Op: OpStartsWith, Field: "$Content-Type", Value: "image/"},
		{Op: OpEq, Field: "$x-amz-meta-uuid", Value: "14365123651274"},
		{Op: OpEq, Field: "$x-amz-server-side-encryption", Value: "AES256"},
		{Op: OpStartsWith, Field: "$x-amz-meta-tag", Value: ""},
		{Op: OpEq, Field: "$x-amz-credential", Value: "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},
		{Op: OpEq, Field: "$x-amz-algorithm", Value: "AWS4-HMAC-SHA256"},
		{Op: OpEq, Field: "$x-amz-date", Value: "20151229T000000Z"},
	}
	if len(p.Conditions) != len(want) {
		t.Fatalf("conditions %+v", p.Conditions)
	}
	for i := range want {
		if p.Conditions[i] != want[i] {
			t.Errorf("condition %d: %+v; want %+v", i, p.Conditions[i], want[i])
		}
	}
	if _, _, ok := p.LengthRange(); ok {
		t.Error("LengthRange ok without a content-length-range")
	}
	if err := p.Check(awsExampleFields(), time.Date(2015, 12, 29, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestParsePolicy(t *testing.T) {
	const exp = `"expiration": "2030-01-01T00:00:00Z"`
	tests := []struct {
		name, policy string // policy is JSON, base64-encoded by the test, unless raw
		raw          bool
		want         *Policy // nil: an error
		msg          string  // for errors
	}{
		{
			name:   "every condition type",
			policy: `{` + exp + `, "conditions": [{"acl": "private"}, ["eq", "$key", "k"], ["starts-with", "$Content-Type", "image/"], ["content-length-range", 1, 10]]}`,
			want: &Policy{Expiration: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Conditions: []Condition{
				{Op: OpEq, Field: "$acl", Value: "private"},
				{Op: OpEq, Field: "$key", Value: "k"},
				{Op: OpStartsWith, Field: "$Content-Type", Value: "image/"},
				{Op: OpContentLengthRange, Min: 1, Max: 10},
			}},
		},
		{
			name:   "operations in any case, bounds as strings",
			policy: `{` + exp + `, "conditions": [["StArTs-WiTh", "$KeY", "foo"], ["EQ", "$acl", "x"], ["Content-Length-Range", "5", "10"]]}`,
			want: &Policy{Expiration: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Conditions: []Condition{
				{Op: OpStartsWith, Field: "$KeY", Value: "foo"},
				{Op: OpEq, Field: "$acl", Value: "x"},
				{Op: OpContentLengthRange, Min: 5, Max: 10},
			}},
		},
		{
			name:   "fractional seconds, members in any order, no conditions",
			policy: `{"conditions": [], "expiration": "2030-01-01T00:00:00.250Z"}`,
			want:   &Policy{Expiration: time.Date(2030, 1, 1, 0, 0, 0, 250e6, time.UTC), Conditions: []Condition{}},
		},
		{
			name:   "a field without $ is kept as written",
			policy: `{` + exp + `, "conditions": [["eq", "acl", "x"]]}`,
			want:   &Policy{Expiration: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Conditions: []Condition{{Op: OpEq, Field: "acl", Value: "x"}}},
		},
		{name: "bad base64", policy: "not base64!", raw: true, msg: "Invalid Policy: invalid Base64 encoding."},
		{name: "empty", policy: "", raw: true, msg: "Invalid Policy: Invalid JSON."},
		{name: "malformed JSON", policy: `{` + exp + `, "conditions": [`, msg: "Invalid Policy: Invalid JSON."},
		{name: "trailing comma", policy: `{` + exp + `, "conditions": [{"acl": "x"},]}`, msg: "Invalid Policy: Invalid JSON."},
		{name: "\\$ escape", policy: `{` + exp + `, "conditions": [["starts-with", "$key", "\$foo"]]}`, msg: "Invalid Policy: Invalid JSON."},
		{name: "trailing data", policy: `{` + exp + `, "conditions": []} {}`, msg: "Invalid Policy: Invalid JSON."},
		{name: "not an object", policy: `[]`, msg: "Invalid Policy: Invalid JSON."},
		{name: "null", policy: `null`, msg: "Invalid Policy: Invalid JSON."},
		{name: "missing expiration", policy: `{"conditions": []}`, msg: "Invalid Policy: Policy missing expiration."},
		{name: "missing conditions", policy: `{` + exp + `}`, msg: "Invalid Policy: Policy missing conditions."},
		{name: "EXPIRATION is not expiration", policy: `{"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []}`, msg: "Invalid Policy: Unexpected: 'expiration'"},
		{name: "CONDITIONS is not conditions", policy: `{` + exp + `, "CONDITIONS": []}`, msg: "Invalid Policy: Unexpected: 'conditions'"},
		{name: "unexpected member", policy: `{"Version": "2012-10-17", ` + exp + `, "conditions": []}`, msg: "Invalid Policy: Unexpected: 'version'"},
		{name: "duplicate expiration", policy: `{` + exp + `, ` + exp + `, "conditions": []}`, msg: "Duplicate 'expiration'"},
		{name: "duplicate conditions", policy: `{` + exp + `, "conditions": [], "conditions": []}`, msg: "Duplicate 'conditions'"},
		{name: "expiration with an offset", policy: `{"expiration": "2011-09-13T07:52:58+02:00", "conditions": []}`, msg: "Invalid Policy: Invalid 'expiration' value: '2011-09-13T07:52:58+02:00'"},
		{name: "expiration with a space", policy: `{"expiration": "2015-10-17 03:15:59 UTC", "conditions": []}`, msg: "Invalid 'expiration' value: '2015-10-17 03:15:59 UTC'"},
		{name: "expiration not a string", policy: `{"expiration": 1700000000, "conditions": []}`, msg: "Invalid 'expiration' value: must be a string."},
		{name: "conditions not a list", policy: `{` + exp + `, "conditions": {"acl": "x"}}`, msg: "Invalid Policy: Invalid 'conditions' value: must be a List."},
		{name: "conditions null", policy: `{` + exp + `, "conditions": null}`, msg: "must be a List."},
		{name: "empty simple condition", policy: `{` + exp + `, "conditions": [{}]}`, msg: "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."},
		{name: "two properties", policy: `{` + exp + `, "conditions": [{"bucket": "b", "acl": "x"}]}`, msg: "Simple-Conditions must have exactly one property specified."},
		{name: "two properties of one name", policy: `{` + exp + `, "conditions": [{"acl": "a", "acl": "b"}]}`, msg: "Simple-Conditions must have exactly one property specified."},
		{name: "simple value a number", policy: `{` + exp + `, "conditions": [{"Content-Length": 6199034}]}`, msg: "Invalid Policy: Invalid Simple-Condition: value must be a string."},
		{name: "simple value null", policy: `{` + exp + `, "conditions": [{"acl": null}]}`, msg: "value must be a string."},
		{name: "condition a string", policy: `{` + exp + `, "conditions": ["acl"]}`, msg: "Invalid Policy: Invalid condition test: must be a List or Object."},
		{name: "empty array condition", policy: `{` + exp + `, "conditions": [[]]}`, msg: "Invalid Policy: Invalid Condition: missing operation identifier."},
		{name: "operation not a string", policy: `{` + exp + `, "conditions": [[1, "$key", "x"]]}`, msg: "missing operation identifier."},
		{name: "unknown operation", policy: `{` + exp + `, "conditions": [["ends-with", "$key", "x"]]}`, msg: "Invalid Policy: Invalid Condition: unknown operation 'ends-with'."},
		{name: "eq with two items", policy: `{` + exp + `, "conditions": [["eq", "$key"]]}`, msg: "Invalid Policy: Invalid eq: wrong number of arguments."},
		{name: "starts-with with four items", policy: `{` + exp + `, "conditions": [["starts-with", "$key", "a", "b"]]}`, msg: "Invalid starts-with: wrong number of arguments."},
		{name: "eq with a number", policy: `{` + exp + `, "conditions": [["eq", "$key", 5]]}`, msg: "Invalid eq: the field name and value must be strings."},
		{name: "range with one bound", policy: `{` + exp + `, "conditions": [["content-length-range", 0]]}`, msg: "Invalid content-length-range: wrong number of arguments."},
		{name: "negative bound", policy: `{` + exp + `, "conditions": [["content-length-range", -1, 0]]}`, msg: "Invalid content-length-range: the bounds must be whole numbers"},
		{name: "float bound", policy: `{` + exp + `, "conditions": [["content-length-range", 0, 512.0]]}`, msg: "the bounds must be whole numbers"},
		{name: "exponent bound", policy: `{` + exp + `, "conditions": [["content-length-range", 0, 1e3]]}`, msg: "the bounds must be whole numbers"},
		{name: "word bound", policy: `{` + exp + `, "conditions": [["content-length-range", "test", "10"]]}`, msg: "the bounds must be whole numbers"},
		{name: "bound too large", policy: `{` + exp + `, "conditions": [["content-length-range", 0, 99999999999999999999]]}`, msg: "the bounds must be whole numbers"},
		{name: "min above max", policy: `{` + exp + `, "conditions": [["content-length-range", 10, 5]]}`, msg: "Invalid content-length-range: the minimum 10 is larger than the maximum 5."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.policy
			if !tc.raw {
				in = b64(in)
			}
			p, err := ParsePolicy(in)
			if tc.want == nil {
				wantErr(t, err, s3err.InvalidPolicyDocument, tc.msg)
				return
			}
			if err != nil {
				t.Fatalf("ParsePolicy: %v", err)
			}
			if !p.Expiration.Equal(tc.want.Expiration) || len(p.Conditions) != len(tc.want.Conditions) {
				t.Fatalf("got %+v; want %+v", p, tc.want)
			}
			for i := range p.Conditions {
				if p.Conditions[i] != tc.want.Conditions[i] {
					t.Errorf("condition %d: %+v; want %+v", i, p.Conditions[i], tc.want.Conditions[i])
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	const exp = `"expiration": "2030-01-01T00:00:00Z"`
	// base covers the fields every case sends.
	const base = `{"bucket": "b"}, ["starts-with", "$key", "user/"], `
	fields := func(kv ...string) map[string]string {
		m := map[string]string{"bucket": "b", "key": "user/photo.jpg", "policy": "p", "x-amz-signature": "s"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	const failed = "Invalid according to Policy: Policy Condition failed: "
	tests := []struct {
		name       string
		conditions string // inside the conditions array, after base
		noBase     bool   // leave base out
		fields     map[string]string
		now        time.Time
		msg        string // "" when Check passes
	}{
		{name: "all hold", conditions: `{"acl": "private"}`, fields: fields("acl", "private")},
		{name: "at the expiration instant", conditions: `{"acl": "x"}`, fields: fields("acl", "x"), now: now},
		{name: "expired", conditions: `{"acl": "x"}`, fields: fields("acl", "x"), now: now.Add(time.Millisecond),
			msg: "Invalid according to Policy: Policy expired."},
		{name: "eq fails", conditions: `["eq", "$acl", "public-read"]`, fields: fields("acl", "private"),
			msg: failed + `["eq", "$acl", "public-read"]`},
		{name: "simple condition fails, quoted as eq", conditions: `{"acl": "public-read"}`, fields: fields("acl", "private"),
			msg: failed + `["eq", "$acl", "public-read"]`},
		{name: "key checked after ${filename}", conditions: `["eq", "$key", "user/${filename}"]`, fields: fields(),
			msg: failed + `["eq", "$key", "user/${filename}"]`},
		{name: "key prefix fails", conditions: `{"acl": "x"}`, fields: fields("key", "other/photo.jpg", "acl", "x"),
			msg: failed + `["starts-with", "$key", "user/"]`},
		{name: "values are case-sensitive", conditions: `{"acl": "private"}`, fields: fields("acl", "Private"),
			msg: failed + `["eq", "$acl", "private"]`},
		{name: "starts-with prefix is case-sensitive", conditions: `["starts-with", "$x-amz-meta-a", "abc"]`, fields: fields("x-amz-meta-a", "ABCdef"),
			msg: failed + `["starts-with", "$x-amz-meta-a", "abc"]`},
		{name: "condition names match without case", conditions: `{"AcL": "x"}, ["eq", "$X-AMZ-META-TEST-2", "v"], ["starts-with", "$success_Action_REDIRECT", "http://"]`,
			fields: fields("acl", "x", "x-amz-meta-test-2", "v", "success_action_redirect", "http://example.com/")},
		{name: "starts-with empty matches anything", conditions: `["starts-with", "$success_action_redirect", ""]`, fields: fields("success_action_redirect", "anything at all")},
		{name: "starts-with empty matches empty", conditions: `["starts-with", "$x-amz-meta-tag", ""]`, fields: fields("x-amz-meta-tag", "")},
		{name: "a condition on an absent field fails", conditions: `["starts-with", "$Content-Type", ""]`, fields: fields(),
			msg: failed + `["starts-with", "$Content-Type", ""]`},
		{name: "field without $ fails", conditions: `["eq", "success_action_redirect", "http://x/"]`, fields: fields("success_action_redirect", "http://x/"),
			msg: failed + `["eq", "success_action_redirect", "http://x/"]`},
		{name: "Content-Type list, each value", conditions: `["starts-with", "$Content-Type", "image/"]`, fields: fields("content-type", "image/jpg,image/png, image/gif")},
		{name: "Content-Type list, one value fails", conditions: `["starts-with", "$Content-Type", "image/"]`, fields: fields("content-type", "image/jpg,text/plain"),
			msg: failed + `["starts-with", "$Content-Type", "image/"]`},
		{name: "Content-Type eq is the whole value", conditions: `["eq", "$Content-Type", "image/jpg"]`, fields: fields("content-type", "image/jpg,image/png"),
			msg: failed + `["eq", "$Content-Type", "image/jpg"]`},
		{name: "other fields are one string, commas and all", conditions: `["starts-with", "$x-amz-meta-tag", "a"]`, fields: fields("x-amz-meta-tag", "a,b")},
		{name: "other fields: prefix before the comma only", conditions: `["starts-with", "$x-amz-meta-tag", "a"]`, fields: fields("x-amz-meta-tag", "b,a"),
			msg: failed + `["starts-with", "$x-amz-meta-tag", "a"]`},
		{name: "several conditions on one field, all must hold", conditions: `["starts-with", "$x-amz-meta-a", "ab"], ["eq", "$x-amz-meta-a", "abd"]`, fields: fields("x-amz-meta-a", "abc"),
			msg: failed + `["eq", "$x-amz-meta-a", "abd"]`},
		{name: "every field kind", conditions: `{"acl": "public-read"}, ["starts-with", "$Cache-Control", "max-age"], {"Content-Disposition": "attachment"}, ["eq", "$Content-Encoding", "gzip"], ["starts-with", "$Expires", ""], {"success_action_status": "201"}, ["starts-with", "$success_action_redirect", "https://"], ["starts-with", "$x-amz-meta-uuid", ""], {"x-amz-storage-class": "STANDARD"}, {"x-amz-date": "20300101T000000Z"}, ["content-length-range", 0, 10]`,
			fields: fields("acl", "public-read", "cache-control", "max-age=60", "content-disposition", "attachment", "content-encoding", "gzip",
				"expires", "Thu, 01 Dec 1994 16:00:00 GMT", "success_action_status", "201", "success_action_redirect", "https://x/",
				"x-amz-meta-uuid", "1", "x-amz-storage-class", "STANDARD", "x-amz-date", "20300101T000000Z")},
		{name: "message keeps < > & and escapes quotes", conditions: `{"Content-Disposition": "filename=\"a&b<c>.png\""}`, fields: fields("content-disposition", "inline"),
			msg: failed + `["eq", "$Content-Disposition", "filename=\"a&b<c>.png\""]`},
		{name: "extra input field", conditions: `{"acl": "x"}`, fields: fields("acl", "x", "filename", "a.txt"),
			msg: "Invalid according to Policy: Extra input fields: filename"},
		{name: "extra fields: the first in sort order", conditions: ``, fields: fields("zeta", "1", "alpha", "2"),
			msg: "Invalid according to Policy: Extra input fields: alpha"},
		{name: "bucket needs a condition", conditions: `["starts-with", "$key", ""]`, noBase: true, fields: map[string]string{"bucket": "b", "key": "k"},
			msg: "Invalid according to Policy: Extra input fields: bucket"},
		{name: "x-ignore-, policy, x-amz-signature and file need none", conditions: `{"acl": "x"}`,
			fields: fields("acl", "x", "x-ignore-foo", "bar", "x-ignore-", "", "file", "f")},
		{name: "content-length-range names no field", conditions: `["content-length-range", 0, 10]`, fields: fields("content-length-range", "5"),
			msg: "Invalid according to Policy: Extra input fields: content-length-range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conds := tc.conditions
			if !tc.noBase {
				conds = strings.TrimSuffix(strings.TrimSpace(base+conds), ",")
			}
			p, err := ParsePolicy(b64(`{` + exp + `, "conditions": [` + conds + `]}`))
			if err != nil {
				t.Fatalf("ParsePolicy: %v", err)
			}
			when := tc.now
			if when.IsZero() {
				when = now.Add(-time.Hour)
			}
			in := maps.Clone(tc.fields)
			err = p.Check(tc.fields, when)
			if !maps.Equal(in, tc.fields) {
				t.Error("Check changed the fields")
			}
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			wantErr(t, err, s3err.AccessDenied, "")
			if got := messageOf(err); got != tc.msg {
				t.Fatalf("message %s\nwant    %s", got, tc.msg)
			}
		})
	}
}

func TestCheckExpandedKey(t *testing.T) {
	p, err := ParsePolicy(b64(`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"bucket": "b"}, ["starts-with", "$key", "user/betty/"]]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, boundary := buildForm(t, field("key", "user/betty/${filename}"), fileNamed(`C:\pics\lolcatz.jpg`, "x"))
	f, err := readForm(body, boundary)
	if err != nil {
		t.Fatal(err)
	}
	key, err := Key(f.Fields, f.Filename)
	if err != nil || key != "user/betty/lolcatz.jpg" {
		t.Fatalf("Key %q, %v", key, err)
	}
	f.Fields["bucket"], f.Fields["key"] = "b", key
	if err := p.Check(f.Fields, time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatalf("Check: %v", err)
	}
	f.Fields["bucket"] = "other" // the policy is for bucket b only
	wantErr(t, p.Check(f.Fields, time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)), s3err.AccessDenied, `Policy Condition failed: ["eq", "$bucket", "b"]`)
}

func TestLengthRange(t *testing.T) {
	tests := []struct {
		conditions string
		min, max   int64
		ok         bool
	}{
		{`{"acl": "x"}`, 0, 0, false},
		{`["content-length-range", 1048576, 10485760]`, 1048576, 10485760, true},
		{`["content-length-range", 0, 0]`, 0, 0, true},
		{`["content-length-range", "5", "10"]`, 5, 10, true},
		{`["content-length-range", 0, 100], {"acl": "x"}, ["content-length-range", 10, 1000]`, 10, 100, true},
		{`["content-length-range", 0, 5], ["content-length-range", 10, 20]`, 10, 5, true},
		{`["content-length-range", 0, 9223372036854775807]`, 0, 1<<63 - 1, true},
	}
	for _, tc := range tests {
		p, err := ParsePolicy(b64(`{"expiration": "2030-01-01T00:00:00Z", "conditions": [` + tc.conditions + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", tc.conditions, err)
		}
		min, max, ok := p.LengthRange()
		if min != tc.min || max != tc.max || ok != tc.ok {
			t.Errorf("%s: %d, %d, %v; want %d, %d, %v", tc.conditions, min, max, ok, tc.min, tc.max, tc.ok)
		}
	}
}

func TestConditionString(t *testing.T) {
	for _, tc := range []struct {
		c    Condition
		want string
	}{
		{Condition{Op: OpEq, Field: "$key", Value: "x"}, `["eq", "$key", "x"]`},
		{Condition{Op: OpStartsWith, Field: "$Content-Type", Value: "image/"}, `["starts-with", "$Content-Type", "image/"]`},
		{Condition{Op: OpContentLengthRange, Min: 5, Max: 10}, `["content-length-range", 5, 10]`},
		{Condition{Op: OpEq, Field: "$x", Value: "a\"b\\c\n<&>é"}, `["eq", "$x", "a\"b\\c\n<&>é"]`},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("%+v: %s; want %s", tc.c, got, tc.want)
		}
	}
}
