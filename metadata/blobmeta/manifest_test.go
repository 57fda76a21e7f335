package blobmeta

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/zeebo/blake3"
)

// testManifest returns a valid manifest for p whose nonce and roots are all
// distinct, so a test can tell any two fields apart.
func testManifest(p Params, size int64) *Manifest {
	m := &Manifest{Params: p, Size: size}
	for i := range m.Nonce {
		m.Nonce[i] = byte(0xA0 + i)
	}
	m.ShardRoots = make([]Hash, p.K+p.M)
	for i := range m.ShardRoots {
		m.ShardRoots[i] = blake3.Sum256([]byte(fmt.Sprintf("shard %d", i)))
	}
	return m
}

// unmarshal calls UnmarshalManifest, turning a panic into an error so one
// malformed input cannot hide the results of the rest of the table.
func unmarshal(b []byte) (m *Manifest, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
			m = nil
		}
	}()
	return UnmarshalManifest(b)
}

func TestManifestRoundTrip(t *testing.T) {
	tests := []struct {
		p    Params
		size int64
	}{
		{DefaultParams(), 0},
		{DefaultParams(), 5 << 20},
		{Params{Kind: ReedSolomon, K: 1, M: 0, StripeSize: 1}, 1},
		{Params{Kind: ReedSolomon, K: 10, M: 4, StripeSize: 64 << 20}, 1 << 40},
		{Params{Kind: ReedSolomon, K: 200, M: 56, StripeSize: 4096}, 1<<63 - 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d+%d/%d", tt.p.K, tt.p.M, tt.size), func(t *testing.T) {
			m := testManifest(tt.p, tt.size)
			if err := m.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			b := m.Marshal()
			if len(b) > MaxManifestSize {
				t.Fatalf("encoded manifest is %d bytes, MaxManifestSize is %d", len(b), MaxManifestSize)
			}
			got, err := unmarshal(b)
			if err != nil {
				t.Fatalf("UnmarshalManifest: %v", err)
			}
			if got.Params != m.Params || got.Size != m.Size || got.Nonce != m.Nonce {
				t.Errorf("header = %+v/%d/%x, want %+v/%d/%x", got.Params, got.Size, got.Nonce, m.Params, m.Size, m.Nonce)
			}
			if len(got.ShardRoots) != len(m.ShardRoots) {
				t.Fatalf("%d roots, want %d", len(got.ShardRoots), len(m.ShardRoots))
			}
			for i := range m.ShardRoots {
				if got.ShardRoots[i] != m.ShardRoots[i] {
					t.Errorf("root %d = %v, want %v", i, got.ShardRoots[i], m.ShardRoots[i])
				}
			}
			if got.ID() != m.ID() {
				t.Errorf("ID changed across round trip")
			}
			if !bytes.Equal(got.Marshal(), b) {
				t.Errorf("re-marshalled manifest differs")
			}
		})
	}
}

// TestManifestEncoding pins the wire form: IDs hash it, so any change would
// orphan every stored blob.
func TestManifestEncoding(t *testing.T) {
	m := &Manifest{
		Params:     Params{Kind: ReedSolomon, K: 2, M: 1, StripeSize: 1 << 20},
		Size:       0x0102030405,
		ShardRoots: []Hash{{0: 1}, {0: 2}, {31: 3}},
	}
	for i := range m.Nonce {
		m.Nonce[i] = byte(i)
	}
	want := "464c4f454d414e31" + // "FLOEMAN1"
		"02" + "7273" + // len("rs"), "rs"
		"0002" + "0001" + "00100000" + // K, M, stripe size
		"0000000102030405" + // size
		"000102030405060708090a0b0c0d0e0f" + // nonce
		"01" + strings.Repeat("00", 31) +
		"02" + strings.Repeat("00", 31) +
		strings.Repeat("00", 31) + "03"
	if got := hex.EncodeToString(m.Marshal()); got != want {
		t.Errorf("Marshal() =\n%s\nwant\n%s", got, want)
	}
}

