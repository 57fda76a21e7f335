package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/placement"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

const stripe = blobmeta.DefaultStripeSize

// cluster is a set of in-memory nodes: the transport that holds them and
// the nodes as placement sees them. A fake node's ID is its address, as
// the ID of a node started for the benchmarks is.
type cluster struct {
	*blob.InmemTransport
	Nodes []blobmeta.Node
}

// newCluster returns n healthy, empty fake nodes at 127.0.0.1:7001 on.
func newCluster(n int) *cluster {
	c := &cluster{InmemTransport: blob.NewInmemTransport()}
	for i := range n {
		addr := fmt.Sprintf("127.0.0.1:%d", 7001+i)
		c.AddNode(addr)
		c.Nodes = append(c.Nodes, blobmeta.Node{ID: addr, Addr: addr})
	}
	return c
}

// down takes the nodes holding the given shards of res down, like killing
// their processes.
func (c *cluster) down(res *blob.Result, shards ...int) {
	for _, i := range shards {
		c.SetFault(res.Placement[i].Addr, blob.Fault{Down: true})
	}
}

// heal clears the fault of the nodes holding the given shards of res.
func (c *cluster) heal(res *blob.Result, shards ...int) {
	for _, i := range shards {
		c.SetFault(res.Placement[i].Addr, blob.Fault{})
	}
}

// holds reports whether the node at addr holds shard i of blob id.
func (c *cluster) holds(addr string, id blobmeta.ID, i int) bool {
	return slices.Contains(c.Shards(addr), shardfile.Name(id, i))
}

// newStore returns a store over t (a cluster, or a real client for the
// benchmarks) that logs warnings to the test.
func newStore(t testing.TB, tr blob.Transport, opts blob.Options) *blob.Store {
	t.Helper()
	return blob.NewStore(tr, opts, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
}

// put writes data to a blob placed on nodes, failing t on error.
func put(t testing.TB, s *blob.Store, nodes []blobmeta.Node, data []byte) *blob.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := s.Put(ctx, bytes.NewReader(data), nodes, nil)
	if err != nil {
		t.Fatalf("put %d bytes: %v", len(data), err)
	}
	return res
}

// readRange reads bytes [off, off+n) of res (n < 0: to the end), returning
// what it got before any error.
func readRange(t testing.TB, s *blob.Store, res *blob.Result, off, n int64) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := s.NewReader(ctx, res.Manifest, res.Placement, off, n)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// mustRead reads [off, off+n) of res and fails t unless it is that range
// of want.
func mustRead(t testing.TB, s *blob.Store, res *blob.Result, want []byte, off, n int64) {
	t.Helper()
	got, err := readRange(t, s, res, off, n)
	if err != nil {
		t.Fatalf("read [%d,+%d): %v", off, n, err)
	}
	if n < 0 {
		n = int64(len(want)) - off
	}
	if !bytes.Equal(got, want[off:off+n]) {
		t.Fatalf("read [%d,+%d): got %d bytes that differ from the %d written", off, n, len(got), n)
	}
}

func TestRoundTrip(t *testing.T) {
	c := newCluster(6)
	s := newStore(t, c, blob.Options{})
	for _, size := range []int{0, 1, stripe - 1, stripe, stripe + 1, 3*stripe + 5, 100 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := blobtest.RandBytes(uint64(size), size)
			res := put(t, s, c.Nodes, data)
			if len(res.Failed) != 0 {
				t.Fatalf("healthy write reported failed shards: %v", res.Failed)
			}
			if res.ID != res.Manifest.ID() || res.Manifest.Size != int64(size) {
				t.Fatalf("result %s does not match its manifest (size %d)", res.ID, res.Manifest.Size)
			}
			// Every shard is on its own node.
			for i, nd := range res.Placement {
				if !c.holds(nd.Addr, res.ID, i) {
					t.Fatalf("shard %d: not on %s, which holds %v", i, nd.Addr, c.Shards(nd.Addr))
				}
			}
			mustRead(t, s, res, data, 0, -1)
		})
	}
}

