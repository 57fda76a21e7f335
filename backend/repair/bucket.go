package repair

import (
	"context"
	"sync"
	"time"
)

// bucket is a token bucket of bytes. A caller takes what it is about to
// read up front, possibly more than the bucket holds, and waits until the
// debt is paid back: large blobs are throttled as fairly as small ones.
type bucket struct {
	rate float64 // bytes per second; <= 0 means unlimited

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newBucket(rate int64) *bucket {
	return &bucket{rate: float64(rate), tokens: float64(rate), last: time.Now()}
}

// wait takes n bytes from the bucket and sleeps until it is out of debt.
func (b *bucket) wait(ctx context.Context, n int64) error {
	if b.rate <= 0 || n <= 0 {
		return nil
	}
	b.mu.Lock()
	now := time.Now()
	// Refill, keeping at most one second's worth: an idle repairer must
	// not then burst far above its rate.
	b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= float64(n)
	debt := -b.tokens
	b.mu.Unlock()
	if debt <= 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(debt / b.rate * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
