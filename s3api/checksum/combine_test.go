package checksum

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

func digest(t *testing.T, a Algorithm, b []byte) []byte {
	t.Helper()
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(b)
	return h.Sum(nil)
}

// Combining the CRCs of the pieces of a byte string, in order, must give
// the CRC of the whole string, whatever the split.
func TestCombineMatchesConcatenation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	splits := []struct {
		name string
		cuts []int // piece boundaries inside data
	}{
		{"one piece", nil},
		{"two", []int{1 << 20}},
		{"empty first", []int{0}},
		{"empty last", []int{len(data)}},
		{"empty middle", []int{5, 5}},
		{"single bytes", []int{1, 2, 3}},
		{"odd sizes", []int{7, 1<<20 + 3, 2<<20 + 11, 3 << 20}},
	}
	for _, a := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		want := digest(t, a, data)
		for _, sp := range splits {
			bounds := append(append([]int{0}, sp.cuts...), len(data))
			got := digest(t, a, data[:bounds[1]])
			for i := 1; i+1 < len(bounds); i++ {
				piece := data[bounds[i]:bounds[i+1]]
				var err error
				if got, err = Combine(a, got, digest(t, a, piece), int64(len(piece))); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s, %s: combined %x, want %x", a, sp.name, got, want)
			}
		}
	}
}

func TestCombineRejects(t *testing.T) {
	four, eight := make([]byte, 4), make([]byte, 8)
	tests := []struct {
		name       string
		a          Algorithm
		sum1, sum2 []byte
		len2       int64
	}{
		{"not a CRC", SHA256, make([]byte, 32), make([]byte, 32), 1},
		{"short digest", CRC64NVME, four, eight, 1},
		{"long digest", CRC32, four, eight, 1},
		{"negative length", CRC32C, four, four, -1},
	}
	for _, tt := range tests {
		if _, err := Combine(tt.a, tt.sum1, tt.sum2, tt.len2); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// A composite checksum is the digest of the parts' digests, then "-N".
func TestCompositeOf(t *testing.T) {
	p1, p2 := []byte("part one"), []byte("part two")
	s1, s2 := sha256.Sum256(p1), sha256.Sum256(p2)
	outer := sha256.Sum256(append(s1[:], s2[:]...))
	got, err := CompositeOf(SHA256, [][]byte{s1[:], s2[:]})
	if err != nil {
		t.Fatal(err)
	}
	if want := Encode(outer[:]) + "-2"; got != want {
		t.Fatalf("CompositeOf = %q, want %q", got, want)
	}
	// CRC32 of the CRC catalogue's digest of "123456789".
	got, err = CompositeOf(CRC32, [][]byte{{0xcb, 0xf4, 0x39, 0x26}})
	if err != nil {
		t.Fatal(err)
	}
	if want := Encode(digest(t, CRC32, []byte{0xcb, 0xf4, 0x39, 0x26})) + "-1"; got != want {
		t.Fatalf("CompositeOf one part = %q, want %q", got, want)
	}
}

func TestDecodeAndParseType(t *testing.T) {
	if b, err := Decode(CRC32, "y/Q5Jg=="); err != nil || !bytes.Equal(b, []byte{0xcb, 0xf4, 0x39, 0x26}) {
		t.Errorf("Decode = %x, %v", b, err)
	}
	for _, bad := range []string{"", "y/Q5Jg", "AAAAAAAAAAA=", "!!!!!!!!"} {
		if _, err := Decode(CRC32, bad); err == nil {
			t.Errorf("Decode(%q): no error", bad)
		}
	}
	for in, want := range map[string]Type{"FULL_OBJECT": FullObject, "composite": Composite, "": "", "PARTIAL": ""} {
		if got, ok := ParseType(in); got != want || ok != (want != "") {
			t.Errorf("ParseType(%q) = %q, %v", in, got, ok)
		}
	}
}
