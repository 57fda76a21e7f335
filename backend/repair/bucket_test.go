package repair

import (
	"context"
	"testing"
	"time"
)

func TestBucketThrottles(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     int64
		takes    []int64
		min, max time.Duration
	}{
		{"unlimited", -1, []int64{1 << 30, 1 << 30}, 0, 100 * time.Millisecond},
		{"within the burst", 1 << 20, []int64{512 << 10, 512 << 10}, 0, 100 * time.Millisecond},
		{"half a second of debt", 1 << 20, []int64{1 << 20, 512 << 10}, 400 * time.Millisecond, 1500 * time.Millisecond},
		{"one take above the burst", 1 << 20, []int64{2 << 20}, 900 * time.Millisecond, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBucket(tc.rate)
			start := time.Now()
			for _, n := range tc.takes {
				if err := b.wait(context.Background(), n); err != nil {
					t.Fatal(err)
				}
			}
			if d := time.Since(start); d < tc.min || d > tc.max {
				t.Fatalf("took %v, want %v..%v", d, tc.min, tc.max)
			}
		})
	}
}

func TestBucketWaitEndsWithContext(t *testing.T) {
	b := newBucket(1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.wait(ctx, 1<<20); err == nil {
		t.Fatal("a wait of days returned without error when its context ended")
	}
}