func TestRangeReadsAtStripeBoundaries(t *testing.T) {
	c := newCluster(6)
	s := newStore(t, c, blob.Options{SegmentStripes: 2})
	size := int64(9*stripe + 777)
	data := blobtest.RandBytes(7, int(size))
	res := put(t, s, c.Nodes, data)
	ranges := [][2]int64{
		{0, 0}, {0, 1}, {stripe - 1, 1}, {stripe - 1, 2}, {stripe, 1}, {stripe, stripe},
		{stripe - 1, stripe + 2}, {2*stripe - 3, 4*stripe + 6}, {size - 1, 1}, {size - 777, 777},
		{size - 778, 778}, {0, size}, {5, size - 10},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		off := rng.Int64N(size)
		ranges = append(ranges, [2]int64{off, rng.Int64N(size - off + 1)})
	}
	for _, rg := range ranges {
		mustRead(t, s, res, data, rg[0], rg[1])
	}
	if _, err := readRange(t, s, res, size-1, 2); err == nil {
		t.Fatal("range past the end: no error")
	}
}

func TestReadWithMNodesKilled(t *testing.T) {
	c := newCluster(6)
	s := newStore(t, c, blob.Options{SegmentStripes: 2})
	data := blobtest.RandBytes(3, 5*stripe+12345)
	res := put(t, s, c.Nodes, data)
	// Shards 0-3 are data, 4-5 parity. Cover data-only, parity-only and mixed losses.
	for _, lost := range [][]int{{0, 1}, {2, 3}, {4, 5}, {0, 5}, {3, 4}, {1}} {
		t.Run(fmt.Sprint(lost), func(t *testing.T) {
			c.down(res, lost...)
			defer c.heal(res, lost...)
			mustRead(t, s, res, data, 0, -1)
			mustRead(t, s, res, data, stripe-3, 2*stripe)
			mustRead(t, s, res, data, int64(len(data))-10, 10)
		})
	}
	t.Run("m+1", func(t *testing.T) {
		c.down(res, 0, 2, 5)
		_, err := readRange(t, s, res, 0, -1)
		var nes *blob.NotEnoughShardsError
		if !errors.As(err, &nes) || nes.Need != 4 || nes.Good != 3 {
			t.Fatalf("read with m+1 nodes down: got %v, want NotEnoughShardsError with 3 of 4", err)
		}
		if !strings.Contains(err.Error(), "need 4") {
			t.Fatalf("error does not say what is missing: %v", err)
		}
	})
}

func TestCorruptShardIsReadAround(t *testing.T) {
	c := newCluster(6)
	var reports badReports
	s := newStore(t, c, blob.Options{SegmentStripes: 8, OnBadShard: reports.hook})
	data := blobtest.RandBytes(4, 6*stripe+99)
	res := put(t, s, c.Nodes, data)
	blockSize := int64(blobmeta.DefaultStripeSize / 4)
	// Shard 0: a byte in block 0. Shard 2: a byte in block 3, mid-fetch.
	// The reader reads unchecked and finds both by their CRCs.
	for _, flip := range []struct {
		shard int
		off   int64
	}{{0, 100}, {2, 3*blockSize + 5}} {
		if err := c.Corrupt(res.Placement[flip.shard].Addr, res.ID, flip.shard, flip.off); err != nil {
			t.Fatal(err)
		}
	}
	mustRead(t, s, res, data, 0, -1)
	mustRead(t, s, res, data, 3*stripe, stripe)

	for shard, err := range reports.await(t, []int{0, 2}) {
		if (shard != 0 && shard != 2) || !errors.Is(err, node.ErrCorrupt) {
			t.Errorf("shard %d reported bad with %v; want shards 0 and 2, corrupt", shard, err)
		}
	}
}

func TestWriteWithMNodesDown(t *testing.T) {
	c := newCluster(6)
	s := newStore(t, c, blob.Options{})
	down := map[string]bool{}
	for _, nd := range c.Nodes[:2] {
		c.SetFault(nd.Addr, blob.Fault{Down: true})
		down[nd.ID] = true
	}
	data := blobtest.RandBytes(5, 3*stripe+1)
	res := put(t, s, c.Nodes, data)
	if len(res.Failed) != 2 {
		t.Fatalf("write with 2 nodes down: %d failed shards reported, want 2: %v", len(res.Failed), res.Failed)
	}
	for _, f := range res.Failed {
		if !down[f.Node.ID] || res.Placement[f.Index].ID != f.Node.ID {
			t.Fatalf("failed shard %v is not on a dead node", f)
		}
	}
	mustRead(t, s, res, data, 0, -1)
}

