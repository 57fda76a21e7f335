package s3api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
)

// readConditions are the preconditions of a GET or HEAD (or, with the
// x-amz-copy-source- prefix, of a copy's source). Empty or zero means
// absent; a date that does not parse is ignored, as RFC 9110 says.
type readConditions struct {
	ifMatch, ifNoneMatch               string
	ifModifiedSince, ifUnmodifiedSince time.Time
}

// parseReadConditions reads the conditional headers whose names start with
// prefix ("" for GET and HEAD, "X-Amz-Copy-Source-" for a copy's source).
func parseReadConditions(h http.Header, prefix string) readConditions {
	date := func(name string) time.Time {
		t, err := http.ParseTime(h.Get(prefix + name))
		if err != nil {
			return time.Time{}
		}
		return t
	}
	return readConditions{
		ifMatch:           h.Get(prefix + "If-Match"),
		ifNoneMatch:       h.Get(prefix + "If-None-Match"),
		ifModifiedSince:   date("If-Modified-Since"),
		ifUnmodifiedSince: date("If-Unmodified-Since"),
	}
}

// evaluate applies c to an object with etag and lastModified, in the order
// of RFC 9110 section 13.2.2, which gives S3's documented precedence:
// If-Match overrides If-Unmodified-Since, and If-None-Match overrides
// If-Modified-Since. It returns nil to serve the object, or
// s3err.PreconditionFailed or s3err.NotModified.
func (c readConditions) evaluate(etag string, lastModified time.Time) error {
	// HTTP dates have whole seconds; Last-Modified is sent truncated.
	lm := lastModified.Truncate(time.Second)
	switch {
	case c.ifMatch != "":
		if !etagListMatches(c.ifMatch, etag, false) {
			return s3err.PreconditionFailed
		}
	case !c.ifUnmodifiedSince.IsZero():
		if lm.After(c.ifUnmodifiedSince) {
			return s3err.PreconditionFailed
		}
	}
	switch {
	case c.ifNoneMatch != "":
		if etagListMatches(c.ifNoneMatch, etag, true) {
			return s3err.NotModified
		}
	case !c.ifModifiedSince.IsZero():
		if !lm.After(c.ifModifiedSince) {
			return s3err.NotModified
		}
	}
	return nil
}

// etagListMatches reports whether the entity-tag list of an If-Match or
// If-None-Match header (`*`, or comma-separated tags, quoted or not,
// possibly weak) names etag. Weak tags match only under weak comparison
// (If-None-Match); Floe's ETags are all strong.
func etagListMatches(list, etag string, weak bool) bool {
	want := strings.Trim(etag, `"`)
	for rest := list; ; {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return false
		}
		isWeak := strings.HasPrefix(rest, "W/")
		if isWeak {
			rest = rest[2:]
		}
		var tag string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				tag, rest = rest[1:], ""
			} else {
				tag, rest = rest[1:1+end], rest[2+end:]
			}
		} else {
			// S3 takes unquoted tags too, as clients often send them.
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			tag, rest = strings.TrimSpace(rest[:end]), rest[end:]
			if tag == "*" && !isWeak {
				return true
			}
		}
		if tag == want && (weak || !isWeak) {
			return true
		}
	}
}

// writePrecondition reads the If-Match and If-None-Match headers of a
// PutObject, CopyObject or CompleteMultipartUpload. S3 takes only `*` in
// If-None-Match on a write.
func writePrecondition(h http.Header) (metadata.Precondition, error) {
	var p metadata.Precondition
	if v := strings.TrimSpace(h.Get("If-None-Match")); v != "" {
		if v != "*" {
			return p, s3err.Errorf(s3err.NotImplemented, "If-None-Match on a write takes only *, not %q", v)
		}
		p.IfNoneMatch = true
	}
	p.IfMatch = strings.TrimSpace(h.Get("If-Match"))
	return p, nil
}

// checkWritePrecondition tests p against the key's current object before a
// write spends any work on its bytes. It is only a fast path: the store
// checks p again, atomically, when it commits the write.
func (s *Server) checkWritePrecondition(ctx context.Context, bucket, key string, p metadata.Precondition) error {
	if p.IsZero() {
		return nil
	}
	obj, err := s.cfg.Meta.GetObject(ctx, bucket, key)
	switch {
	case err == nil && p.IfNoneMatch:
		return s3err.Errorf(s3err.PreconditionFailed, "%s exists (If-None-Match: *)", key)
	case err == nil && p.IfMatch != "*" && strings.Trim(p.IfMatch, `"`) != strings.Trim(obj.ETag, `"`):
		return s3err.Errorf(s3err.PreconditionFailed, "ETag is %s (If-Match: %s)", obj.ETag, p.IfMatch)
	case err == nil:
		return nil
	case p.IfMatch == "" && errors.Is(err, metadata.ErrNoSuchKey):
		return nil
	}
	return err
}

// writeNotModified sends a 304 carrying the validators (and caching
// headers) a 200 would have, and no body.
func writeNotModified(w http.ResponseWriter, obj metadata.Object) {
	h := w.Header()
	h.Set("ETag", obj.ETag)
	h.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	if obj.CacheControl != "" {
		h.Set("Cache-Control", obj.CacheControl)
	}
	if obj.Expires != "" {
		h.Set("Expires", obj.Expires)
	}
	w.WriteHeader(http.StatusNotModified)
}
