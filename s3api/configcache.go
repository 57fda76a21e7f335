package s3api

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// configTTL is how long a gateway uses a bucket's lifecycle rules or CORS
// configuration before reading them again: a change made through another
// gateway shows here this much later, and GETs do not pay a query for
// x-amz-expiration or CORS headers. A change through this gateway shows at
// once (forget).
const configTTL = 10 * time.Second

// configCache holds one kind of per-bucket configuration, stored as JSON
// of T, for configTTL.
type configCache[T any] struct {
	mu      sync.Mutex
	entries map[string]configEntry[T]
}

type configEntry[T any] struct {
	cfg *T // nil: the bucket has none
	at  time.Time
}

// get returns bucket's configuration, nil if it has none, reading it with
// read when the cached copy is missing or stale.
func (c *configCache[T]) get(ctx context.Context, read func(context.Context, string) ([]byte, error), bucket string) (*T, error) {
	c.mu.Lock()
	e, ok := c.entries[bucket]
	c.mu.Unlock()
	if ok && time.Since(e.at) < configTTL {
		return e.cfg, nil
	}
	raw, err := read(ctx, bucket)
	if err != nil {
		return nil, err
	}
	e = configEntry[T]{at: time.Now()}
	if raw != nil {
		var cfg T
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, fmt.Errorf("configuration of %s: %w", bucket, err)
		}
		e.cfg = &cfg
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]configEntry[T]{}
	}
	if len(c.entries) > 10000 {
		clear(c.entries) // bounded: a cache, not a copy of the buckets table
	}
	c.entries[bucket] = e
	c.mu.Unlock()
	return e.cfg, nil
}

// forget drops bucket's cached configuration.
func (c *configCache[T]) forget(bucket string) {
	c.mu.Lock()
	delete(c.entries, bucket)
	c.mu.Unlock()
}
