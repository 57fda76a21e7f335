package node

import (
	"net/http"
	"strconv"

	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// handleDelete serves DELETE /v1/shards/{id}/{idx}.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, id blobmeta.ID, idx int) {
	if err := s.store.Delete(id, idx); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.corrupt.forget(shardfile.Name(id, idx))
	w.WriteHeader(http.StatusNoContent)
}

// handleList serves GET /v1/shards?after=NAME&limit=N.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := defaultListLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.writeError(w, r, apiErr(CodeBadRequest, "bad limit %q", v))
			return
		}
		limit = min(n, maxListLimit)
	}
	entries, next, err := s.store.List(q.Get("after"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp := listResponse{Shards: make([]listEntry, len(entries)), Next: next}
	for i, e := range entries {
		resp.Shards[i] = listEntry{ID: e.ID.String(), Index: e.Index, Size: e.Size, ModTime: e.ModTime.UTC()}
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleHealth serves GET /v1/health. Its free_bytes is the space the node
// still accepts shards into: what is available above the reserve.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	capacity, available, reserve, err := s.space()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.obs != nil {
		s.obs.Space(capacity, usableBytes(available, reserve), s.store.Count())
	}
	detected, names := s.corrupt.snapshot()
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusOK, healthResponse{
		NodeID:          s.nodeID,
		CapacityBytes:   capacity,
		FreeBytes:       usableBytes(available, reserve),
		ReserveBytes:    reserve,
		ShardCount:      s.store.Count(),
		CorruptDetected: detected,
		CorruptShards:   names,
	})
}
