package chunked

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/floe-s3/floe/s3api/s3err"
)

var errSignature = s3err.New(s3err.SignatureDoesNotMatch, "")

const (
	sigA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	crc  = "x-amz-checksum-crc32"
)

var (
	unsignedTrailer = Options{Trailer: true, DeclaredTrailers: []string{crc}, DecodedLength: -1}
	signed          = Options{Signed: true, DecodedLength: -1}
	signedTrailer   = Options{Signed: true, Trailer: true, DeclaredTrailers: []string{crc}, DecodedLength: -1}
)

func with(o Options, f func(*Options)) Options { f(&o); return o }

func TestReader(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		body     string
		want     string
		trailers map[string]string
		err      error      // sentinel or s3err code the error must match
		code     s3err.Code // S3 code of the error
	}{
		{name: "unsigned trailer", opts: unsignedTrailer,
			body: "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
			want: "hello world", trailers: map[string]string{crc: "AAAAAA=="}},
		{name: "trailer case and spaces", opts: unsignedTrailer,
			body: "1\r\nx\r\n0\r\nX-Amz-Checksum-CRC32 : v \r\n\r\n", want: "x", trailers: map[string]string{crc: "v"}},
		{name: "upper-case hex, leading zeros", opts: unsignedTrailer,
			body: "000A\r\n0123456789\r\n0\r\nx-amz-checksum-crc32:v\r\n\r\n", want: "0123456789", trailers: map[string]string{crc: "v"}},
		{name: "missing final CRLF tolerated", opts: unsignedTrailer,
			body: "1\r\nx\r\n0\r\nx-amz-checksum-crc32:v\r\n", want: "x", trailers: map[string]string{crc: "v"}},
		{name: "empty payload", opts: unsignedTrailer,
			body: "0\r\nx-amz-checksum-crc32:v\r\n\r\n", want: "", trailers: map[string]string{crc: "v"}},
		{name: "no trailers declared", opts: Options{Trailer: true, DecodedLength: -1},
			body: "1\r\nx\r\n0\r\n\r\n", want: "x"},
		{name: "signed", opts: signed,
			body: "3;chunk-signature=" + sigA + "\r\nabc\r\n0;chunk-signature=" + sigA + "\r\n\r\n", want: "abc"},
		{name: "signed trailer", opts: signedTrailer,
			body: "3;chunk-signature=" + sigA + "\r\nabc\r\n0;chunk-signature=" + sigA + "\r\nx-amz-checksum-crc32:v\r\nx-amz-trailer-signature:" + sigA + "\r\n\r\n",
			want: "abc", trailers: map[string]string{crc: "v"}},
		{name: "decoded length", opts: with(unsignedTrailer, func(o *Options) { o.DecodedLength = 3 }),
			body: "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:v\r\n\r\n", want: "abc", trailers: map[string]string{crc: "v"}},

		// Framing errors.
		{name: "empty body", opts: unsignedTrailer, body: "", want: "", err: io.ErrUnexpectedEOF, code: s3err.IncompleteBody},
		{name: "data not followed by CRLF", opts: unsignedTrailer, body: "5\r\nhelloX\r\n0\r\n\r\n", want: "hello", err: ErrMalformed, code: s3err.InvalidRequest},
		{name: "data followed by LF", opts: unsignedTrailer, body: "5\r\nhello\n0\r\n\r\n", want: "hello", err: ErrMalformed, code: s3err.InvalidRequest},
		{name: "chunk too long", opts: unsignedTrailer, body: "3\r\nhello\r\n0\r\n\r\n", want: "hel", err: ErrMalformed, code: s3err.InvalidRequest},
		{name: "bare LF header", opts: unsignedTrailer, body: "5\nhello\r\n0\r\n\r\n", err: ErrMalformed, code: s3err.InvalidRequest},
		{name: "bare CR header", opts: unsignedTrailer, body: "5\rhello\r\n0\r\n\r\n", err: ErrMalformed, code: s3err.InvalidRequest},
		{name: "huge size line", opts: unsignedTrailer, body: strings.Repeat("0", 5000) + "1\r\nx\r\n0\r\n\r\n", err: ErrMalformed, code: s3err.InvalidRequest},
		{name: "line just under cap", opts: unsignedTrailer, body: strings.Repeat("0", MaxLineLength-3) + "1\r\nx\r\n0\r\nx-amz-checksum-crc32:v\r\n\r\n", want: "x", trailers: map[string]string{crc: "v"}},
		{name: "line just over cap", opts: unsignedTrailer, body: strings.Repeat("0", MaxLineLength-2) + "1\r\nx\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "negative size", opts: unsignedTrailer, body: "-5\r\nhello\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "plus size", opts: unsignedTrailer, body: "+5\r\nhello\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "0x size", opts: unsignedTrailer, body: "0x5\r\nhello\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "space in size", opts: unsignedTrailer, body: " 5\r\nhello\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "empty size", opts: unsignedTrailer, body: "\r\nhello\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "overflowing size", opts: unsignedTrailer, body: "ffffffffffffffffffff\r\nx\r\n", err: ErrMalformed},
		{name: "size over 5 GiB", opts: unsignedTrailer, body: "140000001\r\nx\r\n", err: ErrMalformed},
		{name: "size 5 GiB truncated", opts: unsignedTrailer, body: "140000000\r\nxyz", want: "xyz", err: io.ErrUnexpectedEOF, code: s3err.IncompleteBody},
		{name: "truncated data", opts: unsignedTrailer, body: "5\r\nhel", want: "hel", err: io.ErrUnexpectedEOF, code: s3err.IncompleteBody},
		{name: "truncated before CRLF", opts: unsignedTrailer, body: "5\r\nhello", want: "hello", err: io.ErrUnexpectedEOF},
		{name: "truncated in CRLF", opts: unsignedTrailer, body: "5\r\nhello\r", want: "hello", err: io.ErrUnexpectedEOF},
		{name: "truncated after chunk", opts: unsignedTrailer, body: "5\r\nhello\r\n", want: "hello", err: io.ErrUnexpectedEOF},
		{name: "truncated header", opts: unsignedTrailer, body: "5\r\nhello\r\n0", want: "hello", err: io.ErrUnexpectedEOF},
		{name: "truncated trailer line", opts: unsignedTrailer, body: "0\r\nx-amz-checksum-crc32:v", err: io.ErrUnexpectedEOF},
		{name: "extension in unsigned", opts: unsignedTrailer, body: "1;chunk-signature=" + sigA + "\r\nx\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "data after end", opts: unsignedTrailer, body: "0\r\nx-amz-checksum-crc32:v\r\n\r\nmore", err: ErrMalformed},
		{name: "CRLF after end", opts: unsignedTrailer, body: "0\r\nx-amz-checksum-crc32:v\r\n\r\n\r\n", err: ErrMalformed},

		// Trailers.
		{name: "declared trailer missing", opts: unsignedTrailer, body: "1\r\nx\r\n0\r\n\r\n", want: "x", err: ErrMissingTrailer, code: s3err.MalformedTrailerError},
		{name: "undeclared trailer", opts: unsignedTrailer, body: "0\r\nx-amz-checksum-crc32:v\r\nx-amz-meta-a:b\r\n\r\n", err: ErrMalformed, code: s3err.MalformedTrailerError},
		{name: "duplicate trailer", opts: unsignedTrailer, body: "0\r\nx-amz-checksum-crc32:v\r\nx-amz-checksum-crc32:w\r\n\r\n", err: ErrMalformed, code: s3err.MalformedTrailerError},
		{name: "trailer without colon", opts: unsignedTrailer, body: "0\r\nx-amz-checksum-crc32\r\n\r\n", err: ErrMalformed, code: s3err.MalformedTrailerError},
		{name: "trailer empty name", opts: unsignedTrailer, body: "0\r\n:v\r\n\r\n", err: ErrMalformed, code: s3err.MalformedTrailerError},
		{name: "trailer LF only", opts: unsignedTrailer, body: "0\r\nx-amz-checksum-crc32:v\n\r\n", err: ErrMalformed},
		{name: "trailer in plain signed", opts: signed, body: "0;chunk-signature=" + sigA + "\r\nx-amz-checksum-crc32:v\r\n\r\n", err: ErrMalformed, code: s3err.InvalidRequest},
		{name: "trailer signature unsigned", opts: unsignedTrailer, body: "0\r\nx-amz-checksum-crc32:v\r\nx-amz-trailer-signature:" + sigA + "\r\n\r\n", err: ErrMalformed},
		{name: "trailer signature missing", opts: signedTrailer, body: "0;chunk-signature=" + sigA + "\r\nx-amz-checksum-crc32:v\r\n\r\n", err: ErrMalformed, code: s3err.MalformedTrailerError},
		{name: "trailer signature short", opts: signedTrailer, body: "0;chunk-signature=" + sigA + "\r\nx-amz-checksum-crc32:v\r\nx-amz-trailer-signature:abc\r\n\r\n", err: ErrMalformed},
		{name: "trailer after signature", opts: signedTrailer, body: "0;chunk-signature=" + sigA + "\r\nx-amz-trailer-signature:" + sigA + "\r\nx-amz-checksum-crc32:v\r\n\r\n", err: ErrMalformed},

		// Signed chunk headers.
		{name: "signature missing", opts: signed, body: "3\r\nabc\r\n0\r\n\r\n", err: ErrMalformed},
		{name: "signature short", opts: signed, body: "3;chunk-signature=" + sigA[1:] + "\r\nabc\r\n", err: ErrMalformed},
		{name: "signature not hex", opts: signed, body: "3;chunk-signature=" + strings.Repeat("g", 64) + "\r\nabc\r\n", err: ErrMalformed},
		{name: "other extension", opts: signed, body: "3;chunk-sig=" + sigA + "\r\nabc\r\n", err: ErrMalformed},
		{name: "signed final CRLF missing", opts: signed, body: "3;chunk-signature=" + sigA + "\r\nabc\r\n0;chunk-signature=" + sigA + "\r\n", want: "abc"},

		// Decoded length.
		{name: "payload longer", opts: with(unsignedTrailer, func(o *Options) { o.DecodedLength = 4 }),
			body: "3\r\nabc\r\n3\r\ndef\r\n0\r\nx-amz-checksum-crc32:v\r\n\r\n", want: "abc", err: ErrLengthMismatch, code: s3err.IncompleteBody},
		{name: "payload shorter", opts: with(unsignedTrailer, func(o *Options) { o.DecodedLength = 4 }),
			body: "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:v\r\n\r\n", want: "abc", err: ErrLengthMismatch, code: s3err.IncompleteBody},
		{name: "zero length, data sent", opts: with(signed, func(o *Options) { o.DecodedLength = 0 }),
			body: "3;chunk-signature=" + sigA + "\r\nabc\r\n0;chunk-signature=" + sigA + "\r\n\r\n", err: ErrLengthMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tt.body)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				r := NewReader(src, tt.opts)
				got, err := io.ReadAll(r)
				if string(got) != tt.want {
					t.Errorf("payload %q, want %q", got, tt.want)
				}
				if tt.err == nil {
					if err != nil {
						t.Fatalf("err = %v", err)
					}
					if tr := r.Trailers(); len(tr) != len(tt.trailers) || !equalMaps(tr, tt.trailers) {
						t.Errorf("trailers %v, want %v", tr, tt.trailers)
					}
					continue
				}
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				var se *s3err.Error
				if !errors.As(err, &se) {
					t.Fatalf("err %v is not an *s3err.Error", err)
				}
				if tt.code != (s3err.Code{}) && se.Code != tt.code {
					t.Errorf("code %s, want %s", se.Code.Name, tt.code.Name)
				}
				if r.Trailers() != nil {
					t.Error("trailers after an error")
				}
				if n, err2 := r.Read(make([]byte, 10)); n != 0 || err2 != err {
					t.Errorf("error not sticky: %d, %v", n, err2)
				}
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestVerifier(t *testing.T) {
	payload := []byte(strings.Repeat("ghijklmnop", 100)) // no hex digits, so tampering misses signatures
	trailers := []string{"x-amz-checksum-crc32:AAAAAA=="}
	chunk := func(int) int { return 300 }
	tests := []struct {
		name     string
		opts     Options
		body     []byte
		failFrom int
		chunks   int
		err      error
	}{
		{"signed", signed, encode(payload, encoding{signed: true, chunk: chunk}), 0, 5, nil},
		{"signed trailer", signedTrailer, encode(payload, encoding{signed: true, trailer: true, trailers: trailers, chunk: chunk}), 0, 5, nil},
		{"bad chunk", signed, encode(payload, encoding{signed: true, chunk: chunk}), 2, 2, errSignature},
		{"bad final chunk", signed, encode(payload, encoding{signed: true, chunk: chunk}), 5, 5, errSignature},
		{"tampered data", signed, bytes.Replace(encode(payload, encoding{signed: true, chunk: chunk}), []byte("ijk"), []byte("IJK"), 1), 0, 1, errSignature},
		{"tampered trailer", signedTrailer, bytes.Replace(encode(payload, encoding{signed: true, trailer: true, trailers: trailers, chunk: chunk}), []byte("AAAAAA=="), []byte("BBBBBB=="), 1), 0, 5, errSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &fakeVerifier{failFrom: tt.failFrom}
			opts := tt.opts
			opts.Verifier = v
			got, err := io.ReadAll(NewReader(bytes.NewReader(tt.body), opts))
			if err != tt.err {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if v.chunks != tt.chunks {
				t.Errorf("%d chunk verifications, want %d", v.chunks, tt.chunks)
			}
			if err == nil && !bytes.Equal(got, payload) {
				t.Error("payload differs")
			}
			if err == nil && opts.Trailer && v.trailer != trailers[0]+"\n" {
				t.Errorf("trailer bytes %q", v.trailer)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	modes := []struct {
		name string
		opts Options
		enc  encoding
	}{
		{"unsigned trailer", unsignedTrailer, encoding{trailer: true, trailers: []string{crc + ":AAAAAA=="}}},
		{"signed", signed, encoding{signed: true}},
		{"signed trailer", signedTrailer, encoding{signed: true, trailer: true, trailers: []string{crc + ":AAAAAA=="}}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			for range 50 {
				payload := make([]byte, rng.IntN(20000))
				for i := range payload {
					payload[i] = byte(rng.Uint32())
				}
				maxChunk := 1 + rng.IntN(9000)
				enc := m.enc
				enc.chunk = func(int) int { return 1 + rng.IntN(maxChunk) }
				body := encode(payload, enc)
				opts := m.opts
				opts.DecodedLength = int64(len(payload))
				opts.Verifier = &fakeVerifier{}
				if !opts.Signed {
					opts.Verifier = nil
				}
				r := NewReader(iotest.OneByteReader(bytes.NewReader(body)), opts)
				var got []byte
				buf := make([]byte, 1+rng.IntN(3))
				for {
					n, err := r.Read(buf)
					got = append(got, buf[:n]...)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%d-byte payload: %v", len(payload), err)
					}
				}
				if !bytes.Equal(got, payload) {
					t.Fatalf("%d-byte payload: got %d bytes", len(payload), len(got))
				}
				if opts.Trailer && r.Trailers()[crc] != "AAAAAA==" {
					t.Fatalf("trailers %v", r.Trailers())
				}
			}
		})
	}
}

func TestReadZero(t *testing.T) {
	r := NewReader(strings.NewReader("1\r\nx\r\n0\r\n\r\n"), Options{Trailer: true, DecodedLength: -1})
	if n, err := r.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v", n, err)
	}
	if b, err := io.ReadAll(r); string(b) != "x" || err != nil {
		t.Fatalf("%q %v", b, err)
	}
	if r.Trailers() != nil {
		t.Error("trailers without any sent")
	}
}

// errReader fails with err after data.
type errReader struct {
	data string
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.data == "" {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestUnderlyingError(t *testing.T) {
	boom := errors.New("connection reset")
	for _, body := range []string{"", "5", "5\r\nhe", "5\r\nhello", "5\r\nhello\r\n0\r\n", "0\r\nx-amz-checksum-crc32:v\r\n\r\n"} {
		_, err := io.ReadAll(NewReader(&errReader{body, boom}, unsignedTrailer))
		if !errors.Is(err, boom) {
			t.Errorf("%q: err = %v, want %v", body, err, boom)
		}
	}
}

func TestOptionsFor(t *testing.T) {
	tests := []struct {
		v               string
		signed, trailer bool
		ok              bool
	}{
		{UnsignedPayloadTrailer, false, true, true},
		{SignedPayload, true, false, true},
		{SignedPayloadTrailer, true, true, true},
		{"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", false, false, false},
		{"UNSIGNED-PAYLOAD", false, false, false},
		{"", false, false, false},
	}
	for _, tt := range tests {
		o, ok := OptionsFor(tt.v)
		if ok != tt.ok || o.Signed != tt.signed || o.Trailer != tt.trailer || o.DecodedLength != -1 {
			t.Errorf("OptionsFor(%q) = %+v, %v", tt.v, o, ok)
		}
	}
	got := ParseTrailerHeader(" X-Amz-Checksum-CRC32 ,, x-amz-checksum-sha256,")
	if strings.Join(got, "|") != "x-amz-checksum-crc32|x-amz-checksum-sha256" {
		t.Errorf("ParseTrailerHeader = %q", got)
	}
	if ParseTrailerHeader("") != nil {
		t.Error("ParseTrailerHeader(\"\") != nil")
	}
}
