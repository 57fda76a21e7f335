package node

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/floe-s3/floe/backend/httprec"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

// Config configures a storage node.
type Config struct {
	Listen string // address Run listens on, e.g. ":7070"
	Dir    string // data directory
	Secret []byte // cluster secret; must not be empty
	// Reserve is how many bytes of the data directory's file system the
	// node keeps free: once no more than that is available it refuses new
	// shards, and its health reports only the space above it as free.
	// Zero selects DefaultReserve of the file system's capacity; a
	// negative value keeps no reserve.
	Reserve int64
	// GroupSync makes concurrent shard writes share syncfs(2) rounds
	// (shardfile.Options.GroupSync).
	GroupSync bool
	Logger    zerolog.Logger
	// Metrics, if set, is told what the node does; nil observes nothing.
	Metrics Observer
}

// Observer is told what a node does, for metrics. Its methods run on the
// requests' goroutines: they must be cheap and safe for concurrent use.
type Observer interface {
	// RequestDone reports an answered request: its kind (RequestKind),
	// status, response body bytes and duration.
	RequestDone(kind string, status int, bytesOut int64, d time.Duration)
	// ShardCommitted reports a shard of size bytes made durable (fsynced,
	// renamed, directory synced) in d.
	ShardCommitted(size int64, d time.Duration)
	// Space reports the data file system's capacity, the bytes the node
	// still accepts shards into (above its reserve) and its shard count,
	// whenever the node measures them (start-up, health polls).
	Space(capacity, free, shards int64)
}

// RequestKind names the operation of a node request for metrics: put,
// get, head, delete, info, list, health, or other.
func RequestKind(method, path string) string {
	switch {
	case path == "/v1/health":
		return "health"
	case path == "/v1/shards":
		switch method {
		case http.MethodPost:
			return "put"
		case http.MethodGet:
			return "list"
		}
	case strings.HasPrefix(path, "/v1/shards/"):
		if strings.HasSuffix(path, "/info") {
			return "info"
		}
		switch method {
		case http.MethodGet:
			return "get"
		case http.MethodHead:
			return "head"
		case http.MethodDelete:
			return "delete"
		}
	}
	return "other"
}

// Server is a storage node's HTTP handler. Create it with NewServer and
// Close it when done.
type Server struct {
	store   *shardfile.Store
	secret  []byte
	log     zerolog.Logger
	nodeID  string
	corrupt corruptSet
	reserve int64 // Config.Reserve
	now     func() time.Time
	obs     Observer // Config.Metrics; nil for none
}

// NewServer opens the node's data directory, creating it if needed.
func NewServer(cfg Config) (*Server, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("node: empty cluster secret")
	}
	if cfg.Dir == "" {
		return nil, errors.New("node: no data directory")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	id, err := loadNodeID(cfg.Dir)
	if err != nil {
		return nil, err
	}
	store, err := shardfile.OpenWith(cfg.Dir, shardfile.Options{GroupSync: cfg.GroupSync})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	return &Server{
		store:   store,
		secret:  append([]byte(nil), cfg.Secret...),
		log:     cfg.Logger.With().Str("node_id", id).Logger(),
		nodeID:  id,
		reserve: cfg.Reserve,
		now:     time.Now,
		obs:     cfg.Metrics,
	}, nil
}

// NodeID returns the node's persistent random ID.
func (s *Server) NodeID() string { return s.nodeID }

// Close releases the server's resources; finish requests in flight first
// (http.Server.Shutdown).
func (s *Server) Close() error { return s.store.Close() }

// ServeHTTP authenticates, routes and logs a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := httprec.New(w)
	defer func() {
		p := recover()
		if p != nil && p != http.ErrAbortHandler {
			s.log.Error().Interface("panic", p).Str("stack", string(debug.Stack())).
				Str("method", r.Method).Str("path", r.URL.Path).Msg("handler panicked")
			if !rec.Sent() {
				s.writeError(rec, r, apiErr(CodeInternal, "internal error"))
				p = nil
			} else {
				p = http.ErrAbortHandler // break off the response, quietly
			}
		}
		s.logRequest(r, rec, start, p != nil)
		if s.obs != nil {
			s.obs.RequestDone(RequestKind(r.Method, r.URL.Path), rec.Status(), rec.Bytes(), time.Since(start))
		}
		if p != nil {
			panic(p)
		}
	}()
	if err := authenticate(s.secret, r, s.now()); err != nil {
		s.writeError(rec, r, err)
		return
	}
	s.route(rec, r)
}

