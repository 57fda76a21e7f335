package blob

import (
	"context"
	"fmt"
	"time"
)

// A segment is a run of stripes that a reader fetches together. Fetching
// one is a loop over four steps: launch fetches until every stripe has K
// pieces in hand or on the way, wait for one fetch to answer, take in what
// it brought (good blocks, a bad block, a dead shard), and stop counting on
// a fetch that has outlived HedgeDelay, so the next launch asks another
// shard in its place. When every stripe has K verified pieces the segment
// is decoded.

// pieceState is what a segment knows about one shard's piece of one stripe.
type pieceState uint8

const (
	unknown pieceState = iota
	good
	bad
)

// fetch is one request for a run of blocks [from, to) of one shard.
type fetch struct {
	shard    int
	from, to int64
	started  time.Time
	slow     bool // outlived HedgeDelay: no longer counted on
	cancel   context.CancelFunc
}

// fetchResult is what a fetch delivers: the verified blocks it got, the
// stripe it failed at (if any), and whether the whole shard is unusable.
type fetchResult struct {
	f        *fetch
	blocks   [][]byte // blocks[s-from], nil where not fetched
	failedAt int64    // stripe whose block was bad or broken; -1 if none
	dead     bool     // the node or shard is unusable for this whole read
	err      error
}

// segment is the state of one fetchSegment call. Stripe indexes into its
// slices are relative to s0.
type segment struct {
	r         *reader
	s0        int64
	k         int
	pieces    [][][]byte     // pieces[stripe][shard], verified blocks
	state     [][]pieceState // state[stripe][shard]
	goodCount []int          // verified pieces per stripe
	inflight  map[int]*fetch // by shard: at most one fetch per shard
	// events has one buffered slot per shard: a shard has at most one
	// fetch in flight, so an abandoned fetch never blocks on send.
	events chan fetchResult
	// failures explain a stripe that cannot be served.
	failures []ShardFailure
}

// fetchSegment returns the data of stripes [s0, s1), fetching K verified
// pieces of each from the nodes and decoding where data pieces are missing.
func (r *reader) fetchSegment(ctx context.Context, s0, s1 int64) ([][]byte, func(), error) {
	o := r.store.opts.Observer
	if o == nil {
		chunks, release, _, err := r.fetchSegmentOf(ctx, s0, s1)
		return chunks, release, err
	}
	start := time.Now()
	chunks, release, degraded, err := r.fetchSegmentOf(ctx, s0, s1)
	o.SegmentRead(time.Since(start), degraded, err)
	return chunks, release, err
}

// fetchSegmentOf is fetchSegment, unobserved; it also reports whether the
// segment was decoded from parity.
func (r *reader) fetchSegmentOf(ctx context.Context, s0, s1 int64) ([][]byte, func(), bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := r.newSegment(s0, s1)
	hedge := time.NewTimer(time.Hour)
	defer hedge.Stop()
	for {
		g.launch(ctx)
		done, err := g.complete()
		if err != nil {
			return nil, nil, false, err
		}
		if done {
			break
		}
		oldest := g.oldest()
		if oldest != nil {
			hedge.Reset(time.Until(oldest.started.Add(r.store.opts.HedgeDelay)))
		}
		select {
		case ev := <-g.events:
			g.absorb(ev)
		case <-hedge.C:
			if oldest != nil && time.Since(oldest.started) >= r.store.opts.HedgeDelay {
				oldest.slow = true
				if o := r.store.opts.Observer; o != nil {
					o.Hedged()
				}
			}
		case <-ctx.Done():
			return nil, nil, false, fmt.Errorf("blob %s: read: %w", r.id, ctx.Err())
		}
	}
	g.cancelFetches()
	degraded := g.degraded() // before decode fills the missing pieces in
	chunks, release, err := g.decode()
	return chunks, release, degraded, err
}

// degraded reports whether some stripe lacks a data piece, so decoding
// must rebuild it from parity.
func (g *segment) degraded() bool {
	for _, pieces := range g.pieces {
		for _, b := range pieces[:g.k] {
			if b == nil {
				return true
			}
		}
	}
	return false
}

// newSegment prepares to fetch stripes [s0, s1). Shards known unusable
// before this segment (no address, or failed earlier in this read) start
// out as failures, so that a stripe that cannot be served says why.
func (r *reader) newSegment(s0, s1 int64) *segment {
	nShards, nStripes := r.codec.Shards(), int(s1-s0)
	g := &segment{
		r:         r,
		s0:        s0,
		k:         r.codec.MinShards(),
		pieces:    make([][][]byte, nStripes),
		state:     make([][]pieceState, nStripes),
		goodCount: make([]int, nStripes),
		inflight:  make(map[int]*fetch),
		events:    make(chan fetchResult, nShards),
	}
	for i := range g.pieces {
		g.pieces[i] = make([][]byte, nShards)
		g.state[i] = make([]pieceState, nShards)
	}
	r.mu.Lock()
	for i, err := range r.dead {
		if err != nil {
			g.failures = append(g.failures, ShardFailure{Index: i, Node: r.place[i], Err: err})
		}
	}
	r.mu.Unlock()
	return g
}

// expected counts, per stripe, the pieces in hand or still expected from a
// fetch that is counted on (not slow).
func (g *segment) expected() []int {
	expect := make([]int, len(g.goodCount))
	copy(expect, g.goodCount)
	for _, f := range g.inflight {
		if f.slow {
			continue
		}
		for s := f.from; s < f.to; s++ {
			if g.state[s-g.s0][f.shard] == unknown {
				expect[s-g.s0]++
			}
		}
	}
	return expect
}

