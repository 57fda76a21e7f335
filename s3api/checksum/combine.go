package checksum

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"sync"
)

// Type is an object checksum's type, as S3 names it in x-amz-checksum-type.
type Type string

// The checksum types.
const (
	// FullObject: a checksum of every byte of the object. A multipart
	// object's is combined from its parts' CRCs (CRC algorithms only).
	FullObject Type = "FULL_OBJECT"
	// Composite: a multipart object's checksum of its parts' checksums,
	// with "-N" appended for N parts.
	Composite Type = "COMPOSITE"
)

// TypeHeader names the header carrying a checksum's type.
const TypeHeader = "x-amz-checksum-type"

// ParseType returns the checksum type named s, ignoring case.
func ParseType(s string) (Type, bool) {
	switch t := Type(upper(s)); t {
	case FullObject, Composite:
		return t, true
	}
	return "", false
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// IsCRC reports whether a is a CRC, whose checksums of a multipart
// object's parts combine into a full-object checksum.
func (a Algorithm) IsCRC() bool { return a == CRC32 || a == CRC32C || a == CRC64NVME }

// Decode returns the digest a base64 value of a holds: InvalidRequest if
// it is not base64 of a's digest length.
func Decode(a Algorithm, value string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(value)
	if err != nil || len(b) != a.Size() || a.Size() == 0 {
		return nil, fmt.Errorf("checksum: %q is not a %s value", value, a)
	}
	return b, nil
}

// CompositeOf returns the composite checksum of a multipart object whose
// parts have the digests sums, in part order: the base64 of a's digest of
// the concatenated digests, then "-" and the number of parts.
func CompositeOf(a Algorithm, sums [][]byte) (string, error) {
	h, err := New(a)
	if err != nil {
		return "", err
	}
	for _, s := range sums {
		h.Write(s)
	}
	return Encode(h.Sum(nil)) + "-" + strconv.Itoa(len(sums)), nil
}

// Combine returns the CRC digest of the concatenation A‖B from sum1, the
// digest of A, sum2, the digest of B, and len2, the length of B; a must be
// a CRC. This is how a multipart object's full-object checksum comes from
// its parts' checksums without reading its bytes again.
func Combine(a Algorithm, sum1, sum2 []byte, len2 int64) ([]byte, error) {
	g := gfFor(a)
	if g == nil {
		return nil, fmt.Errorf("checksum: %s is not a CRC", a)
	}
	if len(sum1) != a.Size() || len(sum2) != a.Size() || len2 < 0 {
		return nil, fmt.Errorf("checksum: bad %s combine arguments", a)
	}
	c := g.combine(g.get(sum1), g.get(sum2), len2)
	out := make([]byte, a.Size())
	g.put(out, c)
	return out, nil
}

// crcGF is arithmetic modulo a reflected CRC polynomial, after zlib's
// crc32_combine: CRC(A‖B) = CRC(A)·x^(8·len(B)) mod P ⊕ CRC(B). The
// initial value and final XOR (all ones for every CRC here) cancel out.
// In the reflected representation the top bit of a width-bit word is
// x^0 and bit 0 is x^(width-1).
type crcGF struct {
	width uint
	poly  uint64 // reflected polynomial, without the x^width term
	// x2n[k] is x^(2^k) mod P, for every k a length in bits can need.
	x2n [67]uint64
}

func newCRCGF(width uint, poly uint64) *crcGF {
	g := &crcGF{width: width, poly: poly}
	g.x2n[0] = 1 << (width - 2) // x^1
	for k := 1; k < len(g.x2n); k++ {
		g.x2n[k] = g.mul(g.x2n[k-1], g.x2n[k-1])
	}
	return g
}

// mul returns a·b mod P.
func (g *crcGF) mul(a, b uint64) uint64 {
	var p uint64
	for m := uint64(1) << (g.width - 1); m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ g.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// x8n returns x^(8·n) mod P.
func (g *crcGF) x8n(n int64) uint64 {
	p := uint64(1) << (g.width - 1) // x^0
	for k := 3; n > 0; n, k = n>>1, k+1 {
		if n&1 != 0 {
			p = g.mul(g.x2n[k], p)
		}
	}
	return p
}

func (g *crcGF) combine(crc1, crc2 uint64, len2 int64) uint64 {
	return g.mul(g.x8n(len2), crc1) ^ crc2
}

func (g *crcGF) get(b []byte) uint64 {
	if g.width == 32 {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

func (g *crcGF) put(b []byte, v uint64) {
	if g.width == 32 {
		binary.BigEndian.PutUint32(b, uint32(v))
		return
	}
	binary.BigEndian.PutUint64(b, v)
}

var (
	gfOnce                     sync.Once
	gfCRC32, gfCRC32C, gfCRC64 *crcGF
)

// gfFor returns the arithmetic of a's polynomial, or nil if a is no CRC.
func gfFor(a Algorithm) *crcGF {
	gfOnce.Do(func() {
		gfCRC32 = newCRCGF(32, crc32.IEEE)
		gfCRC32C = newCRCGF(32, crc32.Castagnoli)
		gfCRC64 = newCRCGF(64, crc64NVMEPoly)
	})
	switch a {
	case CRC32:
		return gfCRC32
	case CRC32C:
		return gfCRC32C
	case CRC64NVME:
		return gfCRC64
	}
	return nil
}
