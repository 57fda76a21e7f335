package membership_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/membership"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// states returns every registered node's state by address (nodetest's
// Node.ID is its address; the metadata store knows nodes by the ID they
// report).
func states(t *testing.T, meta membership.Store) map[string]string {
	t.Helper()
	nodes, err := meta.ListNodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range nodes {
		out[n.Addr] = n.State
	}
	return out
}

// idOf returns the registered ID of the node at addr.
func idOf(t *testing.T, meta membership.Store, addr string) string {
	t.Helper()
	nodes, err := meta.ListNodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Addr == addr {
			return n.ID
		}
	}
	t.Fatalf("no node registered at %s", addr)
	return ""
}

// pollUntil polls until the node at addr is in state want, failing after limit.
func pollUntil(t *testing.T, mon *membership.Monitor, addr, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if err := mon.PollOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := states(t, mon.Meta)[addr]
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("node %s still %s after %v, want %s", addr, got, limit, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lastHeartbeat returns the time of the last heartbeat of the node at addr.
func lastHeartbeat(t *testing.T, meta membership.Store, addr string) time.Time {
	t.Helper()
	nodes, err := meta.ListNodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Addr == addr {
			return n.LastHeartbeat
		}
	}
	t.Fatalf("no node registered at %s", addr)
	return time.Time{}
}

// A hung node turns suspect, then dead (its blobs queued for repair, reads
// skip it without waiting), and alive again when it answers; a draining
// node stays draining whatever its heartbeats do.
func TestNodeLifecycleWithRealNodes(t *testing.T) {
	ctx := context.Background()
	c := nodetest.Start(t, 7)
	meta, err := metadata.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	client := node.NewClient(c.Secret, nil)
	var seeds []string
	for _, nd := range c.Nodes {
		seeds = append(seeds, nd.Addr)
	}
	const suspectAfter, deadAfter = 500 * time.Millisecond, 2 * time.Second
	mon := &membership.Monitor{Meta: meta, Client: client, Seeds: seeds, Log: log,
		SuspectAfter: suspectAfter, DeadAfter: deadAfter}
	if err := mon.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for id, st := range states(t, meta) {
		if st != metadata.NodeAlive {
			t.Fatalf("node %s is %s after the first poll", id, st)
		}
	}

	// Three objects on six of the nodes; the seventh will drain.
	draining := c.Nodes[6]
	if err := meta.SetNodeState(ctx, idOf(t, meta, draining.Addr), metadata.NodeDraining); err != nil {
		t.Fatal(err)
	}
	live, err := meta.LiveNodes(ctx, time.Minute)
	if err != nil || len(live) != 6 {
		t.Fatalf("live nodes: %v, %v; want 6 (the draining one takes no new shards)", live, err)
	}
	store := blob.NewStore(client, blob.Options{
		Params:     blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: blobmeta.DefaultStripeSize},
		HedgeDelay: time.Second, FetchTimeout: time.Minute,
	}, log)
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	data := map[string][]byte{}
	var first *blob.Result
	for i := range 3 {
		key := fmt.Sprintf("obj%d", i)
		data[key] = blobtest.RandBytes(uint64(i), 2*blobmeta.DefaultStripeSize+100)
		res, err := store.Put(ctx, bytes.NewReader(data[key]), live, nil)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res
		}
		obj := metadata.Object{Bucket: "bkt", Key: key, Size: int64(len(data[key])), ETag: `"x"`,
			Parts: []metadata.Part{{Number: 1, Size: int64(len(data[key])), Blob: metadata.Blob{
				ID: res.ID, Manifest: res.Manifest, Placement: res.Placement}}}}
		if _, err := meta.PutObject(ctx, obj, nil, metadata.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}

	// Hang the node holding shard 0 (a data shard) of obj0.
	hung := c.ByAddr(t, first.Placement[0].Addr)
	hung.Stop(t)
	stopped := true
	defer func() {
		if stopped {
			hung.Cont(t)
		}
	}()
	hungID := idOf(t, meta, hung.Addr)
	took := pollUntil(t, mon, hung.Addr, metadata.NodeSuspect, 10*time.Second)
	t.Logf("suspect after %v", took)
	if live, err := meta.LiveNodes(ctx, time.Minute); err != nil || len(live) != 5 {
		t.Errorf("live nodes with one suspect: %d, %v; want 5", len(live), err)
	}
	if obj, err := meta.GetObject(ctx, "bkt", "obj0"); err != nil || !obj.Parts[0].Blob.Placement[0].Suspect {
		t.Errorf("GetObject placement %+v, %v: want shard 0 on a suspect node", obj.Parts[0].Blob.Placement, err)
	}
	took = pollUntil(t, mon, hung.Addr, metadata.NodeDead, 10*time.Second)
	t.Logf("dead %v later", took)
	// The suspect transition is dated from the last heartbeat plus
	// SuspectAfter, not from the poll that saw it, so the bound on dead is
	// measured from the last heartbeat the hung node gave.
	if since := time.Since(lastHeartbeat(t, meta, hung.Addr)); since < suspectAfter+deadAfter-100*time.Millisecond {
		t.Errorf("dead %v after the last heartbeat, want at least %v", since, suspectAfter+deadAfter)
	}
	st, err := meta.RepairStatus(ctx)
	if err != nil || st.Queued != 3 {
		t.Errorf("repair queue: %+v, %v; want the 3 blobs with a shard on the dead node", st, err)
	}

	// Reads no longer wait on the dead node.
	for key, want := range data {
		obj, err := meta.GetObject(ctx, "bkt", key)
		if err != nil {
			t.Fatal(err)
		}
		b := obj.Parts[0].Blob
		for _, p := range b.Placement {
			if p.ID == hungID && p.Addr != "" {
				t.Errorf("%s: dead node %s has address %q in the placement", key, p.ID, p.Addr)
			}
		}
		start := time.Now()
		r, err := store.NewReader(ctx, b.Manifest, b.Placement, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: read %d bytes, %v", key, len(got), err)
		}
		if d := time.Since(start); d >= time.Second {
			t.Errorf("%s: read took %v, as long as waiting for the dead node", key, d)
		}
	}

	// The draining node answers all along, then stops: it stays draining.
	if s := states(t, meta)[draining.Addr]; s != metadata.NodeDraining {
		t.Errorf("draining node is %s after heartbeats", s)
	}
	draining.Stop(t)
	time.Sleep(suspectAfter + deadAfter)
	if err := mon.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mon.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := states(t, meta)[draining.Addr]; s != metadata.NodeDraining {
		t.Errorf("silent draining node is %s, want draining", s)
	}
	draining.Cont(t)

	// The dead node comes back.
	hung.Cont(t)
	stopped = false
	pollUntil(t, mon, hung.Addr, metadata.NodeAlive, 10*time.Second)
	obj, err := meta.GetObject(ctx, "bkt", "obj0")
	if err != nil || obj.Parts[0].Blob.Placement[0].Addr != hung.Addr || obj.Parts[0].Blob.Placement[0].Suspect {
		t.Errorf("returned node in the placement: %+v, %v", obj.Parts[0].Blob.Placement[0], err)
	}
	task, err := meta.GetRepairTask(ctx, first.ID)
	if err != nil || !task.Shards[0].Readable() {
		t.Errorf("shard 0 on the returned node: %+v, %v; want readable again", task.Shards, err)
	}
}

// A seed registers once; a node removed afterwards stays removed.
func TestRemovedSeedStaysRemoved(t *testing.T) {
	ctx := context.Background()
	c := nodetest.Start(t, 1)
	meta, err := metadata.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	mon := &membership.Monitor{Meta: meta, Client: node.NewClient(c.Secret, nil), Seeds: []string{c.Nodes[0].Addr},
		Log: zerolog.New(zerolog.NewTestWriter(t))}
	if err := mon.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	id := idOf(t, meta, c.Nodes[0].Addr)
	if _, err := meta.DeleteNode(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	if err := mon.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := states(t, meta); len(s) != 0 {
		t.Errorf("nodes after removal and a poll: %v", s)
	}
}
