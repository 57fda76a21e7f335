package integrity

import (
	"crypto/sha256"
	"testing"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/zeebo/xxh3"
)

func TestBlockHashKnownAnswer(t *testing.T) {
	// BLAKE3-256 of the empty input, from the BLAKE3 reference vectors.
	const want = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
	if got := BlockHash(nil).String(); got != want {
		t.Errorf("BlockHash(nil) = %s, want %s", got, want)
	}
}

func TestSum32CKnownAnswer(t *testing.T) {
	// The CRC-32C check value (RFC 3720, appendix B.4).
	if got, want := Sum32C([]byte("123456789")), uint32(0xe3069283); got != want {
		t.Errorf("Sum32C = %#x, want %#x", got, want)
	}
}

func TestShardRoot(t *testing.T) {
	a, b, c := BlockHash([]byte("a")), BlockHash([]byte("b")), BlockHash([]byte("c"))
	tests := []struct {
		name   string
		blocks []blobmeta.Hash
	}{
		{"none", nil},
		{"a", []blobmeta.Hash{a}},
		{"b", []blobmeta.Hash{b}},
		{"ab", []blobmeta.Hash{a, b}},
		{"ba", []blobmeta.Hash{b, a}},
		{"abc", []blobmeta.Hash{a, b, c}},
		{"acb", []blobmeta.Hash{a, c, b}},
		{"cba", []blobmeta.Hash{c, b, a}},
		{"aa", []blobmeta.Hash{a, a}},
	}
	seen := map[blobmeta.Hash]string{}
	for _, tt := range tests {
		r := ShardRoot(tt.blocks)
		if r != ShardRoot(append([]blobmeta.Hash(nil), tt.blocks...)) {
			t.Errorf("%s: ShardRoot is not deterministic", tt.name)
		}
		if prev, dup := seen[r]; dup {
			t.Errorf("ShardRoot(%s) = ShardRoot(%s)", tt.name, prev)
		}
		seen[r] = tt.name
		// A one-block shard's root must not be its block hash, or a block
		// could stand in for a root.
		if len(tt.blocks) == 1 && r == tt.blocks[0] {
			t.Errorf("ShardRoot(%s) equals the block hash", tt.name)
		}
	}
}

// BenchmarkBlockHash compares candidate block checksums over 256 KiB blocks;
// the package doc quotes its figures.
func BenchmarkBlockHash(b *testing.B) {
	block := make([]byte, 256<<10)
	for i := range block {
		block[i] = byte(i * 7)
	}
	benches := []struct {
		name string
		f    func([]byte)
	}{
		{"BLAKE3", func(p []byte) { _ = BlockHash(p) }},
		{"SHA-256", func(p []byte) { _ = sha256.Sum256(p) }},
		{"CRC32C", func(p []byte) { _ = Sum32C(p) }},
		{"XXH3-128", func(p []byte) { _ = xxh3.Hash128(p) }},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(block)))
			for b.Loop() {
				bb.f(block)
			}
		})
	}
}
