package gc_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/gc"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is what a collector test runs against: six in-memory storage nodes
// registered alive in a fresh metadata store that holds bucket "bkt", and a
// blob store writing to those nodes.
type env struct {
	nodes []blobmeta.Node
	tr    *blob.InmemTransport // the nodes; also the collector's node client
	meta  *metadata.Postgres
	store *blob.Store
}

// newEnv returns an env on fresh in-memory nodes and a fresh database.
func newEnv(t *testing.T) env {
	t.Helper()
	ctx := context.Background()
	nodes := make([]blobmeta.Node, 6)
	addrs := make([]string, len(nodes))
	for i := range nodes {
		addrs[i] = fmt.Sprintf("inmem-%d:7000", i)
		nodes[i] = blobmeta.Node{ID: addrs[i], Addr: addrs[i]} // ID = address, as nodetest's
	}
	meta, err := metadata.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	for _, nd := range nodes {
		if err := meta.UpsertNode(ctx, metadata.NodeInfo{ID: nd.ID, Addr: nd.Addr, State: metadata.NodeAlive}); err != nil {
			t.Fatal(err)
		}
	}
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	tr := blob.NewInmemTransport(addrs...)
	return env{nodes: nodes, tr: tr, meta: meta, store: blob.NewStore(tr, blob.Options{}, zerolog.Nop())}
}

// shards counts the shards on every node.
func (e env) shards() int {
	n := 0
	for _, nd := range e.nodes {
		n += len(e.tr.Shards(nd.Addr))
	}
	return n
}

// A blob written to the nodes whose object was never committed (the gateway
// crashed between the two) is found through its write intent and its shards
// are deleted; a committed blob, and then a replaced one, are handled too.
func TestCollectorDeletesUncommittedAndReplacedBlobs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	meta, store := e.meta, e.store
	write := func(seed uint64) (*blob.Result, []byte) {
		plan, err := store.Plan(e.nodes, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(plan.Placement))
		for i, nd := range plan.Placement {
			ids[i] = nd.ID
		}
		if err := meta.RecordIntent(ctx, plan.Nonce[:], ids); err != nil {
			t.Fatal(err)
		}
		res, err := store.Write(ctx, plan, bytes.NewReader(blobtest.RandBytes(seed, 3<<20)))
		if err != nil {
			t.Fatal(err)
		}
		if err := meta.SetIntentBlob(ctx, plan.Nonce[:], res.ID); err != nil {
			t.Fatal(err)
		}
		return res, plan.Nonce[:]
	}
	commit := func(res *blob.Result, nonce []byte) {
		_, err := meta.PutObject(ctx, metadata.Object{Bucket: "bkt", Key: "k", Size: res.Manifest.Size, ETag: `"x"`,
			Parts: []metadata.Part{{Number: 1, Size: res.Manifest.Size, Blob: metadata.Blob{ID: res.ID, Manifest: res.Manifest, Placement: res.Placement}}}},
			[][]byte{nonce}, metadata.Precondition{})
		if err != nil {
			t.Fatal(err)
		}
	}
	col := &gc.Collector{Meta: meta, Client: e.tr, IntentGrace: time.Millisecond, Log: zerolog.Nop()}

	committed, n1 := write(1)
	commit(committed, n1)
	write(2) // never committed: the gateway "crashed"
	if got := e.shards(); got != 12 {
		t.Fatalf("%d shards after two writes, want 12", got)
	}
	time.Sleep(10 * time.Millisecond)
	st, err := col.RunOnce(ctx)
	if err != nil || st.Intents != 1 || st.Failed != 0 {
		t.Fatalf("round 1: %+v, %v", st, err)
	}
	if got := e.shards(); got != 6 {
		t.Fatalf("%d shards after collecting the uncommitted write, want the committed blob's 6", got)
	}

	replacement, n3 := write(3)
	commit(replacement, n3)
	st, err = col.RunOnce(ctx)
	if err != nil || st.Blobs != 1 {
		t.Fatalf("round 2: %+v, %v", st, err)
	}
	if got := e.shards(); got != 6 {
		t.Fatalf("%d shards after an overwrite, want the replacement's 6", got)
	}
	obj, err := meta.GetObject(ctx, "bkt", "k")
	if err != nil || obj.Parts[0].Blob.ID != replacement.ID {
		t.Fatalf("object after GC: %+v, %v", obj, err)
	}
	r, err := store.NewReader(ctx, replacement.Manifest, replacement.Placement, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil || !bytes.Equal(buf.Bytes(), blobtest.RandBytes(3, 3<<20)) {
		t.Fatalf("the surviving object does not read back: %v", err)
	}
}

// Shards on a dead node, or on one removed from the cluster, do not hold up
// a deletion: the blob's other shards go and its rows are dropped; what is
// left on those nodes is the orphan scrubber's.
func TestCollectorSkipsDeadAndRemovedNodes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	meta := e.meta
	put := func(seed uint64) *blob.Result {
		res, err := e.store.Put(ctx, bytes.NewReader(blobtest.RandBytes(seed, 1<<20)), e.nodes, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = meta.PutObject(ctx, metadata.Object{Bucket: "bkt", Key: "k", Size: res.Manifest.Size, ETag: `"x"`,
			Parts: []metadata.Part{{Number: 1, Size: res.Manifest.Size, Blob: metadata.Blob{ID: res.ID, Manifest: res.Manifest, Placement: res.Placement}}}},
			nil, metadata.Precondition{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	put(1)
	put(2) // queues the first blob for deletion
	dead, removed := e.nodes[0], e.nodes[1]
	e.tr.SetFault(dead.Addr, blob.Fault{Down: true})
	if err := meta.SetNodeState(ctx, dead.ID, metadata.NodeDead); err != nil {
		t.Fatal(err)
	}
	if _, err := meta.DeleteNode(ctx, removed.ID, true); err != nil {
		t.Fatal(err)
	}

	col := &gc.Collector{Meta: meta, Client: e.tr, Log: zerolog.Nop()}
	st, err := col.RunOnce(ctx)
	if err != nil || st.Blobs != 1 || st.Failed != 0 {
		t.Fatalf("round: %+v, %v", st, err)
	}
	for _, nd := range e.nodes {
		want := 1 // the live blob's shard
		if nd.ID == dead.ID || nd.ID == removed.ID {
			want = 2 // and the deleted blob's, for the scrubber
		}
		if got := len(e.tr.Shards(nd.Addr)); got != want {
			t.Errorf("node %s: %d shards, want %d", nd.ID, got, want)
		}
	}
	if st, err := col.RunOnce(ctx); err != nil || st != (gc.Stats{}) {
		t.Fatalf("second round: %+v, %v", st, err)
	}
}
