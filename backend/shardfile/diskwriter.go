package shardfile

import (
	"errors"
	"os"
	"sync"
	"unsafe"
)

// writeBufSize is how much of a shard is gathered before it goes to disk.
const writeBufSize = 256 << 10

// directAlign is the alignment O_DIRECT asks of buffers, file offsets and
// lengths: the largest logical block size in common use.
const directAlign = 4096

// writebackChunk is how much a buffered write lets accumulate in the page
// cache before asking the kernel to start writing it out, so the fsync at
// commit has little left to do.
const writebackChunk = 8 << 20

// writeBufs pools aligned write buffers: allocating (and zeroing) 256 KiB
// for every shard was a third of a node's CPU under small PUTs.
var writeBufs = sync.Pool{New: func() any { b := alignedBuf(writeBufSize); return &b }}

// alignedBuf returns an empty slice of capacity n whose first byte is
// directAlign-aligned.
func alignedBuf(n int) []byte {
	b := make([]byte, n+directAlign)
	off := 0
	if r := int(uintptr(unsafe.Pointer(&b[0])) % directAlign); r != 0 {
		off = directAlign - r
	}
	return b[off : off : off+n]
}

// diskWriter gathers a temp file's bytes in an aligned buffer and writes
// each full buffer with O_DIRECT where the file system allows it. A large
// shard then goes from the network buffer to the disk without a copy into
// the page cache: that copy was a third of the machine's CPU under 64 MiB
// PUTs (and pushes out the cache that serves reads). The last, partial
// buffer is written through the page cache, since O_DIRECT needs aligned
// lengths; shards smaller than one buffer never use O_DIRECT at all. Where
// O_DIRECT is refused (tmpfs, some FUSE and network file systems), writes
// stay buffered and writeback starts every writebackChunk.
type diskWriter struct {
	f    *os.File
	bufp *[]byte
	buf  []byte // pending bytes; cap writeBufSize, aligned

	off       int64 // bytes written to f
	direct    bool  // O_DIRECT is set on f
	noDirect  bool  // O_DIRECT was refused or is off; stay buffered
	writeback int64 // bytes whose writeback was started (buffered writes)
}

func newDiskWriter(f *os.File) *diskWriter {
	bufp := writeBufs.Get().(*[]byte)
	return &diskWriter{f: f, bufp: bufp, buf: (*bufp)[:0], noDirect: !directIO}
}

// directIO can be turned off by tests, to cover the buffered path on file
// systems that accept O_DIRECT.
var directIO = true

// space returns the free part of the buffer, flushing it first if full.
func (d *diskWriter) space() ([]byte, error) {
	if len(d.buf) == cap(d.buf) {
		if err := d.flushFull(); err != nil {
			return nil, err
		}
	}
	return d.buf[len(d.buf):cap(d.buf)], nil
}

// advance marks n bytes of the last space() as pending.
func (d *diskWriter) advance(n int) { d.buf = d.buf[:len(d.buf)+n] }

// Write buffers p, writing out each buffer it fills.
func (d *diskWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		sp, err := d.space()
		if err != nil {
			return written, err
		}
		n := copy(sp, p)
		d.advance(n)
		p = p[n:]
		written += n
	}
	return written, nil
}

// flushFull writes out a full buffer, with O_DIRECT when it can.
func (d *diskWriter) flushFull() error {
	if !d.direct && !d.noDirect {
		if err := setDirect(d.f, true); err != nil {
			d.noDirect = true
		} else {
			d.direct = true
		}
	}
	pending := d.buf
	if d.direct {
		n, err := d.writeAt(pending)
		if err == nil {
			d.buf = d.buf[:0]
			return nil
		}
		if !errors.Is(err, errDirectRefused) {
			return err
		}
		// Some file systems take the flag but refuse the write, perhaps
		// after a short one: the rest goes through the page cache.
		d.noDirect = true
		if err := d.buffered(); err != nil {
			return err
		}
		pending = pending[n:]
	}
	return d.flushBuffered(pending)
}

// flushBuffered writes b, the unwritten end of the buffer, through the
// page cache and empties the buffer.
func (d *diskWriter) flushBuffered(b []byte) error {
	if _, err := d.writeAt(b); err != nil {
		return err
	}
	d.buf = d.buf[:0]
	if d.noDirect && d.off-d.writeback >= writebackChunk {
		startWriteback(d.f, d.writeback, d.off-d.writeback)
		d.writeback = d.off
	}
	return nil
}

// writeAt writes b at the end of what is written, sequentially, and
// returns how much of it went out.
func (d *diskWriter) writeAt(b []byte) (int, error) {
	written := 0
	for written < len(b) {
		n, err := d.f.WriteAt(b[written:], d.off)
		d.off += int64(n)
		written += n
		if err != nil {
			if d.direct && isDirectRefusal(err) {
				return written, errDirectRefused
			}
			return written, err
		}
	}
	return written, nil
}

// buffered turns O_DIRECT off for what follows.
func (d *diskWriter) buffered() error {
	if !d.direct {
		return nil
	}
	d.direct = false
	return setDirect(d.f, false)
}

// Flush writes out whatever is pending, through the page cache.
func (d *diskWriter) Flush() error {
	if len(d.buf) == 0 {
		return nil
	}
	if err := d.buffered(); err != nil {
		return err
	}
	return d.flushBuffered(d.buf)
}

// release returns the buffer to the pool; the diskWriter is done.
func (d *diskWriter) release() {
	if d.bufp != nil {
		writeBufs.Put(d.bufp)
		d.bufp, d.buf = nil, nil
	}
}

// errDirectRefused says an O_DIRECT write was refused as such (EINVAL).
var errDirectRefused = errors.New("shardfile: O_DIRECT write refused")
