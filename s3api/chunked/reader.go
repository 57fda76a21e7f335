package chunked

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"maps"
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
)

const (
	// MaxChunkSize bounds the size a chunk header may declare (5 GiB, the
	// largest single PUT S3 accepts).
	MaxChunkSize = 5 << 30
	// MaxLineLength bounds a chunk header or trailer line, CRLF included.
	MaxLineLength = 4096

	signatureLen   = 64
	chunkSigPrefix = ";chunk-signature="
	trailerSigName = "x-amz-trailer-signature"
)

// emptySHA256 is the SHA-256 of the empty final chunk.
var emptySHA256 = sha256.Sum256(nil)

// Reader decodes an aws-chunked body, yielding only the payload.
type Reader struct {
	br   *bufio.Reader
	opts Options

	inChunk   bool      // data of a non-empty chunk has started
	remaining int64     // data bytes left in the current chunk
	total     int64     // sum of the declared chunk sizes so far
	sig       string    // signature of the current chunk
	h         hash.Hash // SHA-256 of the current chunk, if verifying

	trailers map[string]string
	err      error // sticky; io.EOF once the body is complete
}

// NewReader returns a Reader decoding body as described by opts.
func NewReader(body io.Reader, opts Options) *Reader {
	r := &Reader{
		// The buffer must hold a whole line for ReadSlice.
		br:   bufio.NewReaderSize(body, 2*MaxLineLength),
		opts: opts,
	}
	if opts.Signed && opts.Verifier != nil {
		r.h = sha256.New()
	}
	return r
}

// Read reads payload bytes. It returns io.EOF only once the whole body,
// trailers included, has been read and checked.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for r.remaining == 0 {
		if err := r.advance(); err != nil {
			r.err = err
			return 0, err
		}
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	n, err := r.br.Read(p)
	r.remaining -= int64(n)
	if r.h != nil {
		r.h.Write(p[:n])
	}
	if err == io.EOF {
		err = truncated("chunk data")
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

// Trailers returns the trailers received, keyed by lower-case name, without
// x-amz-trailer-signature. It is nil until Read has returned io.EOF.
func (r *Reader) Trailers() map[string]string {
	if r.err != io.EOF {
		return nil
	}
	return maps.Clone(r.trailers)
}

// advance finishes the current chunk and starts the next one, or finishes
// the body at the final chunk (leaving r.err at io.EOF).
func (r *Reader) advance() error {
	if r.inChunk {
		if err := r.expectCRLF(); err != nil {
			return err
		}
		if r.h != nil {
			if err := r.opts.Verifier.VerifyChunk(r.sig, r.h.Sum(nil)); err != nil {
				return err
			}
			r.h.Reset()
		}
		r.inChunk = false
	}
	line, err := r.readLine()
	if err == io.EOF {
		return truncated("chunk header")
	}
	if err != nil {
		return err
	}
	size, sig, err := r.parseHeader(line)
	if err != nil {
		return err
	}
	r.total += size
	if d := r.opts.DecodedLength; d >= 0 && r.total > d {
		// Refuse before yielding a byte beyond the declared length.
		return lengthMismatch(r.total, d, true)
	}
	r.sig = sig
	if size > 0 {
		r.inChunk, r.remaining = true, size
		return nil
	}
	return r.finish()
}

// finish handles everything after the final chunk's header.
func (r *Reader) finish() error {
	if d := r.opts.DecodedLength; d >= 0 && r.total != d {
		return lengthMismatch(r.total, d, false)
	}
	if r.h != nil {
		if err := r.opts.Verifier.VerifyChunk(r.sig, emptySHA256[:]); err != nil {
			return err
		}
	}
	if err := r.readTrailers(); err != nil {
		return err
	}
	// Anything after the terminating empty line is garbage.
	if b, err := r.br.Peek(1); len(b) > 0 {
		return malformed("data after the final chunk")
	} else if err != nil && err != io.EOF {
		return err
	}
	return io.EOF
}

// readTrailers reads the trailer lines (if any are allowed) up to the empty
// line, or EOF, that ends the body, and checks them against the declared
// names and the trailer signature.
func (r *Reader) readTrailers() error {
	var signed bytes.Buffer // trailer lines as the signature covers them
	sig := ""
	for {
		line, err := r.readLine()
		if err == io.EOF || (err == nil && len(line) == 0) {
			// Tolerate a missing final CRLF: every line before it was
			// complete, and declared trailers are still required below.
			break
		}
		if err != nil {
			return err
		}
		if !r.opts.Trailer {
			return malformed("data after the final chunk")
		}
		if sig != "" {
			return badTrailer("trailer after %s", trailerSigName)
		}
		name, value, ok := strings.Cut(string(line), ":")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		switch {
		case !ok || !validName(name):
			return badTrailer("invalid trailer line %q", line)
		case name == trailerSigName:
			if !r.opts.Signed {
				return badTrailer("%s in an unsigned body", trailerSigName)
			}
			if !validSignature(value) {
				return badTrailer("invalid %s", trailerSigName)
			}
			sig = value
			continue
		case !r.declared(name):
			return badTrailer("undeclared trailer %q", name)
		}
		if _, dup := r.trailers[name]; dup {
			return badTrailer("duplicate trailer %q", name)
		}
		if r.trailers == nil {
			r.trailers = make(map[string]string)
		}
		r.trailers[name] = value
		signed.Write(line)
		signed.WriteByte('\n')
	}
	for _, name := range r.opts.DeclaredTrailers {
		if _, ok := r.trailers[strings.ToLower(name)]; !ok {
			return &s3err.Error{Code: s3err.MalformedTrailerError, Err: fmt.Errorf("%w: %q", ErrMissingTrailer, name)}
		}
	}
	if r.opts.Signed && r.opts.Trailer {
		if sig == "" {
			return badTrailer("missing %s", trailerSigName)
		}
		if r.opts.Verifier != nil {
			return r.opts.Verifier.VerifyTrailer(sig, signed.Bytes())
		}
	}
	return nil
}

func (r *Reader) declared(name string) bool {
	for _, d := range r.opts.DeclaredTrailers {
		if strings.EqualFold(d, name) {
			return true
		}
	}
	return false
}

// readLine returns the next line without its CRLF. The slice is only valid
// until the next read. A clean EOF before any byte is io.EOF.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(line) > MaxLineLength:
		return nil, malformed("line longer than %d bytes", MaxLineLength)
	case err == io.EOF && len(line) == 0:
		return nil, io.EOF
	case err == io.EOF:
		return nil, truncated("line")
	case err != nil:
		return nil, err
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, malformed("line not terminated by CRLF")
	}
	return line[:len(line)-2], nil
}

