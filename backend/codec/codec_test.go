package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// testStripe keeps round-trip tests fast while still exercising multi-byte
// pieces for every parameter set in the table.
const testStripe = 4096

var roundTripParams = []blobmeta.Params{
	params(blobmeta.ReedSolomon, 1, 0, testStripe),
	params(blobmeta.ReedSolomon, 2, 1, testStripe),
	params(blobmeta.ReedSolomon, 4, 2, testStripe),
	params(blobmeta.ReedSolomon, 3, 3, testStripe),
	params(blobmeta.ReedSolomon, 10, 4, testStripe),
	params(blobmeta.ReedSolomon, 10, 4, testStripe+3), // stripe not a multiple of k
	blobmeta.DefaultParams(),
}

// name renders p for a subtest name; blobmeta.Params.String contains a slash, which
// go test would treat as a subtest separator.
func name(p blobmeta.Params) string { return fmt.Sprintf("%d+%d,stripe=%d", p.K, p.M, p.StripeSize) }

// roundTripSizes returns the data sizes worth testing for a k-piece code:
// the edges of one piece and of one stripe.
func roundTripSizes(k, stripe int) []int {
	sizes := []int{1, k - 1, k, k + 1, stripe - 1, stripe}
	out := sizes[:0]
	for _, n := range sizes {
		if n >= 1 {
			out = append(out, n)
		}
	}
	return out
}

// encode builds a codec for p and encodes data into fresh pieces.
func encode(t testing.TB, p blobmeta.Params, data []byte) (Codec, [][]byte) {
	t.Helper()
	c, err := New(p)
	if err != nil {
		t.Fatalf("New(%v): %v", p, err)
	}
	ps := c.PieceSize(len(data))
	pieces := make([][]byte, c.Shards())
	for i := range pieces {
		pieces[i] = make([]byte, ps)
	}
	if err := c.Encode(data, pieces); err != nil {
		t.Fatalf("Encode(%d bytes): %v", len(data), err)
	}
	return c, pieces
}

// drop returns a copy of pieces with the pieces at idx set to nil.
func drop(pieces [][]byte, idx []int) [][]byte {
	out := make([][]byte, len(pieces))
	for i, p := range pieces {
		out[i] = bytes.Clone(p)
	}
	for _, i := range idx {
		out[i] = nil
	}
	return out
}

// subsets calls f with every subset of {0..n-1} of exactly size r.
func subsets(n, r int, f func([]int)) {
	idx := make([]int, 0, r)
	var rec func(start int)
	rec = func(start int) {
		if len(idx) == r {
			f(idx)
			return
		}
		for i := start; i < n; i++ {
			idx = append(idx, i)
			rec(i + 1)
			idx = idx[:len(idx)-1]
		}
	}
	rec(0)
}

// dropSets returns which piece sets to drop for an n-piece code: every subset
// of size ≤ maxDrop when that is cheap, otherwise a fixed sample including
// the worst case of dropping the first data pieces.
func dropSets(n, maxDrop int, rng *rand.Rand) [][]int {
	var sets [][]int
	if n <= 8 {
		for r := 0; r <= maxDrop; r++ {
			subsets(n, r, func(idx []int) { sets = append(sets, append([]int(nil), idx...)) })
		}
		return sets
	}
	// 10+4 has 1,471 subsets of size ≤ 4; a sample plus the edges suffices.
	for r := 0; r <= maxDrop; r++ {
		first := make([]int, r)
		last := make([]int, r)
		for i := range r {
			first[i], last[i] = i, n-1-i
		}
		sets = append(sets, first, last)
		for range 8 {
			sets = append(sets, rng.Perm(n)[:r])
		}
	}
	return sets
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range roundTripParams {
		for _, size := range roundTripSizes(p.K, p.StripeSize) {
			t.Run(fmt.Sprintf("%s/size=%d", name(p), size), func(t *testing.T) {
				data := make([]byte, size)
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				c, pieces := encode(t, p, data)
				for _, idx := range dropSets(c.Shards(), p.M, rng) {
					got := drop(pieces, idx)
					if err := c.Reconstruct(got); err != nil {
						t.Fatalf("drop %v: Reconstruct: %v", idx, err)
					}
					dst := make([]byte, size)
					if err := c.Join(dst, got, size); err != nil {
						t.Fatalf("drop %v: Join: %v", idx, err)
					}
					if !bytes.Equal(dst, data) {
						t.Fatalf("drop %v: joined data differs from input", idx)
					}
				}
			})
		}
	}
}

func TestReconstructTooFew(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range roundTripParams {
		t.Run(name(p), func(t *testing.T) {
			data := make([]byte, p.StripeSize)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			c, pieces := encode(t, p, data)
			var sets [][]int
			subsets(c.Shards(), p.M+1, func(idx []int) {
				if len(sets) < 64 {
					sets = append(sets, append([]int(nil), idx...))
				}
			})
			for _, idx := range sets {
				err := c.Reconstruct(drop(pieces, idx))
				if !errors.Is(err, ErrTooFewPieces) {
					t.Fatalf("drop %v: Reconstruct = %v, want ErrTooFewPieces", idx, err)
				}
			}
		})
	}
}

