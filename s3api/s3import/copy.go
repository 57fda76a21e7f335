package s3import

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// maxParts is S3's limit on the parts of one upload.
const maxParts = 10000

// S3's limit on one PUT, and the part size for uploads whose layout is
// ours; variables so that tests can make them small.
var (
	maxSinglePut int64 = 5 << 30
	minOwnPart   int64 = 64 << 20
)

// copyVersion copies one source version of key (see the package doc for
// which way) and returns the destination version it became.
func (im *importer) copyVersion(ctx context.Context, j *job, key string, v version) (string, error) {
	if v.deleteMarker {
		return im.copyDeleteMarker(ctx, j, key)
	}
	info := parseETag(v.etag)
	if info.parts > 0 {
		head, err := call(ctx, im.cfg, "reading the first part's headers", func(ctx context.Context) (*s3.HeadObjectOutput, error) {
			return im.src.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(j.pair.Source), Key: aws.String(key),
				VersionId: optional(v.id), PartNumber: aws.Int32(1), IfMatch: ifMatch(v)})
		})
		switch {
		case isStatus(err, 404) || isStatus(err, 412):
			return "", sourceErr(err)
		case err != nil && !transient(err):
			// A server that refuses PartNumber: as one that ignores it.
			im.cfg.Log.Debug().Err(err).Str("key", key).Msg("source refuses HEAD by part number")
			head = &s3.HeadObjectOutput{}
		case err != nil:
			return "", err
		}
		if int(aws.ToInt32(head.PartsCount)) == info.parts {
			h := fromHead(head)
			if err := im.fetchTags(ctx, j.pair.Source, key, v.id, &h); err != nil {
				return "", err
			}
			return im.copyParts(ctx, j, key, v, h, info.parts)
		}
		// The server does not answer by part (or answers something
		// else): the layout cannot be repeated, so the ETag cannot be
		// either.
		im.cfg.Log.Debug().Str("key", key).Int32("parts_count", aws.ToInt32(head.PartsCount)).
			Msg("source does not tell the part layout; verifying by size and hashes instead of the ETag")
	}
	if v.size > maxSinglePut {
		return im.copyOwnParts(ctx, j, key, v)
	}
	return im.copySingle(ctx, j, key, v, info)
}

// ifMatch pins an unversioned object to the listed ETag, so that a GET
// fails (412) rather than read an object that changed since.
func ifMatch(v version) *string {
	if v.id != "" || v.etag == "" {
		return nil
	}
	return aws.String(v.etag)
}

// sourceErr marks a source answer of 412 or 404 as a change of the source.
func sourceErr(err error) error {
	if isStatus(err, 412) || isStatus(err, 404) {
		return fmt.Errorf("%w: %w", errChanged, err)
	}
	return err
}

// getSource starts a GET of the version (one part of it if part > 0),
// under ctx, which bounds the whole transfer.
func (im *importer) getSource(ctx context.Context, j *job, key string, v version, part int32) (*s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(j.pair.Source), Key: aws.String(key), VersionId: optional(v.id), IfMatch: ifMatch(v)}
	if part > 0 {
		in.PartNumber = aws.Int32(part)
	}
	out, err := im.src.GetObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("reading the source: %w", sourceErr(err))
	}
	return out, nil
}

// copySingle streams the version into one PUT.
func (im *importer) copySingle(ctx context.Context, j *job, key string, v version, info etagInfo) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, im.cfg.transferTimeout(v.size))
	defer cancel()
	src, err := im.getSource(ctx, j, key, v, 0)
	if err != nil {
		return "", err
	}
	defer src.Body.Close()
	if n := aws.ToInt64(src.ContentLength); n != v.size {
		return "", fmt.Errorf("%w: %d bytes listed, %d served", errChanged, v.size, n)
	}
	h := fromGet(src)
	if err := im.fetchTags(ctx, j.pair.Source, key, v.id, &h); err != nil {
		return "", err
	}
	body := newHashReader(src.Body, &im.stats.transferred)
	in := &s3.PutObjectInput{Bucket: aws.String(j.pair.Dest), Key: aws.String(key), Body: body, ContentLength: aws.Int64(v.size)}
	h.putInput(in)
	opts := streamOnce
	trailer := false
	switch {
	case info.md5 != nil && info.parts == 0:
		// The gateway refuses the body unless it is the source's bytes.
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(info.md5))
	case h.hasChecksum() || v.size == 0:
		// The source's checksum goes along and is checked instead.
	default:
		// Nothing to check by up front: a SHA-256 of what streams, in a
		// trailer, which the gateway checks and returns.
		trailer = true
		in.Body, in.ContentLength = &trailerBody{r: body, size: v.size}, aws.Int64(trailerLength(v.size))
		enc := "aws-chunked"
		if in.ContentEncoding != nil {
			enc += "," + *in.ContentEncoding
		}
		in.ContentEncoding = aws.String(enc)
		opts = withTrailer(v.size)
	}
	out, err := im.dst.PutObject(ctx, in, opts)
	if err != nil {
		return "", fmt.Errorf("writing the destination: %w", err)
	}
	if trailer && out.ChecksumSHA256 == nil {
		return "", fmt.Errorf("%w: the destination did not confirm the SHA-256 sent", errVerify)
	}
	sum := body.md5.Sum(nil)
	switch {
	case body.n != v.size:
		return "", fmt.Errorf("%w: sent %d bytes of %d", errVerify, body.n, v.size)
	case info.md5 != nil && info.parts == 0 && !sameETag(md5ETag(sum), v.etag):
		return "", fmt.Errorf("%w: read bytes with MD5 %x from a source whose ETag is %s", errVerify, sum, v.etag)
	case info.md5 != nil && info.parts == 0 && !sameETag(aws.ToString(out.ETag), v.etag):
		return "", fmt.Errorf("%w: destination ETag %s, source %s", errVerify, aws.ToString(out.ETag), v.etag)
	}
	if err := checkDest(out.ETag, out.ChecksumSHA256, sum, body.sha.Sum(nil)); err != nil {
		return "", err
	}
	return aws.ToString(out.VersionId), nil
}