func TestWriteWithMPlusOneNodesDownFails(t *testing.T) {
	c := newCluster(6)
	s := newStore(t, c, blob.Options{})
	for _, nd := range c.Nodes[:3] {
		c.SetFault(nd.Addr, blob.Fault{Down: true})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Put(ctx, bytes.NewReader(blobtest.RandBytes(6, 3*stripe+1)), c.Nodes, nil)
	if !errors.Is(err, blob.ErrWriteQuorum) || res != nil {
		t.Fatalf("write with 3 of 6 nodes down: got %v, %v; want ErrWriteQuorum", res, err)
	}
	// Nothing that looks complete is left on the live nodes.
	for _, nd := range c.Nodes[3:] {
		assertNoShards(t, c, nd.Addr)
	}
}

// assertNoShards fails t if the node at addr holds any shard. Put returns
// only once every shard upload has ended, so there is nothing to wait for.
func assertNoShards(t *testing.T, c *cluster, addr string) {
	t.Helper()
	if names := c.Shards(addr); len(names) != 0 {
		t.Fatalf("node %s still holds shards %v", addr, names)
	}
}

func TestCancelledWriteLeavesNothing(t *testing.T) {
	c := newCluster(6)
	s := newStore(t, c, blob.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The input fails after 5 stripes, like a client hanging up mid-upload.
	r := io.MultiReader(bytes.NewReader(blobtest.RandBytes(8, 5*stripe)), iotestErrReader{errors.New("client went away")})
	if _, err := s.Put(ctx, r, c.Nodes, nil); err == nil || !strings.Contains(err.Error(), "client went away") {
		t.Fatalf("put from a failing reader: %v", err)
	}
	for _, nd := range c.Nodes {
		assertNoShards(t, c, nd.Addr)
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestSlowNodeIsHedged(t *testing.T) {
	c := newCluster(6)
	s := newStore(t, c, blob.Options{HedgeDelay: 100 * time.Millisecond, FetchTimeout: time.Minute})
	data := blobtest.RandBytes(9, 4*stripe+3)
	res := put(t, s, c.Nodes, data)
	c.SetFault(res.Placement[1].Addr, blob.Fault{Hang: true})
	// Without hedging this read would wait for FetchTimeout (a minute) on
	// the hung node; the context gives it far less.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := s.NewReader(ctx, res.Manifest, res.Placement, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read with a hung node: %d bytes, err %v", len(got), err)
	}
}

func TestStalledNodeDuringWrite(t *testing.T) {
	c := newCluster(6)
	s := newStore(t, c, blob.Options{StallTimeout: 500 * time.Millisecond})
	hung := c.Nodes[0]
	c.SetFault(hung.Addr, blob.Fault{Hang: true})
	// A hung fake reads no byte, so the first piece sent to it stalls; a
	// real node needed enough data to fill its socket buffers first.
	data := blobtest.RandBytes(10, 4*stripe+5)
	res := put(t, s, c.Nodes, data)
	if len(res.Failed) != 1 || res.Failed[0].Node.ID != hung.ID {
		t.Fatalf("write with a hung node: failed shards %v, want exactly the one on %s", res.Failed, hung.Addr)
	}
	mustRead(t, s, res, data, 0, -1)
}

func TestPlacementUsesDistinctNodes(t *testing.T) {
	c := newCluster(8)
	s := newStore(t, c, blob.Options{Params: blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 3, M: 3, StripeSize: 64 << 10}})
	data := blobtest.RandBytes(11, 200<<10)
	res := put(t, s, c.Nodes, data)
	seen := map[string]bool{}
	for _, nd := range res.Placement {
		if seen[nd.ID] {
			t.Fatalf("node %s holds two shards of one blob: %v", nd.ID, res.Placement)
		}
		seen[nd.ID] = true
	}
	again, err := placement.Place(res.Manifest.Nonce[:], c.Nodes, 6)
	if err != nil || !slices.Equal(again, res.Placement) {
		t.Fatalf("placement is not reproducible from the nonce: %v vs %v (%v)", again, res.Placement, err)
	}
	mustRead(t, s, res, data, 0, -1)
}

// TestWriteShortOfLiveNodes covers Plan's rule for clusters with fewer
// live nodes than shards: the missing shards go to down nodes as failed
// from the start, as long as K+1 (and the quorum) live nodes remain.
func TestWriteShortOfLiveNodes(t *testing.T) {
	c := newCluster(6)
	nodes := c.Nodes
	tests := []struct {
		name       string
		live, down int
		quorum     int
		wantFailed []int // shard indexes written without; nil with wantErr
		wantErr    bool
	}{
		{name: "all live", live: 6, wantFailed: []int{}},
		{name: "one down", live: 5, down: 1, wantFailed: []int{5}},
		{name: "two down", live: 4, down: 2, wantErr: true},
		{name: "one missing, none down", live: 5, wantErr: true},
		{name: "quorum above live", live: 5, down: 1, quorum: 6, wantErr: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, c, blob.Options{WriteQuorum: tt.quorum})
			live, down := nodes[:tt.live], nodes[tt.live:tt.live+tt.down]
			data := blobtest.RandBytes(uint64(40+i), 3<<20+17)
			res, err := s.Put(context.Background(), bytes.NewReader(data), live, down)
			if tt.wantErr {
				if !errors.Is(err, placement.ErrNotEnoughNodes) {
					t.Fatalf("got %v, want ErrNotEnoughNodes", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			failed := []int{}
			for _, f := range res.Failed {
				failed = append(failed, f.Index)
			}
			if !slices.Equal(failed, tt.wantFailed) {
				t.Fatalf("failed shards %v, want %v", failed, tt.wantFailed)
			}
			for _, idx := range tt.wantFailed {
				nd := res.Placement[idx]
				if nd.Addr != "" || !slices.ContainsFunc(down, func(d blobmeta.Node) bool { return d.ID == nd.ID }) {
					t.Fatalf("shard %d placed on %+v, want a down node without address", idx, nd)
				}
				// The placement gives no address; the node's ID is its address.
				if c.holds(nd.ID, res.ID, idx) {
					t.Fatal("the down node has the shard it was never sent")
				}
			}
			mustRead(t, s, res, data, 0, -1)
		})
	}
}

// TestWriteMemoryBudget runs more concurrent writes than the budget has
// stripes for, some of them failing midway: all good ones must land and
// round-trip, and the budget must be whole again afterwards (a second round
// would block until its deadline if a failed write had kept a stripe).
func TestWriteMemoryBudget(t *testing.T) {
	c := newCluster(6)
	perStripe := int64(6 * stripe / 4) // six RS 4+2 pieces
	s := newStore(t, c, blob.Options{WriteMemory: 2 * perStripe})
	for round := range 2 {
		errs := make([]error, 8)
		results := make([]*blob.Result, 8)
		datas := make([][]byte, 8)
		done := make(chan int)
		for i := range 8 {
			datas[i] = blobtest.RandBytes(uint64(round*8+i), 3*stripe+stripe/2)
			go func() {
				defer func() { done <- i }()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				var r io.Reader = bytes.NewReader(datas[i])
				if i%3 == 2 {
					r = io.MultiReader(bytes.NewReader(datas[i][:2*stripe]), iotestErrReader{errors.New("client went away")})
				}
				results[i], errs[i] = s.Put(ctx, r, c.Nodes, nil)
			}()
		}
		for range 8 {
			<-done
		}
		for i := range 8 {
			if i%3 == 2 {
				if errs[i] == nil || !strings.Contains(errs[i].Error(), "client went away") {
					t.Fatalf("round %d write %d from a failing reader: %v", round, i, errs[i])
				}
				continue
			}
			if errs[i] != nil {
				t.Fatalf("round %d write %d: %v", round, i, errs[i])
			}
			mustRead(t, s, results[i], datas[i], 0, int64(len(datas[i])))
		}
	}
}
