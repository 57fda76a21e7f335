package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/backend/placement"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Result describes a blob that Put made durable.
type Result struct {
	ID       blobmeta.ID
	Manifest *blobmeta.Manifest
	// Placement[i] is the node that holds (or should hold) shard i.
	Placement []blobmeta.Node
	// Failed lists the shards that are not durable; the blob is readable
	// but has less redundancy until they are repaired.
	Failed []ShardFailure
}

// ShardFailure is one shard a write or read could not use.
type ShardFailure struct {
	Index int
	Node  blobmeta.Node
	Err   error
}

func (f ShardFailure) String() string {
	return fmt.Sprintf("shard %d on %s: %v", f.Index, f.Node.Addr, f.Err)
}

// ErrWriteQuorum is returned by Put when fewer than WriteQuorum shards
// became durable. Shards that did are deleted again, best effort; any left
// behind are unreferenced and collected later.
var ErrWriteQuorum = errors.New("blob: write quorum not reached")

// errStalled marks a shard whose node accepted no data for StallTimeout.
var errStalled = errors.New("node stalled: no progress within stall timeout")

// errNodeDown fails a shard planned on a node that was down at the start.
var errNodeDown = errors.New("node was down when the write started")

// errAborted is how an abandoned write ends its shard streams; the nodes
// discard what they received.
var errAborted = errors.New("blob: write aborted")

// stripe is one encoded stripe shared by all shard streams; the last stream
// to finish with it returns it to the pool.
type stripe struct {
	// buf holds the K+M pieces back to back. A full stripe is read
	// straight into its first StripeSize bytes, which are the data pieces.
	buf    []byte
	pieces [][]byte // K+M pieces of buf, resliced to the stripe's piece size
	refs   atomic.Int32
	pool   chan *stripe
}

func (s *stripe) release() {
	if s.refs.Add(-1) == 0 {
		s.pool <- s
	}
}

// Plan is where a blob will go, fixed before any byte is written so that
// callers can record the intent (and find a failed write's leftovers).
type Plan struct {
	Params    blobmeta.Params
	Nonce     [blobmeta.NonceSize]byte
	Placement []blobmeta.Node // Placement[i] receives shard i
}

// Plan picks a nonce and the nodes for a new blob. live are the nodes that
// take new shards; down are registered nodes that cannot now (suspect,
// dead, full). When live nodes are too few for every shard, the last
// shards (parity first, so healthy reads need no decoding) are assigned
// to down nodes with no address: the write does not try them, reports them
// in Result.Failed, and repair writes them once a node is available. A
// write still needs max(WriteQuorum, K+1) live nodes, so no blob starts
// without redundancy.
func (s *Store) Plan(live, down []blobmeta.Node) (*Plan, error) {
	return s.plan(s.opts.Params, live, down)
}

// PlanFor is Plan for a blob whose size is known to be size bytes: below
// Options.ReplicateBelow it is planned as M+1 copies (see Replicated).
func (s *Store) PlanFor(size int64, live, down []blobmeta.Node) (*Plan, error) {
	if size >= 0 && size < s.opts.ReplicateBelow {
		return s.plan(Replicated(s.opts.Params, size), live, down)
	}
	return s.plan(s.opts.Params, live, down)
}

// Replicated returns the parameters of a blob of size bytes stored as
// whole copies, as many as p has shards that may fail plus one:
// Reed-Solomon with K=1, so every shard alone holds the blob. Its stripe
// is the blob's size (at least 4 KiB, at most p's stripe), so that the
// write holds and budgets (WriteMemory) no more than the copies' bytes.
func Replicated(p blobmeta.Params, size int64) blobmeta.Params {
	stripe := int(min(max(size, 4<<10), int64(p.StripeSize)))
	return blobmeta.Params{Kind: p.Kind, K: 1, M: p.M, StripeSize: stripe}
}

