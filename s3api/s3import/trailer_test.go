package s3import

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"testing"

	"github.com/floe-s3/floe/s3api/chunked"
)

// trailerBody frames bodies as the gateway's own aws-chunked reader
// expects, with the SHA-256 trailer it checks.
func TestTrailerBody(t *testing.T) {
	for _, size := range []int{1, 100, trailerChunk - 1, trailerChunk, trailerChunk + 1, 3*trailerChunk + 17} {
		payload := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		framed, err := io.ReadAll(&trailerBody{r: newHashReader(bytes.NewReader(payload), nil), size: int64(size)})
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(framed)) != trailerLength(int64(size)) {
			t.Fatalf("size %d: framed %d bytes, trailerLength says %d", size, len(framed), trailerLength(int64(size)))
		}
		opts, _ := chunked.OptionsFor(chunked.UnsignedPayloadTrailer)
		opts.DecodedLength = int64(size)
		opts.DeclaredTrailers = []string{trailerName}
		r := chunked.NewReader(bytes.NewReader(framed), opts)
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("size %d: decoded %d bytes, %v", size, len(got), err)
		}
		sum := sha256.Sum256(payload)
		if v := r.Trailers()[trailerName]; v != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Fatalf("size %d: trailer %q", size, v)
		}
	}
	// A source that ends early fails the body instead of framing less.
	b := &trailerBody{r: newHashReader(bytes.NewReader([]byte("short")), nil), size: 10}
	if _, err := io.ReadAll(b); err != io.ErrUnexpectedEOF {
		t.Fatalf("short source: %v", err)
	}
}