// launch starts fetches, preferring data shards, until every stripe is
// covered or no shard is left to ask. One fetch asks a shard for the
// longest run of stripes, from the first short one, that still need it.
func (g *segment) launch(ctx context.Context) {
	expect := g.expected()
	for {
		needy := -1
		for i := range expect {
			if expect[i] < g.k {
				needy = i
				break
			}
		}
		if needy < 0 {
			return
		}
		shard := g.r.pickShard(g.state, g.inflight, needy)
		if shard < 0 {
			return
		}
		to := needy
		for i := needy; i < len(expect); i++ {
			if expect[i] < g.k && g.state[i][shard] == unknown {
				to = i
			}
		}
		for i := needy; i <= to; i++ {
			if g.state[i][shard] == unknown {
				expect[i]++
			}
		}
		f := &fetch{shard: shard, from: g.s0 + int64(needy), to: g.s0 + int64(to) + 1, started: time.Now()}
		fctx, fcancel := context.WithTimeout(ctx, g.r.store.opts.FetchTimeout)
		f.cancel = fcancel
		g.inflight[shard] = f
		go func() { g.events <- g.r.fetch(fctx, f) }()
	}
}

// complete reports whether every stripe has K verified pieces. It fails
// when a stripe is short and nothing is left in flight to fill it.
func (g *segment) complete() (bool, error) {
	done := true
	for i, n := range g.goodCount {
		if n >= g.k {
			continue
		}
		done = false
		if len(g.inflight) == 0 {
			return false, &NotEnoughShardsError{Blob: g.r.id, Stripe: g.s0 + int64(i), Good: n, Need: g.k, Failures: g.failures}
		}
	}
	return done, nil
}

// oldest returns the longest-running fetch still counted on, the one the
// hedge timer watches, or nil.
func (g *segment) oldest() *fetch {
	var oldest *fetch
	for _, f := range g.inflight {
		if !f.slow && (oldest == nil || f.started.Before(oldest.started)) {
			oldest = f
		}
	}
	return oldest
}

// absorb takes in one fetch's answer: its verified blocks become pieces;
// its error is logged and reported, and marks either the one stripe it
// failed at or, for a dead shard, every stripe not yet fetched, as bad.
func (g *segment) absorb(ev fetchResult) {
	r, f := g.r, ev.f
	f.cancel()
	delete(g.inflight, f.shard)
	for s := f.from; s < f.to; s++ {
		b := ev.blocks[s-f.from]
		if b == nil || g.state[s-g.s0][f.shard] == good {
			continue
		}
		g.pieces[s-g.s0][f.shard] = b
		g.state[s-g.s0][f.shard] = good
		g.goodCount[s-g.s0]++
	}
	if ev.err != nil {
		g.failures = append(g.failures, ShardFailure{Index: f.shard, Node: r.place[f.shard], Err: ev.err})
		r.store.log.Warn().Str("blob", r.id.String()).Int("shard", f.shard).
			Str("node", r.place[f.shard].Addr).Err(ev.err).Msg("reading around shard")
		r.reportBad(f.shard, ev.err)
	}
	switch {
	case ev.dead:
		r.markDead(f.shard, ev.err)
		for i := range g.state {
			if g.state[i][f.shard] == unknown {
				g.state[i][f.shard] = bad
			}
		}
	case ev.failedAt >= 0:
		g.state[ev.failedAt-g.s0][f.shard] = bad
	}
}

// cancelFetches cancels the fetches still in flight: hedged ones that
// lost the race, or all of them when the segment fails.
func (g *segment) cancelFetches() {
	for _, f := range g.inflight {
		f.cancel()
	}
}

// decode reconstructs missing data pieces and returns each stripe's data
// blocks in order, with a release that returns every piece to the pool.
func (g *segment) decode() ([][]byte, func(), error) {
	r := g.r
	release := func() {
		for i := range g.pieces {
			for _, b := range g.pieces[i] {
				r.store.putBlock(b)
			}
		}
	}
	var chunks [][]byte
	for i := range g.pieces {
		s := g.s0 + int64(i)
		if err := r.codec.Reconstruct(g.pieces[i]); err != nil {
			return nil, nil, fmt.Errorf("blob %s: stripe %d: %w", r.id, s, err)
		}
		data, err := r.codec.Data(g.pieces[i], r.layout.StripeLen(s))
		if err != nil {
			return nil, nil, fmt.Errorf("blob %s: stripe %d: %w", r.id, s, err)
		}
		chunks = append(chunks, data...)
	}
	return chunks, release, nil
}

// pickShard chooses the next shard to ask for stripe index needy of the
// segment: data shards first (no decoding), then parity, skipping shards
// that are dead, busy, or already known for that stripe. Shards on suspect
// nodes come after all others: decoding is cheaper than waiting out a node
// that may not answer.
func (r *reader) pickShard(state [][]pieceState, inflight map[int]*fetch, needy int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, suspect := range []bool{false, true} {
		for i := 0; i < r.codec.Shards(); i++ {
			if r.place[i].Suspect != suspect || r.dead[i] != nil || inflight[i] != nil || state[needy][i] != unknown {
				continue
			}
			return i
		}
	}
	return -1
}
