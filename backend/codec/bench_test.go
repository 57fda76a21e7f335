package codec

import (
	"math/rand/v2"
	"testing"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// benchPieces encodes one random DefaultParams stripe for the benchmarks.
func benchPieces(b *testing.B) (Codec, []byte, [][]byte) {
	p := blobmeta.DefaultParams()
	data := make([]byte, p.StripeSize)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	c, pieces := encode(b, p, data)
	return c, data, pieces
}

// BenchmarkEncode measures encoding one 1 MiB stripe with RS 4+2, the write
// path's CPU cost per stripe. MB/s counts data bytes.
func BenchmarkEncode(b *testing.B) {
	c, data, pieces := benchPieces(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Encode(data, pieces); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReconstruct measures recovering a 1 MiB RS 4+2 stripe whose first
// two data pieces are lost, the worst case a degraded read meets. MB/s counts
// data bytes.
func BenchmarkReconstruct(b *testing.B) {
	c, data, pieces := benchPieces(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		// Keep the capacity so the pieces are rebuilt in place.
		pieces[0], pieces[1] = pieces[0][:0], pieces[1][:0]
		if err := c.Reconstruct(pieces); err != nil {
			b.Fatal(err)
		}
	}
}
