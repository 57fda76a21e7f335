package shardfile

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/zeebo/blake3"
)

// Writer streams one incoming shard to a temporary file, hashing it block
// by block as it arrives. Memory stays constant apart from the block table.
// Finish with Commit or Abort; a Writer is not safe for concurrent use.
type Writer struct {
	s         *Store
	f         *os.File
	dw        *diskWriter
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
	return &Writer{
		s:         s,
		f:         f,
		dw:        newDiskWriter(f),
		blockSize: blockSize,
		hasher:    blake3.New(),
	}, nil
}

// Size is the number of bytes written so far.
func (w *Writer) Size() int64 { return w.n }

// Write appends shard data.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.writable(); err != nil {
		return 0, err
	}
	n := w.account(p)
	if _, err := w.dw.Write(p[:n]); err != nil {
		w.err = diskErr("write temp file", err)
		return 0, w.err
	}
	return n, w.err
}

// ReadFrom appends everything r yields until EOF, reading straight into
// the disk buffer. Errors from r are returned as they are, the store's
// wrapped as disk errors.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if err := w.writable(); err != nil {
		return 0, err
	}
	var total int64
	for {
		sp, err := w.dw.space()
		if err != nil {
			w.err = diskErr("write temp file", err)
			return total, w.err
		}
		n, rerr := r.Read(sp)
		if n > 0 {
			k := w.account(sp[:n])
			w.dw.advance(k)
			total += int64(k)
			if w.err != nil {
				return total, w.err
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// writable reports why the writer takes no more data, if it does not.
func (w *Writer) writable() error {
	if w.done {
		return errors.New("shardfile: write after commit or abort")
	}
	return w.err
}

// account hashes p into the block table and returns how much of it the
// shard takes: all of it, unless it would exceed MaxBlocks (then w.err is
// set).
func (w *Writer) account(p []byte) int {
	taken := 0
	for len(p) > 0 {
		if w.cur == 0 && len(w.hashes) >= MaxBlocks {
			w.err = fmt.Errorf("%w: more than %d blocks", ErrTooLarge, MaxBlocks)
			return taken
		}
		chunk := p[:min(len(p), w.blockSize-w.cur)]
		_, _ = w.hasher.Write(chunk)
		w.crc = crc32.Update(w.crc, castagnoli, chunk)
		w.cur += len(chunk)
		w.n += int64(len(chunk))
		taken += len(chunk)
		p = p[len(chunk):]
		if w.cur == w.blockSize {
			w.endBlock()
		}
	}
	return taken
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
	w.dw.release()
	name := w.f.Name()
	_ = w.f.Close()
	_ = os.Remove(name)
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
	w.dw.release() // flushed by writeFooter
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
		if _, err := w.dw.Write(entry[:]); err != nil {
			return diskErr(op+": write block table", err)
		}
	}
	crc = crc32.Update(crc, castagnoli, mb)
	if _, err := w.dw.Write(mb); err != nil {
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
	if _, err := w.dw.Write(tb[:]); err != nil {
		return diskErr(op+": write tail", err)
	}
	if err := w.dw.Flush(); err != nil {
		return diskErr(op+": write temp file", err)
	}
	if err := w.s.syncFile(w.f); err != nil {
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
	if created && s.group == nil {
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
	if err := s.syncEntry(dir); err != nil {
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

// syncFile makes f's data durable: an fsync of f, or a group round.
func (s *Store) syncFile(f *os.File) error {
	if s.group != nil {
		return s.group.sync()
	}
	return f.Sync()
}

// syncEntry makes a rename into dir durable: a sync of dir, or a group
// round, which also covers a fan-out directory created for it.
func (s *Store) syncEntry(dir string) error {
	if s.group != nil {
		return s.group.sync()
	}
	return syncDir(dir)
}
