package blob_test

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// These tests cover how a reader fetches a segment (a run of stripes):
// data shards first, hedging around slow ones, reading around bad ones.
// They go through the public API only.

// segParams make 16 KiB blocks, so a small blob spans several segments.
var segParams = blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 64 << 10}

const (
	segBlock   = 16 << 10 // segParams' block size
	segStripes = 11       // stripes of the segment tests' blob: 3 segments of up to 4
	segSize    = (segStripes-1)*(64<<10) + 123
)

// segFixture writes a segStripes-stripe blob with segParams on six healthy
// fake nodes, through a store with opts.
func segFixture(t *testing.T, seed uint64, opts blob.Options) (*cluster, *blob.Store, *blob.Result, []byte) {
	t.Helper()
	c := newCluster(6)
	opts.Params = segParams
	s := newStore(t, c, opts)
	data := blobtest.RandBytes(seed, segSize)
	return c, s, put(t, s, c.Nodes, data), data
}

// parityAsked counts the parity shards (K and up) of res whose nodes got
// at least one GetShard.
func parityAsked(c *cluster, res *blob.Result) int {
	n := 0
	for _, nd := range res.Placement[segParams.K:] {
		if c.Gets(nd.Addr) > 0 {
			n++
		}
	}
	return n
}

func TestSegmentHealthyReadAsksOnlyDataShards(t *testing.T) {
	// A hedge delay no fetch outlives, however loaded the machine.
	c, s, res, data := segFixture(t, 20, blob.Options{HedgeDelay: time.Minute})
	mustRead(t, s, res, data, 0, -1)
	for i, nd := range res.Placement[:segParams.K] {
		if c.Gets(nd.Addr) == 0 {
			t.Errorf("data shard %d was not read", i)
		}
	}
	if n := parityAsked(c, res); n != 0 {
		t.Errorf("a healthy read asked %d parity shards, want none", n)
	}
}

func TestSegmentHedgesSlowShards(t *testing.T) {
	// Slow nodes answer (if ever) far later than the read may take, so
	// only hedging to parity gets it done in time.
	const slow, hedge, within = 2 * time.Second, 20 * time.Millisecond, time.Second
	delayed, hung := blob.Fault{Delay: slow}, blob.Fault{Hang: true}
	tests := []struct {
		name   string
		faults map[int]blob.Fault // by data shard
	}{
		{"delayed data node", map[int]blob.Fault{0: delayed}},
		{"hung data node", map[int]blob.Fault{2: hung}},
		{"two delayed data nodes", map[int]blob.Fault{1: delayed, 3: delayed}},
		{"delayed and hung", map[int]blob.Fault{0: delayed, 3: hung}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Hung fetches end only with their context: FetchTimeout
			// would give them a minute.
			c, s, res, data := segFixture(t, uint64(30+i), blob.Options{HedgeDelay: hedge, FetchTimeout: time.Minute})
			for shard, f := range tt.faults {
				c.SetFault(res.Placement[shard].Addr, f)
			}
			start := time.Now()
			mustRead(t, s, res, data, 0, -1)
			if took := time.Since(start); took >= within {
				t.Errorf("read took %v, want well under the %v a slow node takes", took, slow)
			}
			if n := parityAsked(c, res); n < len(tt.faults) {
				t.Errorf("%d parity shards asked, want one for each of the %d slow data shards", n, len(tt.faults))
			}
			for shard := range tt.faults {
				if c.Gets(res.Placement[shard].Addr) == 0 {
					t.Errorf("slow shard %d was never asked: the test did not test hedging", shard)
				}
			}
		})
	}
}

// breakage damages one shard of a blob, or the node holding it.
type breakage struct {
	shard int
	fault blob.Fault // set on the shard's node unless zero
	rot   int        // if > 0, Corrupt block rot-1 of the shard
	drop  bool       // lose the shard behind its node's back
}

// apply does b to res on c.
func (b breakage) apply(t *testing.T, c *cluster, res *blob.Result) {
	t.Helper()
	addr := res.Placement[b.shard].Addr
	if b.fault != (blob.Fault{}) {
		c.SetFault(addr, b.fault)
	}
	if b.rot > 0 {
		if err := c.Corrupt(addr, res.ID, b.shard, int64(b.rot-1)*segBlock+7); err != nil {
			t.Fatal(err)
		}
	}
	if b.drop {
		if err := c.Drop(addr, res.ID, b.shard); err != nil {
			t.Fatal(err)
		}
	}
}

// checkHit fails t unless the read met b: the damaged shard's node
// answered a GetShard. (The reader reads unchecked and finds rot by the
// blocks' CRCs itself, so a rotten shard must also be among the test's
// bad ones.) A read around damage it never met would test nothing.
func (b breakage) checkHit(t *testing.T, c *cluster, res *blob.Result) {
	t.Helper()
	addr := res.Placement[b.shard].Addr
	switch {
	case b.rot > 0 || b.fault.FlipReads || b.fault.Hang:
		if c.Gets(addr) == 0 {
			t.Errorf("faulty shard %d never asked", b.shard)
		}
	}
}

