package blob

import (
	"context"
	"sync"
)

// stripeShape identifies stripes whose buffers are interchangeable.
type stripeShape struct {
	shards int // pieces per stripe
	piece  int // bytes of a full stripe's piece
}

// bytes is the memory one stripe of this shape holds.
func (sh stripeShape) bytes() int64 { return int64(sh.shards * sh.piece) }

// stripeSet is the stripes of one write. They come out of the store's
// WriteMemory budget and go back to it, and to a pool shared by all
// writes, when the write ends.
type stripeSet struct {
	store *Store
	shape stripeShape
	cost  int64        // budget bytes per stripe
	free  chan *stripe // stripes every shard stream is done with
	held  int          // stripes taken from the budget
	max   int
}

func (s *Store) newStripeSet(shape stripeShape, max int) *stripeSet {
	return &stripeSet{
		store: s,
		shape: shape,
		// A stripe larger than the whole budget takes all of it rather
		// than waiting forever.
		cost: min(shape.bytes(), s.opts.WriteMemory),
		free: make(chan *stripe, max),
		max:  max,
	}
}

// get returns a stripe to fill: one the shard streams are done with, a new
// one while the write holds fewer than max and the budget has room, or —
// for the write's first stripe — a new one once the budget has room.
// Otherwise it waits for one of its own stripes to come back.
func (ss *stripeSet) get(ctx context.Context) (*stripe, error) {
	select {
	case st := <-ss.free:
		return st, nil
	default:
	}
	switch {
	case ss.held == 0:
		if err := ss.store.writeMem.Acquire(ctx, ss.cost); err != nil {
			return nil, err
		}
	case ss.held < ss.max && ss.store.writeMem.TryAcquire(ss.cost):
	default:
		select {
		case st := <-ss.free:
			return st, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ss.held++
	return ss.alloc(), nil
}

// put hands back a stripe that was never given to the shard streams.
func (ss *stripeSet) put(st *stripe) { ss.free <- st }

// alloc takes a stripe from the shared pool or makes one.
func (ss *stripeSet) alloc() *stripe {
	p, _ := ss.store.stripePools.LoadOrStore(ss.shape, &sync.Pool{})
	st, _ := p.(*sync.Pool).Get().(*stripe)
	if st == nil {
		sh := ss.shape
		st = &stripe{buf: make([]byte, sh.shards*sh.piece), pieces: make([][]byte, sh.shards)}
		for i := range st.pieces {
			st.pieces[i] = st.buf[i*sh.piece : (i+1)*sh.piece : (i+1)*sh.piece]
		}
	}
	st.pool = ss.free
	return st
}

// close returns the write's stripes to the shared pool and its memory to
// the budget. Every stripe must be back: call it once every shard stream
// has finished.
func (ss *stripeSet) close() {
	p, _ := ss.store.stripePools.Load(ss.shape)
	for range ss.held {
		st := <-ss.free
		for i := range st.pieces {
			st.pieces[i] = st.pieces[i][:cap(st.pieces[i])]
		}
		st.pool = nil
		p.(*sync.Pool).Put(st)
	}
	ss.store.writeMem.Release(int64(ss.held) * ss.cost)
	ss.held = 0
}
