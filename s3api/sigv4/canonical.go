package sigv4

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
)

// queryParam is one decoded query parameter.
type queryParam struct{ key, value string }

// parseQuery decodes a raw query string, keeping every parameter (repeated
// keys included) in order. Empty pieces ("a&&b") are skipped; a piece
// without '=' has an empty value.
func parseQuery(raw string) ([]queryParam, error) {
	var out []queryParam
	for _, piece := range strings.Split(raw, "&") {
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, s3err.Errorf(s3err.InvalidArgument, "Invalid query parameter %q.", k)
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, s3err.Errorf(s3err.InvalidArgument, "Invalid value for query parameter %q.", dk)
		}
		out = append(out, queryParam{dk, dv})
	}
	return out, nil
}

// canonicalQuery encodes params with AWS's rules, sorted by encoded key
// then encoded value, leaving out the key skip (if not empty).
func canonicalQuery(params []queryParam, skip string) string {
	enc := make([]queryParam, 0, len(params))
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, queryParam{uriEncode(p.key), uriEncode(p.value)})
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].key != enc[j].key {
			return enc[i].key < enc[j].key
		}
		return enc[i].value < enc[j].value
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalURI returns the S3 canonical URI of u: the path as sent, each
// segment decoded and re-encoded once with AWS's rules. Empty segments
// ("//") and dot segments are kept; an encoded slash (%2F) stays encoded.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
		segs[i] = uriEncode(s)
	}
	return strings.Join(segs, "/")
}

// uriEncode percent-encodes every byte of s outside AWS's unreserved set
// (A-Z a-z 0-9 - _ . ~), in upper-case hex.
func uriEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// canonicalHeaders returns the canonical header block ("name:value\n" for
// each signed header, in the order given) for r.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		var vals []string
		switch name {
		case "host":
			vals = []string{r.Host}
		case "content-length":
			vals = r.Header.Values(name)
			if len(vals) == 0 && r.ContentLength >= 0 {
				vals = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		default:
			vals = r.Header.Values(name)
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// trimAll trims surrounding whitespace from v and collapses each inner run
// of spaces to one space.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// canonicalRequest assembles the canonical request.
func canonicalRequest(method, uri, query, headers string, signed []string, payload string) string {
	return method + "\n" + uri + "\n" + query + "\n" + headers + "\n" +
		strings.Join(signed, ";") + "\n" + payload
}
