package sigv4

import (
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
)

// Algorithm is the only signing algorithm supported (SigV4, HMAC-SHA256).
const Algorithm = "AWS4-HMAC-SHA256"

// authParams are the parts of a SigV4 Authorization header (or of the
// equivalent presigned query parameters).
type authParams struct {
	accessKey     string
	scopeDate     string // yyyymmdd
	region        string
	signedHeaders []string
	signature     string
}

// scope returns the credential scope "date/region/s3/aws4_request".
func (a authParams) scope() string {
	return a.scopeDate + "/" + a.region + "/s3/aws4_request"
}

// parseAuthorization parses
//
//	AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
func parseAuthorization(h string) (authParams, error) {
	var a authParams
	rest, ok := strings.CutPrefix(h, Algorithm)
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return a, s3err.New(s3err.AuthorizationHeaderMalformed, "Unsupported Authorization type; use "+Algorithm+".")
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, s3err.Errorf(s3err.AuthorizationHeaderMalformed, "The authorization header is malformed; %q is not a key=value pair.", strings.TrimSpace(part))
		}
		var seen *bool
		switch k {
		case "Credential":
			cred, seen = v, &haveCred
		case "SignedHeaders":
			signed, seen = v, &haveSigned
		case "Signature":
			sig, seen = v, &haveSig
		default:
			return a, s3err.Errorf(s3err.AuthorizationHeaderMalformed, "The authorization header is malformed; unexpected component %q.", k)
		}
		if *seen {
			return a, s3err.Errorf(s3err.AuthorizationHeaderMalformed, "The authorization header is malformed; duplicate %s.", k)
		}
		*seen = true
	}
	if !haveCred || !haveSigned || !haveSig {
		return a, s3err.New(s3err.AuthorizationHeaderMalformed, "The authorization header is malformed; it needs Credential, SignedHeaders and Signature.")
	}
	return buildParams(cred, signed, sig, s3err.AuthorizationHeaderMalformed)
}

// buildParams validates the three components shared by header and query
// authentication, reporting problems with code c.
func buildParams(cred, signed, sig string, c s3err.Code) (authParams, error) {
	var a authParams
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" {
		return a, s3err.Errorf(c, "The credential %q is malformed; expecting \"<KEY>/<YYYYMMDD>/<REGION>/s3/aws4_request\".", cred)
	}
	if !isDate(parts[1]) || parts[2] == "" || parts[3] != "s3" || parts[4] != "aws4_request" {
		return a, s3err.Errorf(c, "The credential %q is malformed; expecting \"<KEY>/<YYYYMMDD>/<REGION>/s3/aws4_request\".", cred)
	}
	a.accessKey, a.scopeDate, a.region = parts[0], parts[1], parts[2]

	if signed == "" {
		return a, s3err.New(c, "SignedHeaders is empty.")
	}
	a.signedHeaders = strings.Split(signed, ";")
	host := false
	for _, h := range a.signedHeaders {
		if h == "" || h != strings.ToLower(h) {
			return a, s3err.Errorf(c, "SignedHeaders %q is malformed.", signed)
		}
		host = host || h == "host"
	}
	if !host {
		return a, s3err.New(c, "SignedHeaders must include host.")
	}
	if !isHex64(sig) {
		return a, s3err.New(c, "The signature is not 64 lower-case hex digits.")
	}
	a.signature = sig
	return a, nil
}

// isDate reports whether s looks like yyyymmdd.
func isDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isHex64 reports whether s is 64 lower-case hex digits (a SHA-256 in hex).
func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
