package s3import

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// etagInfo is what an S3 ETag says about the object's bytes.
type etagInfo struct {
	// md5 is the MD5 of the whole object (a single-part ETag), or of the
	// concatenated part MD5s (multipart), as 16 bytes; nil if the ETag is
	// neither (SSE-KMS, a server of its own kind).
	md5 []byte
	// parts is N of a multipart ETag "md5-N", 0 for a single-part one.
	parts int
}

// parseETag reads an ETag, quoted or not.
func parseETag(etag string) etagInfo {
	s := strings.Trim(etag, `"`)
	hexPart, n, multi := strings.Cut(s, "-")
	sum, err := hex.DecodeString(hexPart)
	if err != nil || len(sum) != md5.Size {
		return etagInfo{}
	}
	if !multi {
		return etagInfo{md5: sum}
	}
	parts, err := strconv.Atoi(n)
	if err != nil || parts < 1 || parts > maxParts || strconv.Itoa(parts) != n {
		return etagInfo{}
	}
	return etagInfo{md5: sum, parts: parts}
}

// sameETag compares two ETags, ignoring quotes and case.
func sameETag(a, b string) bool {
	return strings.EqualFold(strings.Trim(a, `"`), strings.Trim(b, `"`))
}

// multipartETag is the ETag S3 gives an upload whose parts have the MD5s
// sums: the MD5 of their concatenation, a dash, their count.
func multipartETag(sums [][]byte) string {
	h := md5.New()
	for _, s := range sums {
		h.Write(s)
	}
	return `"` + hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(sums)) + `"`
}

// md5ETag is the single-part ETag of a body with MD5 sum.
func md5ETag(sum []byte) string { return `"` + hex.EncodeToString(sum) + `"` }

// timeOfMilli is the time of Unix milliseconds ms, in UTC.
func timeOfMilli(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
