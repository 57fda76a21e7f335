package loadgen

import (
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
)

// blockSize is the period of an object's content: every block starts with
// the object's seed and the block's number, then repeats one random
// buffer. Objects differ from each other and so do their blocks, so a
// block read back from the wrong object or the wrong place shows, yet
// making content costs a copy, not a random number generator, and the
// client's cores stay free for the load.
const blockSize = 1 << 20

// random is the shared body of every block.
var random = func() []byte {
	b := make([]byte, blockSize)
	r := rand.New(rand.NewChaCha8([32]byte{'f', 'l', 'o', 'e'}))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

// headerSize is the bytes at the start of each block that name it.
const headerSize = 16

// Content is an object's bytes: size bytes made from seed. It is an
// io.Reader, io.ReaderAt and io.Seeker, as SDKs like their bodies, and
// can be read again after a Seek to 0.
type Content struct {
	seed uint64
	size int64
	off  int64
}

// NewContent returns the content of an object of size bytes made from
// seed.
func NewContent(seed uint64, size int64) *Content { return &Content{seed: seed, size: size} }

// Size returns the content's length.
func (c *Content) Size() int64 { return c.size }

// Read implements io.Reader.
func (c *Content) Read(p []byte) (int, error) {
	n, err := c.ReadAt(p, c.off)
	c.off += int64(n)
	return n, err
}

// ReadAt implements io.ReaderAt.
func (c *Content) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("loadgen: negative offset")
	}
	if off >= c.size {
		return 0, io.EOF
	}
	var hdr [headerSize]byte
	n := 0
	for n < len(p) && off < c.size {
		block, in := off/blockSize, off%blockSize
		end := min(int64(blockSize), c.size-block*blockSize)
		var m int
		if in < headerSize {
			binary.BigEndian.PutUint64(hdr[:8], c.seed)
			binary.BigEndian.PutUint64(hdr[8:], uint64(block))
			m = copy(p[n:], hdr[in:min(headerSize, end)])
		} else {
			m = copy(p[n:], random[in:end])
		}
		n += m
		off += int64(m)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Seek implements io.Seeker.
func (c *Content) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += c.off
	case io.SeekEnd:
		offset += c.size
	default:
		return 0, errors.New("loadgen: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("loadgen: negative position")
	}
	c.off = offset
	return offset, nil
}
