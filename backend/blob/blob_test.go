package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/backend/placement"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

const stripe = blobmeta.DefaultStripeSize

func newStore(t testing.TB, c *nodetest.Cluster, opts blob.Options) *blob.Store {
	t.Helper()
	return blob.NewStore(node.NewClient(c.Secret, nil), opts, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
}

func put(t testing.TB, s *blob.Store, c *nodetest.Cluster, data []byte) *blob.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := s.Put(ctx, bytes.NewReader(data), c.PlacementNodes(), nil)
	if err != nil {
		t.Fatalf("put %d bytes: %v", len(data), err)
	}
	return res
}

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

// shardHolder returns the cluster node holding shard i of res.
func shardHolder(t testing.TB, c *nodetest.Cluster, res *blob.Result, i int) *nodetest.Node {
	t.Helper()
	return c.ByAddr(t, res.Placement[i].ID) // a nodetest node's ID is its address
}

func shardPath(nd *nodetest.Node, res *blob.Result, i int) string {
	id := res.ID.String()
	return filepath.Join(nd.Dir, "shards", id[:2], fmt.Sprintf("%s.%d", id, i))
}

func TestRoundTrip(t *testing.T) {
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{})
	for _, size := range []int{0, 1, stripe - 1, stripe, stripe + 1, 3*stripe + 5, 100 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := blobtest.RandBytes(uint64(size), size)
			res := put(t, s, c, data)
			if len(res.Failed) != 0 {
				t.Fatalf("healthy write reported failed shards: %v", res.Failed)
			}
			if res.ID != res.Manifest.ID() || res.Manifest.Size != int64(size) {
				t.Fatalf("result %s does not match its manifest (size %d)", res.ID, res.Manifest.Size)
			}
			// Every shard is on its own node, as a file.
			for i := range res.Placement {
				if _, err := os.Stat(shardPath(shardHolder(t, c, res, i), res, i)); err != nil {
					t.Fatalf("shard %d: %v", i, err)
				}
			}
			mustRead(t, s, res, data, 0, -1)
		})
	}
}

func TestRangeReadsAtStripeBoundaries(t *testing.T) {
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{SegmentStripes: 2})
	size := int64(9*stripe + 777)
	data := blobtest.RandBytes(7, int(size))
	res := put(t, s, c, data)
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
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{SegmentStripes: 2})
	data := blobtest.RandBytes(3, 5*stripe+12345)
	res := put(t, s, c, data)
	// Shards 0-3 are data, 4-5 parity. Cover data-only, parity-only and mixed losses.
	for _, lost := range [][]int{{0, 1}, {2, 3}, {4, 5}, {0, 5}, {3, 4}, {1}} {
		t.Run(fmt.Sprint(lost), func(t *testing.T) {
			var killed []*nodetest.Node
			for _, i := range lost {
				nd := shardHolder(t, c, res, i)
				nd.Kill(t)
				killed = append(killed, nd)
			}
			mustRead(t, s, res, data, 0, -1)
			mustRead(t, s, res, data, stripe-3, 2*stripe)
			mustRead(t, s, res, data, int64(len(data))-10, 10)
			for _, nd := range killed {
				nd.Restart(t)
			}
		})
	}
	t.Run("m+1", func(t *testing.T) {
		for _, i := range []int{0, 2, 5} {
			shardHolder(t, c, res, i).Kill(t)
		}
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
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{SegmentStripes: 8})
	data := blobtest.RandBytes(4, 6*stripe+99)
	res := put(t, s, c, data)
	blockSize := int64(blobmeta.DefaultStripeSize / 4)
	// Shard 0: a byte in block 0 (the node refuses at once). Shard 2: a
	// byte in block 3 (the node breaks off mid-stream).
	for _, flip := range []struct {
		shard int
		off   int64
	}{{0, 100}, {2, 3*blockSize + 5}} {
		path := shardPath(shardHolder(t, c, res, flip.shard), res, flip.shard)
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		var b [1]byte
		if _, err := f.ReadAt(b[:], flip.off); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0x40
		if _, err := f.WriteAt(b[:], flip.off); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	mustRead(t, s, res, data, 0, -1)
	mustRead(t, s, res, data, 3*stripe, stripe)

	client := node.NewClient(c.Secret, nil)
	for _, shard := range []int{0, 2} {
		nd := shardHolder(t, c, res, shard)
		h, err := client.Health(context.Background(), nd.Addr)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%s.%d", res.ID, shard)
		if h.CorruptDetected == 0 || !slices.Contains(h.CorruptShards, want) {
			t.Fatalf("node %s health does not report corrupt shard %s: %+v", nd.Addr, want, h)
		}
	}
}

func TestWriteWithMNodesDown(t *testing.T) {
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{})
	down := map[string]bool{}
	for _, nd := range c.Nodes[:2] {
		nd.Kill(t)
		down[nd.ID] = true
	}
	data := blobtest.RandBytes(5, 3*stripe+1)
	res := put(t, s, c, data)
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
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{})
	for _, nd := range c.Nodes[:3] {
		nd.Kill(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Put(ctx, bytes.NewReader(blobtest.RandBytes(6, 3*stripe+1)), c.PlacementNodes(), nil)
	if !errors.Is(err, blob.ErrWriteQuorum) || res != nil {
		t.Fatalf("write with 3 of 6 nodes down: got %v, %v; want ErrWriteQuorum", res, err)
	}
	// Nothing that looks complete is left: no shard files, and the
	// in-progress files are gone too.
	for _, nd := range c.Nodes[3:] {
		waitNoFiles(t, nd)
	}
}

// waitNoFiles waits for a node's shard and temp directories to be empty;
// nodes drop a cancelled upload's temp file as soon as they see the abort.
func waitNoFiles(t *testing.T, nd *nodetest.Node) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		files := nd.ShardFiles(t)
		tmp, _ := os.ReadDir(filepath.Join(nd.Dir, "tmp"))
		if len(files) == 0 && len(tmp) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s still holds shard files %v and temp files %d", nd.Addr, files, len(tmp))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCancelledWriteLeavesNothing(t *testing.T) {
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The input fails after 5 stripes, like a client hanging up mid-upload.
	r := io.MultiReader(bytes.NewReader(blobtest.RandBytes(8, 5*stripe)), iotestErrReader{errors.New("client went away")})
	if _, err := s.Put(ctx, r, c.PlacementNodes(), nil); err == nil || !strings.Contains(err.Error(), "client went away") {
		t.Fatalf("put from a failing reader: %v", err)
	}
	for _, nd := range c.Nodes {
		waitNoFiles(t, nd)
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestSlowNodeIsHedged(t *testing.T) {
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{HedgeDelay: 100 * time.Millisecond, FetchTimeout: time.Minute})
	data := blobtest.RandBytes(9, 4*stripe+3)
	res := put(t, s, c, data)
	hung := shardHolder(t, c, res, 1)
	hung.Stop(t)
	defer hung.Cont(t)
	// Without hedging this read would wait for FetchTimeout (a minute) on
	// the stopped node; the context gives it far less.
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
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{StallTimeout: 500 * time.Millisecond})
	hung := c.Nodes[0]
	hung.Stop(t)
	defer hung.Cont(t)
	// Large enough that the stopped node's socket buffers fill up.
	data := blobtest.RandBytes(10, 64<<20)
	res := put(t, s, c, data)
	if len(res.Failed) != 1 || res.Failed[0].Node.ID != hung.ID {
		t.Fatalf("write with a hung node: failed shards %v, want exactly the one on %s", res.Failed, hung.Addr)
	}
	mustRead(t, s, res, data, 0, -1)
}

