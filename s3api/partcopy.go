package s3api

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/checksum"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// uploadPartCopy serves UploadPartCopy (PUT ?partNumber&uploadId with
// x-amz-copy-source): the gateway reads the source's bytes, or the range
// x-amz-copy-source-range names, into a new blob for the part, as
// copyObject does, so the part never shares a blob with the source.
func (s *Server) uploadPartCopy(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	num, err := partNumber(q.Get("partNumber"))
	if err != nil {
		return err
	}
	sb, sk, sv, err := copySource(r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	if err := s.authorizeCopySource(r, req, sb, sk, sv); err != nil {
		return err
	}
	rangeHeader, hasRange := r.Header["X-Amz-Copy-Source-Range"]
	id := q.Get("uploadId")
	up, err := s.cfg.Meta.GetUpload(r.Context(), req.bucket, req.key, id)
	if err != nil {
		return err
	}
	src, err := s.copySourceVersion(r.Context(), sb, sk, sv)
	if err != nil {
		return err
	}
	// As CopyObject: every failed source condition is a 412.
	if err := parseReadConditions(r.Header, "X-Amz-Copy-Source-").evaluate(src.ETag, src.LastModified); err != nil {
		return s3err.Wrap(s3err.PreconditionFailed, err)
	}
	if src.VersionID != "" {
		w.Header().Set("x-amz-copy-source-version-id", src.VersionID)
	}
	start, length := int64(0), src.Size
	if hasRange {
		if start, length, err = parseCopyRange(rangeHeader[0], src.Size); err != nil {
			return err
		}
	}
	if length > MaxObjectSize {
		return s3err.Errorf(s3err.InvalidRequest, "a part copies at most %d bytes; the source range has %d", int64(MaxObjectSize), length)
	}
	rd := s.objectReader(r.Context(), src, start, length)
	defer rd.Close()
	h := md5.New()
	// The part stores a checksum of its upload's algorithm, as an uploaded
	// part does, so Complete can build the object's.
	alg := partAlgorithm(up)
	sum, err := checksum.New(alg)
	if err != nil {
		return err
	}
	part, nonce, failed, err := s.writeBlobAlways(r.Context(), io.TeeReader(rd, io.MultiWriter(h, sum)), -1)
	if err != nil {
		return err
	}
	partSum := checksum.Encode(sum.Sum(nil))
	etag := `"` + hex.EncodeToString(h.Sum(nil)) + `"`
	// The gateway's clock dates the part, so the response can report it
	// without reading it back.
	modified := time.Now().UTC().Truncate(time.Microsecond)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), commitTimeout)
	defer cancel()
	err = s.cfg.Meta.PutUploadPart(ctx, req.bucket, req.key, id, metadata.UploadPart{
		Number: num, Size: part.Size, ETag: etag, LastModified: modified, Blob: part.Blob, Checksum: partSum,
	}, nonce)
	if err != nil {
		return err
	}
	s.markFailed(ctx, part, failed)
	return s3xml.Write(w, http.StatusOK, s3xml.CopyPartResult{ETag: s3xml.ETag(etag), LastModified: s3xml.Time(modified),
		Checksums: xmlChecksums(alg, partSum)})
}

// parseCopyRange parses x-amz-copy-source-range, which must be
// "bytes=first-last" (zero-based, inclusive) and lie inside a source of
// size bytes. A malformed value is InvalidArgument; a well-formed range
// that reaches past the source is InvalidRange, as S3 answers.
func parseCopyRange(v string, size int64) (start, length int64, err error) {
	bad := s3err.Errorf(s3err.InvalidArgument,
		"x-amz-copy-source-range %q must be of the form bytes=first-last, where first and last are the zero-based offsets of the first and last bytes to copy", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, bad
	}
	firstS, lastS, ok := strings.Cut(spec, "-")
	if !ok || !allDigits(firstS) || !allDigits(lastS) {
		return 0, 0, bad
	}
	first, err1 := strconv.ParseInt(firstS, 10, 64)
	last, err2 := strconv.ParseInt(lastS, 10, 64)
	if err1 != nil || err2 != nil || last < first {
		return 0, 0, bad
	}
	if last >= size {
		return 0, 0, s3err.Errorf(s3err.InvalidRange, "range %s is not valid for a source object of %d bytes", v, size)
	}
	return first, last - first + 1, nil
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
