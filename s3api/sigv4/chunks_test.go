package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/floe-s3/floe/s3api/chunked"
	"github.com/floe-s3/floe/s3api/s3err"
)

// chainSig computes a chunk (or trailer) signature from the spec, written
// independently of the package code.
func chainSig(kind, prev, lastLine string) string {
	mac := func(k []byte, s string) []byte {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	k := mac([]byte("AWS4"+testSecret), signTime.Format("20060102"))
	k = mac(mac(mac(k, testRegion), "s3"), "aws4_request")
	scope := signTime.Format("20060102") + "/" + testRegion + "/s3/aws4_request"
	sts := kind + "\n" + signTime.Format("20060102T150405Z") + "\n" + scope + "\n" + prev + "\n" + lastLine
	return hex.EncodeToString(mac(k, sts))
}

func TestChunkChain(t *testing.T) {
	for _, payload := range []string{chunked.SignedPayload, chunked.SignedPayloadTrailer} {
		t.Run(payload, func(t *testing.T) {
			r := clientRequest(t, "PUT", "/bucket/obj", "", [][2]string{{"X-Amz-Decoded-Content-Length", "11"}}, nil)
			signHeader(t, r, payload, testSecret)
			sr := overWire(t, r)
			_, cv, err := newVerifier(signTime).Verify(sr)
			if err != nil || cv == nil {
				t.Fatalf("Verify: %v, %v", cv, err)
			}
			auth := sr.Header.Get("Authorization")
			seed := auth[strings.LastIndex(auth, "=")+1:]

			prev := seed
			for _, data := range []string{"hello ", "world", ""} {
				sum := sha256.Sum256([]byte(data))
				bad := sha256.Sum256([]byte(data + "!"))
				sig := chainSig("AWS4-HMAC-SHA256-PAYLOAD", prev, emptySHA256+"\n"+hex.EncodeToString(sum[:]))
				if err := cv.VerifyChunk(sig, bad[:]); !errors.Is(err, s3err.SignatureDoesNotMatch) {
					t.Fatalf("modified chunk %q: %v", data, err)
				}
				if err := cv.VerifyChunk(prev, sum[:]); !errors.Is(err, s3err.SignatureDoesNotMatch) {
					t.Fatalf("replayed signature for %q: %v", data, err)
				}
				if err := cv.VerifyChunk(sig, sum[:]); err != nil {
					t.Fatalf("chunk %q: %v", data, err)
				}
				prev = sig
			}
			trailer := []byte("x-amz-checksum-crc32:sOO8/Q==\n")
			sig := chainSig("AWS4-HMAC-SHA256-TRAILER", prev, hexSHA256(trailer))
			if err := cv.VerifyTrailer(sig, []byte("x-amz-checksum-crc32:AAAAAA==\n")); !errors.Is(err, s3err.SignatureDoesNotMatch) {
				t.Fatalf("modified trailer: %v", err)
			}
			if err := cv.VerifyTrailer(sig, trailer); err != nil {
				t.Fatalf("trailer: %v", err)
			}
		})
	}
}

func TestChunkChainWrongSeed(t *testing.T) {
	cv := &chunkVerifier{key: signingKey(testSecret, "20240517", testRegion), amzDate: signTime.Format(timeFormat),
		scope: "20240517/" + testRegion + "/s3/aws4_request", prev: strings.Repeat("a", 64)}
	sum := sha256.Sum256([]byte("x"))
	sig := chainSig("AWS4-HMAC-SHA256-PAYLOAD", strings.Repeat("b", 64), emptySHA256+"\n"+hex.EncodeToString(sum[:]))
	if err := cv.VerifyChunk(sig, sum[:]); !errors.Is(err, s3err.SignatureDoesNotMatch) {
		t.Fatalf("chunk chained to another seed accepted: %v", err)
	}
}
