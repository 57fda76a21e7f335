package node

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// putStall is how long an upload may send nothing before the node gives
// up on it and discards the partial shard.
const putStall = 2 * time.Minute

// handlePut serves POST /v1/shards?index=N: it streams the body into a new
// shard file, then checks it against the manifest in the X-Floe-Manifest
// trailer and makes it durable before answering. A node down to its
// free-space reserve, or whose disk fills during the upload, answers 507
// InsufficientStorage and keeps nothing of the shard.
func (s *Server) handlePut(w http.ResponseWriter, r *http.Request) {
	idx, err := strconv.Atoi(r.URL.Query().Get("index"))
	if err != nil || idx < 0 {
		s.writeError(w, r, apiErr(CodeBadRequest, "bad or missing index %q", r.URL.Query().Get("index")))
		return
	}
	blockSize, err := strconv.Atoi(r.Header.Get(HeaderBlockSize))
	if err != nil || blockSize < 1 || blockSize > MaxBlockSize {
		s.writeError(w, r, apiErr(CodeBadRequest, "bad %s %q: want 1..%d", HeaderBlockSize, r.Header.Get(HeaderBlockSize), MaxBlockSize))
		return
	}
	// Refuse before storing a byte: the writer moves on to another node.
	if err := s.checkRoom(); err != nil {
		s.writeError(w, r, err)
		return
	}
	sw, err := s.store.Create(blockSize)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer sw.Abort() // no-op once committed

	if err := s.receive(w, r, sw); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := trailerManifest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	committing := time.Now()
	id, existed, err := sw.Commit(idx, m)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.obs != nil {
		s.obs.ShardCommitted(sw.Size(), time.Since(committing))
	}
	name := shardfile.Name(id, idx)
	s.corrupt.forget(name) // a good copy replaced any corrupt one
	s.log.Debug().Str("shard", name).Int64("size", sw.Size()).Bool("existed", existed).Msg("shard stored")
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, putResponse{ID: id.String(), Index: idx, Size: sw.Size()})
}

// receive copies the request body into sw. Errors reading the body (the
// client aborted, or sent too much) are reported as BadRequest; errors
// writing are the store's.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, sw *shardfile.Writer) error {
	body := &stallReader{r: http.MaxBytesReader(w, r.Body, MaxShardBody), rc: http.NewResponseController(w)}
	_, err := sw.ReadFrom(body)
	if rerr := body.err; rerr != nil {
		var tooBig *http.MaxBytesError
		if errors.As(rerr, &tooBig) {
			return apiErr(CodeBadRequest, "shard body exceeds %d bytes", tooBig.Limit)
		}
		return apiErr(CodeBadRequest, "reading shard body after %d bytes: %v", sw.Size(), rerr)
	}
	return err
}

// stallReader reads an upload with a fresh deadline per read: slow
// uploads are fine, stalled ones are dropped. It keeps the first read
// error, to tell the client's failures from the disk's.
type stallReader struct {
	r   io.Reader
	rc  *http.ResponseController
	err error
}

func (b *stallReader) Read(p []byte) (int, error) {
	// Not every ResponseWriter supports deadlines.
	_ = b.rc.SetReadDeadline(time.Now().Add(putStall))
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// trailerManifest decodes the manifest the client sent after the body.
func trailerManifest(r *http.Request) (*blobmeta.Manifest, error) {
	enc := r.Trailer.Get(TrailerManifest)
	if enc == "" {
		return nil, apiErr(CodeBadRequest, "missing %s trailer", TrailerManifest)
	}
	if len(enc) > base64.StdEncoding.EncodedLen(blobmeta.MaxManifestSize) {
		return nil, apiErr(CodeBadRequest, "%s trailer too long", TrailerManifest)
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, apiErr(CodeBadRequest, "%s trailer: %v", TrailerManifest, err)
	}
	m, err := blobmeta.UnmarshalManifest(b)
	if err != nil {
		return nil, apiErr(CodeBadRequest, "%s trailer: %v", TrailerManifest, err)
	}
	return m, nil
}

// writeJSON sends v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types are encoded; they always marshal.
		http.Error(w, fmt.Sprintf("encode response: %v", err), http.StatusInternalServerError)
		return
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
