package scrub_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/scrub"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a set of storage nodes registered in a throw-away Postgres: the
// nodes of an InmemTransport (newEnv), or real ones (newRealEnv) for a
// test whose figure only a real node gives.
type env struct {
	t      *testing.T
	ctx    context.Context
	nodes  []blobmeta.Node
	tr     *blob.InmemTransport // nil on real nodes
	aged   *agedNodes           // tr as the scrubber sees it; nil on real nodes
	client scrub.NodeClient
	meta   *metadata.Postgres
	store  *blob.Store
	keys   int
}

const blobSize = 3 << 20 // RS 4+2: six shards of 768 KiB

// newEnv returns an env of n in-memory nodes.
func newEnv(t *testing.T, n int) *env {
	nodes := make([]blobmeta.Node, n)
	addrs := make([]string, n)
	for i := range nodes {
		addrs[i] = fmt.Sprintf("inmem-%d:7000", i)
		nodes[i] = blobmeta.Node{ID: addrs[i], Addr: addrs[i]} // ID = address, as nodetest's
	}
	tr := blob.NewInmemTransport(addrs...)
	aged := &agedNodes{InmemTransport: tr, mtime: map[shardKey]time.Time{}}
	e := openEnv(t, nodes, tr, aged)
	e.tr, e.aged = tr, aged
	return e
}

// openEnv registers nodes alive in a new metadata store holding bucket
// "bkt"; the blob store writes through tr and the scrubber calls client.
func openEnv(t *testing.T, nodes []blobmeta.Node, tr blob.Transport, client scrub.NodeClient) *env {
	ctx := t.Context()
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
	return &env{t: t, ctx: ctx, nodes: nodes, client: client, meta: meta, store: blob.NewStore(tr, blob.Options{}, zerolog.Nop())}
}

// shardKey names a shard on a node.
type shardKey struct{ addr, name string }

// agedNodes is an InmemTransport whose shards' times can be set back
// (age), as a test on real nodes sets a shard file's time with os.Chtimes:
// the transport stamps a shard with the time it was stored and has no way
// to change it. Only the calls that report a time are wrapped.
type agedNodes struct {
	*blob.InmemTransport
	mu    sync.Mutex
	mtime map[shardKey]time.Time
}

// age sets the time of shard index of blob id on addr d in the past. No
// test rewrites a shard it aged, so the time is not reset on a rewrite.
func (a *agedNodes) age(addr string, id blobmeta.ID, index int, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.mtime[shardKey{addr, shardfile.Name(id, index)}] = time.Now().Add(-d)
}

// modTime is the time to report for a shard the node stamped t.
func (a *agedNodes) modTime(addr string, id blobmeta.ID, index int, t time.Time) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	if mt, ok := a.mtime[shardKey{addr, shardfile.Name(id, index)}]; ok {
		return mt
	}
	return t
}

// ListShards lists as the node does, with the shards' set times.
func (a *agedNodes) ListShards(ctx context.Context, addr string, after string, limit int) (node.ListPage, error) {
	pg, err := a.InmemTransport.ListShards(ctx, addr, after, limit)
	for i := range pg.Shards {
		e := &pg.Shards[i]
		e.ModTime = a.modTime(addr, e.ID, e.Index, e.ModTime)
	}
	return pg, err
}

// ShardInfo describes a shard as the node does, with its set time.
func (a *agedNodes) ShardInfo(ctx context.Context, addr string, id blobmeta.ID, index int, verify bool) (node.ShardInfo, error) {
	info, err := a.InmemTransport.ShardInfo(ctx, addr, id, index, verify)
	if err == nil {
		info.ModTime = a.modTime(addr, id, index, info.ModTime)
	}
	return info, err
}

// scrubber returns a scrubber with a fast, unlimited pace.
func (e *env) scrubber(grace time.Duration) *scrub.Scrubber {
	return &scrub.Scrubber{Meta: e.meta, Client: e.client, Rate: -1, OrphanGrace: grace, PageSize: 4, PassInterval: -1, Log: zerolog.Nop()}
}

// written is a blob on the nodes.
type written struct {
	*blob.Result
	nonce []byte
	seed  uint64
}

