package scrub_test

import (
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/nodetest"
)

// newRealEnv returns an env of n real storage node processes.
func newRealEnv(t *testing.T, n int) *env {
	c := nodetest.Start(t, n)
	client := node.NewClient(c.Secret, nil)
	return openEnv(t, c.PlacementNodes(), client, client)
}

// TestScrubPassThroughput logs how fast an unlimited pass verifies; run
// with -v. It asserts only that the pass checks every shard.
//
// It stays on real nodes: verification is the node reading and hashing its
// shard files and answering over HTTP, so only a real node's figure means
// anything. -short skips it.
func TestScrubPassThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	e := newRealEnv(t, 6)
	for i := range 16 {
		e.put(uint64(i + 1))
	}
	s := e.scrubber(time.Hour)
	s.PageSize = 100
	start := time.Now()
	st := e.pass(s)
	took := time.Since(start)
	if st.Checked != 96 {
		t.Fatalf("pass checked %d shards, want 96", st.Checked)
	}
	t.Logf("unlimited pass: %d shards, %.1f MiB in %v: %.0f MiB/s", st.Checked, float64(st.Bytes)/(1<<20),
		took.Round(time.Millisecond), float64(st.Bytes)/(1<<20)/took.Seconds())
}
