package s3api

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/floe-s3/floe/s3api/checksum"
	"github.com/floe-s3/floe/s3api/chunked"
	"github.com/floe-s3/floe/s3api/s3err"
	md5simd "github.com/minio/md5-simd"
)

// MaxObjectSize is the largest single PUT S3 accepts (5 GiB).
const MaxObjectSize = 5 << 30

// objectBody is a PUT's payload, decoded and checked as it streams. Its
// owner must Close it.
type objectBody struct {
	r        io.Reader // yields exactly the payload; fails instead of EOF on any mismatch
	size     int64     // declared payload size
	md5      hash.Hash // of the payload, for the ETag
	checksum *checksum.Reader
	n        *int64 // payload bytes read so far
	etag     string // once ETag has computed it
}

// ETag is the quoted hex MD5 of the payload; valid after r hit EOF.
func (b *objectBody) ETag() string {
	if b.etag == "" {
		b.etag = `"` + hex.EncodeToString(b.md5.Sum(nil)) + `"`
	}
	return b.etag
}

// Close releases the body's MD5 lane, if it has one. The ETag stays.
func (b *objectBody) Close() {
	if l, ok := b.md5.(*lanedMD5); ok {
		l.close()
	}
}

// simdMD5From is the payload size from which MD5 goes to the shared
// md5-simd server rather than crypto/md5. MD5 is the dearest hash a PUT
// pays (about 680 MB/s a core here); the server hashes up to 16 payloads
// at once in the lanes of AVX-512 registers, 4x less CPU with 16 long
// streams (5.6 vs 1.4 GB/s on both cores), as parallel multipart parts
// give it: PUT 64 MiB x4 (16 MiB parts) 232-235 MiB/s against 219-221
// with crypto/md5. Its scheduling costs per hash and per block, though:
// at 1 MiB bodies it spent more CPU than crypto/md5, so smaller payloads
// keep crypto/md5.
const simdMD5From = 8 << 20

// md5Server hashes large payloads; started on first use.
var md5Server = sync.OnceValue(md5simd.NewServer)

// newETagHash returns the MD5 for a payload of size bytes.
func newETagHash(size int64) hash.Hash {
	if size >= simdMD5From {
		return &lanedMD5{Hasher: md5Server().NewHash()}
	}
	return md5.New()
}

// lanedMD5 is an md5-simd hash that, once closed, fails writes and sums
// instead of panicking as md5-simd does, should a reader still be
// draining the body when its handler has returned.
type lanedMD5 struct {
	md5simd.Hasher
	mu     sync.Mutex
	closed bool
}

var errMD5Closed = errors.New("s3api: body's MD5 used after the request ended")

func (l *lanedMD5) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, errMD5Closed
	}
	return l.Hasher.Write(p)
}

// Sum appends the digest to b; after close it appends nothing, which
// matches no digest.
func (l *lanedMD5) Sum(b []byte) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return b
	}
	return l.Hasher.Sum(b)
}

func (l *lanedMD5) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		l.Hasher.Close()
	}
}