// write writes a blob; with intent it records the write intent first (and
// binds the blob to it), as the gateway does.
func (e *env) write(seed uint64, intent bool) written {
	t := e.t
	plan, err := e.store.Plan(e.nodes, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(plan.Placement))
	for i, nd := range plan.Placement {
		ids[i] = nd.ID
	}
	if intent {
		if err := e.meta.RecordIntent(e.ctx, plan.Nonce[:], ids); err != nil {
			t.Fatal(err)
		}
	}
	res, err := e.store.Write(e.ctx, plan, bytes.NewReader(blobtest.RandBytes(seed, blobSize)))
	if err != nil || len(res.Failed) > 0 {
		t.Fatalf("write: %v %v", err, res)
	}
	if intent {
		if err := e.meta.SetIntentBlob(e.ctx, plan.Nonce[:], res.ID); err != nil {
			t.Fatal(err)
		}
	}
	return written{res, plan.Nonce[:], seed}
}

// put writes a blob and commits it as an object.
func (e *env) put(seed uint64) written {
	w := e.write(seed, true)
	e.keys++
	_, err := e.meta.PutObject(e.ctx, metadata.Object{Bucket: "bkt", Key: fmt.Sprint("k", e.keys), Size: blobSize, ETag: `"x"`,
		Parts: []metadata.Part{{Number: 1, Size: blobSize, Blob: metadata.Blob{ID: w.ID, Manifest: w.Manifest, Placement: w.Placement}}}},
		[][]byte{w.nonce}, metadata.Precondition{})
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// corrupt flips a bit in the middle of shard idx of a blob, in its data.
func (e *env) corrupt(w written, idx int) {
	if err := e.tr.Corrupt(w.Placement[idx].Addr, w.ID, idx, blobSize/4/2); err != nil {
		e.t.Fatal(err)
	}
}

// drop loses shard idx of a blob behind its node's back.
func (e *env) drop(w written, idx int) {
	if err := e.tr.Drop(w.Placement[idx].Addr, w.ID, idx); err != nil {
		e.t.Fatal(err)
	}
}

// age sets the time of every shard of a blob d in the past.
func (e *env) age(w written, d time.Duration) {
	for i, nd := range w.Placement {
		e.aged.age(nd.Addr, w.ID, i, d)
	}
}

// files counts the shards on every node.
func (e *env) files() int {
	n := 0
	for _, nd := range e.nodes {
		n += len(e.tr.Shards(nd.Addr))
	}
	return n
}

// has reports whether shard idx of a blob is still on its node.
func (e *env) has(w written, idx int) bool {
	return slices.Contains(e.tr.Shards(w.Placement[idx].Addr), shardfile.Name(w.ID, idx))
}

// pass scrubs until every node has finished a new pass, and
// returns the sum of what the steps did.
func (e *env) pass(s *scrub.Scrubber) scrub.Stats {
	t := e.t
	before := map[string]time.Time{}
	ps, err := e.meta.ListScrubProgress(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		before[p.NodeID] = p.LastPassAt
	}
	var sum scrub.Stats
	for range 1000 {
		ps, err := e.meta.ListScrubProgress(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := len(ps) == len(e.nodes)
		for _, p := range ps {
			done = done && p.LastPassAt.After(before[p.NodeID]) && p.Cursor == metadata.ScrubPassDone
		}
		if done {
			return sum
		}
		st, err := s.Step(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		sum.Checked += st.Checked
		sum.Corrupt += st.Corrupt
		sum.Missing += st.Missing
		sum.Orphans += st.Orphans
		sum.Bytes += st.Bytes
	}
	t.Fatal("scrub pass did not finish")
	return sum
}

// shardState returns a shard row's state.
func (e *env) shardState(id blobmeta.ID, idx int) string {
	var s string
	if err := e.meta.Pool().QueryRow(e.ctx, `SELECT state FROM shards WHERE blob_id = $1 AND idx = $2`, id[:], idx).Scan(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// queued reports whether a blob is in the repair queue.
func (e *env) queued(id blobmeta.ID) bool {
	var ok bool
	if err := e.meta.Pool().QueryRow(e.ctx, `SELECT EXISTS (SELECT 1 FROM repair_queue WHERE blob_id = $1)`, id[:]).Scan(&ok); err != nil {
		e.t.Fatal(err)
	}
	return ok
}

// readBack checks that a blob reads back whole.
func (e *env) readBack(w written) {
	r, err := e.store.NewReader(e.ctx, w.Manifest, w.Placement, 0, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil || !bytes.Equal(buf.Bytes(), blobtest.RandBytes(w.seed, blobSize)) {
		e.t.Fatalf("blob %s does not read back: %v", w.ID, err)
	}
}
