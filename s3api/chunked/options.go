package chunked

import "strings"

// The x-amz-content-sha256 values that announce an aws-chunked body.
const (
	UnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	SignedPayload          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	SignedPayloadTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
)

// Options describes the body a Reader decodes.
type Options struct {
	// Signed means every chunk header carries ";chunk-signature=<sig>".
	Signed bool
	// Trailer means trailer lines follow the final chunk.
	Trailer bool
	// DeclaredTrailers are the trailer names announced in X-Amz-Trailer
	// (see ParseTrailerHeader). Each must be present; no other is allowed.
	DeclaredTrailers []string
	// DecodedLength is x-amz-decoded-content-length, the payload size, or
	// -1 if unknown.
	DecodedLength int64
	// Verifier checks chunk and trailer signatures. If nil, only their
	// syntax is checked.
	Verifier ChunkVerifier
}

// ChunkVerifier checks the signatures of a signed aws-chunked body (SigV4
// streaming). The Reader calls it in body order, so it can chain each
// signature to the previous one.
type ChunkVerifier interface {
	// VerifyChunk checks sig, the chunk-signature of a chunk whose data
	// has SHA-256 chunkSHA256 (that of the empty string for the final
	// chunk).
	VerifyChunk(sig string, chunkSHA256 []byte) error
	// VerifyTrailer checks sig, the x-amz-trailer-signature, against the
	// trailer lines before it: each exactly as received, with its "\r\n"
	// replaced by "\n".
	VerifyTrailer(sig string, trailer []byte) error
}

// OptionsFor returns the Options (without trailers, length or verifier)
// for an x-amz-content-sha256 value, and false if the value does not
// announce a supported aws-chunked format. (The SigV4a ECDSA formats are
// not supported.)
func OptionsFor(contentSHA256 string) (Options, bool) {
	o := Options{DecodedLength: -1}
	switch contentSHA256 {
	case UnsignedPayloadTrailer:
		o.Trailer = true
	case SignedPayload:
		o.Signed = true
	case SignedPayloadTrailer:
		o.Signed, o.Trailer = true, true
	default:
		return o, false
	}
	return o, true
}

// ParseTrailerHeader splits an X-Amz-Trailer header value into lower-case
// trailer names, dropping empty entries.
func ParseTrailerHeader(v string) []string {
	var names []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			names = append(names, f)
		}
	}
	return names
}
