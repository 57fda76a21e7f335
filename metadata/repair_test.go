package metadata

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// repairFixture stores objects a, b, c (one blob each, shards on n0, n1,
// n2) with nodes n0..n3 registered alive.
func repairFixture(t *testing.T) (*Postgres, map[string]Blob) {
	t.Helper()
	s := newStore(t)
	mustAliveNodes(t, s, "n0", "n1", "n2", "n3")
	mustCreateBucket(t, s, "bkt")
	blobs := map[string]Blob{}
	for _, k := range []string{"a", "b", "c"} {
		obj := newObject(t, "bkt", k, 10)
		mustPut(t, s, obj)
		blobs[k] = obj.Parts[0].Blob
	}
	return s, blobs
}

func TestRepairQueueOrdersByRedundancyLeft(t *testing.T) {
	s, blobs := repairFixture(t)
	ctx := context.Background()
	// a: one corrupt shard; b: two shards unreadable (corrupt + dead
	// node); c: fine but queued anyway.
	if ok, err := s.SetShardState(ctx, blobs["a"].ID, 0, "n0", ShardCorrupt, "scrub"); err != nil || !ok {
		t.Fatalf("SetShardState a: %v %v", ok, err)
	}
	if ok, err := s.SetShardState(ctx, blobs["b"].ID, 0, "n9", ShardCorrupt, "scrub"); err != nil || ok {
		t.Fatalf("SetShardState on the wrong node: %v %v, want no change", ok, err)
	}
	if _, err := s.SetShardState(ctx, blobs["b"].ID, 1, "n1", ShardMissing, "scrub"); err != nil {
		t.Fatal(err)
	}
	bID, aID := blobs["b"].ID, blobs["a"].ID
	exec(t, s, `UPDATE shards SET node_id = 'n3' WHERE blob_id = $1 AND idx = 2`, bID[:])
	exec(t, s, `UPDATE nodes SET state = 'dead' WHERE id = 'n3'`)
	if err := s.EnqueueRepair(ctx, "test", blobs["c"].ID, blobs["b"].ID); err != nil {
		t.Fatal(err)
	}
	st, err := s.RepairStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Queued != 3 || st.ByReadable[1] != 1 || st.ByReadable[2] != 1 || st.ByReadable[3] != 1 || st.Oldest.IsZero() {
		t.Fatalf("status %+v", st)
	}

	tasks, err := s.ClaimRepairs(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var order []blobmeta.ID
	for _, tk := range tasks {
		order = append(order, tk.Blob.ID)
	}
	if len(order) != 3 || order[0] != blobs["b"].ID || order[1] != blobs["a"].ID || order[2] != blobs["c"].ID {
		t.Fatalf("claim order %v, want b, a, c", order)
	}
	b := tasks[0]
	want := []ShardHealth{
		{0, "n0", "n0:1", NodeAlive, ShardOK},
		{1, "n1", "n1:1", NodeAlive, ShardMissing},
		{2, "n3", "n3:1", NodeDead, ShardOK},
	}
	for i, w := range want {
		if b.Shards[i] != w {
			t.Errorf("b shard %d: %+v, want %+v", i, b.Shards[i], w)
		}
		if got := b.Shards[i].NeedsRewrite(); got != (i > 0) {
			t.Errorf("b shard %d NeedsRewrite = %v", i, got)
		}
	}
	if b.Reason != "scrub" || b.Attempts != 1 {
		t.Errorf("b reason %q attempts %d", b.Reason, b.Attempts)
	}
	if st, _ := s.RepairStatus(ctx); st.InProgress != 3 {
		t.Fatalf("in progress %d, want 3", st.InProgress)
	}
	// Leased: nothing more to claim.
	if more, err := s.ClaimRepairs(ctx, 10, time.Minute); err != nil || len(more) != 0 {
		t.Fatalf("second claim: %d tasks, %v", len(more), err)
	}

	// Repair b: shard 1 rewritten on n2 and shard 2 on n1 (the test does
	// not care which nodes; the store does not check placement rules).
	moves := []ShardMove{{1, "n1", "n2"}, {2, "n3", "n1"}}
	if err := s.FinishRepair(ctx, b.Blob.ID, moves); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRepairTask(ctx, b.Blob.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, node := range []string{"n0", "n2", "n1"} {
		if got.Shards[i].NodeID != node || got.Shards[i].State != ShardOK {
			t.Errorf("after repair shard %d: %+v, want on %s ok", i, got.Shards[i], node)
		}
	}
	// A stale repair of the same shard conflicts and changes nothing.
	if err := s.FinishRepair(ctx, b.Blob.ID, []ShardMove{{1, "n1", "n3"}}); !errors.Is(err, ErrRepairConflict) {
		t.Fatalf("stale FinishRepair = %v, want ErrRepairConflict", err)
	}
	// A failed repair is retried after its delay, not before.
	if err := s.FailRepair(ctx, blobs["a"].ID, errors.New("node gone"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.RepairStatus(ctx); st.Queued != 2 || st.Retrying != 1 || st.InProgress != 1 {
		t.Fatalf("status after finish and fail: %+v", st)
	}
	exec(t, s, `UPDATE repair_queue SET not_before = now() - interval '1 second' WHERE blob_id = $1`, aID[:])
	again, err := s.ClaimRepairs(ctx, 10, time.Minute)
	if err != nil || len(again) != 1 || again[0].Blob.ID != blobs["a"].ID || again[0].Attempts != 2 {
		t.Fatalf("retry claim: %+v %v", again, err)
	}
	// A released claim (a repairer stopping) is claimable at once, and the
	// attempt it did not finish does not count.
	if err := s.ReleaseRepair(ctx, blobs["a"].ID); err != nil {
		t.Fatal(err)
	}
	back, err := s.ClaimRepairs(ctx, 10, time.Minute)
	if err != nil || len(back) != 1 || back[0].Blob.ID != blobs["a"].ID || back[0].Attempts != 2 {
		t.Fatalf("claim after release: %+v %v; want a again at attempt 2", back, err)
	}
}

func TestRepairSkipsBlobsBeingDeleted(t *testing.T) {
	s, blobs := repairFixture(t)
	ctx := context.Background()
	if err := s.EnqueueRepair(ctx, "test", blobs["a"].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteObject(ctx, "bkt", "a", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if tasks, err := s.ClaimRepairs(ctx, 10, time.Minute); err != nil || len(tasks) != 0 {
		t.Fatalf("claimed %d tasks of a deleted blob: %v", len(tasks), err)
	}
	if err := s.FinishRepair(ctx, blobs["a"].ID, nil); !errors.Is(err, ErrRepairConflict) {
		t.Fatalf("FinishRepair of a blob being deleted = %v", err)
	}
	// Nor can it be queued again.
	if err := s.EnqueueRepair(ctx, "test", blobs["a"].ID); err != nil {
		t.Fatal(err)
	}
	exec(t, s, `DELETE FROM repair_queue`)
	if err := s.EnqueueRepair(ctx, "test", blobs["a"].ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM repair_queue`); n != 0 {
		t.Fatalf("%d queue entries for a blob being deleted", n)
	}
}

func TestEnqueueNodeRepairs(t *testing.T) {
	s, _ := repairFixture(t)
	ctx := context.Background()
	n, err := s.EnqueueNodeRepairs(ctx, "n1", "node dead")
	if err != nil || n != 3 {
		t.Fatalf("EnqueueNodeRepairs = %d, %v; want 3", n, err)
	}
	if n, err := s.EnqueueNodeRepairs(ctx, "n1", "node dead"); err != nil || n != 0 {
		t.Fatalf("again = %d, %v; want 0", n, err)
	}
	if n, err := s.EnqueueNodeRepairs(ctx, "n3", "node dead"); err != nil || n != 0 {
		t.Fatalf("empty node = %d, %v; want 0", n, err)
	}
}

// TestConcurrentRepairersDoNotShareWork: several repairers claiming at once
// get disjoint sets of blobs that cover the queue.
func TestConcurrentRepairersDoNotShareWork(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	mustCreateBucket(t, s, "bkt")
	var ids []blobmeta.ID
	for i := range 40 {
		obj := newObject(t, "bkt", string(rune('a'+i%26))+string(rune('a'+i/26)), 1)
		mustPut(t, s, obj)
		ids = append(ids, obj.Parts[0].Blob.ID)
	}
	if err := s.EnqueueRepair(ctx, "test", ids...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[blobmeta.ID]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				tasks, err := s.ClaimRepairs(ctx, 3, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(tasks) == 0 {
					return
				}
				for _, tk := range tasks {
					mu.Lock()
					seen[tk.Blob.ID]++
					mu.Unlock()
					if err := s.FinishRepair(ctx, tk.Blob.ID, nil); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != len(ids) {
		t.Fatalf("%d of %d blobs claimed", len(seen), len(ids))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("blob %s claimed %d times", id, n)
		}
	}
}
