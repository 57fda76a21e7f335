package metadata

import (
	"context"
	"testing"
	"time"
)

// TestClusterStats: every figure metrics read comes out of one call, and
// follows what the queues, shards and nodes hold.
func TestClusterStats(t *testing.T) {
	s, blobs := repairFixture(t) // nodes n0..n3, blobs a, b, c of 10 bytes on n0..n2
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	empty, err := s.ClusterStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Repair != (RepairQueueStats{}) || empty.GC != (GCBacklog{}) {
		t.Fatalf("fresh cluster: repair %+v, gc %+v", empty.Repair, empty.GC)
	}
	if len(empty.Shards) != 1 || empty.Shards[0] != (ShardCount{ShardOK, NodeAlive, 9}) {
		t.Fatalf("fresh cluster: shards %+v, want 9 ok on alive nodes", empty.Shards)
	}

	if ok, err := s.SetShardState(ctx, blobs["a"].ID, 0, "n0", ShardCorrupt, "test"); err != nil || !ok {
		t.Fatalf("SetShardState: %v %v", ok, err)
	}
	if err := s.EnqueueRepair(ctx, "test", blobs["b"].ID); err != nil { // a is queued by SetShardState
		t.Fatal(err)
	}
	exec(t, s, `UPDATE nodes SET state = 'dead', capacity_bytes = 1000, free_bytes = 400 WHERE id = 'n2'`)
	cID := blobs["c"].ID
	exec(t, s, `UPDATE shards SET node_id = 'gone' WHERE blob_id = $1 AND idx = 1`, cID[:])
	if _, err := s.DeleteObject(ctx, "bkt", "c", DeleteOptions{}); err != nil { // c's blob is queued for deletion
		t.Fatal(err)
	}
	if err := s.RecordIntent(ctx, make([]byte, 16), []string{"n0"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimScrub(ctx, time.Minute, time.Hour); err != nil || !ok {
		t.Fatalf("ClaimScrub: %v %v", ok, err)
	}

	st, err := s.ClusterStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Repair.Queued != 2 || st.Repair.InProgress != 0 || st.Repair.OldestAge < 0 || st.Repair.OldestAge > time.Minute {
		t.Errorf("repair %+v, want 2 queued", st.Repair)
	}
	if st.GC != (GCBacklog{Blobs: 1, Bytes: 10, Intents: 1}) {
		t.Errorf("gc %+v, want 1 blob of 10 bytes and 1 intent", st.GC)
	}
	shards := map[[2]string]int64{}
	for _, c := range st.Shards {
		shards[[2]string{c.State, c.NodeState}] = c.Count
	}
	want := map[[2]string]int64{
		{ShardOK, NodeAlive}:        4, // a1, b0, b1, c0
		{ShardCorrupt, NodeAlive}:   1, // a0
		{ShardOK, NodeDead}:         3, // a2, b2, c2
		{ShardOK, NodeUnregistered}: 1, // c1
	}
	if len(shards) != len(want) {
		t.Errorf("shards %v, want %v", shards, want)
	}
	for k, n := range want {
		if shards[k] != n {
			t.Errorf("shards %v = %d, want %d (all: %v)", k, shards[k], n, shards)
		}
	}
	if len(st.Nodes) != 4 {
		t.Fatalf("nodes %+v", st.Nodes)
	}
	n2 := st.Nodes[2]
	if n2.ID != "n2" || n2.State != NodeDead || n2.CapacityBytes != 1000 || n2.FreeBytes != 400 ||
		n2.HeartbeatAge < 0 || n2.HeartbeatAge > time.Minute {
		t.Errorf("node n2: %+v", n2)
	}
	if len(st.Scrub) == 0 {
		t.Fatalf("no scrub progress rows after a claim")
	}
	claimed := 0
	for _, p := range st.Scrub {
		if p.ClaimedUntil.After(time.Now()) {
			claimed++
		}
	}
	if claimed != 1 {
		t.Errorf("scrub progress %+v: want one node claimed", st.Scrub)
	}
}

// TestClusterStatsDeadline: a scrape's deadline bounds the call.
func TestClusterStatsDeadline(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, err := s.ClusterStats(ctx); err == nil {
		t.Fatal("ClusterStats with an expired deadline succeeded")
	}
}
