package s3api

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
)

func TestEvaluateReadConditions(t *testing.T) {
	const etag = `"abc"`
	lm := time.Date(2025, 3, 4, 5, 6, 7, 890000, time.UTC) // sent as 05:06:07
	before := lm.Add(-time.Hour).Format(http.TimeFormat)
	same := lm.Format(http.TimeFormat)
	after := lm.Add(time.Hour).Format(http.TimeFormat)
	tests := []struct {
		name string
		hdr  map[string]string
		want error // nil, s3err.NotModified or s3err.PreconditionFailed
	}{
		{"none", nil, nil},
		{"if-match equal", map[string]string{"If-Match": `"abc"`}, nil},
		{"if-match unquoted", map[string]string{"If-Match": `abc`}, nil},
		{"if-match star", map[string]string{"If-Match": `*`}, nil},
		{"if-match list", map[string]string{"If-Match": `"x", "abc"`}, nil},
		{"if-match list unquoted", map[string]string{"If-Match": `x,abc`}, nil},
		{"if-match differs", map[string]string{"If-Match": `"abd"`}, s3err.PreconditionFailed},
		{"if-match weak is no strong match", map[string]string{"If-Match": `W/"abc"`}, s3err.PreconditionFailed},
		{"if-match quoted star is a tag", map[string]string{"If-Match": `"*"`}, s3err.PreconditionFailed},
		{"if-match comma inside quotes", map[string]string{"If-Match": `"a,b", "abc"`}, nil},
		{"if-match unterminated quote", map[string]string{"If-Match": `"abc`}, nil},
		{"if-match garbage", map[string]string{"If-Match": `,,, ,`}, s3err.PreconditionFailed},
		{"if-none-match equal", map[string]string{"If-None-Match": `"abc"`}, s3err.NotModified},
		{"if-none-match weak", map[string]string{"If-None-Match": `W/"abc"`}, s3err.NotModified},
		{"if-none-match star", map[string]string{"If-None-Match": `*`}, s3err.NotModified},
		{"if-none-match list", map[string]string{"If-None-Match": `"x", W/"abc"`}, s3err.NotModified},
		{"if-none-match differs", map[string]string{"If-None-Match": `"x"`}, nil},
		{"if-modified-since before", map[string]string{"If-Modified-Since": before}, nil},
		{"if-modified-since same second", map[string]string{"If-Modified-Since": same}, s3err.NotModified},
		{"if-modified-since after", map[string]string{"If-Modified-Since": after}, s3err.NotModified},
		{"if-modified-since garbage ignored", map[string]string{"If-Modified-Since": "yesterday"}, nil},
		{"if-unmodified-since before", map[string]string{"If-Unmodified-Since": before}, s3err.PreconditionFailed},
		{"if-unmodified-since same second", map[string]string{"If-Unmodified-Since": same}, nil},
		{"if-unmodified-since after", map[string]string{"If-Unmodified-Since": after}, nil},
		{"if-unmodified-since RFC 850", map[string]string{"If-Unmodified-Since": lm.Add(-time.Hour).Format(time.RFC850)}, s3err.PreconditionFailed},
		{"if-unmodified-since garbage ignored", map[string]string{"If-Unmodified-Since": "\x00"}, nil},
		// S3's documented precedence.
		{"if-match true overrides if-unmodified-since false",
			map[string]string{"If-Match": etag, "If-Unmodified-Since": before}, nil},
		{"if-none-match false beats if-modified-since true",
			map[string]string{"If-None-Match": etag, "If-Modified-Since": before}, s3err.NotModified},
		{"if-none-match true overrides if-modified-since false",
			map[string]string{"If-None-Match": `"x"`, "If-Modified-Since": after}, nil},
		{"if-match false with if-none-match true",
			map[string]string{"If-Match": `"x"`, "If-None-Match": `"x"`}, s3err.PreconditionFailed},
		{"if-match true, if-none-match false",
			map[string]string{"If-Match": etag, "If-None-Match": etag}, s3err.NotModified},
		{"if-unmodified-since false beats if-modified-since",
			map[string]string{"If-Unmodified-Since": before, "If-Modified-Since": after}, s3err.PreconditionFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			hc := http.Header{}
			for k, v := range tt.hdr {
				h.Set(k, v)
				hc.Set("X-Amz-Copy-Source-"+k, v)
			}
			got := parseReadConditions(h, "").evaluate(etag, lm)
			if !sameCode(got, tt.want) {
				t.Errorf("evaluate = %v, want %v", got, tt.want)
			}
			// The copy-source headers are read the same way.
			if got := parseReadConditions(hc, "X-Amz-Copy-Source-").evaluate(etag, lm); !sameCode(got, tt.want) {
				t.Errorf("copy-source evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

func sameCode(got, want error) bool {
	if want == nil {
		return got == nil
	}
	return errors.Is(got, want)
}

func TestWritePrecondition(t *testing.T) {
	tests := []struct {
		hdr  map[string]string
		want metadata.Precondition
		err  error
	}{
		{nil, metadata.Precondition{}, nil},
		{map[string]string{"If-None-Match": "*"}, metadata.Precondition{IfNoneMatch: true}, nil},
		{map[string]string{"If-None-Match": " * "}, metadata.Precondition{IfNoneMatch: true}, nil},
		{map[string]string{"If-Match": `"abc"`}, metadata.Precondition{IfMatch: `"abc"`}, nil},
		{map[string]string{"If-None-Match": `"abc"`}, metadata.Precondition{}, s3err.NotImplemented},
		{map[string]string{"If-None-Match": `W/"abc"`}, metadata.Precondition{}, s3err.NotImplemented},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.hdr {
			h.Set(k, v)
		}
		got, err := writePrecondition(h)
		if !sameCode(err, tt.err) || (err == nil && got != tt.want) {
			t.Errorf("writePrecondition(%v) = %+v, %v; want %+v, %v", tt.hdr, got, err, tt.want, tt.err)
		}
	}
}
