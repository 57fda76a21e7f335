// Package s3api is Floe's S3 HTTP frontend: it routes S3 requests, decodes
// their bodies, and maps them onto the metadata store (package metadata) and
// the erasure-coded blob store (package blob).
//
// A PUT travels: ServeHTTP → route → putObject (decode aws-chunked, verify
// checksums, hash MD5) → writeBlob: blob.Store.Plan picks the nodes,
// Catalog.RecordIntent records them (so gc can find the shards of a write
// that never commits), blob.Store.Write (stripes → shards on nodes),
// Catalog.SetIntentBlob → Catalog.PutObject (one transaction points the key
// at the blob and drops the intent).
package s3api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/httprec"
	"github.com/floe-s3/floe/backend/lifecycle"
	"github.com/floe-s3/floe/backend/placement"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/chunked"
	"github.com/floe-s3/floe/s3api/cors"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/rs/zerolog"
)

// Auth is what authentication established about a request.
type Auth struct {
	// AccessKeyID is the key the request was signed with; empty when
	// nothing was checked (AcceptAll).
	AccessKeyID string
	// Anonymous is set for a request that carried no signature at all: it
	// may do only what a bucket policy grants to Principal "*".
	Anonymous bool
	// User is the user the access key belongs to; empty when Anonymous
	// or when nothing was checked (AcceptAll).
	User string
	// UserID is User's canonical ID.
	UserID string
	// Chunks verifies the chained chunk and trailer signatures of a
	// signed streaming body (x-amz-content-sha256
	// STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]); nil for other bodies.
	Chunks chunked.ChunkVerifier
}

// Authenticator decides whether a request may proceed. A real gateway uses
// SigV4 (auth.go); AcceptAll is for tests of everything else.
type Authenticator interface {
	// Authenticate returns who signed r, or an S3 error (AccessDenied,
	// SignatureDoesNotMatch, ...) to refuse it. It must not read r.Body.
	Authenticate(r *http.Request) (Auth, error)
}

// AcceptAll lets every request through, signed or not, without checking.
// It is for tests only: a gateway must never serve with it.
type AcceptAll struct{}

// Authenticate implements Authenticator.
func (AcceptAll) Authenticate(*http.Request) (Auth, error) { return Auth{}, nil }

// Config wires a Server to its stores.
type Config struct {
	Meta   Catalog
	Blobs  *blob.Store
	Auth   Authenticator // nil means AcceptAll, for tests; gateways use SigV4
	Region string        // reported by GetBucketLocation; default us-east-1
	// Domains enable virtual-hosted–style requests: "bucket.DOMAIN/key"
	// for each (see vhost.go). Path style works whatever they are.
	Domains []string
	Logger  zerolog.Logger
	// NodeMaxAge is how fresh a node's heartbeat must be for it to take
	// new shards (default 30s).
	NodeMaxAge time.Duration
	// BodyIdleTimeout and BodyMinRate pace request bodies: a request
	// fails with RequestTimeout when no body byte arrives for
	// BodyIdleTimeout, or fewer than BodyMinRate bytes per second arrive
	// over a BodyIdleTimeout spent waiting for them. Zero BodyIdleTimeout
	// leaves bodies unpaced (tests); zero BodyMinRate checks idleness only.
	BodyIdleTimeout time.Duration
	BodyMinRate     int64
	// Ready answers the readiness probe (ProbePrefix+"readyz"): nil when
	// the gateway can serve, typically the metadata store's Ping. Nil
	// Ready means always ready.
	Ready Pinger
	// Observe, if set, is told of every request once it is answered
	// (metrics). It runs on the request's goroutine: keep it cheap.
	Observe func(RequestDone)
	// AccessLog, if set, gets one line per request whatever the main
	// log's level; without it request lines go to Logger at info level.
	AccessLog *zerolog.Logger
	// Console, if set, serves everything under ConsolePrefix: the web
	// console, which signs its S3 calls like any other client.
	Console http.Handler
}

// ConsolePrefix is where the web console is served. Bucket names cannot
// start with '_', so no S3 path collides with it.
const ConsolePrefix = ProbePrefix + "console/"

// RequestDone describes an answered request, for Config.Observe.
type RequestDone struct {
	// Operation is the S3 operation it was routed to ("HeadObject",
	// "ListObjectsV2", "Preflight" for a CORS preflight); "" when it
	// failed before routing (a bad signature, an unknown operation).
	Operation string
	// Action is the S3 action the request was routed to, as bucket
	// policies name it ("s3:GetObject"); "" when it failed before routing
	// (a bad signature, an unknown operation) or was a CORS preflight.
	Action string
	Method string
	Status int
	// In and Out are the body bytes read and sent.
	In, Out  int64
	Duration time.Duration
}

