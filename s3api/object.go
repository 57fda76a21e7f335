package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/s3api/checksum"
	"github.com/floe-s3/floe/s3api/httprange"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// commitTimeout bounds the metadata commit that follows a blob write. It is
// detached from the request: once the bytes are durable, a client hanging
// up should not strand them.
const commitTimeout = 30 * time.Second

func checkKey(key string) error {
	if len(key) > metadata.MaxKeyLen {
		return s3err.Errorf(s3err.KeyTooLongError, "key of %d bytes exceeds %d", len(key), metadata.MaxKeyLen)
	}
	return nil
}

// putObject serves PutObject: the body becomes a new blob, then one
// metadata transaction points the key at it (and queues the blob it
// replaces for deletion).
func (s *Server) putObject(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := checkKey(req.key); err != nil {
		return err
	}
	bkt, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket)
	if err != nil {
		return err
	}
	hdr, err := requestHeaders(r.Header)
	if err != nil {
		return err
	}
	ret, hold, err := lockHeaders(r.Header, bkt)
	if err != nil {
		return err
	}
	if err := requireLockDigest(r, bkt, ret, hold, "Put Object"); err != nil {
		return err
	}
	tags, err := tagHeader(r.Header)
	if err != nil {
		return err
	}
	if err := checkACLHeaders(r.Header); err != nil {
		return err
	}
	cond, err := writePrecondition(r.Header)
	if err != nil {
		return err
	}
	if err := s.checkWritePrecondition(r.Context(), req.bucket, req.key, cond); err != nil {
		return err
	}
	obj := metadata.Object{Bucket: req.bucket, Key: req.key, Headers: hdr, Retention: ret, LegalHold: hold, Tags: tags}
	body, err := newObjectBody(r, req.auth.Chunks)
	if err != nil {
		return err
	}
	defer body.Close()
	sum := body.putChecksum()
	// The write is detached from the request's context: Go's server cancels
	// it when the client half-closes after a complete body, which must not
	// abort the write. A client that really leaves mid-body still ends it,
	// through the body's read error.
	part, nonce, failed, err := s.writeBlob(context.WithoutCancel(r.Context()), body.r, body.size)
	req.bytes = *body.n
	if err != nil {
		return err
	}
	obj.Size, obj.ETag, obj.Checksum = *body.n, body.ETag(), fullObject(sum)
	if part != nil {
		part.Checksum = obj.Checksum.Value
		obj.Parts = []metadata.Part{*part}
	}
	res, err := s.commit(r.Context(), obj, nonce, cond)
	if err != nil {
		return err
	}
	s.markFailed(r.Context(), part, failed)
	setWrittenVersionID(w.Header(), res.VersionID)
	obj.LastModified = time.Now() // the store's stamp, near enough for the header
	s.setExpiration(r.Context(), w.Header(), obj)
	w.Header().Set("ETag", obj.ETag)
	setChecksumHeaders(w.Header(), obj.Checksum)
	w.WriteHeader(http.StatusOK)
	return nil
}

