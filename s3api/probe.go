package s3api

import (
	"context"
	"net/http"
	"time"
)

// ProbePrefix starts the paths of the gateway's own probes, answered
// without authentication: ProbePrefix+"healthz" (the process serves) and
// ProbePrefix+"readyz" (it can serve S3: Config.Ready answers). No S3 path
// collides with them, as bucket names cannot start with '_'.
const ProbePrefix = "/_floe/"

// readyTimeout bounds a readiness check; the store's own wait for a
// connection is usually shorter.
const readyTimeout = 5 * time.Second

// probe answers the health and readiness probes, in plain text: load
// balancers and orchestrators read the status, operators the line.
func (s *Server) probe(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path[len(ProbePrefix):] {
	case "healthz":
		_, _ = w.Write([]byte("ok\n"))
	case "readyz":
		if s.cfg.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			// The gateway passes its whole readiness rule (PostgreSQL
			// and enough live nodes for writes, metrics.Readiness), so
			// the reason is Ready's own.
			if err := s.cfg.Ready.Ping(ctx); err != nil {
				s.log.Debug().Err(err).Msg("not ready")
				w.Header().Set("Retry-After", "1")
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	default:
		http.NotFound(w, r)
	}
}
