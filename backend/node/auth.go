package node

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// signature returns the hex HMAC-SHA256 that authenticates a request.
func signature(secret []byte, method, requestURI, date string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(method))
	m.Write([]byte{'\n'})
	m.Write([]byte(requestURI))
	m.Write([]byte{'\n'})
	m.Write([]byte(date))
	return hex.EncodeToString(m.Sum(nil))
}

// signRequest adds the date and authorization headers to req.
func signRequest(secret []byte, req *http.Request, now time.Time) {
	date := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set(HeaderDate, date)
	req.Header.Set("Authorization", authScheme+" "+signature(secret, req.Method, req.URL.RequestURI(), date))
}

// authenticate checks a request's signature and date. It returns nil or an
// *apiError with code Unauthorized or RequestTimeTooSkewed.
func authenticate(secret []byte, r *http.Request, now time.Time) error {
	scheme, sig, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	date := r.Header.Get(HeaderDate)
	if !ok || scheme != authScheme || date == "" {
		return apiErr(CodeUnauthorized, "missing or malformed %s authorization", authScheme)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return apiErr(CodeUnauthorized, "malformed signature")
	}
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	want, _ := hex.DecodeString(signature(secret, r.Method, uri, date))
	if !hmac.Equal(got, want) {
		return apiErr(CodeUnauthorized, "signature does not match")
	}
	// The date is checked only once it is known to be signed, so the
	// error tells an unauthenticated caller nothing.
	secs, err := strconv.ParseInt(date, 10, 64)
	if err != nil {
		return apiErr(CodeUnauthorized, "malformed %s", HeaderDate)
	}
	if skew := now.Sub(time.Unix(secs, 0)); skew > MaxClockSkew || skew < -MaxClockSkew {
		return apiErr(CodeRequestTimeTooSkewed, "request date is %s away from the node's clock", skew.Round(time.Second))
	}
	return nil
}