// writeBlob stores everything r yields (size bytes, or -1 if unknown) as
// one new blob; see writeBlobAlways. An empty payload needs no blob: it
// returns a nil part.
func (s *Server) writeBlob(ctx context.Context, r io.Reader, size int64) (*metadata.Part, []byte, []blob.ShardFailure, error) {
	// Peek one byte: empty objects (directory markers and the like) are
	// common and need no shards on six nodes.
	var first [1]byte
	n, err := io.ReadFull(r, first[:])
	if err == io.EOF {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return s.writeBlobAlways(ctx, io.MultiReader(bytes.NewReader(first[:n]), r), size)
}

// intentFreeMax is the largest blob written without a write intent.
//
// An intent (a row recorded before any shard is written, and given the
// blob's ID after) lets garbage collection find the shards of a write
// that was never committed, within IntentGrace, because the gateway died
// mid-write. It costs two durable PostgreSQL commits, more than the
// commit of the object itself, which is why small PUTs skip it: the
// shards of a small write whose gateway died before it committed are
// few bytes, and the scrubber deletes them as orphans when it next walks
// their nodes (older than --orphan-grace, an hour by default, long after
// any small write has committed or failed). A write that fails while its
// gateway lives deletes its shards itself, with or without an intent.
const intentFreeMax = 1 << 20

// writeBlobAlways is writeBlob without the shortcut for empty payloads:
// every multipart part has a blob, even an empty last one. A payload of
// unknown size or above intentFreeMax is covered by a write intent,
// whose nonce it returns for the commit to delete; a small one returns a
// nil nonce.
func (s *Server) writeBlobAlways(ctx context.Context, r io.Reader, size int64) (*metadata.Part, []byte, []blob.ShardFailure, error) {
	plan, err := s.planBlob(ctx, size)
	if err != nil {
		return nil, nil, nil, err
	}
	var nonce []byte
	if size < 0 || size > intentFreeMax {
		nonce = plan.Nonce[:]
		ids := make([]string, len(plan.Placement))
		for i, nd := range plan.Placement {
			ids[i] = nd.ID
		}
		if err := s.cfg.Meta.RecordIntent(ctx, nonce, ids); err != nil {
			return nil, nil, nil, err
		}
	}
	res, err := s.cfg.Blobs.Write(ctx, plan, r)
	if err != nil {
		// Nothing of an abandoned write stays on the nodes; the intent goes too.
		if nonce != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
			defer cancel()
			if derr := s.cfg.Meta.DeleteIntent(dctx, nonce); derr != nil {
				s.log.Warn().Err(derr).Msg("could not drop the intent of a failed write; GC will")
			}
		}
		return nil, nil, nil, err
	}
	if nonce != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		defer cancel()
		if err := s.cfg.Meta.SetIntentBlob(cctx, nonce, res.ID); err != nil {
			return nil, nil, nil, err
		}
	}
	return &metadata.Part{Number: 1, Size: res.Manifest.Size, Blob: metadata.Blob{
		ID: res.ID, Manifest: res.Manifest, Placement: res.Placement,
	}}, nonce, res.Failed, nil
}

// planBlob places a new blob on the live nodes, and when they are too few
// for every shard, the rest on down nodes: those shards are recorded as
// missing once the object is committed, and repaired later.
func (s *Server) planBlob(ctx context.Context, size int64) (*blob.Plan, error) {
	live, err := s.live.get(ctx, func(ctx context.Context) ([]blobmeta.Node, error) {
		return s.cfg.Meta.LiveNodes(ctx, s.cfg.NodeMaxAge)
	})
	if err != nil {
		return nil, err
	}
	var down []blobmeta.Node
	if p := s.cfg.Blobs.Options().Params; len(live) < p.K+p.M {
		if down, err = s.cfg.Meta.DownNodes(ctx, s.cfg.NodeMaxAge); err != nil {
			return nil, err
		}
	}
	return s.cfg.Blobs.PlanFor(size, live, down)
}

// commit makes obj, with its blobs, the key's new version in one
// transaction, if cond holds (if not, the store discards the blobs).
func (s *Server) commit(ctx context.Context, obj metadata.Object, nonce []byte, cond metadata.Precondition) (metadata.PutResult, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	var nonces [][]byte
	if nonce != nil {
		nonces = [][]byte{nonce}
	}
	return s.cfg.Meta.PutObject(ctx, obj, nonces, cond)
}

