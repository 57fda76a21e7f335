package s3import

import (
	"context"
	"encoding/base64"
	"io"
	"strconv"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A PUT whose source offers no digest to check it by up front (no MD5
// ETag, no checksum) sends the SHA-256 of its bytes, computed while they
// stream, as an x-amz-checksum-sha256 trailer of an unsigned aws-chunked
// body: the gateway checks the bytes against it before it commits, keeps
// it, and returns it, to be compared once more. The SDK sends trailers
// over HTTPS only; trailerBody frames the body itself, over either.

// trailerChunk is the payload bytes per aws-chunked chunk.
const trailerChunk = 64 << 10

// trailerName is the trailer trailerBody sends.
const trailerName = "x-amz-checksum-sha256"

// trailerBody is size bytes of r, hashed by it, framed as aws-chunked
// with the SHA-256 trailer, streamed without buffering the payload.
type trailerBody struct {
	r       *hashReader
	size    int64
	sent    int64  // payload bytes framed so far
	inChunk int64  // payload bytes left in the current chunk
	pending []byte // framing to emit before more payload
	done    bool
}

// Read emits framing and payload in turn.
func (b *trailerBody) Read(p []byte) (int, error) {
	for {
		if len(b.pending) > 0 {
			n := copy(p, b.pending)
			b.pending = b.pending[n:]
			return n, nil
		}
		if b.inChunk > 0 {
			n, err := b.r.Read(p[:min(int64(len(p)), b.inChunk)])
			b.inChunk -= int64(n)
			if b.inChunk == 0 {
				b.pending = []byte("\r\n")
			}
			if err == io.EOF && b.inChunk > 0 {
				err = io.ErrUnexpectedEOF
			} else if err == io.EOF {
				err = nil
			}
			if n > 0 || err != nil {
				return n, err
			}
			continue
		}
		switch {
		case b.sent < b.size:
			c := min(trailerChunk, b.size-b.sent)
			b.sent += c
			b.inChunk = c
			b.pending = []byte(strconv.FormatInt(c, 16) + "\r\n")
		case !b.done:
			b.done = true
			b.pending = []byte("0\r\n" + trailerName + ":" + base64.StdEncoding.EncodeToString(b.r.sha.Sum(nil)) + "\r\n\r\n")
		default:
			return 0, io.EOF
		}
	}
}

// trailerLength is the framed length of a size-byte payload.
func trailerLength(size int64) int64 {
	n := size
	for left := size; left > 0; left -= trailerChunk {
		c := min(trailerChunk, left)
		n += int64(len(strconv.FormatInt(c, 16))) + 4
	}
	const sumLen = 44 // base64 of 32 bytes
	return n + 3 + int64(len(trailerName)) + 1 + sumLen + 4
}

// withTrailer are the options of a PUT whose body is a trailerBody of a
// size-byte payload: streamOnce, the aws-chunked headers, and the
// payload hash that says the body is unsigned with a trailer.
func withTrailer(size int64) func(*s3.Options) {
	return func(o *s3.Options) {
		streamOnce(o)
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Build.Add(middleware.BuildMiddlewareFunc("FloeImportTrailer", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Header.Set("X-Amz-Decoded-Content-Length", strconv.FormatInt(size, 10))
					req.Header.Set("X-Amz-Trailer", trailerName)
					ctx = v4.SetPayloadHash(ctx, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
}
