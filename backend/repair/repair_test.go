package repair_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/backend/repair"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const stripe = blobmeta.DefaultStripeSize

// fixture is 8 running nodes, all registered alive, and objects whose
// blobs live on the first 6, leaving 2 spares for repairs.
type fixture struct {
	c      *nodetest.Cluster
	meta   *metadata.Postgres
	blobs  *blob.Store
	client *node.Client
	log    zerolog.Logger
	data   map[string][]byte // key → bytes
}

func newFixture(t *testing.T, objects int) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := &fixture{c: nodetest.Start(t, 8), data: map[string][]byte{}}
	f.log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	meta, err := metadata.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	f.meta = meta
	f.client = node.NewClient(f.c.Secret, nil)
	f.blobs = blob.NewStore(f.client, blob.Options{}, f.log)
	for _, nd := range f.c.Nodes {
		f.setNode(t, nd, metadata.NodeAlive)
	}
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for i := range objects {
		key := fmt.Sprintf("obj%d", i)
		data := blobtest.RandBytes(uint64(100+i), 3*stripe+77)
		res, err := f.blobs.Put(ctx, bytes.NewReader(data), f.c.PlacementNodes()[:6], nil)
		if err != nil {
			t.Fatal(err)
		}
		obj := metadata.Object{Bucket: "bkt", Key: key, Size: int64(len(data)), ETag: "e",
			Parts: []metadata.Part{{Number: 1, Size: int64(len(data)),
				Blob: metadata.Blob{ID: res.ID, Manifest: res.Manifest, Placement: res.Placement}}}}
		if _, err := meta.PutObject(ctx, obj, nil, metadata.Precondition{}); err != nil {
			t.Fatal(err)
		}
		f.data[key] = data
	}
	return f
}

func (f *fixture) setNode(t *testing.T, nd *nodetest.Node, state string) {
	t.Helper()
	err := f.meta.UpsertNode(context.Background(), metadata.NodeInfo{ID: nd.ID, Addr: nd.Addr, State: state, FreeBytes: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) repairer(t *testing.T) *repair.Repairer {
	return &repair.Repairer{Meta: f.meta, Blobs: f.blobs, Rate: -1, Log: f.log}
}

func (f *fixture) blob(t *testing.T, key string) metadata.Blob {
	t.Helper()
	obj, err := f.meta.GetObject(context.Background(), "bkt", key)
	if err != nil {
		t.Fatal(err)
	}
	return obj.Parts[0].Blob
}

func (f *fixture) node(t *testing.T, id string) *nodetest.Node {
	t.Helper()
	for _, nd := range f.c.Nodes {
		if nd.ID == id {
			return nd
		}
	}
	t.Fatalf("no node %s", id)
	return nil
}

// mustRead reads every object through its current placement.
func (f *fixture) mustRead(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for key, want := range f.data {
		b := f.blob(t, key)
		r, err := f.blobs.NewReader(ctx, b.Manifest, b.Placement, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("read %s: %d bytes, %v", key, len(got), err)
		}
	}
}

// checkMoved verifies shard i of b sits on a node holding no other shard
// of b, and that the node's copy verifies.
func (f *fixture) checkMoved(t *testing.T, b metadata.Blob, i int, from string) {
	t.Helper()
	to := b.Placement[i]
	if to.ID == from {
		t.Fatalf("shard %d still on %s", i, from)
	}
	for j, nd := range b.Placement {
		if j != i && nd.ID == to.ID {
			t.Fatalf("shard %d moved to %s, which holds shard %d too", i, to.ID, j)
		}
	}
	info, err := f.client.ShardInfo(context.Background(), to.Addr, b.ID, i, true)
	if err != nil || !info.Verified {
		t.Fatalf("shard %d on %s: %+v, %v", i, to.Addr, info, err)
	}
}

func (f *fixture) queued(t *testing.T) metadata.RepairStatus {
	t.Helper()
	st, err := f.meta.RepairStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func runOnce(t *testing.T, r *repair.Repairer) repair.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := r.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDeadNodeShardsRebuilt(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	dead := f.node(t, f.blob(t, "obj0").Placement[2].ID)
	dead.Kill(t)
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
	f.node(t, b.Placement[0].ID).Kill(t)
	f.node(t, b.Placement[1].ID).Kill(t)
	f.mustRead(t)
}

func shardFile(nd *nodetest.Node, b metadata.Blob, i int) string {
	id := b.ID.String()
	return filepath.Join(nd.Dir, "shards", id[:2], fmt.Sprintf("%s.%d", id, i))
}

func TestCorruptShardRebuiltAndOldCopyDeleted(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	b := f.blob(t, "obj0")
	old := f.node(t, b.Placement[1].ID)
	blobtest.Flip(t, shardFile(old, b, 1), 1000)
	if ok, err := f.meta.SetShardState(ctx, b.ID, 1, old.ID, metadata.ShardCorrupt, "scrub"); err != nil || !ok {
		t.Fatalf("SetShardState: %v %v", ok, err)
	}
	st := runOnce(t, f.repairer(t))
	if st.Blobs != 1 || st.Shards != 1 {
		t.Fatalf("stats %+v", st)
	}
	nb := f.blob(t, "obj0")
	f.checkMoved(t, nb, 1, old.ID)
	if _, err := f.client.StatShard(ctx, old.Addr, b.ID, 1); !errors.Is(err, node.ErrNotFound) {
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
	info, err := f.client.ShardInfo(ctx, f.blob(t, "obj0").Placement[0].Addr, b.ID, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	// A copy reads one shard, not K.
	if st.Shards != 1 || st.BytesRead != info.Size {
		t.Fatalf("stats %+v, want one shard copied (%d bytes)", st, info.Size)
	}
	f.checkMoved(t, f.blob(t, "obj0"), 0, drain.ID)
	if files := drain.ShardFiles(t); len(files) != 0 {
		t.Fatalf("draining node still holds %v", files)
	}
	f.mustRead(t)
}

func TestTwoRepairersShareTheQueue(t *testing.T) {
	const n = 8
	f := newFixture(t, n)
	ctx := context.Background()
	dead := f.c.Nodes[0] // holds a shard of every blob
	dead.Kill(t)
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
	files := len(f.c.Nodes[6].ShardFiles(t)) + len(f.c.Nodes[7].ShardFiles(t))
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
		nd.Kill(t)
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
	for _, nd := range f.c.Nodes[6:] {
		if files := nd.ShardFiles(t); len(files) != 0 {
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
	for _, nd := range f.c.Nodes[6:] {
		f.setNode(t, nd, metadata.NodeDraining) // no spare may take shards
	}
	b := f.blob(t, "obj0")
	holder := f.node(t, b.Placement[3].ID)
	if err := os.Remove(shardFile(holder, b, 3)); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.meta.SetShardState(ctx, b.ID, 3, holder.ID, metadata.ShardMissing, "test"); err != nil || !ok {
		t.Fatalf("SetShardState: %v %v", ok, err)
	}
	st := runOnce(t, f.repairer(t))
	if st.Blobs != 1 || st.Shards != 1 || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	info, err := f.client.ShardInfo(ctx, holder.Addr, b.ID, 3, true)
	if err != nil || !info.Verified {
		t.Fatalf("shard 3 back on %s: %+v, %v", holder.Addr, info, err)
	}
	if q := f.queued(t); q.Queued != 0 {
		t.Fatalf("queue %+v", q)
	}
	f.mustRead(t)
}