// route dispatches an authenticated request.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/v1/health":
		if s.allow(w, r, http.MethodGet) {
			s.handleHealth(w, r)
		}
	case path == "/v1/shards":
		switch r.Method {
		case http.MethodGet:
			s.handleList(w, r)
		case http.MethodPost:
			s.handlePut(w, r)
		default:
			s.methodNotAllowed(w, r, http.MethodGet, http.MethodPost)
		}
	case strings.HasPrefix(path, "/v1/shards/"):
		parts := strings.Split(path[len("/v1/shards/"):], "/")
		switch {
		case len(parts) == 2:
			id, idx, ok := s.shardParams(w, r, parts[0], parts[1])
			if !ok {
				return
			}
			switch r.Method {
			case http.MethodGet:
				s.handleGet(w, r, id, idx)
			case http.MethodHead:
				s.handleHead(w, r, id, idx)
			case http.MethodDelete:
				s.handleDelete(w, r, id, idx)
			default:
				s.methodNotAllowed(w, r, http.MethodGet, http.MethodHead, http.MethodDelete)
			}
		case len(parts) == 3 && parts[2] == "info":
			if !s.allow(w, r, http.MethodGet) {
				return
			}
			if id, idx, ok := s.shardParams(w, r, parts[0], parts[1]); ok {
				s.handleInfo(w, r, id, idx)
			}
		default:
			s.writeError(w, r, apiErr(CodeNotFound, "no such endpoint %s", path))
		}
	default:
		s.writeError(w, r, apiErr(CodeNotFound, "no such endpoint %s", path))
	}
}

// allow reports whether r uses method, answering 405 if not.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	s.methodNotAllowed(w, r, method)
	return false
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request, methods ...string) {
	w.Header().Set("Allow", strings.Join(methods, ", "))
	s.writeError(w, r, apiErr(CodeMethodNotAllowed, "%s not allowed on %s", r.Method, r.URL.Path))
}

// shardParams parses the {id}/{idx} path segments.
func (s *Server) shardParams(w http.ResponseWriter, r *http.Request, hexID, num string) (blobmeta.ID, int, bool) {
	id, idx, err := shardfile.ParseName(hexID + "." + num)
	if err != nil || strings.Contains(hexID, ".") {
		s.writeError(w, r, apiErr(CodeBadRequest, "bad shard %q/%q", hexID, num))
		return id, 0, false
	}
	return id, idx, true
}

// logRequest writes the access log line of one request.
func (s *Server) logRequest(r *http.Request, rec *httprec.Recorder, start time.Time, aborted bool) {
	status := rec.Status()
	ev := s.log.Info()
	if status >= 500 {
		ev = s.log.Warn()
	}
	ev = ev.Str("method", r.Method).
		Str("path", r.URL.Path).
		Int("status", status).
		Int64("bytes", rec.Bytes()).
		Dur("duration", time.Since(start)).
		Str("remote", r.RemoteAddr)
	if aborted {
		ev = ev.Bool("aborted", true)
	}
	ev.Msg("request")
}

// Run serves a node on cfg.Listen until ctx is done, then shuts down
// gracefully: it stops accepting, lets requests in flight finish (for up to
// shutdownGrace) and closes the server.
func Run(ctx context.Context, cfg Config) error {
	s, err := NewServer(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("node: listen: %w", err)
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// No ReadTimeout or WriteTimeout: shard streams may take long.
		ErrorLog: log.New(s.log.With().Str("component", "http").Logger(), "", 0),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	ev := s.log.Info().Str("addr", ln.Addr().String()).Str("dir", cfg.Dir).Int64("shards", s.store.Count())
	if capacity, available, reserve, err := s.space(); err == nil {
		ev = ev.Int64("capacity_bytes", capacity).Int64("available_bytes", available).Int64("reserve_bytes", reserve)
		if s.obs != nil {
			s.obs.Space(capacity, usableBytes(available, reserve), s.store.Count())
		}
	}
	ev.Msg("node listening")

	select {
	case err := <-errc:
		return fmt.Errorf("node: serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info().Msg("node shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = hs.Shutdown(sctx)
	if err != nil {
		_ = hs.Close()
		err = fmt.Errorf("node: shutdown: %w", err)
	}
	<-errc // http.ErrServerClosed
	return err
}

// shutdownGrace bounds how long Run waits for requests in flight.
const shutdownGrace = 30 * time.Second