// TestReconstructInPlace checks the documented reuse of an empty piece's
// spare capacity, which lets readers avoid an allocation per stripe.
func TestReconstructInPlace(t *testing.T) {
	p := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: testStripe}
	data := bytes.Repeat([]byte("floe"), testStripe/4)
	c, pieces := encode(t, p, data)
	got := drop(pieces, nil)
	buf := make([]byte, 0, len(pieces[1]))
	got[1] = buf
	if err := c.Reconstruct(got); err != nil {
		t.Fatalf("Reconstruct: %v", err)
	}
	if !bytes.Equal(got[1], pieces[1]) {
		t.Fatal("reconstructed piece differs")
	}
	if &got[1][0] != &buf[:1][0] {
		t.Error("piece with spare capacity was not filled in place")
	}
}

func TestEncodeRejectsBadPieces(t *testing.T) {
	c, err := New(blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: testStripe})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 100) // piece size 25
	tests := []struct {
		name   string
		pieces [][]byte
	}{
		{"too few pieces", make([][]byte, 5)},
		{"too many pieces", make([][]byte, 7)},
		{"short piece", [][]byte{make([]byte, 25), make([]byte, 25), make([]byte, 24), make([]byte, 25), make([]byte, 25), make([]byte, 25)}},
		{"long piece", [][]byte{make([]byte, 25), make([]byte, 25), make([]byte, 25), make([]byte, 25), make([]byte, 25), make([]byte, 26)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Encode(data, tt.pieces); err == nil {
				t.Error("Encode succeeded, want error")
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    blobmeta.Params
		ok   bool
	}{
		{"default", blobmeta.DefaultParams(), true},
		{"1+0", params(blobmeta.ReedSolomon, 1, 0, 1), true},
		{"max shards", params(blobmeta.ReedSolomon, 200, 56, blobmeta.DefaultStripeSize), true},
		{"max stripe", params(blobmeta.ReedSolomon, 4, 2, 64<<20), true},
		{"stripe equals k", params(blobmeta.ReedSolomon, 4, 2, 4), true},
		{"empty kind", params("", 4, 2, blobmeta.DefaultStripeSize), false},
		{"unknown kind", params("xor", 4, 2, blobmeta.DefaultStripeSize), false},
		{"k zero", params(blobmeta.ReedSolomon, 0, 2, blobmeta.DefaultStripeSize), false},
		{"k negative", params(blobmeta.ReedSolomon, -1, 2, blobmeta.DefaultStripeSize), false},
		{"m negative", params(blobmeta.ReedSolomon, 4, -1, blobmeta.DefaultStripeSize), false},
		{"k+m over 256", params(blobmeta.ReedSolomon, 200, 57, blobmeta.DefaultStripeSize), false},
		{"stripe smaller than k", params(blobmeta.ReedSolomon, 4, 2, 3), false},
		{"stripe zero", params(blobmeta.ReedSolomon, 4, 2, 0), false},
		{"stripe too large", params(blobmeta.ReedSolomon, 4, 2, 64<<20+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%v) = %v, want ok=%v", tt.p, err, tt.ok)
			}
			// New must agree with Validate: callers rely on it to refuse
			// parameters read from untrusted manifests.
			if _, err := New(tt.p); (err == nil) != tt.ok {
				t.Fatalf("New(%v) = %v, want ok=%v", tt.p, err, tt.ok)
			}
		})
	}
}

func TestParamsString(t *testing.T) {
	if got, want := blobmeta.DefaultParams().String(), "rs(4+2)/1048576"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestEncodeFromPieceMemory encodes a full stripe read straight into the
// memory of its data pieces, as the blob writer does, and expects the same
// pieces as encoding from a separate copy.
func TestEncodeFromPieceMemory(t *testing.T) {
	for _, p := range roundTripParams {
		t.Run(name(p), func(t *testing.T) {
			data := make([]byte, p.StripeSize)
			rng := rand.New(rand.NewPCG(7, uint64(p.K)))
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			c, want := encode(t, p, data)
			ps := c.PieceSize(p.StripeSize)
			buf := make([]byte, c.Shards()*ps)
			copy(buf, data)
			pieces := make([][]byte, c.Shards())
			for i := range pieces {
				pieces[i] = buf[i*ps : (i+1)*ps]
			}
			if err := c.Encode(buf[:p.StripeSize], pieces); err != nil {
				t.Fatal(err)
			}
			for i := range pieces {
				if !bytes.Equal(pieces[i], want[i]) {
					t.Fatalf("piece %d differs when data aliases the data pieces", i)
				}
			}
		})
	}
}

// params spells a Params literal briefly in the tables above.
func params(kind blobmeta.Kind, k, m, stripe int) blobmeta.Params {
	return blobmeta.Params{Kind: kind, K: k, M: m, StripeSize: stripe}
}
