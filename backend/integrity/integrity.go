// Package integrity computes the checksums that make Floe's data verifiable:
// a hash per shard block and a root per shard. The blob blobmeta.ID, a commitment over
// the codec parameters, the blob's size and every shard root, is the hash of
// the blob's manifest (package metadata/blobmeta).
//
// Block hashes are BLAKE3-256. Measured on the 2-core reference machine over
// 256 KiB blocks (BenchmarkBlockHash): XXH3-128 27 GB/s, CRC32C 19 GB/s,
// BLAKE3 2.6 GB/s, SHA-256 1.5 GB/s. The block hashes are the leaves of the
// blob's commitment, so they must be collision resistant: with a
// non-cryptographic checksum a faulty or hostile node could forge a block that
// matches the blob blobmeta.ID. BLAKE3 is the fastest cryptographic hash here (1.75x
// SHA-256). Nodes additionally keep a CRC32C per block (Sum32C), computed
// when they take a shard in over bytes they check against the BLAKE3
// hashes: the blob reader checks blocks against these end to end (a
// crash-fault defence against rot and damage in transit, not against a
// lying node), while writes, repair and the scrubber check BLAKE3.
package integrity

import (
	"hash/crc32"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/zeebo/blake3"
)

// BlockHash returns the hash of one shard block.
func BlockHash(block []byte) blobmeta.Hash { return blake3.Sum256(block) }

// ShardRoot commits to a shard's block hashes, in block order.
func ShardRoot(blocks []blobmeta.Hash) blobmeta.Hash {
	h := blake3.New()
	_, _ = h.Write([]byte("floe/shard/v1"))
	for i := range blocks {
		_, _ = h.Write(blocks[i][:])
	}
	var r blobmeta.Hash
	h.Sum(r[:0])
	return r
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Sum32C returns the CRC32C of b, the nodes' fast at-rest block check.
func Sum32C(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
