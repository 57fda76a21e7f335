package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blobtest"
)

// TestSmallPutsSkipIntents checks the small-write path: PUTs of up to
// 1 MiB commit without a write intent (two durable PostgreSQL commits
// fewer), a larger one records and then drops its intent, and all of
// them read back.
func TestSmallPutsSkipIntents(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	createBucket(t, cl.client, "small")
	bodies := map[string][]byte{}
	for i, size := range []int{1, 4 << 10, 64 << 10, 1 << 20} {
		key := "small/" + strconv.Itoa(i)
		bodies[key] = blobtest.RandBytes(uint64(i), size)
		putBytes(t, cl.client, "small", key, bodies[key])
	}
	bodies["big"] = blobtest.RandBytes(9, 1<<20+1)
	putBytes(t, cl.client, "small", "big", bodies["big"])
	for key, want := range bodies {
		eq(t, getBytes(t, cl.client, "small", key, ""), want, key)
	}
	// PostgreSQL counts inserted rows per table, flushed within a second
	// or so of each transaction.
	waitFor(t, 30*time.Second, "the one large PUT's intent to be counted", func() (bool, error) {
		return cl.count(t, `SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'write_intents'`) == 1, nil
	})
	time.Sleep(2 * time.Second) // a late count of a small PUT's intent would show now
	if n := cl.count(t, `SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'write_intents'`); n != 1 {
		t.Fatalf("%d write intents recorded for four small PUTs and a large one, want 1", n)
	}
	if n := cl.intents(t); n != 0 {
		t.Fatalf("%d write intents left after the PUTs committed", n)
	}
}
