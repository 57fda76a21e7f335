package postform

import (
	"io"
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
)

// filenameVar is the variable S3 replaces with the file's name.
const filenameVar = "${filename}"

// Key returns the object key: the "key" field with every "${filename}"
// replaced by filename's base name (the text after its last '/' or '\'),
// "" when the file has no name. A key that is missing or empty once
// replaced is InvalidArgument with S3's message, "Bucket POST must contain
// a field named 'key'.  If it is specified, please check the order of the
// fields." (a key after the file part is never read).
//
// The length and characters of the key are left to the caller.
func Key(fields map[string]string, filename string) (string, error) {
	key := strings.ReplaceAll(fields["key"], filenameVar, baseName(filename))
	if key == "" {
		return "", s3err.New(s3err.InvalidArgument, "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	return key, nil
}

// CheckedBody returns a reader of r that enforces a content-length-range
// of min to max bytes, both inclusive, as the file streams: it fails with
// EntityTooLarge as soon as r has more than max bytes, having returned
// only the first max, and with EntityTooSmall at r's EOF when r had fewer
// than min. A caller that writes the object as it reads can thus abort
// before storing anything too large. Errors from r are returned as they
// are; every error is returned again by later reads.
//
// Without a content-length-range in the policy, pass 0 and the largest
// object size the gateway accepts.
func CheckedBody(r io.Reader, min, max int64) io.Reader {
	return &checkedBody{r: r, min: min, max: max}
}

// checkedBody is CheckedBody's reader.
type checkedBody struct {
	r        io.Reader
	min, max int64
	n        int64 // bytes returned so far
	err      error // sticky
}

func (c *checkedBody) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Read at most one byte past max: enough to tell that r is too long.
	if room := c.max - c.n; room < int64(len(p)) {
		if room < 0 {
			room = 0
		}
		p = p[:room+1]
	}
	n, err := c.r.Read(p)
	if c.n+int64(n) > c.max {
		n = int(c.max - c.n)
		if n < 0 {
			n = 0
		}
		c.n += int64(n)
		c.err = s3err.New(s3err.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
		return n, c.err
	}
	c.n += int64(n)
	if err == io.EOF && c.n < c.min {
		err = s3err.New(s3err.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size")
	}
	if err != nil {
		c.err = err
	}
	return n, err
}
