package chunked

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// encoding describes how encode frames a payload.
type encoding struct {
	signed   bool
	trailer  bool
	trailers []string // "name:value" lines
	// chunk returns the size of chunk i; nil means one chunk for all.
	chunk func(i int) int
}

// fakeSig is the signature encode writes and fakeVerifier accepts: the hex
// SHA-256 of the signed bytes. Real SigV4 chaining is the verifier's
// business, not the framing's.
func fakeSig(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// encode frames payload as an aws-chunked body.
func encode(payload []byte, e encoding) []byte {
	var b bytes.Buffer
	header := func(data []byte) {
		fmt.Fprintf(&b, "%x", len(data))
		if e.signed {
			b.WriteString(chunkSigPrefix + fakeSig(data))
		}
		b.WriteString("\r\n")
	}
	for i := 0; len(payload) > 0; i++ {
		n := len(payload)
		if e.chunk != nil {
			n = min(n, max(1, e.chunk(i)))
		}
		header(payload[:n])
		b.Write(payload[:n])
		b.WriteString("\r\n")
		payload = payload[n:]
	}
	header(nil)
	if !e.trailer {
		b.WriteString("\r\n")
		return b.Bytes()
	}
	var signed strings.Builder
	for _, t := range e.trailers {
		b.WriteString(t + "\r\n")
		signed.WriteString(t + "\n")
	}
	if e.signed {
		b.WriteString(trailerSigName + ":" + fakeSig([]byte(signed.String())) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// fakeVerifier checks fakeSig signatures and records the calls.
type fakeVerifier struct {
	chunks   int
	trailer  string
	failFrom int // fail the chunk with this 1-based index; 0 never
}

func (v *fakeVerifier) VerifyChunk(sig string, sum []byte) error {
	v.chunks++
	if sig != hex.EncodeToString(sum) || v.chunks == v.failFrom {
		return errSignature
	}
	return nil
}

func (v *fakeVerifier) VerifyTrailer(sig string, trailer []byte) error {
	v.trailer = string(trailer)
	if sig != fakeSig(trailer) {
		return errSignature
	}
	return nil
}
