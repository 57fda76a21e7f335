package blobmeta

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/zeebo/blake3"
)

// NonceSize is the length of a blob's nonce.
const NonceSize = 16

// ID identifies a blob: the BLAKE3 hash of its encoded Manifest. Because the
// manifest lists every shard root, the ID commits to every byte of every
// shard, and any reader can check what it fetched against it.
type ID Hash

// String returns the ID in lower-case hex; it names shard files on nodes.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// ParseID parses the hex form produced by ID.String.
func ParseID(s string) (ID, error) {
	h, err := ParseHash(s)
	return ID(h), err
}

// Manifest describes one blob completely: how it was encoded, how long it is
// and what each shard must hash to. Every shard file carries a copy, so a
// shard can be checked without the metadata store.
type Manifest struct {
	Params Params
	Size   int64
	// Nonce makes each write unique: two blobs with equal content get
	// different IDs, so deleting one never touches the other's shards. It
	// also seeds placement, which must be chosen before the ID is known.
	Nonce      [NonceSize]byte
	ShardRoots []Hash // one per shard, K+M
}

const manifestMagic = "FLOEMAN1"

// MaxManifestSize bounds an encoded manifest (K+M is at most MaxShards).
const MaxManifestSize = len(manifestMagic) + 1 + 255 + 2 + 2 + 4 + 8 + NonceSize + MaxShards*HashSize

// Marshal encodes m in the stable binary form that ID hashes.
func (m *Manifest) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(manifestMagic)
	b.WriteByte(byte(len(m.Params.Kind)))
	b.WriteString(string(m.Params.Kind))
	var n [8]byte
	binary.BigEndian.PutUint16(n[:2], uint16(m.Params.K))
	b.Write(n[:2])
	binary.BigEndian.PutUint16(n[:2], uint16(m.Params.M))
	b.Write(n[:2])
	binary.BigEndian.PutUint32(n[:4], uint32(m.Params.StripeSize))
	b.Write(n[:4])
	binary.BigEndian.PutUint64(n[:], uint64(m.Size))
	b.Write(n[:])
	b.Write(m.Nonce[:])
	for i := range m.ShardRoots {
		b.Write(m.ShardRoots[i][:])
	}
	return b.Bytes()
}

var errShortManifest = errors.New("blobmeta: manifest truncated")

// UnmarshalManifest decodes and validates the output of Marshal.
func UnmarshalManifest(b []byte) (*Manifest, error) {
	if len(b) > MaxManifestSize {
		return nil, fmt.Errorf("blobmeta: manifest of %d bytes exceeds %d", len(b), MaxManifestSize)
	}
	if !bytes.HasPrefix(b, []byte(manifestMagic)) {
		return nil, errors.New("blobmeta: not a manifest")
	}
	b = b[len(manifestMagic):]
	if len(b) < 1 {
		return nil, errShortManifest
	}
	kl := 1 + int(b[0])
	if len(b) < kl {
		return nil, errShortManifest
	}
	m := &Manifest{}
	m.Params.Kind = Kind(b[1:kl])
	b = b[kl:]
	if len(b) < 2+2+4+8+NonceSize {
		return nil, errShortManifest
	}
	m.Params.K = int(binary.BigEndian.Uint16(b))
	m.Params.M = int(binary.BigEndian.Uint16(b[2:]))
	m.Params.StripeSize = int(binary.BigEndian.Uint32(b[4:]))
	m.Size = int64(binary.BigEndian.Uint64(b[8:]))
	copy(m.Nonce[:], b[16:])
	b = b[16+NonceSize:]
	if err := m.Params.Validate(); err != nil {
		return nil, fmt.Errorf("blobmeta: manifest: %w", err)
	}
	if m.Size < 0 {
		return nil, fmt.Errorf("blobmeta: manifest: negative size %d", m.Size)
	}
	n := m.Params.K + m.Params.M
	if len(b) != n*HashSize {
		return nil, fmt.Errorf("blobmeta: manifest: %d bytes of roots, want %d", len(b), n*HashSize)
	}
	m.ShardRoots = make([]Hash, n)
	for i := range m.ShardRoots {
		copy(m.ShardRoots[i][:], b[i*HashSize:])
	}
	return m, nil
}

// ID returns the blob ID that commits to m.
func (m *Manifest) ID() ID { return ID(blake3.Sum256(m.Marshal())) }

// Validate checks that m is self-consistent.
func (m *Manifest) Validate() error {
	if err := m.Params.Validate(); err != nil {
		return fmt.Errorf("blobmeta: manifest: %w", err)
	}
	if m.Size < 0 {
		return fmt.Errorf("blobmeta: manifest: negative size %d", m.Size)
	}
	if want := m.Params.K + m.Params.M; len(m.ShardRoots) != want {
		return fmt.Errorf("blobmeta: manifest: %d shard roots, want %d", len(m.ShardRoots), want)
	}
	return nil
}
