package node

import (
	"encoding/binary"
	"errors"
	"net/http"
	"strconv"

	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// handleGet serves GET /v1/shards/{id}/{idx}?offset=O&length=L&hashes=1&unchecked=1.
// The body is the shard's block hashes (with hashes=1), the stored CRC32C
// of each block the range touches, then the range. With unchecked=1 the
// range goes from the page cache to the socket (sendfile) for a client
// that checks each block itself; otherwise each block's CRC32C is checked
// before its bytes are sent. If the first
// block fails, the client gets 422; if a later one fails, the response is
// already under way and is broken off, so the client sees a short body
// rather than bad data.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, id blobmeta.ID, idx int) {
	sh, err := s.store.OpenShard(id, idx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer sh.Close()
	q := r.URL.Query()
	off, length, err := parseRange(q.Get("offset"), q.Get("length"), sh.Len())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var prefix []byte
	hashesLen := -1
	if q.Get("hashes") == "1" {
		hashes := sh.Hashes()
		prefix = make([]byte, 0, len(hashes)*blobmeta.HashSize)
		for i := range hashes {
			prefix = append(prefix, hashes[i][:]...)
		}
		hashesLen = len(prefix)
	}
	// The CRCs let a client that reads whole blocks check them end to end
	// for a fraction of what BLAKE3 costs it (see blob's reader).
	prefix = appendBlockCRCs(prefix, sh, off, length)
	// begin sends the headers and the prefix.
	begin := func() error {
		h := w.Header()
		h.Set("Content-Type", contentTypeOctets)
		h.Set("Content-Length", strconv.FormatInt(int64(len(prefix))+length, 10))
		h.Set(HeaderShardLength, strconv.FormatInt(sh.Len(), 10))
		if hashesLen >= 0 {
			h.Set(HeaderHashesLength, strconv.Itoa(hashesLen))
		}
		h.Set(HeaderCRCsLength, strconv.Itoa(len(prefix)-max(hashesLen, 0)))
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(prefix)
		return err
	}
	if q.Get("unchecked") == "1" {
		s.sendUnchecked(sh, begin, w, off, length)
		return
	}
	lw := &lazyWriter{w: w, begin: begin}
	_, err = sh.ReadRange(lw, off, length)
	if err == nil {
		_ = lw.start() // nothing was in range: send the headers (and hashes)
		return
	}
	if !lw.started {
		s.writeError(w, r, err)
		return
	}
	if lw.err != nil {
		// The client went away; there is no one to tell.
		s.log.Debug().Err(err).Str("shard", shardfile.Name(id, idx)).Msg("client stopped reading")
		return
	}
	var ce *shardfile.CorruptError
	if errors.As(err, &ce) {
		s.recordCorrupt(ce)
	} else {
		s.log.Error().Err(err).Str("shard", shardfile.Name(id, idx)).Msg("read failed mid-response")
	}
	panic(http.ErrAbortHandler)
}

// sendUnchecked answers a GET with begin's headers and prefix, then the
// range straight from the file.
func (s *Server) sendUnchecked(sh *shardfile.Shard, begin func() error, w http.ResponseWriter, off, length int64) {
	if err := begin(); err != nil {
		return // the client went away
	}
	if _, err := sh.SendRange(w, off, length); err != nil {
		var ce *shardfile.CorruptError
		if errors.As(err, &ce) {
			s.recordCorrupt(ce)
		}
		s.log.Debug().Err(err).Str("shard", shardfile.Name(sh.Info().ID, sh.Info().Index)).Msg("unchecked read broken off")
		panic(http.ErrAbortHandler)
	}
}

// appendBlockCRCs appends to b the stored CRC32C, big-endian, of each
// block of sh that [off, off+length) touches.
func appendBlockCRCs(b []byte, sh *shardfile.Shard, off, length int64) []byte {
	for _, c := range shardfile.RangeCRCs(sh.CRCs(), sh.BlockSize(), off, length) {
		b = binary.BigEndian.AppendUint32(b, c)
	}
	return b
}

// lazyWriter sends the response headers, and the hash prefix, only when
// the first verified data arrives, so a failure before then can still be
// answered with an error status.
type lazyWriter struct {
	w       http.ResponseWriter
	begin   func() error
	started bool
	err     error // first error writing to the client
}

func (lw *lazyWriter) start() error {
	if !lw.started {
		lw.started = true
		lw.err = lw.begin()
	}
	return lw.err
}

func (lw *lazyWriter) Write(p []byte) (int, error) {
	if err := lw.start(); err != nil {
		return 0, err
	}
	n, err := lw.w.Write(p)
	if err != nil {
		lw.err = err
	}
	return n, err
}

// parseRange reads the optional offset and length parameters of a read of
// a shard of size bytes: by default, from offset to the end.
func parseRange(offStr, lenStr string, size int64) (off, length int64, err error) {
	if offStr != "" {
		if off, err = strconv.ParseInt(offStr, 10, 64); err != nil {
			return 0, 0, apiErr(CodeBadRequest, "bad offset %q", offStr)
		}
	}
	if off < 0 || off > size {
		return 0, 0, apiErr(CodeInvalidRange, "offset %d outside shard of %d bytes", off, size)
	}
	length = size - off
	if lenStr != "" {
		if length, err = strconv.ParseInt(lenStr, 10, 64); err != nil {
			return 0, 0, apiErr(CodeBadRequest, "bad length %q", lenStr)
		}
	}
	if length < 0 || length > size-off {
		return 0, 0, apiErr(CodeInvalidRange, "range [%d,+%d) outside shard of %d bytes", off, length, size)
	}
	return off, length, nil
}

// handleHead serves HEAD /v1/shards/{id}/{idx}: the shard's length, root
// and blob size, from its checked metadata.
func (s *Server) handleHead(w http.ResponseWriter, r *http.Request, id blobmeta.ID, idx int) {
	info, err := s.store.Stat(id, idx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentTypeOctets)
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	h.Set(HeaderShardLength, strconv.FormatInt(info.Size, 10))
	h.Set(HeaderShardRoot, info.Root.String())
	h.Set(HeaderBlobSize, strconv.FormatInt(info.BlobSize, 10))
	w.WriteHeader(http.StatusOK)
}

// handleInfo serves GET /v1/shards/{id}/{idx}/info?verify=1. With verify=1
// the whole shard is checked against its BLAKE3 block hashes first.
func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request, id blobmeta.ID, idx int) {
	sh, err := s.store.OpenShard(id, idx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer sh.Close()
	verify := r.URL.Query().Get("verify") == "1"
	if verify {
		if err := sh.Verify(); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	info := sh.Info()
	writeJSON(w, http.StatusOK, infoResponse{
		ID:       info.ID.String(),
		Index:    info.Index,
		Size:     info.Size,
		BlobSize: info.BlobSize,
		Root:     info.Root.String(),
		Manifest: info.Manifest.Marshal(),
		ModTime:  info.ModTime.UTC(),
		Verified: verify,
	})
}
