package postform

import (
	"bytes"
	"errors"
	"io"
	"math"
	"mime/multipart"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/floe-s3/floe/s3api/s3err"
)

// readForm reads a test form.
func readForm(body []byte, boundary string) (*Form, error) {
	return Read(multipart.NewReader(bytes.NewReader(body), boundary))
}

func TestKey(t *testing.T) {
	const missing = "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."
	tests := []struct {
		name     string
		fields   map[string]string
		filename string
		want     string
		err      bool
	}{
		{"plain", map[string]string{"key": "a/b.txt"}, "ignored.txt", "a/b.txt", false},
		{"${filename}", map[string]string{"key": "user/mary/${filename}"}, "example.jpg", "user/mary/example.jpg", false},
		{"every ${filename}", map[string]string{"key": "${filename}/${filename}"}, "x", "x/x", false},
		{"Windows path", map[string]string{"key": "u/${filename}"}, `C:\Program Files\directory1\file.txt`, "u/file.txt", false},
		{"Unix path", map[string]string{"key": "u/${filename}"}, "/home/me/a.txt", "u/a.txt", false},
		{"no filename: empty", map[string]string{"key": "uploads/${filename}"}, "", "uploads/", false},
		{"other variables stay", map[string]string{"key": "${FILENAME}-${other}"}, "x", "${FILENAME}-${other}", false},
		{"missing key", map[string]string{"acl": "x"}, "a.txt", "", true},
		{"empty key", map[string]string{"key": ""}, "a.txt", "", true},
		{"empty once replaced", map[string]string{"key": "${filename}"}, "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Key(tc.fields, tc.filename)
			if tc.err {
				wantErr(t, err, s3err.InvalidArgument, missing)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Key = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// A key after the file part is never read, so it is missing.
func TestKeyAfterFile(t *testing.T) {
	body, boundary := buildForm(t, field("acl", "x"), fileNamed("a.txt", "x"), field("key", "k"))
	f, err := readForm(body, boundary)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Key(f.Fields, f.Filename)
	wantErr(t, err, s3err.InvalidArgument, "please check the order of the fields")
}

func TestCheckedBody(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		min, max int64
		code     s3err.Code // zero: reads to EOF
	}{
		{"within", 7, 5, 10, s3err.Code{}},
		{"at min", 5, 5, 10, s3err.Code{}},
		{"at max", 10, 5, 10, s3err.Code{}},
		{"empty allowed", 0, 0, 0, s3err.Code{}},
		{"no limit", 4096, 0, math.MaxInt64, s3err.Code{}},
		{"one too many", 11, 5, 10, s3err.EntityTooLarge},
		{"far too many", 1 << 20, 0, 10, s3err.EntityTooLarge},
		{"none allowed", 1, 0, 0, s3err.EntityTooLarge},
		{"one too few", 4, 5, 10, s3err.EntityTooSmall},
		{"empty, min 1", 0, 1, 10, s3err.EntityTooSmall},
	}
	for _, tc := range tests {
		for _, oneByte := range []bool{false, true} {
			name := tc.name
			data := strings.Repeat("x", tc.size)
			var r io.Reader = strings.NewReader(data)
			if oneByte {
				name += "/one byte a read"
				r = iotest.OneByteReader(r)
			}
			t.Run(name, func(t *testing.T) {
				got, err := io.ReadAll(CheckedBody(r, tc.min, tc.max))
				if tc.code == (s3err.Code{}) {
					if err != nil || string(got) != data {
						t.Fatalf("read %d bytes, %v; want %d", len(got), err, tc.size)
					}
					return
				}
				wantErr(t, err, tc.code, "")
				if tc.code == s3err.EntityTooLarge && int64(len(got)) != tc.max {
					t.Fatalf("returned %d bytes before EntityTooLarge; want max, %d", len(got), tc.max)
				}
			})
		}
	}
}

func TestCheckedBodyErrors(t *testing.T) {
	// An error from r passes through and sticks.
	boom := errors.New("boom")
	cb := CheckedBody(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), 0, 10)
	if got, err := io.ReadAll(cb); !errors.Is(err, boom) || string(got) != "abc" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := cb.Read(make([]byte, 1)); !errors.Is(err, boom) {
		t.Fatalf("second read: %v", err)
	}
	// EntityTooLarge sticks, even once r is at EOF.
	cb = CheckedBody(strings.NewReader("abcdef"), 0, 3)
	if _, err := io.ReadAll(cb); codeOf(t, err) != s3err.EntityTooLarge {
		t.Fatalf("got %v", err)
	}
	if n, err := cb.Read(make([]byte, 10)); n != 0 || codeOf(t, err) != s3err.EntityTooLarge {
		t.Fatalf("second read: %d, %v", n, err)
	}
	// A zero-length read reads nothing and fails nothing.
	cb = CheckedBody(strings.NewReader("abc"), 0, 0)
	if n, err := cb.Read(nil); n != 0 || err != nil {
		t.Fatalf("empty read: %d, %v", n, err)
	}
	// The messages are S3's.
	_, err := io.ReadAll(CheckedBody(strings.NewReader("abc"), 5, 10))
	wantErr(t, err, s3err.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size")
	_, err = io.ReadAll(CheckedBody(strings.NewReader("abc"), 0, 2))
	wantErr(t, err, s3err.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
}
