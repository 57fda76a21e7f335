package s3api

import (
	"errors"
	"net/http"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

// TestCheckACLHeaders checks that only ACLs Floe honours (its buckets and
// objects are private to their owner) get through.
func TestCheckACLHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"", "", true},
		{"X-Amz-Acl", "private", true},
		{"X-Amz-Acl", "bucket-owner-full-control", true},
		{"X-Amz-Acl", "public-read", false},
		{"X-Amz-Acl", "authenticated-read", false},
		{"X-Amz-Grant-Read", "uri=http://acs.amazonaws.com/groups/global/AllUsers", false},
		{"X-Amz-Grant-Full-Control", `id="floe"`, false},
	} {
		h := http.Header{}
		if tc.name != "" {
			h.Set(tc.name, tc.value)
		}
		err := checkACLHeaders(h)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, s3err.NotImplemented)) {
			t.Errorf("%s: %s: %v", tc.name, tc.value, err)
		}
	}
}
