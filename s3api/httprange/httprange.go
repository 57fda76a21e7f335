// Package httprange interprets the Range header of an S3 GetObject or
// HeadObject request against the object's size.
//
// S3 supports a single byte range. Like S3, Parse ignores a header it cannot
// use (syntactically invalid, another unit, or several ranges) so that the
// whole object is served, and reports only a valid but unsatisfiable range
// as an error.
package httprange

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
)

// ErrUnsatisfiable means the range lies wholly outside the object. Parse
// returns it wrapped in an *s3err.Error with code InvalidRange (416); the
// response should carry Content-Range: Unsatisfied(size).
var ErrUnsatisfiable = errors.New("httprange: range not satisfiable")

// Parse interprets header, the value of a Range header, for an object of
// size bytes. It returns the range to serve and ok true; ok false (with a
// nil error) when the whole object should be served because the header is
// empty or ignored; or an InvalidRange error wrapping ErrUnsatisfiable.
//
// Supported forms are bytes=a-b (b clamped to size-1), bytes=a- and
// bytes=-n (the last n bytes, the whole object if n > size).
func Parse(header string, size int64) (start, length int64, ok bool, err error) {
	spec, found := strings.CutPrefix(header, "bytes=")
	if !found || size < 0 {
		return 0, 0, false, nil
	}
	spec = strings.Trim(spec, " \t")
	if strings.Contains(spec, ",") {
		return 0, 0, false, nil // several ranges: S3 serves the whole object
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, nil
	}
	switch {
	case first == "":
		// bytes=-n: a suffix.
		n, valid := parseNum(last)
		if !valid {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, unsatisfiable()
		}
		n = min(n, size)
		return size - n, n, true, nil
	default:
		a, valid := parseNum(first)
		if !valid {
			return 0, 0, false, nil
		}
		b := int64(math.MaxInt64)
		if last != "" {
			if b, valid = parseNum(last); !valid || b < a {
				return 0, 0, false, nil
			}
		}
		if a >= size {
			return 0, 0, false, unsatisfiable()
		}
		b = min(b, size-1)
		return a, b - a + 1, true, nil
	}
}

func unsatisfiable() error {
	return &s3err.Error{Code: s3err.InvalidRange, Err: ErrUnsatisfiable}
}

// parseNum parses a run of ASCII digits, saturating at math.MaxInt64: an
// enormous position is still a valid (if unsatisfiable) one.
func parseNum(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-int64(c-'0'))/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// ContentRange returns the Content-Range value for a 206 response carrying
// length bytes at start of an object of size bytes: "bytes start-end/size".
func ContentRange(start, length, size int64) string {
	return "bytes " + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(start+length-1, 10) + "/" + strconv.FormatInt(size, 10)
}

// Unsatisfied returns the Content-Range value for a 416 response:
// "bytes */size".
func Unsatisfied(size int64) string { return "bytes */" + strconv.FormatInt(size, 10) }
