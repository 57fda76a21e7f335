package scrub_test

import (
	"testing"
	"time"
)

// TestScrubPassThroughput logs how fast an unlimited pass verifies; run
// with -v. It asserts only that the pass checks every shard.
func TestScrubPassThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	e := newEnv(t, 6)
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