// Traffic is what a Server has served since it started.
type Traffic struct {
	Requests, BytesIn, BytesOut int64
}

// Pinger reports whether a dependency answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server serves the S3 API.
type Server struct {
	cfg   Config
	log   zerolog.Logger
	rules configCache[lifecycle.Config] // lifecycle rules, for x-amz-expiration
	cors  configCache[cors.Config]      // CORS configurations
	live  liveCache                     // the live nodes new blobs are placed on
	// traffic counts requests and body bytes, for Traffic.
	requests, bytesIn, bytesOut atomic.Int64
	// policies are bucket policies parsed, by their text.
	policies policyCache
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Auth == nil {
		cfg.Auth = AcceptAll{}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.NodeMaxAge == 0 {
		cfg.NodeMaxAge = 30 * time.Second
	}
	return &Server{cfg: cfg, log: cfg.Logger}
}

// request is the per-request state handlers share.
type request struct {
	id     string
	bucket string
	key    string
	// versionID is the ?versionId the operation applies to; empty for the
	// latest version.
	versionID string
	auth      Auth
	// access is the bucket's owner, policy and public access block, read
	// by authorize; nil for requests on no bucket (and CreateBucket).
	access *metadata.BucketAccess
	bytes  int64 // body bytes received, for the log
}

// ServeHTTP logs every request, authenticates it and hands it to its
// handler; errors become S3 XML error responses.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Console != nil && strings.HasPrefix(r.URL.Path, ConsolePrefix) {
		s.cfg.Console.ServeHTTP(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, ProbePrefix) {
		s.probe(w, r)
		return
	}
	start := time.Now()
	continueEmptyBody(w, r) // before any header is set: the 100 carries them
	req := &request{id: newRequestID()}
	sw := httprec.New(w)
	sw.Header().Set("x-amz-request-id", req.id)
	sw.Header().Set("Server", "Floe")
	err := parseTarget(r, req, s.cfg.Domains)
	var auth Auth
	var action, op string
	preflight := err == nil && r.Method == http.MethodOptions && req.bucket != ""
	switch {
	case preflight:
		op = "Preflight"
		err = s.preflight(sw, r, req)
	case err == nil:
		s.corsHeaders(sw, r, req)
		auth, err = s.cfg.Auth.Authenticate(r)
	}
	if err == nil && !preflight {
		req.auth = auth
		if s.cfg.BodyIdleTimeout > 0 && r.Body != nil && r.Body != http.NoBody {
			// On a copy of r: after the handler, the server inspects the
			// body it handed out to decide whether to drain it or close
			// the connection. Seeing a wrapper, it would wait for all of
			// a large body the handler refused (a 6 GiB EntityTooLarge).
			paced := newPacedBody(w, r, s.cfg.BodyIdleTimeout, s.cfg.BodyMinRate)
			r = r.WithContext(r.Context())
			r.Body = paced
		}
		checkPayloadHash(r)
		var h handler
		h, action, err = s.route(r, req)
		if h != nil {
			op = operation(h, r)
		}
		if err == nil {
			err = s.authorize(r, req, action)
		}
		if err == nil {
			err = h(sw, r, req)
		}
	}
	if err != nil {
		s.writeError(sw, r, req, err)
	}
	s.logRequest(r, req, sw, err, time.Since(start))
	s.requests.Add(1)
	s.bytesIn.Add(req.bytes)
	s.bytesOut.Add(sw.Bytes())
	if s.cfg.Observe != nil {
		s.cfg.Observe(RequestDone{Operation: op, Action: action, Method: r.Method, Status: sw.Status(),
			In: req.bytes, Out: sw.Bytes(), Duration: time.Since(start)})
	}
}

// logRequest writes the request's line: to the access log when there is
// one (with 5xx failures also in the main log, where operators look for
// errors), else to the main log at info level.
func (s *Server) logRequest(r *http.Request, req *request, sw *httprec.Recorder, err error, dur time.Duration) {
	line := func(ev *zerolog.Event) {
		ev.Str("req", req.id).Str("method", r.Method).Str("bucket", req.bucket).Str("key", req.key).
			Str("ak", req.auth.AccessKeyID).Str("user", req.auth.User).Str("remote", r.RemoteAddr).
			Str("query", r.URL.RawQuery).Int("status", sw.Status()).Int64("in", req.bytes).Int64("out", sw.Bytes()).
			Dur("dur", dur).Msg("s3")
	}
	if s.cfg.AccessLog != nil {
		line(s.cfg.AccessLog.Log())
		if sw.Status() >= 500 {
			line(s.log.Error().Err(err))
		}
		return
	}
	if sw.Status() >= 500 {
		line(s.log.Error().Err(err))
		return
	}
	line(s.log.Info())
}