// expectCRLF consumes the CRLF that ends chunk data.
func (r *Reader) expectCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(r.br, b[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return truncated("chunk terminator")
		}
		return err
	}
	if b != [2]byte{'\r', '\n'} {
		return malformed("chunk data not followed by CRLF")
	}
	return nil
}

// parseHeader parses "<hex-size>" or "<hex-size>;chunk-signature=<sig>".
func (r *Reader) parseHeader(line []byte) (size int64, sig string, err error) {
	hexSize := line
	if r.opts.Signed {
		i := bytes.IndexByte(line, ';')
		if i < 0 || !bytes.HasPrefix(line[i:], []byte(chunkSigPrefix)) {
			return 0, "", malformed("chunk header without chunk-signature")
		}
		s := line[i+len(chunkSigPrefix):]
		if !validSignature(string(s)) {
			return 0, "", malformed("invalid chunk-signature")
		}
		hexSize, sig = line[:i], string(s)
	}
	if len(hexSize) == 0 {
		return 0, "", malformed("empty chunk size")
	}
	for _, c := range hexSize {
		d, ok := unhex(c)
		if !ok {
			return 0, "", malformed("invalid chunk size %q", hexSize)
		}
		size = size<<4 | int64(d)
		if size > MaxChunkSize {
			return 0, "", malformed("chunk size over %d bytes", int64(MaxChunkSize))
		}
	}
	return size, sig, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// validSignature reports whether s is 64 hex digits.
func validSignature(s string) bool {
	if len(s) != signatureLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return false
		}
	}
	return true
}

// validName reports whether s is a non-empty HTTP token.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
