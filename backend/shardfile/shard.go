package shardfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Info describes a stored shard.
type Info struct {
	ID        blobmeta.ID
	Index     int
	Size      int64 // shard data bytes
	BlobSize  int64 // size of the whole blob, from the manifest
	BlockSize int   // bytes per full block
	Blocks    int64
	Root      blobmeta.Hash      // shard root, equal to Manifest.ShardRoots[Index]
	Manifest  *blobmeta.Manifest // shared with the store's cache: do not modify
	ModTime   time.Time
}

// footer is the checked metadata of a shard file.
type footer struct {
	tail     tail
	manifest *blobmeta.Manifest
	layout   codec.Layout
	hashes   []blobmeta.Hash
	crcs     []uint32
}

// Shard is an open shard file whose metadata (tail CRC, block table,
// manifest and shard root) has been checked. Its methods are safe for
// concurrent use; Close it when done.
type Shard struct {
	s       *Store
	f       *os.File
	id      blobmeta.ID
	idx     int
	modTime time.Time
	footer
}

// OpenShard opens shard idx of blob id. It returns an error matching
// ErrNotFound if the store does not hold it, and a *CorruptError with Block
// MetadataBlock if its metadata is damaged or belongs to another shard.
func (s *Store) OpenShard(id blobmeta.ID, idx int) (*Shard, error) {
	f, err := os.Open(s.Path(id, idx))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, Name(id, idx))
		}
		return nil, fmt.Errorf("shardfile: open %s: %w", Name(id, idx), err)
	}
	sh, err := s.load(f, id, idx)
	if err != nil {
		f.Close()
		return nil, err
	}
	return sh, nil
}

// load reads and checks the footer of f, which should hold id.idx.
func (s *Store) load(f *os.File, id blobmeta.ID, idx int) (*Shard, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("shardfile: stat %s: %w", Name(id, idx), err)
	}
	name := Name(id, idx)
	ft := s.footers.get(name, fi)
	if ft == nil {
		if ft, err = s.checkedFooter(f, fi.Size(), id, idx); err != nil {
			return nil, err
		}
		s.footers.put(name, fi, ft)
	}
	return &Shard{s: s, f: f, id: id, idx: idx, modTime: fi.ModTime(), footer: *ft}, nil
}

// checkedFooter reads the footer of f, which should hold id.idx, and
// checks it, reporting damage as a *CorruptError naming the shard.
func (s *Store) checkedFooter(f io.ReaderAt, size int64, id blobmeta.ID, idx int) (*footer, error) {
	ft, err := s.readFooter(f, size)
	if err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			ce.ID, ce.Index = id, idx
		}
		return nil, err
	}
	if err := ft.checkIdentity(id, idx); err != nil {
		return nil, &CorruptError{ID: id, Index: idx, Block: MetadataBlock, Reason: err.Error()}
	}
	return ft, nil
}