func (s *Store) plan(p blobmeta.Params, live, down []blobmeta.Node) (*Plan, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("blob: plan: %w", err)
	}
	pl := &Plan{Params: p}
	if _, err := rand.Read(pl.Nonce[:]); err != nil {
		return nil, fmt.Errorf("blob: plan: nonce: %w", err)
	}
	n := p.K + p.M
	if len(live) >= n {
		place, err := placement.Place(pl.Nonce[:], live, n)
		if err != nil {
			return nil, fmt.Errorf("blob: plan: %w", err)
		}
		pl.Placement = place
		return pl, nil
	}
	if need := s.minLive(p); len(live) < need {
		return nil, fmt.Errorf("blob: plan: %w: %d live nodes, a write needs %d (and %d for full redundancy)",
			placement.ErrNotEnoughNodes, len(live), need, n)
	}
	place, err := placement.Place(pl.Nonce[:], live, len(live))
	if err != nil {
		return nil, fmt.Errorf("blob: plan: %w", err)
	}
	rest, err := placement.Place(pl.Nonce[:], down, n-len(live))
	if err != nil {
		return nil, fmt.Errorf("blob: plan: %d live nodes, and down ones for the other shards: %w", len(live), err)
	}
	for _, nd := range rest {
		place = append(place, blobmeta.Node{ID: nd.ID})
	}
	pl.Placement = place
	return pl, nil
}

// minLive is how many live nodes a write of a blob coded with p needs:
// its quorum, and at least one more than K so an acknowledged blob
// survives a node failure.
func (s *Store) minLive(p blobmeta.Params) int {
	return min(max(s.quorum(p), p.K+1), p.K+p.M)
}

// MinLiveNodes is how many live nodes a write of a new blob needs (with
// the store's Params): with fewer, Plan refuses it. Readiness uses it.
func (s *Store) MinLiveNodes() int { return s.minLive(s.opts.Params) }

// quorum is how many shards of a blob coded with p must be durable for
// its write to succeed: WriteQuorum for Params, and for other codes
// (replicated blobs) as many as lets the write survive the same number of
// failed shards, never fewer than K.
func (s *Store) quorum(p blobmeta.Params) int {
	sp := s.opts.Params
	w := min(max(s.opts.WriteQuorum, sp.K), sp.K+sp.M)
	tolerated := sp.K + sp.M - w
	return min(max(p.K+p.M-tolerated, p.K), p.K+p.M)
}

// Put writes the bytes of r as a new blob on nodes chosen from live and
// down as Plan does; it is Plan followed by Write.
func (s *Store) Put(ctx context.Context, r io.Reader, live, down []blobmeta.Node) (*Result, error) {
	pl, err := s.Plan(live, down)
	if err != nil {
		return nil, err
	}
	return s.Write(ctx, pl, r)
}

// Write stores the bytes of r as the blob pl describes, and returns once
// WriteQuorum shards are durable. Memory use is bounded by StripesInFlight
// stripes whatever the blob's size. If r fails, the write is abandoned and
// nodes keep nothing of it.
func (s *Store) Write(ctx context.Context, pl *Plan, r io.Reader) (*Result, error) {
	o := s.opts.Observer
	if o == nil {
		return s.writeBlob(ctx, pl, r)
	}
	start := time.Now()
	res, err := s.writeBlob(ctx, pl, r)
	var size int64
	if err == nil {
		size = res.Manifest.Size
	}
	o.BlobWritten(time.Since(start), size, err)
	return res, err
}

