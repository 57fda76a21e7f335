package scrub_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/backend/scrub"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a cluster of real nodes registered in a throw-away Postgres.
type env struct {
	t      *testing.T
	ctx    context.Context
	c      *nodetest.Cluster
	meta   *metadata.Postgres
	client *node.Client
	store  *blob.Store
	keys   int
}

const blobSize = 3 << 20 // RS 4+2: six shards of 768 KiB

func newEnv(t *testing.T, nodes int) *env {
	ctx := t.Context()
	c := nodetest.Start(t, nodes)
	meta, err := metadata.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	client := node.NewClient(c.Secret, nil)
	for _, nd := range c.Nodes {
		if err := meta.UpsertNode(ctx, metadata.NodeInfo{ID: nd.ID, Addr: nd.Addr, State: metadata.NodeAlive}); err != nil {
			t.Fatal(err)
		}
	}
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, c: c, meta: meta, client: client, store: blob.NewStore(client, blob.Options{}, zerolog.Nop())}
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
	plan, err := e.store.Plan(e.c.PlacementNodes(), nil)
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

// file returns the path of shard idx of a blob on the node holding it.
func (e *env) file(w written, idx int) string {
	path, ok := e.find(w, idx)
	if !ok {
		e.t.Fatalf("no file for shard %d of %s", idx, w.ID)
	}
	return path
}

// find looks for shard idx of a blob among the files of the node its
// placement names.
func (e *env) find(w written, idx int) (string, bool) {
	nd := e.c.ByAddr(e.t, w.Placement[idx].ID) // a nodetest node's ID is its address
	for _, f := range nd.ShardFiles(e.t) {
		if filepath.Base(f) == shardfile.Name(w.ID, idx) {
			return f, true
		}
	}
	return "", false
}

// flip flips a byte in the middle of a shard file, in its data.
func flip(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Flip(t, path, fi.Size()/2)
}

// age sets a blob's shard files' modification time d in the past.
func (e *env) age(w written, d time.Duration) {
	old := time.Now().Add(-d)
	for i := range w.Placement {
		if err := os.Chtimes(e.file(w, i), old, old); err != nil {
			e.t.Fatal(err)
		}
	}
}

// files counts the shard files on every node.
func (e *env) files() int {
	n := 0
	for _, nd := range e.c.Nodes {
		n += len(nd.ShardFiles(e.t))
	}
	return n
}

// has reports whether a blob's shard idx file is still on its node.
func (e *env) has(w written, idx int) bool {
	_, ok := e.find(w, idx)
	return ok
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
		done := len(ps) == len(e.c.Nodes)
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