// checkDest compares what the destination says it stored, a single-part
// ETag (an MD5) and a SHA-256 when it reports them, with the hashes of
// what was sent.
func checkDest(etag, sha *string, md5sum, shaSum []byte) error {
	if e := parseETag(aws.ToString(etag)); e.md5 != nil && e.parts == 0 && !sameETag(aws.ToString(etag), md5ETag(md5sum)) {
		return fmt.Errorf("%w: destination ETag %s, sent bytes with MD5 %x", errVerify, aws.ToString(etag), md5sum)
	}
	if sha != nil && *sha != base64.StdEncoding.EncodeToString(shaSum) {
		return fmt.Errorf("%w: destination SHA-256 %s, sent %s", errVerify, *sha, base64.StdEncoding.EncodeToString(shaSum))
	}
	return nil
}

// copyDeleteMarker puts a delete marker on the destination key (whose
// bucket has versioning on).
func (im *importer) copyDeleteMarker(ctx context.Context, j *job, key string) (string, error) {
	out, err := call(ctx, im.cfg, "writing a delete marker", func(ctx context.Context) (*s3.DeleteObjectOutput, error) {
		return im.dst.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(j.pair.Dest), Key: aws.String(key)})
	})
	if err != nil {
		return "", err
	}
	if !aws.ToBool(out.DeleteMarker) {
		return "", fmt.Errorf("%w: the destination wrote no delete marker (is its versioning on?)", errVerify)
	}
	return aws.ToString(out.VersionId), nil
}

// partSource yields the parts of an upload: the reader of part n (from 1)
// and its length, and a function to call once it has been read.
type partSource func(ctx context.Context, n int32) (io.Reader, int64, func(), error)

// copyParts copies a multipart version part by part, each read with
// GetObject PartNumber, so the destination has the source's layout and
// ETag.
func (im *importer) copyParts(ctx context.Context, j *job, key string, v version, h objectHeaders, parts int) (string, error) {
	next := func(ctx context.Context, n int32) (io.Reader, int64, func(), error) {
		src, err := im.getSource(ctx, j, key, v, n)
		if err != nil {
			return nil, 0, nil, err
		}
		return src.Body, aws.ToInt64(src.ContentLength), func() { src.Body.Close() }, nil
	}
	return im.upload(ctx, j, key, v, h, parts, next, true)
}

// copyOwnParts copies a version too large for one PUT whose part layout is
// unknown: one GET, cut into parts of a size of ours.
func (im *importer) copyOwnParts(ctx context.Context, j *job, key string, v version) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, im.cfg.transferTimeout(v.size))
	defer cancel()
	src, err := im.getSource(ctx, j, key, v, 0)
	if err != nil {
		return "", err
	}
	defer src.Body.Close()
	if n := aws.ToInt64(src.ContentLength); n != v.size {
		return "", fmt.Errorf("%w: %d bytes listed, %d served", errChanged, v.size, n)
	}
	h := fromGet(src)
	h.crc32, h.crc32c, h.crc64nvme, h.sha1, h.sha256 = nil, nil, nil, nil, nil
	if err := im.fetchTags(ctx, j.pair.Source, key, v.id, &h); err != nil {
		return "", err
	}
	size := ownPartSize(v.size)
	parts := int((v.size + size - 1) / size)
	next := func(_ context.Context, n int32) (io.Reader, int64, func(), error) {
		l := min(size, v.size-int64(n-1)*size)
		return io.LimitReader(src.Body, l), l, func() {}, nil
	}
	return im.upload(ctx, j, key, v, h, parts, next, false)
}