// writeBlob is Write, unobserved.
func (s *Store) writeBlob(ctx context.Context, pl *Plan, r io.Reader) (*Result, error) {
	p := pl.Params
	c, err := codec.New(p)
	if err != nil {
		return nil, fmt.Errorf("blob: put: %w", err)
	}
	n := c.Shards()
	if len(pl.Placement) != n {
		return nil, fmt.Errorf("blob: put: plan places %d shards, codec makes %d", len(pl.Placement), n)
	}
	quorum := min(max(s.quorum(p), c.MinShards()), n)
	m := &blobmeta.Manifest{Params: p, Nonce: pl.Nonce, ShardRoots: make([]blobmeta.Hash, n)}
	place := pl.Placement

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &write{
		store:     s,
		codec:     c,
		manifest:  m,
		place:     place,
		ready:     make(chan struct{}),
		maxFailed: n - quorum,
		cancel:    cancel,
	}
	w.shards = make([]*shardStream, n)
	for i := range w.shards {
		w.shards[i] = w.startShard(ctx, i)
	}
	shape := stripeShape{shards: n, piece: c.PieceSize(p.StripeSize)}
	w.stripes = s.newStripeSet(shape, s.opts.StripesInFlight)
	// Every return below waits for the shard streams first, so all
	// stripes are back by the time this runs.
	defer w.stripes.close()

	size, readErr := w.pump(ctx, r)
	if readErr == nil && ctx.Err() != nil {
		readErr = ctx.Err()
	}
	if readErr != nil {
		// Abort before waiting, so streams stuck on a hung node end now.
		w.abort()
	}
	for _, sh := range w.shards {
		close(sh.in)
	}
	// Every stream hashes every piece, even after its node failed, so the
	// manifest can name the roots of shards that repair must recreate.
	for i, sh := range w.shards {
		m.ShardRoots[i] = <-sh.root
	}
	if readErr == nil && w.failedCount() > w.maxFailed {
		readErr = w.quorumErr()
		w.abort()
	}
	if readErr != nil {
		for _, sh := range w.shards {
			<-sh.done
		}
		return nil, readErr
	}
	m.Size = size
	w.manifestBytes = m.Marshal()
	close(w.ready)
	for _, sh := range w.shards {
		<-sh.done
	}

	id := m.ID()
	res := &Result{ID: id, Manifest: m, Placement: place}
	for i, sh := range w.shards {
		if sh.err != nil {
			res.Failed = append(res.Failed, ShardFailure{Index: i, Node: place[i], Err: sh.err})
		} else if sh.id != id {
			// A node acknowledged a different blob: treat it as failed.
			res.Failed = append(res.Failed, ShardFailure{Index: i, Node: place[i],
				Err: fmt.Errorf("node acknowledged blob %s, want %s", sh.id, id)})
		}
	}
	if len(res.Failed) > w.maxFailed {
		err := w.quorumErr()
		// The durable shards of a write that missed its quorum go again.
		durable := make(map[int]blobmeta.Node, len(place))
		for i, nd := range place {
			durable[i] = nd
		}
		for _, f := range res.Failed {
			delete(durable, f.Index)
		}
		s.DeleteShards(ctx, id, durable, "could not delete shard of failed write; left for the orphan collector")
		return nil, err
	}
	for _, f := range res.Failed {
		s.log.Warn().Str("blob", id.String()).Int("shard", f.Index).Str("node", f.Node.Addr).
			Err(f.Err).Msg("blob written without this shard; needs repair")
	}
	return res, nil
}

// write is the state of one Put.
type write struct {
	store     *Store
	codec     codec.Codec
	manifest  *blobmeta.Manifest
	place     []blobmeta.Node
	shards    []*shardStream
	stripes   *stripeSet
	maxFailed int
	cancel    context.CancelFunc

	failed        atomic.Int32
	errMu         sync.Mutex
	errs          map[int]error // first failure of each shard, for error messages
	ready         chan struct{} // closed once manifestBytes is set
	manifestBytes []byte
	abortOnce     sync.Once
	aborted       atomic.Bool
}

// shardStream feeds one shard's pieces to its node.
type shardStream struct {
	index int
	in    chan *stripe
	root  chan blobmeta.Hash
	done  chan struct{}
	// set before done is closed
	id  blobmeta.ID
	err error
}

func (w *write) failedCount() int { return int(w.failed.Load()) }

// fail records that shard i will not be durable.
func (w *write) fail(i int, err error) {
	w.failed.Add(1)
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.errs == nil {
		w.errs = make(map[int]error)
	}
	w.errs[i] = err
}

func (w *write) quorumErr() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	var fails []string
	for i := range w.shards {
		if err := w.errs[i]; err != nil {
			fails = append(fails, ShardFailure{i, w.place[i], err}.String())
		}
	}
	return fmt.Errorf("%w: need %d of %d shards durable, %d failed %v",
		ErrWriteQuorum, len(w.shards)-w.maxFailed, len(w.shards), w.failedCount(), fails)
}

// abort makes every shard stream end with an error so nodes discard it.
func (w *write) abort() {
	w.abortOnce.Do(func() {
		w.aborted.Store(true)
		close(w.ready)
		w.cancel()
	})
}

// pump reads r stripe by stripe, encodes and hands each stripe to every
// shard stream. It returns the number of bytes read.
func (w *write) pump(ctx context.Context, r io.Reader) (int64, error) {
	var size int64
	for {
		st, err := w.stripes.get(ctx)
		if err != nil {
			return size, err
		}
		got, err := w.fill(st, r)
		if err != nil || got == 0 {
			w.stripes.put(st) // never handed out
			return size, err
		}
		size += int64(got)
		if err := w.dispatch(ctx, st); err != nil {
			return size, err
		}
		if w.failedCount() > w.maxFailed {
			return size, w.quorumErr()
		}
		if got < w.manifest.Params.StripeSize {
			return size, nil // the input ended inside this stripe
		}
	}
}

