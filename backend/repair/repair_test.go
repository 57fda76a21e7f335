package repair_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/repair"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

func TestDeadNodeShardsRebuilt(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	dead := f.node(t, f.blob(t, "obj0").Placement[2].ID)
	f.kill(dead)
	f.setNode(t, dead, metadata.NodeDead)
	if n, err := f.meta.EnqueueNodeRepairs(ctx, dead.ID, "node dead"); err != nil || n != 2 {
		t.Fatalf("enqueued %d, %v", n, err)
	}
	st := runOnce(t, f.repairer(t))
	if st.Blobs != 2 || st.Shards != 2 || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	if q := f.queued(t); q.Queued != 0 {
		t.Fatalf("queue after repair: %+v", q)
	}
	shardLen := int64(3*stripe+77+3) / 4
	for key := range f.data {
		b := f.blob(t, key)
		i := slices.IndexFunc(b.Placement, func(n blobmeta.Node) bool { return n.ID == dead.ID })
		if i >= 0 {
			t.Fatalf("%s: shard %d still on the dead node", key, i)
		}
	}
	b := f.blob(t, "obj0")
	f.checkMoved(t, b, 2, dead.ID)
	if st.BytesRead < 2*4*shardLen-1024 || st.BytesRead > 2*6*shardLen {
		t.Fatalf("read %d bytes to rebuild 2 shards of %d", st.BytesRead, shardLen)
	}
	// M more nodes down, both holding original shards: the rebuilt shard
	// is needed for every read.
	f.kill(f.node(t, b.Placement[0].ID))
	f.kill(f.node(t, b.Placement[1].ID))
	f.mustRead(t)
}

func TestCorruptShardRebuiltAndOldCopyDeleted(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	b := f.blob(t, "obj0")
	old := f.node(t, b.Placement[1].ID)
	// Bitrot at rest, in the shard's first block.
	if err := f.tr.Corrupt(old.Addr, b.ID, 1, 1000); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.meta.SetShardState(ctx, b.ID, 1, old.ID, metadata.ShardCorrupt, "scrub"); err != nil || !ok {
		t.Fatalf("SetShardState: %v %v", ok, err)
	}
	st := runOnce(t, f.repairer(t))
	if st.Blobs != 1 || st.Shards != 1 {
		t.Fatalf("stats %+v", st)
	}
	nb := f.blob(t, "obj0")
	f.checkMoved(t, nb, 1, old.ID)
	if _, err := f.tr.StatShard(ctx, old.Addr, b.ID, 1); !errors.Is(err, node.ErrNotFound) {
		t.Fatalf("corrupt copy still on %s: %v", old.Addr, err)
	}
	f.mustRead(t)
}

func TestDrainingNodeShardsCopiedOff(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	b := f.blob(t, "obj0")
	drain := f.node(t, b.Placement[0].ID)
	f.setNode(t, drain, metadata.NodeDraining)
	if _, err := f.meta.EnqueueNodeRepairs(ctx, drain.ID, "drain"); err != nil {
		t.Fatal(err)
	}
	st := runOnce(t, f.repairer(t))
	info, err := f.tr.ShardInfo(ctx, f.blob(t, "obj0").Placement[0].Addr, b.ID, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	// A copy reads one shard, not K.
	if st.Shards != 1 || st.BytesRead != info.Size {
		t.Fatalf("stats %+v, want one shard copied (%d bytes)", st, info.Size)
	}
	f.checkMoved(t, f.blob(t, "obj0"), 0, drain.ID)
	if files := f.shards(drain); len(files) != 0 {
		t.Fatalf("draining node still holds %v", files)
	}
	f.mustRead(t)
}

func TestTwoRepairersShareTheQueue(t *testing.T) {
	const n = 8
	f := newFixture(t, n)
	ctx := context.Background()
	dead := f.nodes[0] // holds a shard of every blob
	f.kill(dead)
	f.setNode(t, dead, metadata.NodeDead)
	if _, err := f.meta.EnqueueNodeRepairs(ctx, dead.ID, "node dead"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stats := make([]repair.Stats, 2)
	for i := range stats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := f.repairer(t)
			r.Workers = 2
			stats[i] = runOnce(t, r)
		}()
	}
	wg.Wait()
	total := stats[0].Blobs + stats[1].Blobs
	if total != n || stats[0].Failed+stats[1].Failed != 0 {
		t.Fatalf("repairers did %+v and %+v, want %d blobs between them", stats[0], stats[1], n)
	}
	// Exactly one new shard per blob, on the spares.
	files := 0
	for _, nd := range f.nodes[blobNodes:] {
		files += len(f.shards(nd))
	}
	if files != n {
		t.Fatalf("%d shard files on the spares, want %d", files, n)
	}
	f.mustRead(t)
}

func TestTooFewShardsStayQueued(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	b := f.blob(t, "obj0")
	for i := range 3 {
		nd := f.node(t, b.Placement[i].ID)
		f.kill(nd)
		f.setNode(t, nd, metadata.NodeDead)
	}
	if err := f.meta.EnqueueRepair(ctx, "test", b.ID); err != nil {
		t.Fatal(err)
	}
	st := runOnce(t, f.repairer(t))
	if st.Blobs != 0 || st.Failed != 1 {
		t.Fatalf("stats %+v, want one failure", st)
	}
	q := f.queued(t)
	if q.Queued != 1 || q.Retrying != 1 {
		t.Fatalf("queue %+v, want the blob kept, retrying later", q)
	}
	for _, nd := range f.nodes[blobNodes:] {
		if files := f.shards(nd); len(files) != 0 {
			t.Fatalf("spare %s got %v", nd.ID, files)
		}
	}
	// Compare node IDs: dead nodes come back without an address.
	ids := func(b metadata.Blob) []string {
		var out []string
		for _, nd := range b.Placement {
			out = append(out, nd.ID)
		}
		return out
	}
	if got := f.blob(t, "obj0"); !slices.Equal(ids(got), ids(b)) {
		t.Fatalf("placement changed: %v, was %v", ids(got), ids(b))
	}
}

func TestMissingShardWrittenBackWhenNoNodeIsFree(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	for _, nd := range f.nodes[blobNodes:] {
		f.setNode(t, nd, metadata.NodeDraining) // no spare may take shards
	}
	b := f.blob(t, "obj0")
	holder := f.node(t, b.Placement[3].ID)
	// Lost behind the node's back, like a shard file removed.
	if err := f.tr.Drop(holder.Addr, b.ID, 3); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.meta.SetShardState(ctx, b.ID, 3, holder.ID, metadata.ShardMissing, "test"); err != nil || !ok {
		t.Fatalf("SetShardState: %v %v", ok, err)
	}
	st := runOnce(t, f.repairer(t))
	if st.Blobs != 1 || st.Shards != 1 || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	info, err := f.tr.ShardInfo(ctx, holder.Addr, b.ID, 3, true)
	if err != nil || !info.Verified {
		t.Fatalf("shard 3 back on %s: %+v, %v", holder.Addr, info, err)
	}
	if q := f.queued(t); q.Queued != 0 {
		t.Fatalf("queue %+v", q)
	}
	f.mustRead(t)
}
