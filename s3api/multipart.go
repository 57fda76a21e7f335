package s3api

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/checksum"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// Multipart limits, as in S3.
const (
	minPartSize = 5 << 20 // every part but the last
	maxParts    = 10000
)

// createMultipartUpload serves POST ?uploads.
func (s *Server) createMultipartUpload(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := checkKey(req.key); err != nil {
		return err
	}
	hdr, err := requestHeaders(r.Header)
	if err != nil {
		return err
	}
	sum, err := uploadChecksum(r.Header)
	if err != nil {
		return err
	}
	bkt, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket)
	if err != nil {
		return err
	}
	ret, hold, err := lockHeaders(r.Header, bkt)
	if err != nil {
		return err
	}
	tags, err := tagHeader(r.Header)
	if err != nil {
		return err
	}
	if err := checkACLHeaders(r.Header); err != nil {
		return err
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	up := metadata.Upload{ID: hex.EncodeToString(b[:]), Bucket: req.bucket, Key: req.key, Headers: hdr, Checksum: sum,
		Retention: ret, LegalHold: hold, Tags: tags}
	if err := s.cfg.Meta.CreateUpload(r.Context(), up); err != nil {
		return err
	}
	if sum.Algorithm != "" {
		w.Header().Set(checksumAlgorithmHeader, sum.Algorithm)
		w.Header().Set(checksum.TypeHeader, sum.Type)
	}
	return s3xml.Write(w, http.StatusOK, s3xml.InitiateMultipartUploadResult{Bucket: req.bucket, Key: req.key, UploadID: up.ID})
}

func partNumber(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxParts {
		return 0, s3err.Errorf(s3err.InvalidArgument, "part number %q must be an integer between 1 and %d", v, maxParts)
	}
	return n, nil
}

// uploadPart serves PUT ?partNumber&uploadId: the part streams into its own
// blob, never held in memory.
func (s *Server) uploadPart(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	num, err := partNumber(q.Get("partNumber"))
	if err != nil {
		return err
	}
	id := q.Get("uploadId")
	up, err := s.cfg.Meta.GetUpload(r.Context(), req.bucket, req.key, id)
	if err != nil {
		return err
	}
	if err := s.requirePartDigest(r, up); err != nil {
		return err
	}
	body, err := newObjectBody(r, req.auth.Chunks)
	if err != nil {
		return err
	}
	defer body.Close()
	sum, err := partChecksum(up, body)
	if err != nil {
		return err
	}
	part, nonce, failed, err := s.writeBlobAlways(context.WithoutCancel(r.Context()), body.r, body.size)
	req.bytes = *body.n
	if err != nil {
		return err
	}
	etag := body.ETag()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), commitTimeout)
	defer cancel()
	err = s.cfg.Meta.PutUploadPart(ctx, req.bucket, req.key, id, metadata.UploadPart{
		Number: num, Size: *body.n, ETag: etag, Blob: part.Blob, Checksum: sum.Sum(),
	}, nonce)
	if err != nil {
		return err
	}
	s.markFailed(ctx, part, failed)
	w.Header().Set("ETag", etag)
	if body.checksum != nil {
		w.Header().Set(body.checksum.Algorithm().Header(), body.checksum.Sum())
	} else {
		w.Header().Set(sum.Algorithm().Header(), sum.Sum())
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// completeMultipartUpload serves POST ?uploadId: the object becomes the
// ordered list of the chosen parts' blobs; no byte is copied.
func (s *Server) completeMultipartUpload(w http.ResponseWriter, r *http.Request, req *request) error {
	id := r.URL.Query().Get("uploadId")
	cond, err := writePrecondition(r.Header)
	if err != nil {
		return err
	}
	var body s3xml.CompleteMultipartUpload
	if err := decodeXMLBody(r, req, s3xml.CompleteMultipartLimit, false, &body); err != nil {
		return err
	}
	parts, err := s.cfg.Meta.ListUploadParts(r.Context(), req.bucket, req.key, id)
	if err != nil {
		return err
	}
	up, err := s.cfg.Meta.GetUpload(r.Context(), req.bucket, req.key, id)
	if err != nil {
		return err
	}
	have := make(map[int]metadata.UploadPart, len(parts))
	for _, p := range parts {
		have[p.Number] = p
	}
	// CompleteUpload gives the object the headers the upload was created with.
	obj := metadata.Object{Bucket: req.bucket, Key: req.key}
	sums := md5.New()
	chosen := make([]metadata.UploadPart, 0, len(body.Parts))
	for i, cp := range body.Parts {
		p, ok := have[cp.PartNumber]
		if !ok || s3xml.UnquoteETag(cp.ETag) != s3xml.UnquoteETag(p.ETag) {
			return s3err.Errorf(s3err.InvalidPart, "part %d was not uploaded or its ETag does not match", cp.PartNumber)
		}
		if err := checkCompletePart(up, cp, p); err != nil {
			return err
		}
		if i < len(body.Parts)-1 && p.Size < minPartSize {
			return s3err.Errorf(s3err.EntityTooSmall, "part %d is %d bytes; every part but the last must be at least %d", cp.PartNumber, p.Size, minPartSize)
		}
		raw, err := hex.DecodeString(s3xml.UnquoteETag(p.ETag))
		if err != nil {
			return fmt.Errorf("part %d has a malformed stored ETag %q: %w", p.Number, p.ETag, err)
		}
		sums.Write(raw)
		obj.Size += p.Size
		obj.Parts = append(obj.Parts, metadata.Part{Number: p.Number, Size: p.Size, Blob: p.Blob, Checksum: p.Checksum})
		chosen = append(chosen, p)
	}
	obj.ETag = fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sums.Sum(nil)), len(body.Parts))
	if obj.Checksum, err = completedChecksum(up, chosen); err != nil {
		return err
	}
	if err := checkCompleteHeaders(r.Header, obj.Checksum); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), commitTimeout)
	defer cancel()
	res, err := s.cfg.Meta.CompleteUpload(ctx, id, obj, cond)
	if err != nil {
		if errors.Is(err, metadata.ErrInvalidPart) {
			return s3err.Wrap(s3err.InvalidPart, err)
		}
		return err
	}
	setWrittenVersionID(w.Header(), res.VersionID)
	return s3xml.Write(w, http.StatusOK, s3xml.CompleteMultipartUploadResult{
		Location: "/" + req.bucket + "/" + req.key, Bucket: req.bucket, Key: req.key, ETag: s3xml.ETag(obj.ETag),
		Checksums: xmlChecksums(checksum.Algorithm(obj.Checksum.Algorithm), obj.Checksum.Value), ChecksumType: obj.Checksum.Type,
	})
}

