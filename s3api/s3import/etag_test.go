package s3import

import (
	"crypto/md5"
	"testing"
)

func TestParseETag(t *testing.T) {
	sum := md5.Sum([]byte("x"))
	single := md5ETag(sum[:])
	tests := []struct {
		etag  string
		md5   bool
		parts int
	}{
		{single, true, 0},
		{single[1 : len(single)-1], true, 0},
		{multipartETag([][]byte{sum[:], sum[:]}), true, 2},
		{`"0123456789abcdef0123456789abcdef-10000"`, true, 10000},
		{`"0123456789abcdef0123456789abcdef-10001"`, false, 0},
		{`"0123456789abcdef0123456789abcdef-01"`, false, 0},
		{`"0123456789abcdef0123456789abcdef-"`, false, 0},
		{`"not-an-md5"`, false, 0},
		{`""`, false, 0},
	}
	for _, tt := range tests {
		got := parseETag(tt.etag)
		if (got.md5 != nil) != tt.md5 || got.parts != tt.parts {
			t.Errorf("parseETag(%s) = %+v, want md5 %v, %d parts", tt.etag, got, tt.md5, tt.parts)
		}
	}
	if !sameETag(`"ABC"`, "abc") || sameETag(`"abc"`, `"abd"`) {
		t.Error("sameETag")
	}
}

func TestOwnPartSize(t *testing.T) {
	for _, size := range []int64{6 << 30, 640 << 30, 5 << 40} {
		p := ownPartSize(size)
		if p < minOwnPart || p%(1<<20) != 0 || (size+p-1)/p > maxParts {
			t.Errorf("ownPartSize(%d) = %d", size, p)
		}
	}
}

func TestParseBucketPair(t *testing.T) {
	for in, want := range map[string]BucketPair{"a": {"a", "a"}, "a:b": {"a", "b"}} {
		if got, err := ParseBucketPair(in); err != nil || got != want {
			t.Errorf("ParseBucketPair(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", ":b", "a:"} {
		if _, err := ParseBucketPair(in); err == nil {
			t.Errorf("ParseBucketPair(%q) accepted", in)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 64 << 20: "64.0 MiB", 3 << 40: "3.0 TiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
