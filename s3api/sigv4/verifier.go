package sigv4

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/floe-s3/floe/s3api/chunked"
	"github.com/floe-s3/floe/s3api/s3err"
)

// ErrUnknownKey is returned by a Credentials when the access key ID does
// not exist. Verify reports it as InvalidAccessKeyId.
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// Credentials looks up the secret key of an access key ID.
type Credentials interface {
	// SecretKey returns the secret key for accessKeyID, or an error
	// wrapping ErrUnknownKey if there is none.
	SecretKey(ctx context.Context, accessKeyID string) (string, error)
}

// DefaultMaxSkew is the clock skew allowed when Verifier.MaxSkew is zero.
const DefaultMaxSkew = 15 * time.Minute

// MaxPresignExpiry is the longest X-Amz-Expires accepted (7 days).
const MaxPresignExpiry = 7 * 24 * time.Hour

// unsignedPayload is the payload hash of requests whose body is not signed.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Verifier authenticates S3 requests signed with AWS Signature Version 4.
type Verifier struct {
	// Creds looks up secret keys.
	Creds Credentials
	// Region is the region requests must be signed for, e.g. "us-east-1".
	Region string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is the allowed difference between the request time and Now;
	// zero means DefaultMaxSkew.
	MaxSkew time.Duration
}

// Verify authenticates r, signed either with an Authorization header or as
// a presigned URL (X-Amz-Algorithm, -Credential, -Date, -Expires,
// -SignedHeaders and -Signature query parameters). It returns the access
// key ID and, when x-amz-content-sha256 announces a signed streaming
// payload (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]), a ChunkVerifier
// for the body's chained chunk and trailer signatures.
//
// Errors are s3err values: AccessDenied for anonymous or expired requests,
// InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed,
// AuthorizationHeaderMalformed, AuthorizationQueryParametersError, ...
func (v *Verifier) Verify(r *http.Request) (accessKeyID string, chunks chunked.ChunkVerifier, err error) {
	query, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return "", nil, err
	}
	_, presigned := lookup(query, "X-Amz-Algorithm")
	if _, ok := lookup(query, "X-Amz-Signature"); ok {
		presigned = true
	}
	auth := r.Header.Get("Authorization")
	switch {
	case auth != "" && presigned:
		return "", nil, s3err.New(s3err.InvalidArgument, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.")
	case auth != "":
		return v.verifyHeader(r, auth, query)
	case presigned:
		return v.verifyPresigned(r, query)
	}
	return "", nil, s3err.New(s3err.AccessDenied, "Anonymous access is not allowed.")
}

// verifyHeader verifies Authorization header authentication.
func (v *Verifier) verifyHeader(r *http.Request, auth string, query []queryParam) (string, chunked.ChunkVerifier, error) {
	a, err := parseAuthorization(auth)
	if err != nil {
		return "", nil, err
	}
	t, err := requestTime(r)
	if err != nil {
		return "", nil, err
	}
	if err := v.checkSkew(t); err != nil {
		return "", nil, err
	}
	if err := v.checkScope(a, t, s3err.AuthorizationHeaderMalformed); err != nil {
		return "", nil, err
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return "", nil, s3err.New(s3err.InvalidRequest, "Missing required header for this request: x-amz-content-sha256")
	}
	_, streaming := chunked.OptionsFor(payload)
	if payload != unsignedPayload && !streaming && !isHex64(payload) {
		return "", nil, s3err.New(s3err.InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value.")
	}
	key, err := v.key(r.Context(), a)
	if err != nil {
		return "", nil, err
	}
	amzDate := t.Format(timeFormat)
	canon := canonicalRequest(r.Method, canonicalURI(r.URL), canonicalQuery(query, ""),
		canonicalHeaders(r, a.signedHeaders), a.signedHeaders, payload)
	if !sigEqual(a.signature, sign(key, stringToSign(amzDate, a.scope(), canon))) {
		return "", nil, s3err.SignatureDoesNotMatch
	}
	if payload == chunked.SignedPayload || payload == chunked.SignedPayloadTrailer {
		return a.accessKey, &chunkVerifier{key: key, amzDate: amzDate, scope: a.scope(), prev: a.signature}, nil
	}
	return a.accessKey, nil, nil
}

// requestTime returns the time of a header-signed request: X-Amz-Date, or
// else the Date header.
func requestTime(r *http.Request) (time.Time, error) {
	if d := r.Header.Get("X-Amz-Date"); d != "" {
		t, err := time.Parse(timeFormat, d)
		if err != nil {
			return time.Time{}, s3err.Errorf(s3err.AccessDenied, "Invalid X-Amz-Date %q.", d)
		}
		return t, nil
	}
	if d := r.Header.Get("Date"); d != "" {
		t, err := http.ParseTime(d)
		if err != nil {
			return time.Time{}, s3err.Errorf(s3err.AccessDenied, "Invalid Date %q.", d)
		}
		return t.UTC(), nil
	}
	return time.Time{}, s3err.New(s3err.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header.")
}

// now returns the verifier's current time.
func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// checkSkew rejects a request time too far from now.
func (v *Verifier) checkSkew(t time.Time) error {
	maxSkew := v.MaxSkew
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	d := v.now().Sub(t)
	if d > maxSkew || d < -maxSkew {
		return s3err.RequestTimeTooSkewed
	}
	return nil
}

// checkScope checks the credential scope's date and region.
func (v *Verifier) checkScope(a authParams, t time.Time, c s3err.Code) error {
	if a.scopeDate != t.Format("20060102") {
		return s3err.Errorf(c, "The credential date %q does not match the request date %q.", a.scopeDate, t.Format("20060102"))
	}
	if a.region != v.Region {
		return s3err.Errorf(c, "The region %q is wrong; expecting %q.", a.region, v.Region)
	}
	return nil
}

// key looks up the secret key and derives the signing key.
func (v *Verifier) key(ctx context.Context, a authParams) ([]byte, error) {
	secret, err := v.Creds.SecretKey(ctx, a.accessKey)
	if errors.Is(err, ErrUnknownKey) {
		return nil, s3err.Wrap(s3err.InvalidAccessKeyID, err)
	}
	if err != nil {
		return nil, s3err.Wrap(s3err.InternalError, err)
	}
	return signingKey(secret, a.scopeDate, a.region), nil
}

// lookup returns the first value of key in params.
func lookup(params []queryParam, key string) (string, bool) {
	for _, p := range params {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}