// abortMultipartUpload serves DELETE ?uploadId; the parts' blobs go to GC.
func (s *Server) abortMultipartUpload(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.cfg.Meta.AbortUpload(r.Context(), req.bucket, req.key, r.URL.Query().Get("uploadId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listParts serves GET ?uploadId. It reads only the page's parts, so a page
// costs the same however many parts the upload has.
func (s *Server) listParts(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	id := q.Get("uploadId")
	// The upload first: a missing one is NoSuchUpload even when the
	// paging arguments are bad too.
	up, err := s.cfg.Meta.GetUpload(r.Context(), req.bucket, req.key, id)
	if err != nil {
		return err
	}
	maxN := 1000
	if v := q.Get("max-parts"); v != "" {
		if maxN, err = strconv.Atoi(v); err != nil || maxN < 0 {
			return s3err.Errorf(s3err.InvalidArgument, "max-parts %q", v)
		}
		maxN = min(maxN, 1000)
	}
	marker := 0
	if v := q.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return s3err.Errorf(s3err.InvalidArgument, "part-number-marker %q", v)
		}
	}
	parts, truncated, err := s.cfg.Meta.ListUploadPartsPage(r.Context(), req.bucket, req.key, id, marker, maxN)
	if err != nil {
		return err
	}
	res := s3xml.ListPartsResult{Bucket: req.bucket, Key: req.key, UploadID: id, PartNumberMarker: marker,
		MaxParts: maxN, IsTruncated: truncated, Owner: owner(req), Initiator: initiator(req),
		ChecksumAlgorithm: up.Checksum.Algorithm, ChecksumType: up.Checksum.Type}
	for _, p := range parts {
		res.Parts = append(res.Parts, s3xml.Part{PartNumber: p.Number, LastModified: s3xml.Time(p.LastModified), ETag: s3xml.ETag(p.ETag), Size: p.Size,
			Checksums: xmlChecksums(partAlgorithm(up), p.Checksum)})
		res.NextPartNumberMarker = p.Number
	}
	return s3xml.Write(w, http.StatusOK, res)
}
