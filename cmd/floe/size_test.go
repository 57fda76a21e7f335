package main

import "testing"

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"4096", 4096, true},
		{"512B", 512, true},
		{"64MiB", 64 << 20, true},
		{"64mib", 64 << 20, true},
		{"64M", 64 << 20, true},
		{"1GiB", 1 << 30, true},
		{"1 GiB", 1 << 30, true},
		{"1.5GiB", 3 << 29, true},
		{"10GB", 10e9, true},
		{"2kb", 2000, true},
		{"3k", 3072, true},
		{"2TiB", 2 << 40, true},
		{"0.5", 0, true},
		{"", 0, false},
		{"GiB", 0, false},
		{"-1", 0, false},
		{"1PiB", 0, false},
		{"12 bytes", 0, false},
		{"1.2.3MiB", 0, false},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"9000000TiB", 0, false},
		{"1e3", 0, false},
	} {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseSize(%q) = %d, %v; want %d (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