// Traffic returns the requests and body bytes s has served so far.
func (s *Server) Traffic() Traffic {
	return Traffic{Requests: s.requests.Load(), BytesIn: s.bytesIn.Load(), BytesOut: s.bytesOut.Load()}
}

// writeError sends err as an S3 error; internal errors are logged by
// ServeHTTP, never sent.
func (s *Server) writeError(w *httprec.Recorder, r *http.Request, req *request, err error) {
	if w.Sent() {
		// The response is under way (a GET failing mid-body): the only
		// honest signal left is to break the connection.
		s.log.Error().Err(err).Str("req", req.id).Msg("failed after response started; aborting")
		panic(http.ErrAbortHandler)
	}
	err = toS3Error(err)
	if e := s3err.From(err); e.Code.Status == http.StatusServiceUnavailable {
		// SDKs and proxies back off by it; the conditions behind a 503
		// (the metadata store away, too few nodes) last seconds.
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	s3err.Write(w, r, err, req.id)
}

// retryAfterSeconds is the Retry-After of every 503.
const retryAfterSeconds = 1

// toS3Error maps store errors onto S3 error codes.
func toS3Error(err error) error {
	var se *s3err.Error
	var code s3err.Code
	var marker *metadata.DeleteMarkerError
	switch {
	case metadata.IsUnavailable(err) && s3err.From(err).Code == s3err.InternalError:
		// A service condition, however deep it was wrapped (an access key
		// lookup is wrapped as InternalError by sigv4): clients retry it.
		return &s3err.Error{Code: s3err.ServiceUnavailable, Message: "The metadata store is unavailable. Please retry.", Err: err}
	case errors.As(err, &se), errors.As(err, &code):
		return err
	case errors.Is(err, metadata.ErrNoSuchBucket):
		return s3err.Wrap(s3err.NoSuchBucket, err)
	case errors.As(err, &marker):
		// S3 says what it found, so a client can tell a deleted key from
		// one that never was: 404 for a key whose latest version is a
		// marker, 405 for a marker named by its ID (nothing to read).
		h := http.Header{}
		h.Set("x-amz-delete-marker", "true")
		setVersionID(h, marker.VersionID)
		code := s3err.NoSuchKey
		if marker.ByVersionID {
			code = s3err.MethodNotAllowed
			h.Set("Last-Modified", marker.LastModified.UTC().Format(http.TimeFormat))
		}
		return &s3err.Error{Code: code, Header: h, Err: err}
	case errors.Is(err, metadata.ErrObjectLocked):
		return s3err.Errorf(s3err.AccessDenied, "Access Denied because object protected by object lock: %w", err)
	case errors.Is(err, metadata.ErrNoObjectLock):
		return s3err.Errorf(s3err.InvalidRequest, "Bucket is missing Object Lock Configuration: %w", err)
	case errors.Is(err, metadata.ErrInvalidBucketState):
		return s3err.Wrap(s3err.InvalidBucketState, err)
	case errors.Is(err, metadata.ErrNoSuchVersion):
		return s3err.Wrap(s3err.NoSuchVersion, err)
	case errors.Is(err, metadata.ErrInvalidVersionID):
		return s3err.Errorf(s3err.InvalidArgument, "Invalid version id specified: %w", err)
	case errors.Is(err, metadata.ErrNoSuchKey):
		return s3err.Wrap(s3err.NoSuchKey, err)
	case errors.Is(err, metadata.ErrNoSuchUpload):
		return s3err.Wrap(s3err.NoSuchUpload, err)
	case errors.Is(err, metadata.ErrBucketExists):
		return s3err.Wrap(s3err.BucketAlreadyOwnedByYou, err)
	case errors.Is(err, metadata.ErrBucketNotEmpty):
		return s3err.Wrap(s3err.BucketNotEmpty, err)
	case errors.Is(err, metadata.ErrPreconditionFailed):
		return s3err.Wrap(s3err.PreconditionFailed, err)
	case errors.Is(err, metadata.ErrKeyTooLong):
		return s3err.Wrap(s3err.KeyTooLongError, err)
	case errors.Is(err, metadata.ErrInvalidKey):
		return s3err.Errorf(s3err.InvalidArgument, "invalid object key: %w", err)
	case errors.Is(err, blob.ErrWriteQuorum), errors.Is(err, blob.ErrNotEnoughShards),
		errors.Is(err, placement.ErrNotEnoughNodes), errors.Is(err, metadata.ErrIntentExpired):
		return s3err.Wrap(s3err.ServiceUnavailable, err)
	case errors.Is(err, context.DeadlineExceeded):
		return s3err.Wrap(s3err.RequestTimeout, err)
	}
	return err
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
