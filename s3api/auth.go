package s3api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/chunked"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/sigv4"
)

// DefaultKeyCacheTTL is how long SigV4 trusts a secret it read from the
// metadata store when no other TTL is given.
const DefaultKeyCacheTTL = 10 * time.Second

// SigV4 is the Authenticator of a gateway: it verifies AWS Signature
// Version 4 (Authorization header or presigned URL) against the access keys
// in the metadata store.
//
// Secrets are cached for a TTL so that a request does not cost a PostgreSQL
// round trip: a key deleted from the store keeps working on a gateway that
// used it within the TTL, for up to the TTL. Unknown keys are not cached, so
// a new key works at once.
type SigV4 struct {
	v    sigv4.Verifier
	keys *keyCache
}

// NewSigV4 returns a SigV4 for requests signed for region (e.g.
// "us-east-1"), looking keys up in meta and caching them for ttl: zero
// means DefaultKeyCacheTTL, a negative ttl disables the cache.
func NewSigV4(meta KeyStore, region string, ttl time.Duration) *SigV4 {
	if ttl == 0 {
		ttl = DefaultKeyCacheTTL
	}
	keys := newKeyCache(meta, ttl)
	return &SigV4{v: sigv4.Verifier{Creds: keys, Region: region}, keys: keys}
}

// Authenticate implements Authenticator. A request with no signature at
// all (no Authorization header, no X-Amz-Signature or X-Amz-Credential in
// its query) is anonymous: authorization lets it do only what a bucket
// policy grants to everyone.
func (a *SigV4) Authenticate(r *http.Request) (Auth, error) {
	if unsigned(r) {
		return Auth{Anonymous: true}, nil
	}
	id, chunks, err := a.v.Verify(r)
	if err != nil {
		return Auth{}, err
	}
	k, err := a.keys.lookup(r.Context(), id)
	if err != nil {
		return Auth{}, err
	}
	if chunks == nil {
		// A presigned URL gives no seed for a streaming body's chained
		// chunk signatures; accepting one would leave its chunks unchecked.
		if p := r.Header.Get("X-Amz-Content-Sha256"); p == chunked.SignedPayload || p == chunked.SignedPayloadTrailer {
			return Auth{}, s3err.Errorf(s3err.InvalidRequest, "x-amz-content-sha256 %s needs Authorization header signing", p)
		}
	}
	return Auth{AccessKeyID: id, User: k.user, UserID: k.userID, Chunks: chunks}, nil
}

// unsigned reports whether r carries no SigV4 signature of either kind.
func unsigned(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return false
	}
	q := r.URL.Query()
	return !q.Has("X-Amz-Signature") && !q.Has("X-Amz-Credential") && !q.Has("X-Amz-Algorithm") &&
		!q.Has("Signature") && !q.Has("AWSAccessKeyId")
}

// keyCache looks secrets up in the metadata store and remembers them for a
// while. It implements sigv4.Credentials.
type keyCache struct {
	meta KeyStore
	ttl  time.Duration // <= 0: no caching
	now  func() time.Time

	mu   sync.Mutex
	keys map[string]cachedKey
}

// cachedKey is a secret, whose it is, and when to stop trusting it.
type cachedKey struct {
	secret, user, userID string
	expires              time.Time
}

func newKeyCache(meta KeyStore, ttl time.Duration) *keyCache {
	return &keyCache{meta: meta, ttl: ttl, now: time.Now, keys: make(map[string]cachedKey)}
}

// SecretKey implements sigv4.Credentials.
func (c *keyCache) SecretKey(ctx context.Context, id string) (string, error) {
	k, err := c.lookup(ctx, id)
	return k.secret, err
}

// lookup returns key id from the cache, or from the store when it is not
// there or has expired.
func (c *keyCache) lookup(ctx context.Context, id string) (cachedKey, error) {
	now := c.now()
	c.mu.Lock()
	k, ok := c.keys[id]
	c.mu.Unlock()
	if ok && now.Before(k.expires) {
		return k, nil
	}
	ak, err := c.meta.GetAccessKey(ctx, id)
	if errors.Is(err, metadata.ErrNoSuchAccessKey) {
		c.mu.Lock()
		delete(c.keys, id)
		c.mu.Unlock()
		return cachedKey{}, fmt.Errorf("%w: %w", sigv4.ErrUnknownKey, err)
	}
	if err != nil {
		return cachedKey{}, fmt.Errorf("looking up access key: %w", err)
	}
	k = cachedKey{secret: ak.Secret, user: ak.User, userID: ak.UserID, expires: now.Add(c.ttl)}
	if c.ttl > 0 {
		c.mu.Lock()
		// Drop what has expired, so deleted keys do not pile up. Only
		// existing keys get here, at most once per key per TTL.
		for other, k := range c.keys {
			if !now.Before(k.expires) {
				delete(c.keys, other)
			}
		}
		c.keys[id] = k
		c.mu.Unlock()
	}
	return k, nil
}