// readFooter reads and checks the metadata of a shard file of size bytes:
// tail, CRC, manifest, the sizes they imply and the shard root. Damage is
// a *CorruptError whose ID and Index the caller fills in.
func (s *Store) readFooter(f io.ReaderAt, size int64) (*footer, error) {
	bad := func(format string, args ...any) error {
		return &CorruptError{Block: MetadataBlock, Reason: fmt.Sprintf(format, args...)}
	}
	if size < TailSize {
		return nil, bad("file of %d bytes is shorter than its tail", size)
	}
	var tb [TailSize]byte
	if _, err := f.ReadAt(tb[:], size-TailSize); err != nil {
		return nil, fmt.Errorf("shardfile: read tail: %w", err)
	}
	t, err := decodeTail(tb[:])
	if err != nil {
		return nil, bad("%v", err)
	}
	if want := t.shardLen + t.metaLen(); size != want {
		return nil, bad("file is %d bytes, its tail describes %d", size, want)
	}
	meta := make([]byte, t.metaLen()-TailSize)
	if _, err := f.ReadAt(meta, t.shardLen); err != nil {
		return nil, fmt.Errorf("shardfile: read block table: %w", err)
	}
	crc := crc32.Update(crc32.Update(0, castagnoli, meta), castagnoli, tb[:tailCRCOff])
	if crc != t.crc {
		return nil, bad("tail CRC32C %08x, computed %08x", t.crc, crc)
	}
	table, mb := meta[:t.nblocks*EntrySize], meta[t.nblocks*EntrySize:]
	m, err := blobmeta.UnmarshalManifest(mb)
	if err != nil {
		return nil, bad("%v", err)
	}
	c, err := s.codecFor(m.Params)
	if err != nil {
		return nil, bad("%v", err)
	}
	l := codec.NewLayout(c, m.Size)
	switch {
	case t.index >= c.Shards():
		return nil, bad("shard index %d, but the blob has %d shards", t.index, c.Shards())
	case l.BlockSize() != t.blockSize || l.Stripes() != t.nblocks || l.ShardLen() != t.shardLen:
		return nil, bad("tail (%d blocks of %d, %d bytes) disagrees with manifest (%d blocks of %d, %d bytes)",
			t.nblocks, t.blockSize, t.shardLen, l.Stripes(), l.BlockSize(), l.ShardLen())
	}
	ft := &footer{
		tail:     t,
		manifest: m,
		layout:   l,
		hashes:   make([]blobmeta.Hash, t.nblocks),
		crcs:     make([]uint32, t.nblocks),
	}
	for i := range ft.hashes {
		e := table[i*EntrySize : (i+1)*EntrySize]
		copy(ft.hashes[i][:], e)
		ft.crcs[i] = binary.BigEndian.Uint32(e[blobmeta.HashSize:])
	}
	if root := integrity.ShardRoot(ft.hashes); root != m.ShardRoots[t.index] {
		return nil, bad("block table root %s does not match the manifest's %s", root, m.ShardRoots[t.index])
	}
	return ft, nil
}

// checkIdentity reports whether the footer belongs to shard idx of blob id.
func (ft *footer) checkIdentity(id blobmeta.ID, idx int) error {
	if ft.tail.index != idx {
		return fmt.Errorf("file holds shard %d, not %d", ft.tail.index, idx)
	}
	if got := ft.manifest.ID(); got != id {
		return fmt.Errorf("file holds a shard of blob %s", got)
	}
	return nil
}

// Close releases the file.
func (sh *Shard) Close() error { return sh.f.Close() }

// Len is the shard's data length in bytes.
func (sh *Shard) Len() int64 { return sh.tail.shardLen }

// BlockSize is the size of every block but the last.
func (sh *Shard) BlockSize() int { return sh.tail.blockSize }

// Hashes returns the BLAKE3 hash of every block, in order. The slice is
// shared: do not modify it.
func (sh *Shard) Hashes() []blobmeta.Hash { return sh.hashes }

// CRCs returns the CRC32C of every block, in order, as the node computed
// them when the shard was written over bytes it checked against the
// manifest. The slice is shared: do not modify it.
func (sh *Shard) CRCs() []uint32 { return sh.crcs }

// RangeCRCs returns the part of crcs, a shard's per-block CRCs with
// blocks of blockSize bytes, for the blocks [off, off+length) touches:
// what a GET of that range sends. Empty for an empty range.
func RangeCRCs(crcs []uint32, blockSize int, off, length int64) []uint32 {
	if length <= 0 {
		return nil
	}
	bs := int64(blockSize)
	return crcs[off/bs : (off+length-1)/bs+1]
}

// Manifest returns the blob's manifest stored with the shard. Do not
// modify it.
func (sh *Shard) Manifest() *blobmeta.Manifest { return sh.manifest }

// Info describes the shard.
func (sh *Shard) Info() Info {
	return Info{
		ID:        sh.id,
		Index:     sh.idx,
		Size:      sh.tail.shardLen,
		BlobSize:  sh.manifest.Size,
		BlockSize: sh.tail.blockSize,
		Blocks:    sh.tail.nblocks,
		Root:      sh.manifest.ShardRoots[sh.idx],
		Manifest:  sh.manifest,
		ModTime:   sh.modTime,
	}
}

func (sh *Shard) corrupt(block int64, format string, args ...any) error {
	return &CorruptError{ID: sh.id, Index: sh.idx, Block: block, Reason: fmt.Sprintf(format, args...)}
}

