package blob

import "sync"

// getBlock returns a buffer of n bytes for a block of a shard whose full
// blocks are size bytes. Full-size buffers are recycled: a read of a large
// blob would otherwise allocate (and zero) its whole size again. A short
// block (a blob's last) gets a buffer of its own size: giving it the full
// capacity cost every small GET a zeroed 1 MiB, a third of the gateway's
// CPU at 4 KiB.
func (s *Store) getBlock(n, size int) []byte {
	if n == size {
		if b, ok := s.blockPool(size).Get().(*[]byte); ok {
			return (*b)[:n]
		}
	}
	return make([]byte, n)
}

// putBlock recycles a buffer from getBlock (or one the codec made for a
// reconstructed piece). Only full-capacity buffers are kept.
func (s *Store) putBlock(b []byte) {
	if cap(b) == 0 {
		return
	}
	pool, ok := s.pools.Load(cap(b))
	if !ok {
		return
	}
	b = b[:cap(b)]
	pool.(*sync.Pool).Put(&b)
}

func (s *Store) blockPool(size int) *sync.Pool {
	if p, ok := s.pools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := s.pools.LoadOrStore(size, &sync.Pool{})
	return p.(*sync.Pool)
}
