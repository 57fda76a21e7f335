package s3api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
)

// responseOverrideParams maps each query parameter of GetObject and
// HeadObject that overrides a response header to the header it sets.
// These six are S3's whole set: the headers an object stores that a
// download link may want to present differently (a file name to save
// as, a type a browser should play).
var responseOverrideParams = map[string]string{
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
	"response-content-language":    "Content-Language",
	"response-content-type":        "Content-Type",
	"response-expires":             "Expires",
}

// responseOverridePrefix starts every override parameter. Query parameter
// names are case-sensitive in S3, so only this spelling is one.
const responseOverridePrefix = "response-"

// responseOverrides are the response headers a GetObject or HeadObject
// asked for through its response-* query parameters, by canonical header
// name. The zero value asks for nothing.
type responseOverrides map[string]string

// parseResponseOverrides reads the response-* query parameters of a
// GetObject or HeadObject, as S3 does:
//
//   - A response-* parameter outside the six of responseOverrideParams is
//     refused with InvalidArgument rather than ignored, as S3 refuses it:
//     a misspelt override would otherwise go unnoticed.
//   - Any of the six on an anonymous (unsigned) request is refused with
//     InvalidRequest: only a signer may change how an object presents
//     itself, which is what makes a presigned download link with a
//     Content-Disposition trustworthy. The parameters are part of the
//     signed query, so a presigned URL's holder cannot alter them either.
//     An empty one counts here too: the refusal is about asking, and an
//     anonymous client has no reason to send one.
//   - An empty value overrides nothing: the stored header (or its
//     absence) stands, as with S3, which ignores an empty override rather
//     than sending an empty header. A repeated parameter counts once,
//     with its first value, like every other parameter Floe reads.
//   - A value holding a control character (other than a tab) is refused
//     with InvalidArgument: it cannot be sent as a header value as it
//     was signed (Go's server turns line breaks into spaces, and would
//     send other control bytes raw).
//
// It is called before the object is looked up, so that a refused request
// fails the same whether or not the key exists; the overrides are applied
// (apply) only to a successful response.
func parseResponseOverrides(q url.Values, anonymous bool) (responseOverrides, error) {
	var names []string
	for name := range q {
		if strings.HasPrefix(name, responseOverridePrefix) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	slices.Sort(names) // one message for the same request, whatever the map's order
	for _, name := range names {
		if _, ok := responseOverrideParams[name]; !ok {
			return nil, s3err.Errorf(s3err.InvalidArgument, "%s is not in the set of overridable response headers. "+
				"Please refer to the S3 API documentation for a complete list of overridable response headers.", name)
		}
	}
	if anonymous {
		return nil, s3err.New(s3err.InvalidRequest, "Request specific response headers cannot be used for anonymous GET requests.")
	}
	var ov responseOverrides
	for _, name := range names {
		v := q[name][0]
		if v == "" {
			continue
		}
		if !validHeaderValue(v) {
			return nil, s3err.Errorf(s3err.InvalidArgument, "%s holds a character a header value cannot", name)
		}
		if ov == nil {
			ov = responseOverrides{}
		}
		ov[responseOverrideParams[name]] = v
	}
	return ov, nil
}

// apply sets the overridden headers on h, replacing the stored ones. It
// is for the headers of a 200 or 206 (S3 sends the overrides only on a
// success): a 304, a 412 or an error response must not carry them.
func (ov responseOverrides) apply(h http.Header) {
	for k, v := range ov {
		h.Set(k, v)
	}
}

// validHeaderValue reports whether v can be sent as a header field value
// as it is: no control characters but horizontal tab. Bytes from 0x80 up
// are allowed (RFC 9110's obs-text), so UTF-8 in a file name passes.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