// requestHeaders reads the stored headers and user metadata of a PUT (or
// a REPLACE copy, or a multipart upload) from its request headers.
func requestHeaders(h http.Header) (metadata.Headers, error) {
	hdr := metadata.Headers{ContentType: h.Get("Content-Type")}
	if hdr.ContentType == "" {
		hdr.ContentType = "binary/octet-stream"
	}
	// aws-chunked is transport framing, not the object's encoding.
	var enc []string
	for _, e := range strings.Split(h.Get("Content-Encoding"), ",") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
			enc = append(enc, e)
		}
	}
	hdr.ContentEncoding = strings.Join(enc, ",")
	hdr.ContentDisposition = h.Get("Content-Disposition")
	hdr.ContentLanguage = h.Get("Content-Language")
	hdr.CacheControl = h.Get("Cache-Control")
	hdr.Expires = h.Get("Expires")
	for name, v := range map[string]string{"Content-Type": hdr.ContentType, "Content-Encoding": hdr.ContentEncoding,
		"Content-Disposition": hdr.ContentDisposition, "Content-Language": hdr.ContentLanguage,
		"Cache-Control": hdr.CacheControl, "Expires": hdr.Expires} {
		if !utf8.ValidString(v) {
			return hdr, s3err.Errorf(s3err.InvalidArgument, "%s is not valid UTF-8", name)
		}
	}
	size := 0
	for name, vals := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-meta-") {
			continue
		}
		if hdr.UserMeta == nil {
			hdr.UserMeta = map[string]string{}
		}
		k := strings.TrimPrefix(lower, "x-amz-meta-")
		v := strings.Join(vals, ",")
		// Go's server has checked that the name is a token and the value
		// holds no control character; what is left to check is what S3
		// refuses and what PostgreSQL's text cannot hold.
		if k == "" {
			return hdr, s3err.New(s3err.InvalidArgument, "a user metadata header needs a name after x-amz-meta-")
		}
		if !utf8.ValidString(v) {
			return hdr, s3err.Errorf(s3err.InvalidArgument, "x-amz-meta-%s is not valid UTF-8", k)
		}
		hdr.UserMeta[k] = v
		size += len(k) + len(v)
	}
	if size > MaxUserMetadataSize {
		return hdr, s3err.Errorf(s3err.MetadataTooLarge, "user metadata of %d bytes exceeds the %d-byte limit", size, MaxUserMetadataSize)
	}
	return hdr, nil
}

// MaxUserMetadataSize is S3's limit on an object's user metadata: the
// bytes of every x-amz-meta-* name (after the prefix) and value, summed.
const MaxUserMetadataSize = 2 << 10

// setObjectHeaders writes obj's stored headers onto a GET or HEAD response.
func setObjectHeaders(h http.Header, obj metadata.Object) {
	h.Set("ETag", obj.ETag)
	h.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	set := func(k, v string) {
		if v != "" {
			h.Set(k, v)
		}
	}
	set("Content-Type", obj.ContentType)
	set("Content-Encoding", obj.ContentEncoding)
	set("Content-Disposition", obj.ContentDisposition)
	set("Content-Language", obj.ContentLanguage)
	set("Cache-Control", obj.CacheControl)
	set("Expires", obj.Expires)
	for k, v := range obj.UserMeta {
		h["X-Amz-Meta-"+k] = []string{v}
	}
}

// getObject serves GetObject and HeadObject, with Range or ?partNumber,
// and the response-* header overrides of respoverride.go.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, req *request) error {
	overrides, err := parseResponseOverrides(r.URL.Query(), req.auth.Anonymous)
	if err != nil {
		return err
	}
	// The store tells a missing bucket (NoSuchBucket) from a missing key.
	obj, err := s.getVersion(r.Context(), req.bucket, req.key, req.versionID)
	if err != nil {
		return err
	}
	setVersionID(w.Header(), obj.VersionID)
	if err := parseReadConditions(r.Header, "").evaluate(obj.ETag, obj.LastModified); err != nil {
		if errors.Is(err, s3err.NotModified) {
			writeNotModified(w, obj)
			return nil
		}
		return err
	}
	start, length := int64(0), obj.Size
	status := http.StatusOK
	if pn, ok := r.URL.Query()["partNumber"]; ok {
		if start, length, status, err = partRange(w.Header(), obj, pn[0], r.Header.Get("Range") != ""); err != nil {
			return err
		}
	} else if rh := r.Header.Get("Range"); rh != "" {
		st, n, ok, err := httprange.Parse(rh, obj.Size)
		if err != nil {
			w.Header().Set("Content-Range", httprange.Unsatisfied(obj.Size))
			return err
		}
		if ok {
			start, length, status = st, n, http.StatusPartialContent
			w.Header().Set("Content-Range", httprange.ContentRange(st, n, obj.Size))
		}
	}
	setObjectHeaders(w.Header(), obj)
	setLockHeaders(w.Header(), obj)
	setTagCount(w.Header(), obj.Tags)
	if obj.IsLatest {
		s.setExpiration(r.Context(), w.Header(), obj)
	}
	setGetChecksumHeaders(w.Header(), r, obj, start, length)
	w.Header().Set("Content-Length", strconv.FormatInt(length, 10))
	if r.Method == http.MethodHead {
		overrides.apply(w.Header())
		w.WriteHeader(status)
		return nil
	}
	rd := s.objectReader(r.Context(), obj, start, length)
	defer rd.Close()
	// Read the first bytes before committing to a status, so an unreadable
	// object gets a proper error response rather than a broken body.
	buf := make([]byte, min(length, 64<<10))
	n, err := io.ReadFull(rd, buf)
	if err != nil && !(err == io.EOF && length == 0) {
		w.Header().Del("Content-Range")
		return fmt.Errorf("read %s/%s: %w", req.bucket, req.key, err)
	}
	overrides.apply(w.Header())
	w.WriteHeader(status)
	if _, err := w.Write(buf[:n]); err != nil {
		return nil // the client left
	}
	if _, err := io.Copy(clientWriter{w}, rd); err != nil {
		var ce clientError
		if errors.As(err, &ce) {
			return nil
		}
		return fmt.Errorf("read %s/%s: %w", req.bucket, req.key, err)
	}
	return nil
}

