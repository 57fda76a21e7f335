package s3api

import (
	"errors"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

func TestParseCopyRange(t *testing.T) {
	for _, tc := range []struct {
		v             string
		size          int64
		start, length int64
		err           s3err.Code
	}{
		{"bytes=0-9", 10, 0, 10, s3err.Code{}},
		{"bytes=3-3", 10, 3, 1, s3err.Code{}},
		{"bytes=5-9", 10, 5, 5, s3err.Code{}},
		{"bytes=0-10", 10, 0, 0, s3err.InvalidRange},
		{"bytes=10-12", 10, 0, 0, s3err.InvalidRange},
		{"bytes=0-0", 0, 0, 0, s3err.InvalidRange},
		{"bytes=5-3", 10, 0, 0, s3err.InvalidArgument},
		{"bytes=-5", 10, 0, 0, s3err.InvalidArgument},
		{"bytes=5-", 10, 0, 0, s3err.InvalidArgument},
		{"bytes=0", 10, 0, 0, s3err.InvalidArgument},
		{"bytes=hello-world", 10, 0, 0, s3err.InvalidArgument},
		{"bytes=0-bar", 10, 0, 0, s3err.InvalidArgument},
		{"bytes=0-2,3-5", 10, 0, 0, s3err.InvalidArgument},
		{"bytes= 0-2", 10, 0, 0, s3err.InvalidArgument},
		{"x", 10, 0, 0, s3err.InvalidArgument},
		{"", 10, 0, 0, s3err.InvalidArgument},
		{"bytes=0-99999999999999999999999", 10, 0, 0, s3err.InvalidArgument},
	} {
		start, length, err := parseCopyRange(tc.v, tc.size)
		if tc.err != (s3err.Code{}) {
			if !errors.Is(err, tc.err) {
				t.Errorf("parseCopyRange(%q, %d): %v, want %s", tc.v, tc.size, err, tc.err.Name)
			}
			continue
		}
		if err != nil || start != tc.start || length != tc.length {
			t.Errorf("parseCopyRange(%q, %d) = %d, %d, %v; want %d, %d", tc.v, tc.size, start, length, err, tc.start, tc.length)
		}
	}
}
