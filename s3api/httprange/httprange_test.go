package httprange

import (
	"errors"
	"math"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

func TestParse(t *testing.T) {
	const unsat = -1
	tests := []struct {
		header        string
		size          int64
		start, length int64 // length unsat: ErrUnsatisfiable; 0: ignored
	}{
		{"", 10, 0, 0},
		{"bytes=0-0", 10, 0, 1},
		{"bytes=0-9", 10, 0, 10},
		{"bytes=2-5", 10, 2, 4},
		{"bytes=2-100", 10, 2, 8},
		{"bytes=9-9", 10, 9, 1},
		{"bytes=9-", 10, 9, 1},
		{"bytes=0-", 10, 0, 10},
		{"bytes=-1", 10, 9, 1},
		{"bytes=-10", 10, 0, 10},
		{"bytes=-11", 10, 0, 10},
		{"bytes=-99999999999999999999999", 10, 0, 10},
		{"bytes=3-99999999999999999999999", 10, 3, 7},
		{"bytes= 2-5 ", 10, 2, 4},
		{"bytes=007-008", 10, 7, 2},

		// Unsatisfiable.
		{"bytes=10-", 10, 0, unsat},
		{"bytes=10-20", 10, 0, unsat},
		{"bytes=99999999999999999999999-", 10, 0, unsat},
		{"bytes=-0", 10, 0, unsat},
		{"bytes=0-0", 0, 0, unsat},
		{"bytes=0-", 0, 0, unsat},
		{"bytes=-5", 0, 0, unsat},

		// Ignored: invalid or multiple ranges.
		{"bytes=5-2", 10, 0, 0},
		{"bytes=0-1,3-4", 10, 0, 0},
		{"bytes=0-1, 3-4", 10, 0, 0},
		{"bytes=", 10, 0, 0},
		{"bytes=-", 10, 0, 0},
		{"bytes=5", 10, 0, 0},
		{"bytes=a-b", 10, 0, 0},
		{"bytes=1-2-3", 10, 0, 0},
		{"bytes=+1-2", 10, 0, 0},
		{"bytes=-+1", 10, 0, 0},
		{"bytes=--1", 10, 0, 0},
		{"bytes=1 -2", 10, 0, 0},
		{"items=0-1", 10, 0, 0},
		{"Bytes=0-1", 10, 0, 0},
		{"bytes 0-1", 10, 0, 0},
		{"bytes=0-1", -1, 0, 0},
	}
	for _, tt := range tests {
		start, length, ok, err := Parse(tt.header, tt.size)
		switch tt.length {
		case unsat:
			if ok || !errors.Is(err, ErrUnsatisfiable) || !errors.Is(err, s3err.InvalidRange) {
				t.Errorf("Parse(%q, %d) = %d, %d, %v, %v; want unsatisfiable", tt.header, tt.size, start, length, ok, err)
			}
		case 0:
			if ok || err != nil {
				t.Errorf("Parse(%q, %d) = %d, %d, %v, %v; want ignored", tt.header, tt.size, start, length, ok, err)
			}
		default:
			if !ok || err != nil || start != tt.start || length != tt.length {
				t.Errorf("Parse(%q, %d) = %d, %d, %v, %v; want %d, %d", tt.header, tt.size, start, length, ok, err, tt.start, tt.length)
			}
		}
	}
}

func TestContentRange(t *testing.T) {
	tests := []struct {
		start, length, size int64
		want                string
	}{
		{0, 10, 10, "bytes 0-9/10"},
		{9, 1, 10, "bytes 9-9/10"},
		{2, 4, 10, "bytes 2-5/10"},
		{0, math.MaxInt64, math.MaxInt64, "bytes 0-9223372036854775806/9223372036854775807"},
	}
	for _, tt := range tests {
		if got := ContentRange(tt.start, tt.length, tt.size); got != tt.want {
			t.Errorf("ContentRange(%d, %d, %d) = %q, want %q", tt.start, tt.length, tt.size, got, tt.want)
		}
	}
	if got := Unsatisfied(10); got != "bytes */10" {
		t.Errorf("Unsatisfied(10) = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=-5", "bytes=5-", "bytes=1-2,3-4", "bytes=99999999999999999999-", "bytes=-0"} {
		f.Add(s, int64(10))
	}
	f.Add("bytes=0-", int64(0))
	f.Add("bytes=-9223372036854775807", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, header string, size int64) {
		start, length, ok, err := Parse(header, size)
		if err != nil {
			if ok || !errors.Is(err, ErrUnsatisfiable) {
				t.Fatalf("ok %v with error %v", ok, err)
			}
			return
		}
		if !ok {
			return
		}
		if size <= 0 || start < 0 || length <= 0 || start >= size || length > size-start {
			t.Fatalf("Parse(%q, %d) = %d, %d outside the object", header, size, start, length)
		}
	})
}
