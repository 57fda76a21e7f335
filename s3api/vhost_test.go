package s3api

import (
	"net/http/httptest"
	"testing"
)

func TestParseTargetVirtualHost(t *testing.T) {
	domains := []string{"s3.example.com", "s3.local"}
	tests := []struct {
		host, target string
		bucket, key  string
	}{
		{"photos.s3.example.com", "/cat.jpg", "photos", "cat.jpg"},
		{"photos.s3.example.com:9000", "/a/b//c", "photos", "a/b//c"},
		{"PHOTOS.S3.Example.com", "/x", "photos", "x"}, // host names are case-insensitive
		{"my.dotted.bucket.s3.local", "/k%2Fey", "my.dotted.bucket", "k/ey"},
		{"photos.s3.example.com", "/", "photos", ""},
		{"photos.s3.example.com", "//lead", "photos", "/lead"},
		{"photos.s3.example.com.", "/x", "photos", "x"}, // a fully qualified name
		{"s3.example.com", "/photos/cat.jpg", "photos", "cat.jpg"},
		{"127.0.0.1:9000", "/photos/cat.jpg", "photos", "cat.jpg"},
		{"photos.other.com", "/b/k", "b", "k"}, // not under a domain: path style
		{"s3.example.com", "/", "", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.target, nil)
		r.Host = tt.host
		req := &request{}
		if err := parseTarget(r, req, domains); err != nil {
			t.Errorf("%s%s: %v", tt.host, tt.target, err)
			continue
		}
		if req.bucket != tt.bucket || req.key != tt.key {
			t.Errorf("%s%s = bucket %q key %q, want %q %q", tt.host, tt.target, req.bucket, req.key, tt.bucket, tt.key)
		}
	}
	r := httptest.NewRequest("GET", "/photos/x", nil)
	r.Host = "photos.s3.example.com"
	req := &request{}
	if err := parseTarget(r, req, nil); err != nil || req.bucket != "photos" || req.key != "x" {
		t.Errorf("without domains: %q %q %v, want path style", req.bucket, req.key, err)
	}
	for _, d := range []string{"", "s3.example.com:9000", "http://s3.example.com", ".example.com", "example.com."} {
		if CheckDomain(d) == nil {
			t.Errorf("CheckDomain(%q) accepted", d)
		}
	}
	if err := CheckDomain("s3.example.com"); err != nil {
		t.Error(err)
	}
}