// newObjectBody unwraps aws-chunked framing and sets up the checks a PUT's
// headers (or trailers) ask for: Content-MD5, x-amz-checksum-*, and the
// declared length. chunks, from the request's Auth, verifies the chunk
// signatures of a signed aws-chunked body; without it (AcceptAll) only their
// syntax is checked.
func newObjectBody(r *http.Request, chunks chunked.ChunkVerifier) (*objectBody, error) {
	var body io.Reader = r.Body
	size := r.ContentLength
	var cr *chunked.Reader
	var trailers []string // declared trailers of an aws-chunked body
	if opts, ok := chunked.OptionsFor(r.Header.Get("X-Amz-Content-Sha256")); ok {
		trailers = chunked.ParseTrailerHeader(r.Header.Get("X-Amz-Trailer"))
		opts.DeclaredTrailers = trailers
		opts.Verifier = chunks
		dl := r.Header.Get("X-Amz-Decoded-Content-Length")
		n, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || n < 0 {
			return nil, s3err.Errorf(s3err.MissingContentLength, "aws-chunked upload needs x-amz-decoded-content-length, got %q", dl)
		}
		opts.DecodedLength, size = n, n
		cr = chunked.NewReader(r.Body, opts)
		body = cr
	} else if size < 0 {
		return nil, s3err.New(s3err.MissingContentLength, "you must provide the Content-Length HTTP header")
	}
	if size > MaxObjectSize {
		return nil, s3err.Errorf(s3err.EntityTooLarge, "%d bytes exceed the %d-byte limit of a single PUT", size, int64(MaxObjectSize))
	}
	ob := &objectBody{size: size, md5: newETagHash(size), n: new(int64)}
	body = &countingReader{r: body, n: ob.n}
	body = io.TeeReader(body, ob.md5)

	// An additional checksum, in a header or (aws-chunked) a trailer.
	for _, a := range checksum.Algorithms {
		want := r.Header.Get(a.Header())
		inTrailer := containsFold(trailers, a.Header())
		if want == "" && !inTrailer {
			continue
		}
		if ob.checksum != nil {
			return nil, s3err.New(s3err.InvalidRequest, "expecting a single x-amz-checksum- header")
		}
		var err error
		if inTrailer {
			ob.checksum, err = checksum.NewReaderFunc(body, a, func() string { return cr.Trailers()[a.Header()] })
		} else {
			ob.checksum, err = checksum.NewReader(body, a, want)
		}
		if err != nil {
			return nil, err
		}
		body = ob.checksum
	}
	if vals := r.Header.Values("Content-Md5"); len(vals) > 0 {
		want, err := base64.StdEncoding.DecodeString(vals[0])
		if err != nil || len(want) != md5.Size {
			return nil, s3err.New(s3err.InvalidDigest, "the Content-MD5 you specified is not valid")
		}
		body = &md5Check{r: body, h: ob.md5, want: want}
	}
	ob.r = &lengthCheck{r: body, n: ob.n, want: size}
	return ob, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// countingReader counts bytes and turns transport failures into
// IncompleteBody, keeping S3 errors (bad framing, bad signature) as they are.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	if err != nil && err != io.EOF {
		var se *s3err.Error
		if !errors.As(err, &se) {
			err = s3err.Errorf(s3err.IncompleteBody, "reading the request body: %w", err)
		}
	}
	return n, err
}

// md5Check fails at EOF if the payload's MD5 is not want.
type md5Check struct {
	r    io.Reader
	h    hash.Hash
	want []byte
}

func (m *md5Check) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if err == io.EOF && !bytes.Equal(m.h.Sum(nil), m.want) {
		return n, s3err.New(s3err.BadDigest, "the Content-MD5 you specified did not match what we received")
	}
	return n, err
}

// lengthCheck fails at EOF unless exactly want bytes came.
type lengthCheck struct {
	r    io.Reader
	n    *int64
	want int64
}

func (l *lengthCheck) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if *l.n > l.want {
		return n, s3err.Errorf(s3err.IncompleteBody, "body longer than the declared %d bytes", l.want)
	}
	if err == io.EOF && *l.n != l.want {
		return n, s3err.Errorf(s3err.IncompleteBody, "body has %d of the declared %d bytes", *l.n, l.want)
	}
	return n, err
}

// checkPayloadHash makes r.Body fail with XAmzContentSHA256Mismatch at EOF
// unless the body hashes to the SHA-256 that x-amz-content-sha256 (or, for
// a presigned URL, the X-Amz-Content-Sha256 query parameter) declares. The
// signature covers that declared hash, not the body, so without this check
// a signed request's body could be swapped in transit. Other values
// (UNSIGNED-PAYLOAD, STREAMING-*) leave r.Body as it is: streaming bodies
// are checked chunk by chunk (newObjectBody). A handler that uses the body
// reads it to EOF before acting on it, so a mismatch fails the request
// before anything is committed.
func checkPayloadHash(r *http.Request) {
	v := r.Header.Get("X-Amz-Content-Sha256")
	// (Contains spares parsing the query of the many requests without it.)
	if v == "" && r.Header.Get("Authorization") == "" && strings.Contains(r.URL.RawQuery, "X-Amz-Content-Sha256") {
		v = r.URL.Query().Get("X-Amz-Content-Sha256")
	}
	if len(v) != 2*sha256.Size {
		return
	}
	want, err := hex.DecodeString(v)
	if err != nil {
		return
	}
	r.Body = &sha256Check{ReadCloser: r.Body, h: sha256.New(), want: want}
}

// sha256Check fails at EOF, and at every read after it, if what it read
// does not hash to want.
type sha256Check struct {
	io.ReadCloser
	h    hash.Hash
	want []byte
}

func (c *sha256Check) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && !bytes.Equal(c.h.Sum(nil), c.want) {
		return n, s3err.New(s3err.XAmzContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return n, err
}
