package chunked

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

// refDecode is a simple, non-streaming decoder of the chunk framing alone
// (trailers are not checked). It returns the payload, or ok false if the
// chunks are malformed.
func refDecode(body []byte, signed bool) (payload []byte, ok bool) {
	for {
		i := bytes.Index(body, []byte("\r\n"))
		if i < 0 || i+2 > MaxLineLength {
			return nil, false
		}
		line := body[:i]
		body = body[i+2:]
		if signed {
			j := bytes.IndexByte(line, ';')
			if j < 0 {
				return nil, false
			}
			line = line[:j]
		}
		n, err := strconv.ParseUint(string(line), 16, 64)
		if err != nil || n > MaxChunkSize {
			return nil, false
		}
		if n == 0 {
			return payload, true
		}
		if uint64(len(body)) < n+2 || !bytes.Equal(body[n:n+2], []byte("\r\n")) {
			return nil, false
		}
		payload = append(payload, body[:n]...)
		body = body[n+2:]
	}
}

func FuzzChunkedReader(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"), uint8(0), int64(-1))
	f.Add([]byte("3;chunk-signature="+sigA+"\r\nabc\r\n0;chunk-signature="+sigA+"\r\n\r\n"), uint8(1), int64(3))
	f.Add([]byte("3;chunk-signature="+sigA+"\r\nabc\r\n0;chunk-signature="+sigA+"\r\nx-amz-checksum-crc32:v\r\nx-amz-trailer-signature:"+sigA+"\r\n\r\n"), uint8(2), int64(-1))
	f.Add([]byte("140000000\r\nabc"), uint8(0), int64(-1))
	f.Add([]byte("2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"), uint8(0), int64(3))
	f.Add(encode([]byte("some longer payload"), encoding{trailer: true, trailers: []string{"x-amz-checksum-crc32:x"}, chunk: func(int) int { return 4 }}), uint8(0), int64(19))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, decoded int64) {
		opts := Options{
			Signed:           mode&1 != 0,
			Trailer:          mode&2 != 0 || mode&1 == 0,
			DeclaredTrailers: []string{"x-amz-checksum-crc32"},
			DecodedLength:    max(decoded, -1),
		}
		if mode&4 != 0 {
			opts.DeclaredTrailers = nil
		}
		r := NewReader(bytes.NewReader(body), opts)
		var got []byte
		buf := make([]byte, 1+int(mode>>4))
		var err error
		for calls := 0; ; calls++ {
			if calls > len(body)+10 {
				t.Fatal("Read does not make progress")
			}
			var n int
			n, err = r.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		if len(got) > len(body) {
			t.Fatalf("%d payload bytes from a %d-byte body", len(got), len(body))
		}
		if opts.DecodedLength >= 0 && int64(len(got)) > opts.DecodedLength {
			t.Fatalf("%d payload bytes, declared %d", len(got), opts.DecodedLength)
		}
		if err != io.EOF {
			var se *s3err.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not an *s3err.Error", err)
			}
			return
		}
		want, ok := refDecode(body, opts.Signed)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("decoded %q, reference %q (ok %v)", got, want, ok)
		}
		if opts.DecodedLength >= 0 && int64(len(got)) != opts.DecodedLength {
			t.Fatalf("accepted %d bytes, declared %d", len(got), opts.DecodedLength)
		}
	})
}