// readBlock reads block b into a pooled buffer; the caller returns it
// with putBuf.
func (sh *Shard) readBlock(b int64) (*[]byte, error) {
	n := sh.layout.BlockLen(b)
	buf := getBuf(max(n, 1))
	blk := (*buf)[:n]
	if _, err := sh.f.ReadAt(blk, sh.layout.BlockOffset(b)); err != nil {
		putBuf(buf)
		if errors.Is(err, io.EOF) {
			return nil, sh.corrupt(b, "file truncated")
		}
		return nil, fmt.Errorf("shardfile: read %s block %d: %w", Name(sh.id, sh.idx), b, err)
	}
	*buf = blk
	return buf, nil
}

// ReadRange copies length bytes of shard data starting at off to w, one
// block at a time. Each block's CRC32C is checked before any of its bytes
// are written; on a mismatch ReadRange stops with a *CorruptError naming
// the block, having written only the bytes of the blocks before it. It
// returns the number of bytes written.
func (sh *Shard) ReadRange(w io.Writer, off, length int64) (int64, error) {
	size := sh.tail.shardLen
	if off < 0 || length < 0 || off > size || length > size-off {
		return 0, fmt.Errorf("%w: [%d,+%d) of %d bytes", ErrInvalidRange, off, length, size)
	}
	if length == 0 {
		return 0, nil
	}
	bs := int64(sh.tail.blockSize)
	end := off + length
	var written int64
	for b := off / bs; b*bs < end; b++ {
		buf, err := sh.readBlock(b)
		if err != nil {
			return written, err
		}
		blk := *buf
		if crc := integrity.Sum32C(blk); crc != sh.crcs[b] {
			putBuf(buf)
			return written, sh.corrupt(b, "CRC32C %08x, want %08x", crc, sh.crcs[b])
		}
		lo, hi := max(off-b*bs, 0), min(end-b*bs, int64(len(blk)))
		n, err := w.Write(blk[lo:hi])
		putBuf(buf)
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// SendRange copies length bytes of shard data starting at off to w
// without checking them, for a reader that checks every block itself
// against CRCs or Hashes. The copy reads the file through its offset, as
// io.LimitedReader of an *os.File, so that a TCP connection (through
// net/http's ResponseWriter) takes the bytes from the page cache with
// sendfile(2), never through this process. Unlike the other methods it
// moves the file's offset, so it must not run concurrently with another
// SendRange of sh. A file shorter than its footer says is a
// *CorruptError.
func (sh *Shard) SendRange(w io.Writer, off, length int64) (int64, error) {
	size := sh.tail.shardLen
	if off < 0 || length < 0 || off > size || length > size-off {
		return 0, fmt.Errorf("%w: [%d,+%d) of %d bytes", ErrInvalidRange, off, length, size)
	}
	if _, err := sh.f.Seek(sh.layout.BlockOffset(0)+off, io.SeekStart); err != nil {
		return 0, fmt.Errorf("shardfile: seek %s: %w", Name(sh.id, sh.idx), err)
	}
	n, err := io.Copy(w, &io.LimitedReader{R: sh.f, N: length})
	if err == nil && n < length {
		return n, sh.corrupt((off+n)/int64(sh.tail.blockSize), "file truncated")
	}
	return n, err
}

// Verify fully checks the shard: it re-reads the block table, manifest and
// tail from disk and checks their CRC and the shard root (the metadata may
// have been cached when the shard was opened), then checks every block's
// BLAKE3 hash and CRC32C against the table. Damage is a *CorruptError
// naming the first bad block, or MetadataBlock.
func (sh *Shard) Verify() error {
	fi, err := sh.f.Stat()
	if err != nil {
		return fmt.Errorf("shardfile: stat %s: %w", Name(sh.id, sh.idx), err)
	}
	ft, err := sh.s.checkedFooter(sh.f, fi.Size(), sh.id, sh.idx)
	if err != nil {
		return err
	}
	return sh.verifyBlocks(ft)
}

// verifyBlocks checks every block of the file against ft's block table.
func (sh *Shard) verifyBlocks(ft *footer) error {
	for b := int64(0); b < ft.tail.nblocks; b++ {
		buf, err := sh.readBlock(b)
		if err != nil {
			return err
		}
		blk := *buf
		h := integrity.BlockHash(blk)
		crc := integrity.Sum32C(blk)
		putBuf(buf)
		if h != ft.hashes[b] {
			return sh.corrupt(b, "BLAKE3 %x does not match block table", h[:8])
		}
		if crc != ft.crcs[b] {
			return sh.corrupt(b, "CRC32C %08x, want %08x", crc, ft.crcs[b])
		}
	}
	return nil
}
