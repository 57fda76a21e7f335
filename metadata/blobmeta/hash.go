package blobmeta

import (
	"encoding/hex"
	"fmt"
)

// HashSize is the length of a Hash.
const HashSize = 32

// Hash is a BLAKE3-256 digest: of a shard block, of a shard's block hashes
// (its root), or of a manifest (the blob ID). Package integrity computes
// them.
type Hash [HashSize]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash parses the hex form produced by Hash.String.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("blobmeta: hash %q: want %d hex digits", s, 2*HashSize)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("blobmeta: hash %q: %w", s, err)
	}
	return h, nil
}
