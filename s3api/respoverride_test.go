package s3api

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

func TestResponseOverrides(t *testing.T) {
	// The headers an object stored, as setObjectHeaders left them.
	stored := http.Header{
		"Content-Type":        {"binary/octet-stream"},
		"Content-Disposition": {"inline"},
		"Cache-Control":       {"no-cache"},
		"Etag":                {`"abc"`},
		"Content-Length":      {"5"},
	}
	for _, tc := range []struct {
		name      string
		query     string
		anonymous bool
		err       s3err.Code // zero: none
		want      http.Header
	}{
		{name: "no parameters", query: "", want: stored},
		{name: "other parameters only", query: "versionId=abc&partNumber=1", want: stored},
		{name: "signed and nothing to override, anonymous", query: "versionId=abc", anonymous: true, want: stored},
		{
			name:  "all six",
			query: "response-content-type=video%2Fmp4&response-content-language=de-DE&response-expires=Thu%2C%2001%20Dec%201994%2016%3A00%3A00%20GMT&response-cache-control=max-age%3D60&response-content-disposition=attachment%3B%20filename%3D%22x.mp4%22&response-content-encoding=gzip",
			want: http.Header{
				"Content-Type":        {"video/mp4"},
				"Content-Language":    {"de-DE"},
				"Expires":             {"Thu, 01 Dec 1994 16:00:00 GMT"},
				"Cache-Control":       {"max-age=60"},
				"Content-Disposition": {`attachment; filename="x.mp4"`},
				"Content-Encoding":    {"gzip"},
				"Etag":                {`"abc"`},
				"Content-Length":      {"5"},
			},
		},
		{
			name:  "with versionId and partNumber",
			query: "versionId=v1&partNumber=2&response-content-type=text%2Fplain",
			want:  withHeader(stored, "Content-Type", "text/plain"),
		},
		{
			name:  "a header the object did not store",
			query: "response-content-language=fr",
			want:  withHeader(stored, "Content-Language", "fr"),
		},
		{
			name:  "empty value keeps the stored header",
			query: "response-content-disposition=&response-cache-control=",
			want:  stored,
		},
		{
			name:  "empty value beside a real one",
			query: "response-content-type=&response-cache-control=private",
			want:  withHeader(stored, "Cache-Control", "private"),
		},
		{
			name:  "repeated: the first value",
			query: "response-content-type=a%2Fb&response-content-type=c%2Fd",
			want:  withHeader(stored, "Content-Type", "a/b"),
		},
		{
			name:  "UTF-8 and a tab pass",
			query: "response-content-disposition=attachment%3B%09filename%3D%22%C3%BC.txt%22",
			want:  withHeader(stored, "Content-Disposition", "attachment;\tfilename=\"ü.txt\""),
		},
		{name: "anonymous", query: "response-content-type=text%2Fhtml", anonymous: true, err: s3err.InvalidRequest},
		{name: "anonymous, empty value", query: "response-content-type=", anonymous: true, err: s3err.InvalidRequest},
		{name: "unknown override", query: "response-content-md5=x", err: s3err.InvalidArgument},
		{name: "unknown override, empty", query: "response-=", err: s3err.InvalidArgument},
		{name: "unknown beside a known one", query: "response-content-type=a%2Fb&response-bogus=1", err: s3err.InvalidArgument},
		{name: "unknown override, anonymous", query: "response-bogus=1", anonymous: true, err: s3err.InvalidArgument},
		{name: "not lower case: not an override", query: "Response-Content-Type=a%2Fb", want: stored},
		{name: "line break", query: "response-content-disposition=a%0D%0AX-Evil%3A%201", err: s3err.InvalidArgument},
		{name: "NUL", query: "response-cache-control=a%00b", err: s3err.InvalidArgument},
		{name: "DEL", query: "response-expires=a%7Fb", err: s3err.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			ov, err := parseResponseOverrides(q, tc.anonymous)
			if tc.err != (s3err.Code{}) {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got error %v, want %s", err, tc.err.Name)
				}
				if st := s3err.From(err).Code.Status; st != http.StatusBadRequest {
					t.Fatalf("status %d, want 400", st)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			h := stored.Clone()
			ov.apply(h)
			if !maps.EqualFunc(h, tc.want, func(a, b []string) bool { return len(a) == 1 && len(b) == 1 && a[0] == b[0] }) {
				t.Fatalf("headers\n%v\nwant\n%v", h, tc.want)
			}
		})
	}
}

func TestResponseOverrideMessages(t *testing.T) {
	q := url.Values{"response-zzz": {"1"}, "response-aaa": {"1"}}
	for range 10 { // the same name each time, whatever the map's order
		err := s3err.From(overrideErr(parseResponseOverrides(q, false)))
		if want := "response-aaa is not in the set of overridable response headers. " +
			"Please refer to the S3 API documentation for a complete list of overridable response headers."; err.Message != want {
			t.Fatalf("message %q, want %q", err.Message, want)
		}
	}
	err := s3err.From(overrideErr(parseResponseOverrides(url.Values{"response-content-type": {"a/b"}}, true)))
	if want := "Request specific response headers cannot be used for anonymous GET requests."; err.Message != want {
		t.Fatalf("message %q, want %q", err.Message, want)
	}
}

// TestResponseOverridesNil checks that the zero value applies nothing.
func TestResponseOverridesNil(t *testing.T) {
	h := http.Header{"Content-Type": {"a/b"}}
	var ov responseOverrides
	ov.apply(h)
	if len(h) != 1 || h.Get("Content-Type") != "a/b" {
		t.Fatalf("headers %v", h)
	}
}

// withHeader returns a copy of h with k set to v.
func withHeader(h http.Header, k, v string) http.Header {
	h = h.Clone()
	h.Set(k, v)
	return h
}

// overrideErr returns err, the error of a call that should fail.
func overrideErr(_ responseOverrides, err error) error {
	if err == nil {
		panic("no error")
	}
	return err
}
