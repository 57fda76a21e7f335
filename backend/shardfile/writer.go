package shardfile

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/zeebo/blake3"
)

// writeBufSize batches small network reads into larger disk writes.
const writeBufSize = 256 << 10

// writeBufs pools the writers' buffers: allocating (and zeroing) 256 KiB
// for every shard was a third of a node's CPU under small PUTs.
var writeBufs = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufSize) }}

// Writer streams one incoming shard to a temporary file, hashing it block
// by block as it arrives. Memory stays constant apart from the block table.
// Finish with Commit or Abort; a Writer is not safe for concurrent use.
type Writer struct {
	s         *Store
	f         *os.File
	bw        *bufio.Writer
	blockSize int

	n      int64          // bytes received
	cur    int            // bytes of the current block so far
	hasher *blake3.Hasher // over the current block
	crc    uint32         // of the current block
	hashes []blobmeta.Hash
	crcs   []uint32

	err  error // first write error, returned again by Write and Commit
	done bool
}

// Create starts writing a shard whose full blocks hold blockSize bytes.
func (s *Store) Create(blockSize int) (*Writer, error) {
	if blockSize < 1 || blockSize > MaxBlockSize {
		return nil, fmt.Errorf("%w: block size %d out of range [1, %d]", ErrInvalid, blockSize, MaxBlockSize)
	}
	f, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return nil, diskErr("create temp file", err)
	}
	bw := writeBufs.Get().(*bufio.Writer)
	bw.Reset(&writebackFile{f: f})
	return &Writer{
		s:         s,
		f:         f,
		bw:        bw,
		blockSize: blockSize,
		hasher:    blake3.New(),
	}, nil
}

// Size is the number of bytes written so far.
func (w *Writer) Size() int64 { return w.n }

// Write appends shard data.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("shardfile: write after commit or abort")
	}
	if w.err != nil {
		return 0, w.err
	}
	written := 0
	for len(p) > 0 {
		if w.cur == 0 && len(w.hashes) >= MaxBlocks {
			w.err = fmt.Errorf("%w: more than %d blocks", ErrTooLarge, MaxBlocks)
			return written, w.err
		}
		chunk := p[:min(len(p), w.blockSize-w.cur)]
		if _, err := w.bw.Write(chunk); err != nil {
			w.err = diskErr("write temp file", err)
			return written, w.err
		}
		_, _ = w.hasher.Write(chunk)
		w.crc = crc32.Update(w.crc, castagnoli, chunk)
		w.cur += len(chunk)
		w.n += int64(len(chunk))
		written += len(chunk)
		p = p[len(chunk):]
		if w.cur == w.blockSize {
			w.endBlock()
		}
	}
	return written, nil
}

// endBlock records the hash and CRC of the current block.
func (w *Writer) endBlock() {
	var h blobmeta.Hash
	w.hasher.Sum(h[:0])
	w.hashes = append(w.hashes, h)
	w.crcs = append(w.crcs, w.crc)
	w.hasher.Reset()
	w.crc = 0
	w.cur = 0
}

// Abort discards the shard. It is safe to call after Commit, and more than
// once.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.releaseBuf()
	name := w.f.Name()
	_ = w.f.Close()
	_ = os.Remove(name)
}

// releaseBuf returns the write buffer to the pool, once done with it.
func (w *Writer) releaseBuf() {
	if w.bw != nil && w.bw.Size() == writeBufSize {
		w.bw.Reset(nil)
		writeBufs.Put(w.bw)
	}
	w.bw = nil
}

