package checksum

import (
	"hash"
	"io"
)

// Reader hashes what it reads and, when the underlying reader reports EOF,
// compares the checksum with the expected value. On a mismatch it returns a
// BadDigest error in place of io.EOF, so a consumer that commits on EOF (an
// object writer) never commits a corrupt body.
type Reader struct {
	r    io.Reader
	a    Algorithm
	h    hash.Hash
	want func() string
	err  error // sticky result of the EOF check
}

// NewReader returns a Reader checking r against want, a base64 checksum as
// sent in the x-amz-checksum-* header. An empty want computes the checksum
// without checking it.
func NewReader(r io.Reader, a Algorithm, want string) (*Reader, error) {
	return NewReaderFunc(r, a, func() string { return want })
}

// NewReaderFunc is like NewReader but asks want for the expected value only
// at EOF. This suits aws-chunked bodies, whose checksum arrives in a trailer
// after the payload:
//
//	cr := chunked.NewReader(body, opts)
//	r, err := checksum.NewReaderFunc(cr, algo, func() string { return cr.Trailers()[algo.Header()] })
func NewReaderFunc(r io.Reader, a Algorithm, want func() string) (*Reader, error) {
	h, err := New(a)
	if err != nil {
		return nil, err
	}
	return &Reader{r: r, a: a, h: h, want: want}, nil
}

// Read reads from the underlying reader, hashing the bytes. At EOF it
// returns the checksum error, if any, instead of io.EOF.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	if err == io.EOF {
		if w := r.want(); w != "" {
			if cerr := Check(r.a, r.h.Sum(nil), w); cerr != nil {
				err = cerr
			}
		}
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

// Algorithm returns the algorithm r computes.
func (r *Reader) Algorithm() Algorithm { return r.a }

// Sum returns the base64 checksum of the bytes read so far.
func (r *Reader) Sum() string { return Encode(r.h.Sum(nil)) }
