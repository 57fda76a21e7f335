package s3api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/floe-s3/floe/backend/httprec"
	"github.com/floe-s3/floe/s3api/cors"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// getBucketCors serves GET /bucket?cors.
func (s *Server) getBucketCors(w http.ResponseWriter, r *http.Request, req *request) error {
	raw, err := s.cfg.Meta.BucketCors(r.Context(), req.bucket)
	if err != nil {
		return err
	}
	if raw == nil {
		return s3err.NoSuchCORSConfiguration
	}
	var cfg cors.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("CORS configuration of %s: %w", req.bucket, err)
	}
	return s3xml.Write(w, http.StatusOK, cfg)
}

// putBucketCors serves PUT /bucket?cors (Content-MD5 or a checksum
// required, as in S3); the rules replace the bucket's.
func (s *Server) putBucketCors(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	// Decoded without its Validate method, which s3xml.Decode would call:
	// its errors say which S3 error they are.
	type plainConfig cors.Config
	var cfg cors.Config
	if err := decodeConfigBody(r, req, true, "CORSConfiguration", (*plainConfig)(&cfg)); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		var ce *cors.ConfigError
		if errors.As(err, &ce) {
			code := map[cors.ErrorKind]s3err.Code{cors.Malformed: s3err.MalformedXML, cors.Invalid: s3err.InvalidRequest}[ce.Kind]
			return s3err.New(code, ce.Msg)
		}
		return err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.SetBucketCors(r.Context(), req.bucket, raw); err != nil {
		return err
	}
	s.cors.forget(req.bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucketCors serves DELETE /bucket?cors.
func (s *Server) deleteBucketCors(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.cfg.Meta.SetBucketCors(r.Context(), req.bucket, nil); err != nil {
		return err
	}
	s.cors.forget(req.bucket)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// preflight answers a CORS preflight (OPTIONS on a bucket or object),
// which browsers send unsigned: it reveals only the headers of the rule
// that matches, or that none does.
func (s *Server) preflight(w *httprec.Recorder, r *http.Request, req *request) error {
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	if origin == "" {
		return s3err.New(s3err.BadRequest, "Insufficient information. Origin request header needed.")
	}
	if method == "" {
		return s3err.New(s3err.BadRequest, "Invalid Access-Control-Request-Method: ")
	}
	cfg, err := s.cors.get(r.Context(), s.cfg.Meta.BucketCors, req.bucket)
	if err != nil {
		return err
	}
	if cfg == nil {
		return s3err.New(s3err.CORSForbidden, "CORSResponse: CORS is not enabled for this bucket.")
	}
	headers := cors.RequestHeaders(r.Header.Get("Access-Control-Request-Headers"))
	rule := cfg.Match(origin, method, headers)
	if rule == nil {
		return s3err.New(s3err.CORSForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	}
	rule.SetHeaders(w.Header(), origin, headers)
	w.WriteHeader(http.StatusOK)
	return nil
}

// corsHeaders adds the Access-Control headers a bucket's rules grant an
// actual cross-origin request, before it is handled, so that errors carry
// them too (a browser hides a response without them from the page). A
// failure to read the rules leaves them out.
func (s *Server) corsHeaders(w *httprec.Recorder, r *http.Request, req *request) {
	origin := r.Header.Get("Origin")
	if origin == "" || req.bucket == "" {
		return
	}
	cfg, err := s.cors.get(r.Context(), s.cfg.Meta.BucketCors, req.bucket)
	if err != nil || cfg == nil {
		return
	}
	if rule := cfg.Match(origin, r.Method, nil); rule != nil {
		rule.SetHeaders(w.Header(), origin, nil)
	}
}
