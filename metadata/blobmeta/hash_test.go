package blobmeta

import (
	"strings"
	"testing"

	"github.com/zeebo/blake3"
)

func TestParse(t *testing.T) {
	h := Hash(blake3.Sum256([]byte("floe")))
	tests := []struct {
		name string
		s    string
		ok   bool
	}{
		{"round trip", h.String(), true},
		{"zero", strings.Repeat("0", 2*HashSize), true},
		{"empty", "", false},
		{"one digit short", h.String()[1:], false},
		{"one digit long", h.String() + "0", false},
		{"one byte long", h.String() + "00", false},
		{"non-hex", "g" + h.String()[1:], false},
		{"0x prefix", "0x" + h.String()[2:], false},
		{"spaces", " " + h.String()[1:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHash(tt.s)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseHash(%q) = %v, want ok=%v", tt.s, err, tt.ok)
			}
			id, idErr := ParseID(tt.s)
			if (idErr == nil) != tt.ok {
				t.Fatalf("ParseID(%q) = %v, want ok=%v", tt.s, idErr, tt.ok)
			}
			if tt.ok && (got.String() != tt.s || id.String() != tt.s) {
				t.Errorf("parsed %q, prints as %s / %s", tt.s, got, id)
			}
		})
	}
}
