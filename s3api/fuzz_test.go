package s3api

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/s3api/s3err"
)

// FuzzRoute routes arbitrary requests, as the server parses them off the
// wire: route must pick a handler or return an S3 error, never panic. It
// needs no store: routing looks at the request only.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"PUT /bkt/k?partNumber=1&uploadId=x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
		"PUT /bkt/k HTTP/1.1\r\nHost: h\r\nX-Amz-Copy-Source: /src/a%2Fb?versionId=1\r\n\r\n",
		"POST /bkt?delete&uploads HTTP/1.1\r\nHost: h\r\n\r\n",
		"DELETE /bkt/k?uploadId HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /bkt/%FF%00?tagging&acl=&=&&%zz HTTP/1.1\r\nHost: h\r\n\r\n",
		"BREW //a//b/ HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET http://h/bkt?location HTTP/1.1\r\nHost: h\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	s := New(Config{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		req := &request{}
		h, err := routeTarget(s, r, req)
		if err != nil {
			var se *s3err.Error
			if !errors.As(err, &se) {
				t.Fatalf("route error %v (%T) is not an S3 error", err, err)
			}
			return
		}
		if h == nil {
			t.Fatal("route returned neither a handler nor an error")
		}
		// A copy's source is parsed before anything else in its handler.
		if src := r.Header.Get("X-Amz-Copy-Source"); src != "" && handlerName(h) == "copyObject" {
			if b, k, _, err := copySource(src); err == nil && (b == "" || k == "") {
				t.Fatalf("copySource(%q) = %q, %q without error", src, b, k)
			}
		}
	})
}

// FuzzReadConditions evaluates arbitrary conditional headers: the answer is
// always serve, 304 or 412.
func FuzzReadConditions(f *testing.F) {
	f.Add(`"abc"`, `W/"abc", *`, "Mon, 02 Jan 2006 15:04:05 GMT", "Monday, 02-Jan-06 15:04:05 MST", `"abc"`)
	f.Add(`,,"`, `W/`, "", "garbage", ``)
	f.Add(`*`, `"a,b"`, "Mon Jan  2 15:04:05 2006", "", `"a,b"`)
	lm := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ifMatch, ifNoneMatch, ims, ius, etag string) {
		h := http.Header{}
		h.Set("If-Match", ifMatch)
		h.Set("If-None-Match", ifNoneMatch)
		h.Set("If-Modified-Since", ims)
		h.Set("If-Unmodified-Since", ius)
		err := parseReadConditions(h, "").evaluate(etag, lm)
		if err != nil && !errors.Is(err, s3err.NotModified) && !errors.Is(err, s3err.PreconditionFailed) {
			t.Fatalf("evaluate = %v", err)
		}
		// A list of unquoted tags and then the ETag itself matches it.
		if !strings.Contains(ifMatch+etag, `"`) && !etagListMatches(ifMatch+`,"`+etag+`"`, `"`+etag+`"`, false) {
			t.Fatalf("list %q does not match its own tag %q", ifMatch+`,"`+etag+`"`, etag)
		}
	})
}
