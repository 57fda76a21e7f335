package sigv4

import (
	"net/http"
	"strconv"
	"time"

	"github.com/floe-s3/floe/s3api/chunked"
	"github.com/floe-s3/floe/s3api/s3err"
)

// verifyPresigned verifies presigned-URL (query string) authentication.
func (v *Verifier) verifyPresigned(r *http.Request, query []queryParam) (string, chunked.ChunkVerifier, error) {
	c := s3err.AuthorizationQueryParametersError
	get := func(k string) (string, error) {
		val, ok := lookup(query, k)
		if !ok || val == "" {
			return "", s3err.Errorf(c, "Query-string authentication requires the %s parameter.", k)
		}
		return val, nil
	}
	var vals [6]string
	for i, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		val, err := get(k)
		if err != nil {
			return "", nil, err
		}
		vals[i] = val
	}
	if vals[0] != Algorithm {
		return "", nil, s3err.New(c, "X-Amz-Algorithm only supports \""+Algorithm+"\".")
	}
	a, err := buildParams(vals[1], vals[4], vals[5], c)
	if err != nil {
		return "", nil, err
	}
	t, err := time.Parse(timeFormat, vals[2])
	if err != nil {
		return "", nil, s3err.Errorf(c, "X-Amz-Date %q must be in the ISO8601 long format (yyyyMMdd'T'HHmmss'Z').", vals[2])
	}
	secs, err := strconv.ParseInt(vals[3], 10, 64)
	if err != nil || secs < 0 {
		return "", nil, s3err.New(c, "X-Amz-Expires should be a number of seconds.")
	}
	if secs > int64(MaxPresignExpiry/time.Second) {
		return "", nil, s3err.New(c, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds.")
	}
	if err := v.checkScope(a, t, c); err != nil {
		return "", nil, err
	}
	now := v.now()
	maxSkew := v.MaxSkew
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	if t.Sub(now) > maxSkew {
		return "", nil, s3err.New(s3err.AccessDenied, "Request is not valid yet.")
	}
	if now.After(t.Add(time.Duration(secs) * time.Second)) {
		return "", nil, s3err.New(s3err.AccessDenied, "Request has expired.")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload, _ = lookup(query, "X-Amz-Content-Sha256")
	}
	if payload == "" {
		payload = unsignedPayload
	}
	key, err := v.key(r.Context(), a)
	if err != nil {
		return "", nil, err
	}
	canon := canonicalRequest(r.Method, canonicalURI(r.URL), canonicalQuery(query, "X-Amz-Signature"),
		canonicalHeaders(r, a.signedHeaders), a.signedHeaders, payload)
	if !sigEqual(a.signature, sign(key, stringToSign(vals[2], a.scope(), canon))) {
		return "", nil, s3err.SignatureDoesNotMatch
	}
	return a.accessKey, nil, nil
}