// fill reads the next stripe of r into st and encodes it; 0 bytes means r
// has ended.
func (w *write) fill(st *stripe, r io.Reader) (int, error) {
	size := w.manifest.Params.StripeSize
	got, err := io.ReadFull(r, st.buf[:size])
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if err != nil {
		return 0, fmt.Errorf("blob: put: read input: %w", err)
	}
	if got == 0 {
		return 0, nil
	}
	data := st.buf[:got]
	if got < size {
		// A short (last) stripe has smaller pieces, so its data pieces no
		// longer line up with where the bytes were read: encode a copy.
		data = bytes.Clone(data)
	}
	ps := w.codec.PieceSize(got)
	for i := range st.pieces {
		st.pieces[i] = st.pieces[i][:ps]
	}
	// For a full stripe, data is exactly the data pieces' memory, which
	// Encode allows: the copy in is a no-op.
	if err := w.codec.Encode(data, st.pieces); err != nil {
		return 0, fmt.Errorf("blob: put: %w", err)
	}
	return got, nil
}

// dispatch hands st to every shard stream; each releases it when done.
func (w *write) dispatch(ctx context.Context, st *stripe) error {
	st.refs.Store(int32(len(w.shards)))
	for i, sh := range w.shards {
		select {
		case sh.in <- st:
		case <-ctx.Done():
			// The streams not reached will never release it.
			for range len(w.shards) - i {
				st.release()
			}
			return ctx.Err()
		}
	}
	return nil
}

// startShard starts the goroutines that stream shard i to its node.
func (w *write) startShard(ctx context.Context, i int) *shardStream {
	sh := &shardStream{
		index: i,
		in:    make(chan *stripe, w.store.opts.StripesInFlight),
		root:  make(chan blobmeta.Hash, 1),
		done:  make(chan struct{}),
	}
	ctx, cancel := context.WithCancelCause(ctx)
	pp := newPiecePipe()
	put := make(chan error, 1)
	blockSize := w.codec.PieceSize(w.manifest.Params.StripeSize)
	addr := w.place[i].Addr

	go func() {
		if addr == "" {
			// Planned on a node that was down: nothing to connect to.
			pp.CloseWithError(errNodeDown)
			put <- errNodeDown
			return
		}
		id, err := w.store.t.PutShard(ctx, addr, i, blockSize, pp, func() []byte {
			if w.aborted.Load() {
				return nil
			}
			return w.manifestBytes
		})
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
				err = fmt.Errorf("%w (%v)", cause, err)
			}
			// Unblock a writer waiting on the pipe.
			pp.CloseWithError(err)
		}
		sh.id = id
		put <- err
	}()

	go func() {
		defer close(sh.done)
		defer cancel(nil)
		var hashes []blobmeta.Hash
		var writeErr error
		for st := range sh.in {
			piece := st.pieces[i]
			hashes = append(hashes, integrity.BlockHash(piece))
			if writeErr == nil {
				timer := time.AfterFunc(w.store.opts.StallTimeout, func() { cancel(errStalled) })
				_, writeErr = pp.Write(piece)
				if !timer.Stop() && writeErr == nil {
					writeErr = errStalled
				}
				if writeErr != nil {
					w.fail(i, writeErr)
					cancel(writeErr)
					pp.CloseWithError(writeErr)
				}
			}
			st.release()
		}
		sh.root <- integrity.ShardRoot(hashes)

		<-w.ready
		if w.aborted.Load() {
			pp.CloseWithError(errAborted)
			cancel(errAborted)
		} else {
			pp.Close()
		}
		err := <-put
		if writeErr == nil && err != nil && !w.aborted.Load() {
			w.fail(i, err)
		}
		if err == nil {
			err = writeErr
		}
		if err != nil && !w.aborted.Load() {
			err = fmt.Errorf("shard %d to %s: %w", i, addr, err)
		}
		sh.err = err
	}()
	return sh
}

// DeleteShards deletes shard i of blob id from nodes[i] for every i in
// nodes, concurrently and best effort: what is left is unreferenced, for
// the orphan collector. It keeps ctx's values but not its cancellation,
// since the cancelled request is often why the shards go, and waits at most
// 30 s. failMsg is the log message for a shard that could not be deleted.
func (s *Store) DeleteShards(ctx context.Context, id blobmeta.ID, nodes map[int]blobmeta.Node, failMsg string) {
	if len(nodes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, nd := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.t.DeleteShard(ctx, nd.Addr, id, i); err != nil {
				s.log.Warn().Str("blob", id.String()).Int("shard", i).Str("node", nd.Addr).
					Err(err).Msg(failMsg)
			}
		}()
	}
	wg.Wait()
}
