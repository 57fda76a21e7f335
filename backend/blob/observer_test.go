package blob_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
)

// countingObserver records what a Store reports to its Observer.
type countingObserver struct {
	mu sync.Mutex
	observed
}

// observed are the counts of a countingObserver.
type observed struct {
	writes, writeErrs, written int64
	segments, degraded, hedged int
}

func (o *countingObserver) BlobWritten(_ time.Duration, size int64, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.writes++
	o.written += size
	if err != nil {
		o.writeErrs++
	}
}

func (o *countingObserver) SegmentRead(_ time.Duration, degraded bool, _ error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.segments++
	if degraded {
		o.degraded++
	}
}

func (o *countingObserver) Hedged() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.hedged++
}

func (o *countingObserver) snapshot() observed {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.observed
}

// TestObserver: writes, healthy and degraded reads and hedges each reach
// Options.Observer, and a store without one works as before.
func TestObserver(t *testing.T) {
	c := newCluster(6)
	obs := &countingObserver{}
	s := newStore(t, c, blob.Options{Observer: obs, HedgeDelay: 300 * time.Millisecond})
	data := make([]byte, 3*stripe+100)
	for i := range data {
		data[i] = byte(rand.Uint32())
	}
	res := put(t, s, c.Nodes, data)
	if got := obs.snapshot(); got.writes != 1 || got.written != int64(len(data)) || got.writeErrs != 0 {
		t.Fatalf("after a write: %+v", got)
	}

	mustRead(t, s, res, data, 0, -1)
	healthy := obs.snapshot()
	if healthy.segments == 0 || healthy.degraded != 0 || healthy.hedged != 0 {
		t.Fatalf("after a healthy read: %+v", healthy)
	}

	c.down(res, 0)
	mustRead(t, s, res, data, 0, -1)
	if got := obs.snapshot(); got.degraded == 0 {
		t.Fatalf("after a read with a data shard's node down: %+v, want degraded segments", got)
	}
	c.heal(res, 0)

	c.SetFault(res.Placement[1].Addr, blob.Fault{Delay: 2 * time.Second})
	mustRead(t, s, res, data, 0, -1)
	if got := obs.snapshot(); got.hedged == 0 {
		t.Fatalf("after a read with a slow data shard: %+v, want hedges", got)
	}
	c.heal(res, 1)

	plain := newStore(t, c, blob.Options{})
	mustRead(t, plain, res, data, 0, -1)
}