// ownPartSize is the part size for an object of size bytes: minOwnPart,
// or larger when that would make more than maxParts parts.
func ownPartSize(size int64) int64 {
	p := minOwnPart
	if need := (size + maxParts - 1) / maxParts; need > p {
		p = (need + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return p
}

// upload runs a multipart upload of parts parts from next: each part
// streamed into UploadPart and checked by its ETag, the upload recorded
// in the progress row while it is open and aborted if the copy fails.
// sameLayout says the parts are the source's, so the ETag must come out
// as the source's.
func (im *importer) upload(ctx context.Context, j *job, key string, v version, h objectHeaders, parts int, next partSource, sameLayout bool) (string, error) {
	cin := &s3.CreateMultipartUploadInput{Bucket: aws.String(j.pair.Dest), Key: aws.String(key)}
	h.createInput(cin)
	up, err := call(ctx, im.cfg, "starting a multipart upload", func(ctx context.Context) (*s3.CreateMultipartUploadOutput, error) {
		return im.dst.CreateMultipartUpload(ctx, cin)
	})
	if err != nil {
		return "", err
	}
	uploadID := aws.ToString(up.UploadId)
	completed := false
	defer func() {
		if !completed {
			im.abort(ctx, j.pair.Dest, key, uploadID)
		}
	}()
	if err := im.progress.ImportSetUpload(ctx, j.ipair, idOf(key, v), uploadID); err != nil {
		return "", err
	}
	var (
		sums  [][]byte
		done  []types.CompletedPart
		total int64
	)
	for n := int32(1); int(n) <= parts; n++ {
		etag, sum, size, err := im.uploadPart(ctx, j, key, uploadID, n, next)
		if err != nil {
			return "", fmt.Errorf("part %d: %w", n, err)
		}
		sums = append(sums, sum)
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)})
		total += size
	}
	if total != v.size {
		return "", fmt.Errorf("%w: parts hold %d bytes, the source %d", errVerify, total, v.size)
	}
	out, err := call(ctx, im.cfg, "completing the multipart upload", func(ctx context.Context) (*s3.CompleteMultipartUploadOutput, error) {
		return im.dst.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(j.pair.Dest), Key: aws.String(key),
			UploadId: aws.String(uploadID), MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	})
	if err != nil {
		return "", err
	}
	completed = true
	want := multipartETag(sums)
	if got := aws.ToString(out.ETag); !sameETag(got, want) {
		return "", fmt.Errorf("%w: destination ETag %s, parts sent make %s", errVerify, got, want)
	}
	if sameLayout && !sameETag(want, v.etag) {
		return "", fmt.Errorf("%w: parts read make ETag %s, the source's is %s", errVerify, want, v.etag)
	}
	return aws.ToString(out.VersionId), nil
}

// uploadPart streams part n from next into UploadPart and checks the
// part's ETag against the MD5 of what was sent.
func (im *importer) uploadPart(ctx context.Context, j *job, key, uploadID string, n int32, next partSource) (etag string, sum []byte, size int64, err error) {
	// One context for the part's GET and its UploadPart: the GET's body
	// streams into the upload. Its deadline is the call timeout until
	// the part's size is known, then the transfer's.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.AfterFunc(im.cfg.CallTimeout, cancel)
	defer deadline.Stop()
	r, size, release, err := next(pctx, n)
	if err != nil {
		return "", nil, 0, err
	}
	defer release()
	deadline.Reset(im.cfg.transferTimeout(size))
	body := newHashReader(r, &im.stats.transferred)
	out, err := im.dst.UploadPart(pctx, &s3.UploadPartInput{Bucket: aws.String(j.pair.Dest), Key: aws.String(key),
		UploadId: aws.String(uploadID), PartNumber: aws.Int32(n), Body: body, ContentLength: aws.Int64(size)}, streamOnce)
	if err != nil {
		return "", nil, 0, fmt.Errorf("writing the destination: %w", err)
	}
	sum = body.md5.Sum(nil)
	if body.n != size {
		return "", nil, 0, fmt.Errorf("%w: sent %d bytes of %d", errVerify, body.n, size)
	}
	if err := checkDest(out.ETag, out.ChecksumSHA256, sum, body.sha.Sum(nil)); err != nil {
		return "", nil, 0, err
	}
	return aws.ToString(out.ETag), sum, size, nil
}

// abort aborts a destination upload, also after ctx ended (a run
// stopped by a signal cleans up what it can); a failure is logged, the
// next run (through the progress row) or the gateway's upload expiry
// cleans up.
func (im *importer) abort(ctx context.Context, bucket, key, uploadID string) {
	_, err := call(context.WithoutCancel(ctx), im.cfg, "aborting a multipart upload", func(ctx context.Context) (*s3.AbortMultipartUploadOutput, error) {
		return im.dst.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	})
	if err != nil && !isStatus(err, 404) {
		im.cfg.Log.Warn().Err(err).Str("bucket", bucket).Str("key", key).Str("upload_id", uploadID).Msg("could not abort a multipart upload")
	}
}