// clientError marks a failure writing to the client, which needs no
// response (there is nobody to send it to).
type clientError struct{ error }

// clientWriter tags write errors as clientError.
type clientWriter struct{ w io.Writer }

func (c clientWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		err = clientError{err}
	}
	return n, err
}

// objectReader streams bytes [start, start+length) of obj across its parts.
func (s *Server) objectReader(ctx context.Context, obj metadata.Object, start, length int64) io.ReadCloser {
	return &partsReader{ctx: ctx, blobs: s.cfg.Blobs, parts: obj.Parts, pos: start, end: start + length}
}

// partsReader reads a byte range of an object made of several blobs,
// opening each blob's reader only when the range reaches it.
type partsReader struct {
	ctx    context.Context
	blobs  *blob.Store
	parts  []metadata.Part
	pos    int64 // object offset of the next byte
	end    int64
	base   int64 // object offset of parts[0]
	cur    io.ReadCloser
	curEnd int64
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.pos >= p.end {
			return 0, io.EOF
		}
		if p.cur != nil {
			n, err := p.cur.Read(b[:min(int64(len(b)), p.curEnd-p.pos)])
			p.pos += int64(n)
			if err == io.EOF || p.pos >= p.curEnd {
				p.cur.Close()
				p.cur = nil
				err = nil
			}
			if n > 0 || err != nil {
				return n, err
			}
			continue
		}
		if len(p.parts) == 0 {
			return 0, fmt.Errorf("object metadata ends at %d, before %d", p.base, p.end)
		}
		part := p.parts[0]
		partEnd := p.base + part.Size
		if p.pos >= partEnd {
			p.base, p.parts = partEnd, p.parts[1:]
			continue
		}
		off := p.pos - p.base
		n := min(partEnd, p.end) - p.pos
		rd, err := p.blobs.NewReader(p.ctx, part.Blob.Manifest, part.Blob.Placement, off, n)
		if err != nil {
			return 0, err
		}
		p.cur, p.curEnd = rd, p.pos+n
	}
}

func (p *partsReader) Close() error {
	if p.cur != nil {
		p.cur.Close()
		p.cur = nil
	}
	return nil
}