// Commit checks the received data against the manifest as shard idx, then
// makes it durable under the manifest's ID. It returns that ID and whether
// the store already held an identical, fully verified shard, in which case
// the new copy is dropped; a damaged copy is replaced instead. The shard is on disk (synced, renamed and its directory synced)
// when Commit returns nil. On any error the data is discarded; errors match
// ErrInvalid (sizes disagree with the manifest), ErrBadDigest (data does
// not hash to the manifest's root), ErrConflict, ErrInsufficientStorage or
// ErrTooLarge.
func (w *Writer) Commit(idx int, m *blobmeta.Manifest) (id blobmeta.ID, existed bool, err error) {
	if w.done {
		return id, false, errors.New("shardfile: commit after commit or abort")
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	if w.err != nil {
		return id, false, w.err
	}
	if w.cur > 0 {
		w.endBlock()
	}
	if err := w.check(idx, m); err != nil {
		return id, false, err
	}
	id = m.ID()
	if err := w.writeFooter(idx, m.Marshal(), "commit "+Name(id, idx)); err != nil {
		return id, false, err
	}
	w.releaseBuf() // flushed by writeFooter
	existed, err = w.s.install(w.f.Name(), id, idx)
	if err != nil {
		return id, false, err
	}
	w.done = true
	return id, existed, nil
}

// check validates the received data against shard idx of m.
func (w *Writer) check(idx int, m *blobmeta.Manifest) error {
	if m == nil {
		return fmt.Errorf("%w: no manifest", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if idx < 0 || idx >= len(m.ShardRoots) {
		return fmt.Errorf("%w: shard index %d, blob has %d shards", ErrInvalid, idx, len(m.ShardRoots))
	}
	c, err := w.s.codecFor(m.Params)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	l := codec.NewLayout(c, m.Size)
	switch {
	case l.BlockSize() != w.blockSize:
		return fmt.Errorf("%w: block size %d, manifest (%s) implies %d", ErrInvalid, w.blockSize, m.Params, l.BlockSize())
	case w.n != l.ShardLen():
		return fmt.Errorf("%w: received %d bytes, shard of a %d-byte blob holds %d", ErrInvalid, w.n, m.Size, l.ShardLen())
	case int64(len(w.hashes)) != l.Stripes():
		return fmt.Errorf("%w: %d blocks, manifest implies %d", ErrInvalid, len(w.hashes), l.Stripes())
	}
	// Every block but the last is full by construction; check the last.
	if n := int64(len(w.hashes)); n > 0 {
		if got, want := w.n-l.BlockOffset(n-1), int64(l.BlockLen(n-1)); got != want {
			return fmt.Errorf("%w: last block is %d bytes, want %d", ErrInvalid, got, want)
		}
	}
	if root := integrity.ShardRoot(w.hashes); root != m.ShardRoots[idx] {
		return fmt.Errorf("%w: shard %d root %s, manifest says %s", ErrBadDigest, idx, root, m.ShardRoots[idx])
	}
	return nil
}

// writeFooter appends the block table, manifest and tail, then syncs and
// closes the file.
func (w *Writer) writeFooter(idx int, mb []byte, op string) error {
	var entry [EntrySize]byte
	crc := uint32(0)
	for i := range w.hashes {
		putEntry(entry[:], w.hashes[i], w.crcs[i])
		crc = crc32.Update(crc, castagnoli, entry[:])
		if _, err := w.bw.Write(entry[:]); err != nil {
			return diskErr(op+": write block table", err)
		}
	}
	crc = crc32.Update(crc, castagnoli, mb)
	if _, err := w.bw.Write(mb); err != nil {
		return diskErr(op+": write manifest", err)
	}
	t := tail{
		index:       idx,
		nblocks:     int64(len(w.hashes)),
		shardLen:    w.n,
		blockSize:   w.blockSize,
		manifestLen: len(mb),
	}
	var tb [TailSize]byte
	t.encode(tb[:])
	t.crc = crc32.Update(crc, castagnoli, tb[:tailCRCOff])
	t.encode(tb[:])
	if _, err := w.bw.Write(tb[:]); err != nil {
		return diskErr(op+": write tail", err)
	}
	if err := w.bw.Flush(); err != nil {
		return diskErr(op+": write temp file", err)
	}
	if err := w.f.Sync(); err != nil {
		return diskErr(op+": sync temp file", err)
	}
	if err := w.f.Close(); err != nil {
		return diskErr(op+": close temp file", err)
	}
	return nil
}

// install moves the finished temp file into place as id.idx, unless an
// identical shard is already there. It removes tmp on every path except a
// successful rename.
func (s *Store) install(tmp string, id blobmeta.ID, idx int) (existed bool, err error) {
	name := Name(id, idx)
	mu := s.lock(id, idx)
	mu.Lock()
	defer mu.Unlock()

	path := s.Path(id, idx)
	replace := false
	switch err := s.checkExisting(path, id, idx); {
	case err == nil:
		_ = os.Remove(tmp)
		return true, nil
	case errors.Is(err, ErrNotFound):
	case errors.Is(err, ErrCorrupt):
		// The new copy is verified against the manifest that names it, so
		// it safely replaces a damaged one.
		replace = true
	case errors.Is(err, ErrConflict):
		_ = os.Remove(tmp)
		return false, err
	default:
		_ = os.Remove(tmp)
		return false, fmt.Errorf("shardfile: commit %s: %w", name, err)
	}

	dir := filepath.Dir(path)
	created, err := ensureDir(dir)
	if err != nil {
		_ = os.Remove(tmp)
		return false, diskErr("commit "+name, err)
	}
	if created {
		if err := syncDir(s.shards); err != nil {
			_ = os.Remove(tmp)
			return false, diskErr("commit "+name, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return false, diskErr("commit "+name, err)
	}
	s.footers.remove(name)
	if !replace {
		s.count.Add(1)
	}
	if err := syncDir(dir); err != nil {
		// The shard is in place but may not survive a crash; report the
		// failure so the writer does not count it as durable. It stays
		// on disk as a valid shard for the repair and GC paths to judge.
		return false, diskErr("commit "+name, err)
	}
	return false, nil
}

// checkExisting inspects the file at path: nil if it is an intact copy of
// id.idx (every block verified), ErrNotFound if absent, ErrCorrupt if
// damaged, ErrConflict if it is an intact shard of something else.
func (s *Store) checkExisting(path string, id blobmeta.ID, idx int) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	ft, err := s.readFooter(f, fi.Size())
	if err != nil {
		return err
	}
	if err := ft.checkIdentity(id, idx); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrConflict, Name(id, idx), err)
	}
	// Check the data too: writing a shard again is how it gets repaired,
	// so a damaged copy must not pass for an identical one.
	sh := &Shard{s: s, f: f, id: id, idx: idx, footer: *ft}
	return sh.verifyBlocks(ft)
}

// ensureDir creates dir if missing and reports whether it did.
func ensureDir(dir string) (bool, error) {
	err := os.Mkdir(dir, 0o755)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return false, err
}
