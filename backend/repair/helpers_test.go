package repair_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/repair"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const stripe = blobmeta.DefaultStripeSize

// Sizes of the fixture.
const (
	fixtureNodes = 8 // in-memory nodes, all registered alive
	blobNodes    = 6 // the first ones, holding every blob; the rest are spares
)

// fixture is fixtureNodes in-memory nodes registered in a real Postgres,
// and objects whose blobs live on the first blobNodes, leaving the others
// free to take repaired shards. Repair only talks to nodes through the
// blob store, so the in-memory transport stands in for node processes;
// the benchmarks (bench_test.go) measure real ones.
type fixture struct {
	tr    *blob.InmemTransport
	nodes []blobmeta.Node // as placement sees them; ID = address
	meta  *metadata.Postgres
	blobs *blob.Store
	log   zerolog.Logger
	data  map[string][]byte // key → bytes
}

// newFixture returns a fixture holding objects "obj0" to "obj<objects-1>",
// each of 3 stripes and a bit, so every shard spans several blocks.
func newFixture(t *testing.T, objects int) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := &fixture{data: map[string][]byte{}}
	addrs := make([]string, fixtureNodes)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("inmem-%d:7000", i)
		f.nodes = append(f.nodes, blobmeta.Node{ID: addrs[i], Addr: addrs[i]}) // ID = address, as for real nodes
	}
	f.tr = blob.NewInmemTransport(addrs...)
	f.log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	meta, err := metadata.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	f.meta = meta
	f.blobs = blob.NewStore(f.tr, blob.Options{}, f.log)
	for _, nd := range f.nodes {
		f.setNode(t, nd, metadata.NodeAlive)
	}
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for i := range objects {
		key := fmt.Sprintf("obj%d", i)
		data := blobtest.RandBytes(uint64(100+i), 3*stripe+77)
		res, err := f.blobs.Put(ctx, bytes.NewReader(data), f.nodes[:blobNodes], nil)
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

// setNode records nd in state, with a fresh heartbeat and the same free
// space as every other node.
func (f *fixture) setNode(t *testing.T, nd blobmeta.Node, state string) {
	t.Helper()
	err := f.meta.UpsertNode(context.Background(), metadata.NodeInfo{ID: nd.ID, Addr: nd.Addr, State: state, FreeBytes: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
}

// kill takes nd down as a killed node process is: every call is refused.
// Its state in Postgres is the test's to change.
func (f *fixture) kill(nd blobmeta.Node) {
	f.tr.SetFault(nd.Addr, blob.Fault{Down: true})
}

// shards returns the names of the shards nd holds.
func (f *fixture) shards(nd blobmeta.Node) []string {
	return f.tr.Shards(nd.Addr)
}

func (f *fixture) repairer(t *testing.T) *repair.Repairer {
	return &repair.Repairer{Meta: f.meta, Blobs: f.blobs, Rate: -1, Log: f.log}
}

// blob returns the blob of key as Postgres records it now.
func (f *fixture) blob(t *testing.T, key string) metadata.Blob {
	t.Helper()
	obj, err := f.meta.GetObject(context.Background(), "bkt", key)
	if err != nil {
		t.Fatal(err)
	}
	return obj.Parts[0].Blob
}

// node returns the fixture's node with id. Placements read back from
// Postgres lack the address of a dead node; this one always has it.
func (f *fixture) node(t *testing.T, id string) blobmeta.Node {
	t.Helper()
	for _, nd := range f.nodes {
		if nd.ID == id {
			return nd
		}
	}
	t.Fatalf("no node %s", id)
	return blobmeta.Node{}
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
	info, err := f.tr.ShardInfo(context.Background(), to.Addr, b.ID, i, true)
	if err != nil || !info.Verified {
		t.Fatalf("shard %d on %s: %+v, %v", i, to.Addr, info, err)
	}
}

// queued returns the state of the repair queue.
func (f *fixture) queued(t *testing.T) metadata.RepairStatus {
	t.Helper()
	st, err := f.meta.RepairStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// runOnce runs r over the queue once, failing t on an error.
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
