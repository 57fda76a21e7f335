package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// doc wraps statements (JSON objects, comma-separated) into a policy.
func doc(statements string) string {
	return `{"Version":"2012-10-17","Statement":[` + statements + `]}`
}

func TestParseRefuses(t *testing.T) {
	const ok = `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	for _, tc := range []struct {
		name, doc, msg string
	}{
		{"empty", ``, "first byte must be '{'"},
		{"array", `[]`, "first byte must be '{'"},
		{"not json", `{"Version":`, "invalid Json"},
		{"trailing data", doc(ok) + `{}`, "invalid Json"},
		{"bad version", `{"Version":"2020-01-01","Statement":[` + ok + `]}`, "valid version"},
		{"version not string", `{"Version":1,"Statement":[` + ok + `]}`, "valid version"},
		{"unknown top field", `{"Version":"2012-10-17","Foo":1,"Statement":[` + ok + `]}`, "Unknown field Foo"},
		{"no statement", `{"Version":"2012-10-17"}`, "Missing required field Statement"},
		{"empty statement", `{"Version":"2012-10-17","Statement":[]}`, "Statement is empty"},
		{"statement not object", doc(`"x"`), "must be an object"},
		{"no effect", doc(`{"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Missing required field Effect"},
		{"bad effect", doc(`{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Invalid effect"},
		{"no principal", doc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Missing required field Principal"},
		{"both principals", doc(`{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "both Principal and NotPrincipal"},
		{"principal string", doc(`{"Effect":"Allow","Principal":"alice","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Invalid principal"},
		{"principal account id", doc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Invalid principal"},
		{"principal root", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Invalid principal"},
		{"principal bad name", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/a b"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Invalid principal"},
		{"principal wildcard user", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Invalid principal"},
		{"principal kind", doc(`{"Effect":"Allow","Principal":{"Users":"x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Invalid principal"},
		{"canonical id", doc(`{"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "canonical user ID"},
		{"no action", doc(`{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::b/*"}`), "Missing required field Action"},
		{"unknown action", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::b/*"}`), "invalid action"},
		{"other service", doc(`{"Effect":"Allow","Principal":"*","Action":"iam:*","Resource":"arn:aws:s3:::b/*"}`), "invalid action"},
		{"wildcard matching nothing", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:Frob*","Resource":"arn:aws:s3:::b/*"}`), "invalid action"},
		{"action number", doc(`{"Effect":"Allow","Principal":"*","Action":[1],"Resource":"arn:aws:s3:::b/*"}`), "invalid action"},
		{"action empty list", doc(`{"Effect":"Allow","Principal":"*","Action":[],"Resource":"arn:aws:s3:::b/*"}`), "non-empty array"},
		{"no resource", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}`), "Missing required field Resource"},
		{"other bucket", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::c/*"}`), "invalid resource"},
		{"not an s3 arn", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"b/*"}`), "invalid resource"},
		{"bucket prefix only", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bb"}`), "invalid resource"},
		{"object action on bucket", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}`), "does not apply to any resource"},
		{"bucket action on objects", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/*"}`), "does not apply to any resource"},
		{"unknown statement field", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Foo":1}`), "Unknown field Foo"},
		{"lower-case field", doc(`{"effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Unknown field effect"},
		{"duplicate sid", doc(`{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"a","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "must be unique"},
		{"bad operator", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualz":{"aws:SourceIp":"x"}}}`), "Invalid Condition type"},
		{"condition not object", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":["x"]}`), "Condition must be an object"},
		{"unsupported key", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/x":"y"}}}`), "invalid condition key"},
		{"unknown key", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:Nonsense":"y"}}}`), "invalid condition key"},
		{"bad cidr", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), "Invalid IP address"},
		{"bad number", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}`), "Invalid numeric value"},
		{"bad date", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}`), "Invalid date value"},
		{"bad bool", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`), "Invalid boolean value"},
		{"empty values", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:UserAgent":[]}}}`), "non-empty array"},
		{"qualified null", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:Null":{"aws:UserAgent":"true"}}}`), "Invalid Condition type"},
		{"unterminated variable", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username"}`), "invalid resource"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "b")
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, want a *policy.Error", err)
			}
			if !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("message %q does not say %q", pe.Msg, tc.msg)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, d := range []string{
		// A single statement object, 2008 version, Id, Sid.
		`{"Version":"2008-10-17","Id":"x","Statement":{"Sid":"1","Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
		// No version at all (2008 semantics), leading whitespace.
		"\n  " + `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`,
		doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice","CanonicalUser":"` + strings.Repeat("ab", 32) + `"},"Action":["s3:List*","s3:Get*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`),
		doc(`{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/logs/*"}`),
		doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam:::user/bob"},"NotAction":"s3:DeleteObject","NotResource":"arn:aws:s3:::b/private/*"}`),
		doc(`{"Effect":"Allow","Principal":"*","Action":"S3:GETOBJECT","Resource":"arn:aws:s3:::*"}`),
		doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}`),
		doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:TlsVersion":1.2},"IpAddressIfExists":{"aws:SourceIp":["10.0.0.0/8","::1"]},"ForAnyValue:StringLike":{"aws:UserAgent":"*curl*"},"Null":{"s3:prefix":"true"},"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}}`),
	} {
		if _, err := Parse([]byte(d), "b"); err != nil {
			t.Errorf("Parse(%s): %v", d, err)
		}
	}
}

var (
	alice = Principal{User: "alice", CanonicalID: strings.Repeat("a1", 32)}
	bob   = Principal{User: "bob", CanonicalID: strings.Repeat("b2", 32)}
	anon  = Principal{Anonymous: true}
)

func TestEvaluate(t *testing.T) {
	const publicRead = `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		policy   string
		who      Principal
		action   string
		resource string
		ctx      map[string]string
		want     Decision
	}{
		{"public read, anonymous", doc(publicRead), anon, "s3:GetObject", "arn:aws:s3:::b/v.mp4", nil, Allow},
		{"public read, signed", doc(publicRead), bob, "s3:GetObject", "arn:aws:s3:::b/v.mp4", nil, Allow},
		{"public read, put", doc(publicRead), anon, "s3:PutObject", "arn:aws:s3:::b/v.mp4", nil, NoMatch},
		{"public read, bucket", doc(publicRead), anon, "s3:ListBucket", "arn:aws:s3:::b", nil, NoMatch},
		{"action case", doc(publicRead), anon, "S3:GETOBJECT", "arn:aws:s3:::b/x", nil, Allow},
		{"user principal", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/bob"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), bob, "s3:PutObject", "arn:aws:s3:::b/x", nil, Allow},
		{"user principal, other user", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/bob"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), alice, "s3:PutObject", "arn:aws:s3:::b/x", nil, NoMatch},
		{"user principal, anonymous", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/bob"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), anon, "s3:PutObject", "arn:aws:s3:::b/x", nil, NoMatch},
		{"canonical principal", doc(`{"Effect":"Allow","Principal":{"CanonicalUser":"` + strings.ToUpper(bob.CanonicalID) + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), bob, "s3:GetObject", "arn:aws:s3:::b/x", nil, Allow},
		{"service principal matches no one", doc(`{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), bob, "s3:GetObject", "arn:aws:s3:::b/x", nil, NoMatch},
		{"deny wins", doc(publicRead + `,{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}`), bob, "s3:GetObject", "arn:aws:s3:::b/secret/x", nil, Deny},
		{"deny order does not matter", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"},` + publicRead), bob, "s3:GetObject", "arn:aws:s3:::b/secret/x", nil, Deny},
		{"deny elsewhere", doc(publicRead + `,{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}`), bob, "s3:GetObject", "arn:aws:s3:::b/public/x", nil, Allow},
		{"action wildcard", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}`), anon, "s3:GetObjectTagging", "arn:aws:s3:::b/x", nil, Allow},
		{"action wildcard miss", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}`), anon, "s3:PutObject", "arn:aws:s3:::b/x", nil, NoMatch},
		{"resource wildcard", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/videos/*.mp4"}`), anon, "s3:GetObject", "arn:aws:s3:::b/videos/2026/a.mp4", nil, Allow},
		{"resource wildcard miss", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/videos/*.mp4"}`), anon, "s3:GetObject", "arn:aws:s3:::b/videos/a.mkv", nil, NoMatch},
		{"not principal", doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam:::user/alice"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), bob, "s3:GetObject", "arn:aws:s3:::b/x", nil, Deny},
		{"not principal, named", doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam:::user/alice"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), alice, "s3:GetObject", "arn:aws:s3:::b/x", nil, NoMatch},
		{"not principal, anonymous", doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam:::user/alice"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", nil, Deny},
		{"not action", doc(`{"Effect":"Deny","Principal":"*","NotAction":["s3:Get*","s3:List*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`), bob, "s3:DeleteObject", "arn:aws:s3:::b/x", nil, Deny},
		{"not action, listed", doc(`{"Effect":"Deny","Principal":"*","NotAction":["s3:Get*","s3:List*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`), bob, "s3:ListBucket", "arn:aws:s3:::b", nil, NoMatch},
		{"not resource", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/private/*"}`), anon, "s3:GetObject", "arn:aws:s3:::b/pub", nil, Allow},
		{"not resource, listed", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/private/*"}`), anon, "s3:GetObject", "arn:aws:s3:::b/private/x", nil, NoMatch},
		{"username variable", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}`), bob, "s3:PutObject", "arn:aws:s3:::b/home/bob/x", map[string]string{"aws:username": "bob"}, Allow},
		{"username variable, other home", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}`), bob, "s3:PutObject", "arn:aws:s3:::b/home/alice/x", map[string]string{"aws:username": "bob"}, NoMatch},
		{"username variable, anonymous", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}`), anon, "s3:PutObject", "arn:aws:s3:::b/home/${aws:username}/x", nil, NoMatch},
		{"variable in 2008 is text", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}]}`, bob, "s3:PutObject", "arn:aws:s3:::b/home/${aws:username}/x", map[string]string{"aws:username": "bob"}, Allow},
		{"source ip in", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", map[string]string{"aws:sourceip": "127.0.0.2"}, Allow},
		{"source ip out", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", map[string]string{"aws:sourceip": "10.1.1.1"}, NoMatch},
		{"source ip single", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.1","::1"]}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", map[string]string{"aws:sourceip": "::1"}, Allow},
		{"not ip deny", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}}`), alice, "s3:GetObject", "arn:aws:s3:::b/x", map[string]string{"aws:sourceip": "192.0.2.7"}, Deny},
		{"not ip deny, inside", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}}`), alice, "s3:GetObject", "arn:aws:s3:::b/x", map[string]string{"aws:sourceip": "127.9.9.9"}, NoMatch},
		{"secure transport deny", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), alice, "s3:PutObject", "arn:aws:s3:::b/x", map[string]string{"aws:securetransport": "false"}, Deny},
		{"secure transport, https", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":false}}}`), alice, "s3:PutObject", "arn:aws:s3:::b/x", map[string]string{"aws:securetransport": "true"}, NoMatch},
		{"prefix equals", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"s3:prefix":["public/",""]}}}`), anon, "s3:ListBucket", "arn:aws:s3:::b", map[string]string{"s3:prefix": "public/"}, Allow},
		{"prefix other", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"s3:prefix":["public/",""]}}}`), anon, "s3:ListBucket", "arn:aws:s3:::b", map[string]string{"s3:prefix": "private/"}, NoMatch},
		{"prefix missing, positive", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"public/*"}}}`), anon, "s3:ListBucket", "arn:aws:s3:::b", nil, NoMatch},
		{"prefix missing, negated", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringNotLike":{"s3:prefix":"public/*"}}}`), bob, "s3:ListBucket", "arn:aws:s3:::b", nil, Deny},
		{"prefix missing, if exists", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLikeIfExists":{"s3:prefix":"public/*"}}}`), anon, "s3:ListBucket", "arn:aws:s3:::b", nil, Allow},
		{"negated, several values", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"s3:x-amz-storage-class":["STANDARD","REDUCED_REDUNDANCY"]}}}`), bob, "s3:PutObject", "arn:aws:s3:::b/x", map[string]string{"s3:x-amz-storage-class": "REDUCED_REDUNDANCY"}, NoMatch},
		{"negated, other value", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"s3:x-amz-storage-class":["STANDARD","REDUCED_REDUNDANCY"]}}}`), bob, "s3:PutObject", "arn:aws:s3:::b/x", map[string]string{"s3:x-amz-storage-class": "GLACIER"}, Deny},
		{"ignore case", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualsIgnoreCase":{"s3:x-amz-acl":"Private"}}}`), bob, "s3:PutObject", "arn:aws:s3:::b/x", map[string]string{"s3:x-amz-acl": "PRIVATE"}, Allow},
		{"string equals is exact", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:x-amz-acl":"private"}}}`), bob, "s3:PutObject", "arn:aws:s3:::b/x", map[string]string{"s3:x-amz-acl": "PRIVATE"}, NoMatch},
		{"string equals star is literal", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:UserAgent":"*"}}}`), bob, "s3:PutObject", "arn:aws:s3:::b/x", map[string]string{"aws:useragent": "curl"}, NoMatch},
		{"condition variable", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}`), bob, "s3:ListBucket", "arn:aws:s3:::b", map[string]string{"s3:prefix": "home/bob/x", "aws:username": "bob"}, Allow},
		{"numeric", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"NumericGreaterThan":{"s3:max-keys":100}}}`), bob, "s3:ListBucket", "arn:aws:s3:::b", map[string]string{"s3:max-keys": "1000"}, Deny},
		{"numeric below", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"NumericGreaterThan":{"s3:max-keys":100}}}`), bob, "s3:ListBucket", "arn:aws:s3:::b", map[string]string{"s3:max-keys": "100"}, NoMatch},
		{"numeric unparsable request value", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"NumericGreaterThan":{"s3:max-keys":100}}}`), bob, "s3:ListBucket", "arn:aws:s3:::b", map[string]string{"s3:max-keys": "lots"}, NoMatch},
		{"date before", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", nil, Allow},
		{"date after", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-12-01"}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", nil, NoMatch},
		{"epoch", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NumericGreaterThanEquals":{"aws:EpochTime":1796644800}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", nil, Allow},
		{"null true", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Null":{"aws:username":"true"}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", nil, Deny},
		{"null true, present", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Null":{"aws:username":"true"}}}`), bob, "s3:GetObject", "arn:aws:s3:::b/x", map[string]string{"aws:username": "bob"}, NoMatch},
		{"for any value, missing", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringNotEquals":{"aws:UserAgent":"x"}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", nil, NoMatch},
		{"for all values, missing", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAllValues:StringEquals":{"aws:UserAgent":"x"}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", nil, Allow},
		{"all conditions must hold", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"},"StringLike":{"aws:Referer":"https://video.example/*"}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", map[string]string{"aws:sourceip": "127.0.0.1", "aws:referer": "https://evil.example/"}, NoMatch},
		{"all conditions hold", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"},"StringLike":{"aws:Referer":"https://video.example/*"}}}`), anon, "s3:GetObject", "arn:aws:s3:::b/x", map[string]string{"aws:sourceip": "127.0.0.1", "aws:referer": "https://video.example/watch"}, Allow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.policy), "b")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := p.Evaluate(Request{Principal: tc.who, Action: tc.action, Resource: tc.resource, Context: tc.ctx, Now: now})
			if got != tc.want {
				t.Errorf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIsPublic(t *testing.T) {
	for _, tc := range []struct {
		name, statements string
		want             bool
	}{
		{"public read", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`, true},
		{"AWS star", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`, true},
		{"deny only", `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`, false},
		{"named user", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`, false},
		{"not principal", `{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam:::user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`, true},
		{"source ip", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`, false},
		{"source ip everywhere", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}`, true},
		{"not ip", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`, true},
		{"user agent", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:UserAgent":"player*"}}}`, true},
		{"fixed username", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:username":"bob"}}}`, false},
		{"wildcard username", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:username":"*"}}}`, true},
		{"one public of two", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/bob"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(doc(tc.statements)), "b")
			if err != nil {
				t.Fatal(err)
			}
			if p.IsPublic() != tc.want {
				t.Errorf("IsPublic = %v, want %v", p.IsPublic(), tc.want)
			}
		})
	}
}

func TestUsers(t *testing.T) {
	p, err := Parse([]byte(doc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/carol","arn:aws:iam::1:user/bob"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam:::user/bob"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}`)), "b")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Users(), ","); got != "bob,carol" {
		t.Errorf("Users = %s, want bob,carol", got)
	}
}

func TestObjectAction(t *testing.T) {
	for action, want := range map[string]bool{"s3:GetObject": true, "s3:getobjectversion": true, "s3:ListBucket": false, "s3:PutBucketPolicy": false, "s3:Nope": false} {
		if ObjectAction(action) != want {
			t.Errorf("ObjectAction(%s) = %v", action, !want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`), "s3:GetObject", "arn:aws:s3:::b/x")
	f.Add(doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam:::user/a"},"NotAction":"s3:List*","NotResource":"arn:aws:s3:::b/${aws:username}/*"}`), "s3:ListBucket", "arn:aws:s3:::b")
	f.Add(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"Null":{"s3:prefix":true}}}}`, "s3:x", "")
	f.Fuzz(func(t *testing.T, d, action, resource string) {
		p, err := Parse([]byte(d), "b")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error %v is not a *policy.Error", err)
			}
			return
		}
		for _, who := range []Principal{anon, bob} {
			p.Evaluate(Request{Principal: who, Action: action, Resource: resource,
				Context: map[string]string{"aws:username": "bob", "s3:prefix": resource, "aws:sourceip": "127.0.0.1"}})
		}
		_ = p.IsPublic()
	})
}