func TestPlacementUsesDistinctNodes(t *testing.T) {
	c := nodetest.Start(t, 8)
	s := newStore(t, c, blob.Options{Params: blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 3, M: 3, StripeSize: 64 << 10}})
	data := blobtest.RandBytes(11, 200<<10)
	res := put(t, s, c, data)
	seen := map[string]bool{}
	for _, nd := range res.Placement {
		if seen[nd.ID] {
			t.Fatalf("node %s holds two shards of one blob: %v", nd.ID, res.Placement)
		}
		seen[nd.ID] = true
	}
	again, err := placement.Place(res.Manifest.Nonce[:], c.PlacementNodes(), 6)
	if err != nil || !slices.Equal(again, res.Placement) {
		t.Fatalf("placement is not reproducible from the nonce: %v vs %v (%v)", again, res.Placement, err)
	}
	mustRead(t, s, res, data, 0, -1)
}

// TestWriteShortOfLiveNodes covers Plan's rule for clusters with fewer
// live nodes than shards: the missing shards go to down nodes as failed
// from the start, as long as K+1 (and the quorum) live nodes remain.
func TestWriteShortOfLiveNodes(t *testing.T) {
	c := nodetest.Start(t, 6)
	nodes := c.PlacementNodes()
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
				if _, err := os.Stat(shardPath(shardHolder(t, c, res, idx), res, idx)); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("the down node has the shard it was never sent: %v", err)
				}
			}
			mustRead(t, s, res, data, 0, -1)
		})
	}
}

func TestNodeRefusesRequestsWithoutTheSecret(t *testing.T) {
	c := nodetest.Start(t, 6)
	s := newStore(t, c, blob.Options{})
	data := blobtest.RandBytes(12, 1000)
	res := put(t, s, c, data)
	nd := shardHolder(t, c, res, 0)
	path := fmt.Sprintf("/v1/shards/%s/0", res.ID)

	for _, req := range []struct{ method, path string }{
		{"GET", path}, {"HEAD", path}, {"DELETE", path}, {"GET", path + "/info"},
		{"GET", "/v1/shards"}, {"GET", "/v1/health"}, {"POST", "/v1/shards?index=0"},
	} {
		hreq, _ := http.NewRequest(req.method, "http://"+nd.Addr+req.path, nil)
		hreq.Header.Set("Authorization", "Bearer guess")
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || bytes.Contains(body, data[:16]) {
			t.Fatalf("%s %s without the secret: status %d", req.method, req.path, resp.StatusCode)
		}
	}
	wrong := node.NewClient([]byte("not-the-cluster-secret"), nil)
	if err := wrong.DeleteShard(context.Background(), nd.Addr, res.ID, 0); !errors.Is(err, node.ErrUnauthorized) {
		t.Fatalf("delete with a wrong secret: %v", err)
	}
	if _, err := wrong.GetShard(context.Background(), nd.Addr, res.ID, 0, 0, -1, false); !errors.Is(err, node.ErrUnauthorized) {
		t.Fatalf("get with a wrong secret: %v", err)
	}
	// Nothing was deleted.
	mustRead(t, s, res, data, 0, -1)
	if _, err := os.Stat(shardPath(nd, res, 0)); err != nil {
		t.Fatal(err)
	}
}

// TestWriteMemoryBudget runs more concurrent writes than the budget has
// stripes for, some of them failing midway: all good ones must land and
// round-trip, and the budget must be whole again afterwards (a second round
// would block until its deadline if a failed write had kept a stripe).
func TestWriteMemoryBudget(t *testing.T) {
	c := nodetest.Start(t, 6)
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
				results[i], errs[i] = s.Put(ctx, r, c.PlacementNodes(), nil)
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
