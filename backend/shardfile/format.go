package shardfile

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

const (
	// Magic opens the tail of every shard file.
	Magic = "FLOESHD1"
	// Version is the tail format this package writes and reads.
	Version = 1
	// TailSize is the length of the fixed tail at the end of a shard file.
	TailSize = 48
	// EntrySize is the length of one block table entry: hash, then CRC32C.
	EntrySize = blobmeta.HashSize + 4
	// MaxBlockSize bounds a shard's block size (the codec's largest stripe
	// holds 64 MiB).
	MaxBlockSize = 64 << 20
	// MaxBlocks bounds the blocks of one shard, and so the block table a
	// writer holds in memory (36 MiB at the limit).
	MaxBlocks = 1 << 20

	tailCRCOff = TailSize - 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// tail is the decoded fixed-size end of a shard file.
type tail struct {
	index       int
	nblocks     int64
	shardLen    int64
	blockSize   int
	manifestLen int
	crc         uint32
}

// metaLen is the length of everything after the shard data.
func (t *tail) metaLen() int64 {
	return t.nblocks*EntrySize + int64(t.manifestLen) + TailSize
}

// encode writes the tail into b (TailSize bytes), with crc as given; the
// caller computes the CRC over the table, manifest and b[:tailCRCOff].
func (t *tail) encode(b []byte) {
	clear(b[:TailSize])
	copy(b, Magic)
	binary.BigEndian.PutUint16(b[8:], Version)
	binary.BigEndian.PutUint32(b[12:], uint32(t.index))
	binary.BigEndian.PutUint64(b[16:], uint64(t.nblocks))
	binary.BigEndian.PutUint64(b[24:], uint64(t.shardLen))
	binary.BigEndian.PutUint32(b[32:], uint32(t.blockSize))
	binary.BigEndian.PutUint32(b[36:], uint32(t.manifestLen))
	binary.BigEndian.PutUint32(b[tailCRCOff:], t.crc)
}

// decodeTail parses and range-checks a tail. It does not check the CRC,
// which also covers the table and manifest.
func decodeTail(b []byte) (tail, error) {
	var t tail
	if len(b) != TailSize {
		return t, fmt.Errorf("tail is %d bytes, want %d", len(b), TailSize)
	}
	if string(b[:8]) != Magic {
		return t, fmt.Errorf("bad magic %q", b[:8])
	}
	if v := binary.BigEndian.Uint16(b[8:]); v != Version {
		return t, fmt.Errorf("unknown format version %d", v)
	}
	if binary.BigEndian.Uint16(b[10:]) != 0 || binary.BigEndian.Uint32(b[40:]) != 0 {
		return t, fmt.Errorf("reserved tail bytes are not zero")
	}
	idx := binary.BigEndian.Uint32(b[12:])
	nblocks := binary.BigEndian.Uint64(b[16:])
	shardLen := binary.BigEndian.Uint64(b[24:])
	blockSize := binary.BigEndian.Uint32(b[32:])
	manifestLen := binary.BigEndian.Uint32(b[36:])
	// Bound every field before converting, so a damaged tail cannot make
	// the reader allocate or seek absurdly.
	switch {
	case idx >= blobmeta.MaxShards:
		return t, fmt.Errorf("shard index %d out of range", idx)
	case nblocks > MaxBlocks:
		return t, fmt.Errorf("%d blocks exceed %d", nblocks, MaxBlocks)
	case blockSize < 1 || blockSize > MaxBlockSize:
		return t, fmt.Errorf("block size %d out of range", blockSize)
	case shardLen > nblocks*uint64(blockSize):
		return t, fmt.Errorf("shard length %d exceeds %d blocks of %d", shardLen, nblocks, blockSize)
	case manifestLen > uint32(blobmeta.MaxManifestSize):
		return t, fmt.Errorf("manifest length %d exceeds %d", manifestLen, blobmeta.MaxManifestSize)
	}
	return tail{
		index:       int(idx),
		nblocks:     int64(nblocks),
		shardLen:    int64(shardLen),
		blockSize:   int(blockSize),
		manifestLen: int(manifestLen),
		crc:         binary.BigEndian.Uint32(b[tailCRCOff:]),
	}, nil
}

// putEntry encodes one block table entry into b (EntrySize bytes).
func putEntry(b []byte, h blobmeta.Hash, crc uint32) {
	copy(b, h[:])
	binary.BigEndian.PutUint32(b[blobmeta.HashSize:], crc)
}

// Name returns the file name of shard idx of blob id: "<id hex>.<idx>".
// Listings are ordered and paged by it.
func Name(id blobmeta.ID, idx int) string {
	return id.String() + "." + strconv.Itoa(idx)
}

// ParseName parses a name produced by Name.
func ParseName(name string) (blobmeta.ID, int, error) {
	hexID, num, ok := strings.Cut(name, ".")
	if !ok {
		return blobmeta.ID{}, 0, fmt.Errorf("shardfile: name %q: want <id>.<index>", name)
	}
	id, err := blobmeta.ParseID(hexID)
	if err != nil {
		return blobmeta.ID{}, 0, fmt.Errorf("shardfile: name %q: %w", name, err)
	}
	idx, err := parseIndex(num)
	if err != nil {
		return blobmeta.ID{}, 0, fmt.Errorf("shardfile: name %q: %w", name, err)
	}
	// Only the canonical spelling names a shard, so each shard has one name.
	if hexID != id.String() {
		return blobmeta.ID{}, 0, fmt.Errorf("shardfile: name %q: id not in lower-case hex", name)
	}
	return id, idx, nil
}

// parseIndex parses a shard index in canonical decimal form.
func parseIndex(s string) (int, error) {
	idx, err := strconv.Atoi(s)
	if err != nil || idx < 0 || idx >= blobmeta.MaxShards || strconv.Itoa(idx) != s {
		return 0, fmt.Errorf("bad shard index %q", s)
	}
	return idx, nil
}
