package s3api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/floe-s3/floe/backend/lifecycle"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// getBucketLifecycle serves GET /bucket?lifecycle.
func (s *Server) getBucketLifecycle(w http.ResponseWriter, r *http.Request, req *request) error {
	raw, err := s.cfg.Meta.BucketLifecycle(r.Context(), req.bucket)
	if err != nil {
		return err
	}
	if raw == nil {
		return s3err.NoSuchLifecycleConfiguration
	}
	var cfg lifecycle.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("lifecycle rules of %s: %w", req.bucket, err)
	}
	return s3xml.Write(w, http.StatusOK, cfg)
}

// putBucketLifecycle serves PUT /bucket?lifecycle (Content-MD5 or a
// checksum required, as in S3); the rules replace the bucket's.
func (s *Server) putBucketLifecycle(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	// Decoded without its Validate method, which s3xml.Decode would call:
	// its errors say which S3 error they are.
	type plainConfig lifecycle.Config
	var cfg lifecycle.Config
	if err := decodeConfigBody(r, req, true, "LifecycleConfiguration", (*plainConfig)(&cfg)); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		var ce *lifecycle.ConfigError
		if errors.As(err, &ce) {
			code := map[lifecycle.ErrorKind]s3err.Code{lifecycle.Malformed: s3err.MalformedXML,
				lifecycle.Invalid: s3err.InvalidArgument, lifecycle.Unsupported: s3err.NotImplemented}[ce.Kind]
			return s3err.New(code, ce.Msg)
		}
		return err
	}
	// S3 names the rules that come without an ID.
	for i := range cfg.Rules {
		if cfg.Rules[i].ID == "" {
			cfg.Rules[i].ID = metadata.NewVersionID()
		}
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.SetBucketLifecycle(r.Context(), req.bucket, raw); err != nil {
		return err
	}
	s.rules.forget(req.bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucketLifecycle serves DELETE /bucket?lifecycle.
func (s *Server) deleteBucketLifecycle(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.cfg.Meta.SetBucketLifecycle(r.Context(), req.bucket, nil); err != nil {
		return err
	}
	s.rules.forget(req.bucket)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setExpiration sets x-amz-expiration on a GET, HEAD or PUT of a current
// version that a rule expires. It is informational: a failure to read
// the rules leaves it out. It counts S3's days (to the next midnight UTC)
// whatever --lifecycle-day says, as Ceph does under its debug interval:
// a shortened day is for trying rules, not what clients are told.
func (s *Server) setExpiration(ctx context.Context, h http.Header, obj metadata.Object) {
	cfg, _ := s.rules.get(ctx, s.cfg.Meta.BucketLifecycle, obj.Bucket)
	if cfg == nil {
		return
	}
	at, id, ok := cfg.Expiration(obj.Key, obj.Size, obj.Tags, obj.LastModified, lifecycle.DefaultDay)
	if !ok {
		return
	}
	h.Set("X-Amz-Expiration", fmt.Sprintf(`expiry-date="%s", rule-id="%s"`, at.UTC().Format(http.TimeFormat), id))
}