func TestManifestIDChanges(t *testing.T) {
	type mutation struct {
		name string
		f    func(m *Manifest)
	}
	tests := []mutation{
		{"kind", func(m *Manifest) { m.Params.Kind = "rt" }},
		{"k", func(m *Manifest) { m.Params.K++; m.ShardRoots = m.ShardRoots[:len(m.ShardRoots)-1] }},
		{"m", func(m *Manifest) { m.Params.M++; m.ShardRoots = m.ShardRoots[:len(m.ShardRoots)-1] }},
		{"k and m swap roots", func(m *Manifest) { m.Params.K, m.Params.M = m.Params.K+1, m.Params.M-1 }},
		{"stripe", func(m *Manifest) { m.Params.StripeSize++ }},
		{"size", func(m *Manifest) { m.Size++ }},
		{"size high bit", func(m *Manifest) { m.Size ^= 1 << 40 }},
		{"nonce first", func(m *Manifest) { m.Nonce[0] ^= 1 }},
		{"nonce last", func(m *Manifest) { m.Nonce[NonceSize-1] ^= 0x80 }},
	}
	for i := range DefaultParams().K + DefaultParams().M {
		tests = append(tests,
			mutation{fmt.Sprintf("root %d first byte", i), func(m *Manifest) { m.ShardRoots[i][0] ^= 1 }},
			mutation{fmt.Sprintf("root %d last byte", i), func(m *Manifest) { m.ShardRoots[i][HashSize-1] ^= 1 }},
		)
	}
	tests = append(tests, mutation{"roots swapped", func(m *Manifest) {
		m.ShardRoots[0], m.ShardRoots[1] = m.ShardRoots[1], m.ShardRoots[0]
	}})

	base := testManifest(DefaultParams(), 12345)
	id := base.ID()
	if again := testManifest(DefaultParams(), 12345).ID(); again != id {
		t.Fatalf("ID is not deterministic: %v then %v", id, again)
	}
	seen := map[ID]string{id: "base"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testManifest(DefaultParams(), 12345)
			tt.f(m)
			got := m.ID()
			if prev, dup := seen[got]; dup {
				t.Errorf("ID %v equals that of %s", got, prev)
			}
			seen[got] = tt.name
		})
	}
}

func TestUnmarshalManifestRejects(t *testing.T) {
	good := testManifest(DefaultParams(), 1000).Marshal()
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	// Offsets into good, which has the two-byte kind "rs".
	const (
		offKindLen = len(manifestMagic)
		offK       = offKindLen + 3
		offM       = offK + 2
		offStripe  = offM + 2
		offSize    = offStripe + 4
	)
	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"magic only", []byte(manifestMagic)},
		{"bad magic", with(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"garbage", bytes.Repeat([]byte{0xff}, 300)},
		{"ascii garbage", []byte(strings.Repeat("not a manifest ", 40))},
		{"oversized", append(bytes.Clone(good), make([]byte, MaxManifestSize)...)},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"trailing root", append(bytes.Clone(good), make([]byte, HashSize)...)},
		{"missing last root byte", good[:len(good)-1]},
		{"kind length past end", append([]byte(manifestMagic), 10, 'r', 's')},
		{"kind length 255", append(append([]byte(manifestMagic), 255), make([]byte, 400)...)},
		{"unknown kind", with(func(b []byte) []byte { b[offKindLen+1] = 'x'; return b })},
		{"k zero", with(func(b []byte) []byte { b[offK], b[offK+1] = 0, 0; return b })},
		{"k+m over limit", with(func(b []byte) []byte { b[offK], b[offK+1] = 1, 0; return b })},
		{"stripe zero", with(func(b []byte) []byte { clear(b[offStripe : offStripe+4]); return b })},
		{"negative size", with(func(b []byte) []byte { b[offSize] = 0x80; return b })},
		{"roots for fewer shards", with(func(b []byte) []byte { b[offM+1] = 1; return b })},
	}
	// Every proper prefix of a valid manifest is truncated.
	for n := range len(good) {
		tests = append(tests, struct {
			name string
			b    []byte
		}{fmt.Sprintf("truncated to %d", n), good[:n]})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := unmarshal(tt.b)
			if err == nil {
				t.Fatalf("UnmarshalManifest accepted %d bytes: %+v", len(tt.b), m)
			}
			if strings.HasPrefix(err.Error(), "panic") {
				t.Fatalf("UnmarshalManifest: %v", err)
			}
		})
	}
}

func TestManifestValidate(t *testing.T) {
	tests := []struct {
		name string
		f    func(m *Manifest)
		ok   bool
	}{
		{"valid", func(m *Manifest) {}, true},
		{"empty blob", func(m *Manifest) { m.Size = 0 }, true},
		{"bad params", func(m *Manifest) { m.Params.K = 0 }, false},
		{"negative size", func(m *Manifest) { m.Size = -1 }, false},
		{"too few roots", func(m *Manifest) { m.ShardRoots = m.ShardRoots[:5] }, false},
		{"too many roots", func(m *Manifest) { m.ShardRoots = append(m.ShardRoots, Hash{}) }, false},
		{"no roots", func(m *Manifest) { m.ShardRoots = nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testManifest(DefaultParams(), 1000)
			tt.f(m)
			if err := m.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
