package sigv4

import (
	"encoding/hex"

	"github.com/floe-s3/floe/s3api/chunked"
	"github.com/floe-s3/floe/s3api/s3err"
)

// chunkVerifier checks the chained signatures of a SigV4 streaming body.
// It is used by one goroutine (the chunked.Reader), in body order.
type chunkVerifier struct {
	key     []byte
	amzDate string
	scope   string
	prev    string // the previous signature; the request's to start with
}

var _ chunked.ChunkVerifier = (*chunkVerifier)(nil)

// VerifyChunk checks sig against the chunk's SHA-256 and, on success,
// makes it the previous signature for the next chunk.
func (c *chunkVerifier) VerifyChunk(sig string, chunkSHA256 []byte) error {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.amzDate + "\n" + c.scope + "\n" +
		c.prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(chunkSHA256)
	if !sigEqual(sig, sign(c.key, sts)) {
		return s3err.New(s3err.SignatureDoesNotMatch, "The chunk signature does not match.")
	}
	c.prev = sig
	return nil
}

// VerifyTrailer checks sig, the trailer signature, against the trailer
// bytes, chained to the last chunk's signature.
func (c *chunkVerifier) VerifyTrailer(sig string, trailer []byte) error {
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.amzDate + "\n" + c.scope + "\n" +
		c.prev + "\n" + sha256Hex(trailer)
	if !sigEqual(sig, sign(c.key, sts)) {
		return s3err.New(s3err.SignatureDoesNotMatch, "The trailer signature does not match.")
	}
	c.prev = sig
	return nil
}