// Breakages, by shard; rotAt takes the stripe whose block rots.
func downAt(i int) breakage        { return breakage{shard: i, fault: blob.Fault{Down: true}} }
func flipAt(i int) breakage        { return breakage{shard: i, fault: blob.Fault{FlipReads: true}} }
func hangAt(i int) breakage        { return breakage{shard: i, fault: blob.Fault{Hang: true}} }
func rotAt(i, stripe int) breakage { return breakage{shard: i, rot: stripe + 1} }
func dropAt(i int) breakage        { return breakage{shard: i, drop: true} }

// badReports collects the shards Options.OnBadShard is told about.
type badReports struct {
	mu  sync.Mutex
	got map[int]error // latest report by shard
}

func (r *badReports) hook(_ blobmeta.ID, index int, _ blobmeta.Node, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = make(map[int]error)
	}
	r.got[index] = err
}

// await waits until every shard in want was reported (the hook runs in
// the background) and returns the reports made by then.
func (r *badReports) await(t *testing.T, want []int) map[int]error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		got := maps.Clone(r.got)
		r.mu.Unlock()
		missing := slices.ContainsFunc(want, func(i int) bool { _, ok := got[i]; return !ok })
		if !missing {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("OnBadShard told about shards %v, want at least %v", slices.Sorted(maps.Keys(got)), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSegmentReadsAround(t *testing.T) {
	tests := []struct {
		name  string
		broke []breakage
		// bad are the shards OnBadShard must be told about; it may be
		// told about other broken ones, never about a healthy one.
		bad []int
		// fetchTimeout, if set, bounds each fetch (hung nodes).
		fetchTimeout time.Duration
		// errStripe >= 0: the read fails at that stripe, having
		// returned only correct bytes before it.
		errStripe int
	}{
		{name: "one data node down", broke: []breakage{downAt(1)}, errStripe: -1},
		{name: "two data nodes down", broke: []breakage{downAt(0), downAt(3)}, errStripe: -1},
		{name: "data and parity nodes down", broke: []breakage{downAt(2), downAt(4)}, errStripe: -1},
		// Rot comes through unchecked; the reader's CRC check finds it,
		// at a segment's first block or inside one.
		{name: "rot in a segment's first block", broke: []breakage{rotAt(0, 4)}, bad: []int{0}, errStripe: -1},
		{name: "rot inside a segment", broke: []breakage{rotAt(2, 5)}, bad: []int{2}, errStripe: -1},
		{name: "rot in two shards, other stripes", broke: []breakage{downAt(3), rotAt(0, 1), rotAt(1, 9)}, bad: []int{0, 1}, errStripe: -1},
		{name: "dropped data shard", broke: []breakage{dropAt(1)}, bad: []int{1}, errStripe: -1},
		// Damage in flight: the reader's CRC check catches it.
		{name: "flipped reads from a data node", broke: []breakage{flipAt(0)}, errStripe: -1},
		{name: "flipped reads from parity, data down", broke: []breakage{downAt(0), flipAt(4)}, errStripe: -1},

		{name: "three nodes down", broke: []breakage{downAt(0), downAt(2), downAt(5)}, errStripe: 0},
		{name: "two down and rot in one stripe", broke: []breakage{downAt(0), downAt(1), rotAt(2, 6)}, bad: []int{2}, errStripe: 6},
		{name: "two down and flipped reads", broke: []breakage{downAt(1), downAt(4), flipAt(2)}, errStripe: 0},
		{name: "three nodes hung", broke: []breakage{hangAt(0), hangAt(1), hangAt(5)}, fetchTimeout: 300 * time.Millisecond, errStripe: 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reports badReports
			c, s, res, data := segFixture(t, uint64(50+i), blob.Options{OnBadShard: reports.hook, FetchTimeout: tt.fetchTimeout})
			for _, b := range tt.broke {
				b.apply(t, c, res)
			}
			got, err := readRange(t, s, res, 0, -1)
			if !bytes.HasPrefix(data, got) {
				t.Fatalf("read returned %d bytes that are not what was written (err %v)", len(got), err)
			}
			if tt.errStripe < 0 {
				if err != nil || len(got) != len(data) {
					t.Fatalf("read: %d of %d bytes, err %v", len(got), len(data), err)
				}
				// A range starting and ending mid-stripe, across segments.
				mustRead(t, s, res, data, 3*64<<10+5, 5*64<<10)
			} else {
				var nes *blob.NotEnoughShardsError
				if !errors.As(err, &nes) || nes.Stripe != int64(tt.errStripe) {
					t.Fatalf("read: err %v, want NotEnoughShardsError at stripe %d", err, tt.errStripe)
				}
			}
			for _, b := range tt.broke {
				b.checkHit(t, c, res)
			}
			for shard, err := range reports.await(t, tt.bad) {
				if !slices.ContainsFunc(tt.broke, func(b breakage) bool { return b.shard == shard }) {
					t.Errorf("healthy shard %d reported bad: %v", shard, err)
				}
				if !errors.Is(err, node.ErrCorrupt) && !errors.Is(err, node.ErrNotFound) {
					t.Errorf("shard %d reported with %v, want corrupt or not found", shard, err)
				}
			}
		})
	}
}
