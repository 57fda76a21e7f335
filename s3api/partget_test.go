package s3api

import (
	"errors"
	"net/http"
	"testing"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
)

func TestPartRange(t *testing.T) {
	multi := metadata.Object{Size: 11, ETag: `"abc-3"`, Parts: []metadata.Part{{Number: 2, Size: 5}, {Number: 7, Size: 5}, {Number: 9, Size: 1}}}
	single := metadata.Object{Size: 10, ETag: `"abc"`, Parts: []metadata.Part{{Number: 1, Size: 10}}}
	empty := metadata.Object{Size: 0, ETag: `"d41d8cd98f00b204e9800998ecf8427e"`}
	for _, tc := range []struct {
		name          string
		obj           metadata.Object
		v             string
		hasRange      bool
		start, length int64
		status        int
		contentRange  string
		count         string
		err           s3err.Code
	}{
		{"first part", multi, "1", false, 0, 5, 206, "bytes 0-4/11", "3", s3err.Code{}},
		{"second part", multi, "2", false, 5, 5, 206, "bytes 5-9/11", "3", s3err.Code{}},
		{"last part", multi, "3", false, 10, 1, 206, "bytes 10-10/11", "3", s3err.Code{}},
		{"beyond the parts", multi, "4", false, 0, 0, 0, "", "", s3err.InvalidPartNumber},
		{"single-part object", single, "1", false, 0, 10, 206, "bytes 0-9/10", "", s3err.Code{}},
		{"single-part object, part 2", single, "2", false, 0, 0, 0, "", "", s3err.InvalidPartNumber},
		{"empty object", empty, "1", false, 0, 0, 200, "", "", s3err.Code{}},
		{"zero", multi, "0", false, 0, 0, 0, "", "", s3err.InvalidArgument},
		{"10001", multi, "10001", false, 0, 0, 0, "", "", s3err.InvalidArgument},
		{"not a number", multi, "x", false, 0, 0, 0, "", "", s3err.InvalidArgument},
		{"with Range", multi, "1", true, 0, 0, 0, "", "", s3err.InvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			start, length, status, err := partRange(h, tc.obj, tc.v, tc.hasRange)
			if tc.err != (s3err.Code{}) {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %s", err, tc.err.Name)
				}
				return
			}
			if err != nil || start != tc.start || length != tc.length || status != tc.status {
				t.Fatalf("= %d, %d, %d, %v; want %d, %d, %d", start, length, status, err, tc.start, tc.length, tc.status)
			}
			if got := h.Get("Content-Range"); got != tc.contentRange {
				t.Errorf("Content-Range %q, want %q", got, tc.contentRange)
			}
			if got := h.Get("x-amz-mp-parts-count"); got != tc.count {
				t.Errorf("x-amz-mp-parts-count %q, want %q", got, tc.count)
			}
		})
	}
}
