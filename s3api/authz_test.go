package s3api

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/floe-s3/floe/s3api/policy"
)

// TestConditionContextKeys checks that every condition key Floe puts in a
// request's context is one the policy parser accepts, and the reverse for
// the keys a request can supply: a key the parser accepts but Floe never
// supplies would make a policy's Deny on it silently inert.
func TestConditionContextKeys(t *testing.T) {
	r := httptest.NewRequest("GET", "https://b.example/b/k?prefix=p&delimiter=/&max-keys=5&versionId=v", nil)
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
	for _, h := range []string{"User-Agent", "Referer", "X-Amz-Acl", "X-Amz-Content-Sha256", "X-Amz-Copy-Source",
		"X-Amz-Metadata-Directive", "X-Amz-Storage-Class", "X-Amz-Server-Side-Encryption", "Authorization"} {
		r.Header.Set(h, "x")
	}
	req := &request{bucket: "b", key: "k", versionID: "v", auth: Auth{User: "alice", UserID: "id"}}
	ctx := conditionContext(r, req)
	for k := range ctx {
		if !policy.Keys[k] {
			t.Errorf("context key %s is not in policy.Keys", k)
		}
	}
	for k := range policy.Keys {
		if _, ok := ctx[k]; !ok && k != "aws:currenttime" && k != "aws:epochtime" {
			t.Errorf("policy.Keys has %s, which conditionContext never supplies", k)
		}
	}
	if ctx["s3:tlsversion"] != "1.3" || ctx["aws:securetransport"] != "true" || ctx["s3:prefix"] != "p" ||
		ctx["aws:principalarn"] != "arn:aws:iam:::user/alice" || ctx["aws:sourceip"] != "192.0.2.1" {
		t.Errorf("context = %v", ctx)
	}
}