// deleteObject serves DeleteObject: in a versioned bucket it adds a delete
// marker, or with ?versionId deletes that version for good.
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, req *request) error {
	// DeleteObject reports a missing bucket; a missing key is no error.
	res, err := s.cfg.Meta.DeleteObject(r.Context(), req.bucket, req.key, metadata.DeleteOptions{VersionID: req.versionID, BypassGovernance: bypassGovernance(r)})
	if err != nil {
		return err
	}
	if res.DeleteMarker {
		w.Header().Set("x-amz-delete-marker", "true")
	}
	setVersionID(w.Header(), res.VersionID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// copyObject serves CopyObject: the gateway reads the source's blobs and
// writes a new blob, so the client never carries the bytes, and the two
// objects never share a blob (deleting one cannot free the other's data).
func (s *Server) copyObject(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := checkKey(req.key); err != nil {
		return err
	}
	sb, sk, sv, err := copySource(r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	if err := s.authorizeCopySource(r, req, sb, sk, sv); err != nil {
		return err
	}
	directive := strings.ToUpper(r.Header.Get("X-Amz-Metadata-Directive"))
	if directive == "" {
		directive = "COPY"
	}
	if directive != "COPY" && directive != "REPLACE" {
		return s3err.Errorf(s3err.InvalidArgument, "unknown metadata directive %q", directive)
	}
	// Copying an older version onto its key is how a version is restored.
	if sb == req.bucket && sk == req.key && sv == "" && directive == "COPY" {
		return s3err.New(s3err.InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	bkt, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket)
	if err != nil {
		return err
	}
	if err := checkACLHeaders(r.Header); err != nil {
		return err
	}
	// The copy's protection is the request's (or the bucket's default),
	// never the source's.
	ret, hold, err := lockHeaders(r.Header, bkt)
	if err != nil {
		return err
	}
	src, err := s.copySourceVersion(r.Context(), sb, sk, sv)
	if err != nil {
		return err
	}
	// A copy has no 304: every failed source condition is a 412.
	if err := parseReadConditions(r.Header, "X-Amz-Copy-Source-").evaluate(src.ETag, src.LastModified); err != nil {
		return s3err.Wrap(s3err.PreconditionFailed, err)
	}
	cond, err := writePrecondition(r.Header)
	if err != nil {
		return err
	}
	if err := s.checkWritePrecondition(r.Context(), req.bucket, req.key, cond); err != nil {
		return err
	}
	dst := src
	dst.Bucket, dst.Key, dst.Parts, dst.LastModified = req.bucket, req.key, nil, time.Time{}
	dst.Retention, dst.LegalHold = ret, hold
	switch d := strings.ToUpper(r.Header.Get("X-Amz-Tagging-Directive")); d {
	case "", "COPY": // the source's tags
	case "REPLACE":
		if dst.Tags, err = tagHeader(r.Header); err != nil {
			return err
		}
	default:
		return s3err.Errorf(s3err.InvalidArgument, "unknown tagging directive %q", d)
	}
	if directive == "REPLACE" {
		if dst.Headers, err = requestHeaders(r.Header); err != nil {
			return err
		}
	}
	alg, err := copyAlgorithm(r.Header, src)
	if err != nil {
		return err
	}
	rd := s.objectReader(r.Context(), src, 0, src.Size)
	defer rd.Close()
	h := md5.New()
	sum, err := checksum.NewReader(io.TeeReader(rd, h), alg, "")
	if err != nil {
		return err
	}
	part, nonce, failed, err := s.writeBlob(r.Context(), sum, src.Size)
	if err != nil {
		return err
	}
	dst.ETag = `"` + hex.EncodeToString(h.Sum(nil)) + `"`
	dst.Checksum = fullObject(sum)
	if err := checkCopied(src, dst.Checksum); err != nil {
		return err
	}
	if part != nil {
		part.Checksum = dst.Checksum.Value
		dst.Parts = []metadata.Part{*part}
	}
	res, err := s.commit(r.Context(), dst, nonce, cond)
	if err != nil {
		return err
	}
	s.markFailed(r.Context(), part, failed)
	got, err := s.getVersion(r.Context(), req.bucket, req.key, res.VersionID)
	if err != nil {
		return err
	}
	if src.VersionID != "" {
		w.Header().Set("x-amz-copy-source-version-id", src.VersionID)
	}
	setVersionID(w.Header(), res.VersionID) // S3 names "null" here, unlike PutObject
	return s3xml.Write(w, http.StatusOK, s3xml.CopyObjectResult{ETag: s3xml.ETag(dst.ETag), LastModified: s3xml.Time(got.LastModified),
		Checksums: xmlChecksums(alg, dst.Checksum.Value), ChecksumType: dst.Checksum.Type})
}
