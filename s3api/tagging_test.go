package s3api

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

// TestTagHeader checks x-amz-tagging against S3's rules: URL query
// encoding, at most 10 tags, unique keys of 1 to 128 characters outside
// aws:, values up to 256 characters.
func TestTagHeader(t *testing.T) {
	many := make([]string, 11)
	for i := range many {
		many[i] = "k" + string(rune('a'+i)) + "=v"
	}
	for _, tc := range []struct {
		in   string
		want map[string]string
		code string // "" for success
	}{
		{"", nil, ""},
		{"a=1&b=2", map[string]string{"a": "1", "b": "2"}, ""},
		{"k%20ey=v%26al", map[string]string{"k ey": "v&al"}, ""},
		{"empty=", map[string]string{"empty": ""}, ""},
		{"日本=語", map[string]string{"日本": "語"}, ""},
		{strings.Join(many[:10], "&"), nil, "ok10"},
		{strings.Join(many, "&"), nil, "InvalidTag"},
		{"a=1&a=2", nil, "InvalidTag"},
		{"=v", nil, "InvalidTag"},
		{strings.Repeat("k", 129) + "=v", nil, "InvalidTag"},
		{strings.Repeat("é", 128) + "=v", map[string]string{strings.Repeat("é", 128): "v"}, ""},
		{"k=" + strings.Repeat("v", 257), nil, "InvalidTag"},
		{"aws:cloudformation=x", nil, "InvalidTag"},
		{"a=%zz", nil, "InvalidArgument"},
	} {
		h := http.Header{}
		if tc.in != "" {
			h.Set("X-Amz-Tagging", tc.in)
		}
		got, err := tagHeader(h)
		switch {
		case tc.code == "ok10":
			if err != nil || len(got) != 10 {
				t.Errorf("%q: %d tags, %v; want 10", tc.in, len(got), err)
			}
		case tc.code == "":
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%q: %v, %v; want %v", tc.in, got, err, tc.want)
			}
		default:
			var se *s3err.Error
			if !errors.As(err, &se) || se.Code.Name != tc.code {
				t.Errorf("%q: error %v; want %s", tc.in, err, tc.code)
			}
		}
	}
}

// TestTagSetSorted checks that a TagSet lists tags in key order.
func TestTagSetSorted(t *testing.T) {
	set := tagSet(map[string]string{"b": "2", "a": "1", "c": "3"})
	var keys []string
	for _, tg := range set.Tags {
		keys = append(keys, tg.Key)
	}
	if strings.Join(keys, ",") != "a,b,c" {
		t.Fatalf("keys %v, want a,b,c", keys)
	}
}
