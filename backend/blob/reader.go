package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// NotEnoughShardsError reports a stripe that could not be recovered because
// fewer than K of its pieces could be fetched and verified.
type NotEnoughShardsError struct {
	Blob     blobmeta.ID
	Stripe   int64
	Good     int
	Need     int
	Failures []ShardFailure
}

func (e *NotEnoughShardsError) Error() string {
	return fmt.Sprintf("blob %s: stripe %d has %d good shards, need %d: %v",
		e.Blob, e.Stripe, e.Good, e.Need, e.Failures)
}

// errSkipped marks shards a rebuild was told not to read.
var errSkipped = errors.New("blob: shard not a rebuild source")

// ErrNotEnoughShards matches every *NotEnoughShardsError.
var ErrNotEnoughShards = errors.New("blob: not enough good shards")

// Is makes errors.Is(err, ErrNotEnoughShards) true.
func (e *NotEnoughShardsError) Is(target error) bool { return target == ErrNotEnoughShards }

// NewReader returns the bytes [off, off+n) of the blob that m describes,
// stored on place (place[i] holds shard i). n < 0 reads to the end. Bytes are
// verified against m before they are returned; m itself must come from a
// trusted source (the metadata store) or be checked against the blob's ID.
func (s *Store) NewReader(ctx context.Context, m *blobmeta.Manifest, place []blobmeta.Node, off, n int64) (io.ReadCloser, error) {
	r, err := s.newReader(ctx, m, place, off, n, nil)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// newReader is NewReader that never asks the shards in skip (their nodes
// are known to be gone or their pieces bad).
func (s *Store) newReader(ctx context.Context, m *blobmeta.Manifest, place []blobmeta.Node, off, n int64, skip []int) (*reader, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("blob: read: %w", err)
	}
	c, err := codec.New(m.Params)
	if err != nil {
		return nil, fmt.Errorf("blob: read: %w", err)
	}
	if len(place) != c.Shards() {
		return nil, fmt.Errorf("blob: read: placement names %d nodes for %d shards", len(place), c.Shards())
	}
	if n < 0 {
		n = m.Size - off
	}
	if off < 0 || n < 0 || off+n > m.Size {
		return nil, fmt.Errorf("blob: read: range [%d, %d) outside blob of %d bytes", off, off+n, m.Size)
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &reader{
		store:  s,
		codec:  c,
		layout: codec.NewLayout(c, m.Size),
		m:      m,
		id:     m.ID(),
		place:  place,
		off:    off,
		end:    off + n,
		cancel: cancel,
		hashes: make([][]blobmeta.Hash, c.Shards()),
		dead:   make([]error, c.Shards()),
	}
	for i, nd := range place {
		// The metadata store gives no address for nodes that are dead or
		// gone: their shards are missing from the start, so no stripe
		// waits on them.
		if nd.Addr == "" {
			r.dead[i] = fmt.Errorf("shard %d: node %q is dead or unregistered", i, nd.ID)
		}
	}
	for _, i := range skip {
		if i >= 0 && i < len(r.dead) {
			r.dead[i] = errSkipped
		}
	}
	r.queue = make(chan chan segmentResult, s.opts.ReadAhead)
	if n == 0 {
		close(r.queue)
		return r, nil
	}
	go r.produce(ctx)
	return r, nil
}

// reader streams a byte range, fetching ReadAhead segments ahead.
type reader struct {
	store  *Store
	codec  codec.Codec
	layout codec.Layout
	m      *blobmeta.Manifest
	id     blobmeta.ID
	place  []blobmeta.Node
	off    int64 // first byte of the range
	end    int64 // end of the range (exclusive)
	cancel context.CancelFunc
	queue  chan chan segmentResult

	cur     []byte   // unread bytes of the current chunk
	chunks  [][]byte // the current segment's chunks after cur
	release func()   // frees the current segment's blocks
	err     error

	fetched atomic.Int64 // bytes of blocks received from nodes

	mu       sync.Mutex
	hashes   [][]blobmeta.Hash // verified block hashes per shard, nil until fetched
	dead     []error           // shards that failed as a whole during this read
	reported map[int]bool      // shards passed to OnBadShard
}

// segmentResult is one segment's bytes, trimmed to the requested range, as
// slices of the fetched blocks (no copy on the healthy path).
type segmentResult struct {
	chunks  [][]byte
	release func() // returns the blocks to the pool once consumed
	err     error
}

func (r *reader) produce(ctx context.Context) {
	defer close(r.queue)
	seg := int64(r.store.opts.SegmentStripes)
	first, last := r.layout.StripeOf(r.off), r.layout.StripeOf(r.end-1)
	for s0 := first; s0 <= last; s0 += seg {
		s1 := min(s0+seg, last+1)
		out := make(chan segmentResult, 1)
		select {
		case r.queue <- out:
		case <-ctx.Done():
			return
		}
		go func() {
			chunks, release, err := r.fetchSegment(ctx, s0, s1)
			if err == nil {
				lo := max(r.off, r.layout.StripeOffset(s0)) - r.layout.StripeOffset(s0)
				hi := min(r.end, r.layout.StripeOffset(s1)) - r.layout.StripeOffset(s0)
				chunks = trim(chunks, lo, hi)
			}
			out <- segmentResult{chunks, release, err}
		}()
	}
}

// trim keeps bytes [lo, hi) of the concatenation of chunks.
func trim(chunks [][]byte, lo, hi int64) [][]byte {
	var out [][]byte
	var pos int64
	for _, c := range chunks {
		start, end := max(lo-pos, 0), min(hi-pos, int64(len(c)))
		if start < end {
			out = append(out, c[start:end])
		}
		pos += int64(len(c))
	}
	return out
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if len(r.chunks) > 0 {
			r.cur, r.chunks = r.chunks[0], r.chunks[1:]
			continue
		}
		if r.release != nil {
			r.release()
			r.release = nil
		}
		if r.err != nil {
			return 0, r.err
		}
		next, ok := <-r.queue
		if !ok {
			r.err = io.EOF
			continue
		}
		res := <-next
		if res.err != nil {
			r.err = res.err
			r.cancel()
			continue
		}
		r.chunks, r.release = res.chunks, res.release
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Close stops fetching and releases the reader's goroutines.
func (r *reader) Close() error {
	r.cancel()
	for next := range r.queue {
		if res := <-next; res.release != nil {
			res.release()
		}
	}
	r.cur, r.chunks = nil, nil
	if r.release != nil {
		r.release()
		r.release = nil
	}
	if r.err == nil {
		r.err = errors.New("blob: read from closed reader")
	}
	return nil
}

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

// fetchSegment returns the data of stripes [s0, s1), fetching K verified
// pieces of each from the nodes and decoding where data pieces are missing.
func (r *reader) fetchSegment(ctx context.Context, s0, s1 int64) ([][]byte, func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nShards, k := r.codec.Shards(), r.codec.MinShards()
	nStripes := int(s1 - s0)
	pieces := make([][][]byte, nStripes)
	state := make([][]pieceState, nStripes)
	goodCount := make([]int, nStripes)
	for i := range pieces {
		pieces[i] = make([][]byte, nShards)
		state[i] = make([]pieceState, nShards)
	}
	// Shards known unusable before this segment (no address, or failed
	// earlier in this read) explain a stripe that cannot be served.
	var failures []ShardFailure
	r.mu.Lock()
	for i, err := range r.dead {
		if err != nil {
			failures = append(failures, ShardFailure{Index: i, Node: r.place[i], Err: err})
		}
	}
	r.mu.Unlock()
	inflight := make(map[int]*fetch)
	// One buffered slot per shard: a shard has at most one fetch in flight,
	// so abandoned fetches never block on send.
	events := make(chan fetchResult, nShards)
	hedge := time.NewTimer(time.Hour)
	defer hedge.Stop()

	for {
		// Count, per stripe, the pieces we have or still expect.
		expect := make([]int, nStripes)
		copy(expect, goodCount)
		for _, f := range inflight {
			if f.slow {
				continue
			}
			for s := f.from; s < f.to; s++ {
				if state[s-s0][f.shard] == unknown {
					expect[s-s0]++
				}
			}
		}
		// Launch fetches, preferring data shards, until every stripe is
		// covered or no shard is left to ask.
		for {
			needy := -1
			for i := range expect {
				if expect[i] < k {
					needy = i
					break
				}
			}
			if needy < 0 {
				break
			}
			shard := r.pickShard(state, inflight, needy)
			if shard < 0 {
				break
			}
			from, to := needy, needy
			for i := needy; i < nStripes; i++ {
				if expect[i] < k && state[i][shard] == unknown {
					to = i
				}
			}
			for i := from; i <= to; i++ {
				if state[i][shard] == unknown {
					expect[i]++
				}
			}
			f := &fetch{shard: shard, from: s0 + int64(from), to: s0 + int64(to) + 1, started: time.Now()}
			fctx, fcancel := context.WithTimeout(ctx, r.store.opts.FetchTimeout)
			f.cancel = fcancel
			inflight[shard] = f
			go func() { events <- r.fetch(fctx, f) }()
		}

		done := true
		for i := range goodCount {
			if goodCount[i] < k {
				done = false
				if len(inflight) == 0 {
					return nil, nil, &NotEnoughShardsError{Blob: r.id, Stripe: s0 + int64(i), Good: goodCount[i], Need: k, Failures: failures}
				}
			}
		}
		if done {
			break
		}

		// Arm the hedge for the oldest fetch still counted on.
		var oldest *fetch
		for _, f := range inflight {
			if !f.slow && (oldest == nil || f.started.Before(oldest.started)) {
				oldest = f
			}
		}
		if oldest != nil {
			hedge.Reset(time.Until(oldest.started.Add(r.store.opts.HedgeDelay)))
		}

		select {
		case ev := <-events:
			f := ev.f
			f.cancel()
			delete(inflight, f.shard)
			for s := f.from; s < f.to; s++ {
				b := ev.blocks[s-f.from]
				if b == nil || state[s-s0][f.shard] == good {
					continue
				}
				pieces[s-s0][f.shard] = b
				state[s-s0][f.shard] = good
				goodCount[s-s0]++
			}
			if ev.err != nil {
				failures = append(failures, ShardFailure{Index: f.shard, Node: r.place[f.shard], Err: ev.err})
				r.store.log.Warn().Str("blob", r.id.String()).Int("shard", f.shard).
					Str("node", r.place[f.shard].Addr).Err(ev.err).Msg("reading around shard")
				r.reportBad(f.shard, ev.err)
			}
			switch {
			case ev.dead:
				r.markDead(f.shard, ev.err)
				for i := range state {
					if state[i][f.shard] == unknown {
						state[i][f.shard] = bad
					}
				}
			case ev.failedAt >= 0:
				state[ev.failedAt-s0][f.shard] = bad
			}
		case <-hedge.C:
			if oldest != nil && time.Since(oldest.started) >= r.store.opts.HedgeDelay {
				oldest.slow = true
			}
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("blob %s: read: %w", r.id, ctx.Err())
		}
	}
	for _, f := range inflight {
		f.cancel()
	}

	release := func() {
		for i := range pieces {
			for _, b := range pieces[i] {
				r.store.putBlock(b)
			}
		}
	}
	var chunks [][]byte
	for i := range pieces {
		s := s0 + int64(i)
		if err := r.codec.Reconstruct(pieces[i]); err != nil {
			return nil, nil, fmt.Errorf("blob %s: stripe %d: %w", r.id, s, err)
		}
		data, err := r.codec.Data(pieces[i], r.layout.StripeLen(s))
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

func (r *reader) markDead(shard int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead[shard] == nil {
		r.dead[shard] = err
	}
}

// fetch requests blocks [f.from, f.to) of one shard and verifies each
// against the shard's block hashes, which are themselves checked against the
// manifest's shard root the first time they are fetched.
func (r *reader) fetch(ctx context.Context, f *fetch) fetchResult {
	res := fetchResult{f: f, blocks: make([][]byte, f.to-f.from), failedAt: -1}
	r.mu.Lock()
	hashes := r.hashes[f.shard]
	r.mu.Unlock()
	off := r.layout.BlockOffset(f.from)
	length := r.layout.BlockOffset(f.to-1) + int64(r.layout.BlockLen(f.to-1)) - off
	nd := r.place[f.shard]
	sr, err := r.store.t.GetShard(ctx, nd.Addr, r.id, f.shard, off, length, hashes == nil)
	if err != nil {
		if errors.Is(err, node.ErrCorrupt) {
			// The node refused the first block: only that piece is lost.
			res.failedAt, res.err = f.from, err
			return res
		}
		res.dead, res.err = true, err
		return res
	}
	defer sr.Body.Close()
	if hashes == nil {
		if int64(len(sr.Hashes)) != r.layout.Stripes() || integrity.ShardRoot(sr.Hashes) != r.m.ShardRoots[f.shard] {
			res.dead, res.err = true, fmt.Errorf("%w: block hashes of shard %d do not match the blob's manifest", node.ErrCorrupt, f.shard)
			return res
		}
		hashes = sr.Hashes
		r.mu.Lock()
		r.hashes[f.shard] = hashes
		r.mu.Unlock()
	}
	for s := f.from; s < f.to; s++ {
		b := r.store.getBlock(r.layout.BlockLen(s), r.layout.BlockSize())
		if _, err := io.ReadFull(sr.Body, b); err != nil {
			res.failedAt, res.err = s, fmt.Errorf("block %d: %w", s, err)
			return res
		}
		if integrity.BlockHash(b) != hashes[s] {
			res.failedAt, res.err = s, fmt.Errorf("%w: block %d of shard %d fails its hash", node.ErrCorrupt, s, f.shard)
			return res
		}
		res.blocks[s-f.from] = b
		r.fetched.Add(int64(len(b)))
	}
	return res
}

// reportBad tells Options.OnBadShard about a shard the node reported
// missing or whose bytes failed verification, once per shard and read,
// without waiting for the hook.
func (r *reader) reportBad(shard int, err error) {
	hook := r.store.opts.OnBadShard
	if hook == nil || !(errors.Is(err, node.ErrCorrupt) || errors.Is(err, node.ErrNotFound)) {
		return
	}
	r.mu.Lock()
	if r.reported == nil {
		r.reported = make(map[int]bool)
	}
	seen := r.reported[shard]
	r.reported[shard] = true
	r.mu.Unlock()
	if !seen {
		go hook(r.id, shard, r.place[shard], err)
	}
}
