// Package blobtest builds erasure-coded blobs in memory for tests of the
// layers below the blob store (shard files, the node API): the shards a
// writer would send and the manifest that commits to them.
package blobtest

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Blob is an encoded blob.
type Blob struct {
	Data      []byte
	Manifest  *blobmeta.Manifest
	ID        blobmeta.ID
	Shards    [][]byte          // shard i's bytes
	Hashes    [][]blobmeta.Hash // shard i's block hashes
	BlockSize int
}

// RandBytes returns n pseudo-random bytes, the same for the same seed.
func RandBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// Encode encodes size random bytes with p, stripe by stripe, as the blob
// writer does.
func Encode(t testing.TB, p blobmeta.Params, seed uint64, size int) *Blob {
	t.Helper()
	c, err := codec.New(p)
	if err != nil {
		t.Fatal(err)
	}
	data := RandBytes(seed, size)
	l := codec.NewLayout(c, int64(size))
	b := &Blob{Data: data, Shards: make([][]byte, c.Shards()), Hashes: make([][]blobmeta.Hash, c.Shards()), BlockSize: l.BlockSize()}
	for s := int64(0); s < l.Stripes(); s++ {
		off := l.StripeOffset(s)
		stripe := data[off : off+int64(l.StripeLen(s))]
		pieces := make([][]byte, c.Shards())
		for i := range pieces {
			pieces[i] = make([]byte, c.PieceSize(len(stripe)))
		}
		if err := c.Encode(stripe, pieces); err != nil {
			t.Fatal(err)
		}
		for i, piece := range pieces {
			b.Shards[i] = append(b.Shards[i], piece...)
			b.Hashes[i] = append(b.Hashes[i], integrity.BlockHash(piece))
		}
	}
	m := &blobmeta.Manifest{Params: p, Size: int64(size), ShardRoots: make([]blobmeta.Hash, c.Shards())}
	copy(m.Nonce[:], RandBytes(seed+1000, blobmeta.NonceSize))
	for i := range m.ShardRoots {
		m.ShardRoots[i] = integrity.ShardRoot(b.Hashes[i])
	}
	b.Manifest, b.ID = m, m.ID()
	return b
}

// Flip inverts a bit of the byte at off in the file at path: bitrot, for
// tests of what detects it.
func Flip(t testing.TB, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}
