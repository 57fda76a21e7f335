package s3api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// Object Lock: the handlers parse and answer S3's requests; whether a
// version may be deleted or its retention shortened is decided by the
// database, inside the transaction that would do it (metadata, migration
// 0007), never here.

// bypassGovernance reports x-amz-bypass-governance-retention: true.
func bypassGovernance(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Amz-Bypass-Governance-Retention")), "true")
}

// lockHeaders reads the x-amz-object-lock-* headers of a PutObject,
// CopyObject or CreateMultipartUpload. They are refused in a bucket
// without object lock; mode and date come together, the date in the
// future.
func lockHeaders(h http.Header, b metadata.Bucket) (metadata.Retention, bool, error) {
	mode, date, hold := h.Get("X-Amz-Object-Lock-Mode"), h.Get("X-Amz-Object-Lock-Retain-Until-Date"), h.Get("X-Amz-Object-Lock-Legal-Hold")
	if mode == "" && date == "" && hold == "" {
		return metadata.Retention{}, false, nil
	}
	if !b.ObjectLock {
		return metadata.Retention{}, false, s3err.New(s3err.InvalidRequest, "Bucket is missing Object Lock Configuration")
	}
	var r metadata.Retention
	if mode != "" || date != "" {
		if mode == "" || date == "" {
			return r, false, s3err.New(s3err.InvalidArgument, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
		}
		var err error
		if r, err = retention(mode, date); err != nil {
			return r, false, err
		}
	}
	switch hold {
	case "", "OFF":
		return r, false, nil
	case "ON":
		return r, true, nil
	}
	return r, false, s3err.Errorf(s3err.InvalidArgument, "x-amz-object-lock-legal-hold must be ON or OFF, not %q", hold)
}

// retention parses a retention mode and an ISO 8601 retain-until date,
// which must lie in the future (by the gateway's clock: a date already
// past protects nothing, whatever the database's clock says).
func retention(mode, date string) (metadata.Retention, error) {
	if mode != metadata.Governance && mode != metadata.Compliance {
		return metadata.Retention{}, s3err.Errorf(s3err.InvalidArgument, "Unknown wormMode directive %q", mode)
	}
	until, err := time.Parse(time.RFC3339Nano, date)
	if err != nil {
		return metadata.Retention{}, s3err.Errorf(s3err.InvalidArgument, "The retain until date %q is not an ISO 8601 date", date)
	}
	if !until.After(time.Now()) {
		return metadata.Retention{}, s3err.New(s3err.InvalidArgument, "The retain until date must be in the future!")
	}
	return metadata.Retention{Mode: mode, Until: until.UTC()}, nil
}

// requireLockDigest refuses a write that sets a retention without a
// Content-MD5 or x-amz-checksum-*, as S3 does for uploads with Object
// Lock parameters (a default retention counts); op names the request in
// the error, as S3 does ("Put Object", "Upload Part").
func requireLockDigest(r *http.Request, b metadata.Bucket, ret metadata.Retention, hold bool, op string) error {
	if !b.ObjectLock || (ret.IsZero() && !hold && b.DefaultRetention.Mode == "") || hasBodyDigest(r) {
		return nil
	}
	return s3err.New(s3err.InvalidRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for "+op+" requests with Object Lock parameters")
}

// requirePartDigest refuses, as S3 does, a part without a digest for an
// upload whose object will be locked: by its own retention or legal
// hold, or by the bucket's default retention. The bucket is read only
// when the part has no digest, which the SDKs always send.
func (s *Server) requirePartDigest(r *http.Request, up metadata.Upload) error {
	if hasBodyDigest(r) {
		return nil
	}
	b, err := s.cfg.Meta.GetBucket(r.Context(), up.Bucket)
	if err != nil {
		return err
	}
	return requireLockDigest(r, b, up.Retention, up.LegalHold, "Upload Part")
}

// setLockHeaders writes a version's protection onto a GET or HEAD
// response.
func setLockHeaders(h http.Header, obj metadata.Object) {
	if !obj.Retention.IsZero() {
		h.Set("X-Amz-Object-Lock-Mode", obj.Retention.Mode)
		h.Set("X-Amz-Object-Lock-Retain-Until-Date", obj.Retention.Until.UTC().Format(time.RFC3339Nano))
	}
	if obj.LegalHold {
		h.Set("X-Amz-Object-Lock-Legal-Hold", "ON")
	}
}

// getObjectLockConfiguration serves GET /bucket?object-lock.
func (s *Server) getObjectLockConfiguration(w http.ResponseWriter, r *http.Request, req *request) error {
	b, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket)
	if err != nil {
		return err
	}
	if !b.ObjectLock {
		return s3err.ObjectLockConfigurationNotFound
	}
	out := s3xml.ObjectLockConfiguration{ObjectLockEnabled: "Enabled"}
	if d := b.DefaultRetention; d.Mode != "" {
		rule := &s3xml.ObjectLockRule{DefaultRetention: s3xml.DefaultRetention{Mode: d.Mode}}
		if d.Days > 0 {
			rule.DefaultRetention.Days = &d.Days
		} else {
			rule.DefaultRetention.Years = &d.Years
		}
		out.Rule = rule
	}
	return s3xml.Write(w, http.StatusOK, out)
}

// putObjectLockConfiguration serves PUT /bucket?object-lock: it turns
// object lock on (for good; versioning must be enabled) and sets or
// clears the default retention.
func (s *Server) putObjectLockConfiguration(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	var cfg s3xml.ObjectLockConfiguration
	if err := decodeConfigBody(r, req, true, "ObjectLockConfiguration", &cfg); err != nil {
		return err
	}
	if cfg.ObjectLockEnabled != "Enabled" {
		return s3err.New(s3err.MalformedXML, "ObjectLockEnabled must be Enabled.")
	}
	var def metadata.DefaultRetention
	if cfg.Rule != nil {
		d := cfg.Rule.DefaultRetention
		if d.Mode != metadata.Governance && d.Mode != metadata.Compliance {
			return s3err.New(s3err.MalformedXML, "DefaultRetention needs Mode GOVERNANCE or COMPLIANCE.")
		}
		if (d.Days == nil) == (d.Years == nil) {
			return s3err.New(s3err.MalformedXML, "DefaultRetention needs exactly one of Days and Years.")
		}
		def.Mode = d.Mode
		if d.Days != nil {
			def.Days = *d.Days
		} else {
			def.Years = *d.Years
		}
		if def.Days < 0 || def.Years < 0 || def.Days+def.Years == 0 || def.Days > 36500 || def.Years > 100 {
			return s3err.InvalidRetentionPeriod
		}
	}
	if err := s.cfg.Meta.SetObjectLockConfig(r.Context(), req.bucket, def); err != nil {
		if errors.Is(err, metadata.ErrInvalidBucketState) {
			return s3err.Wrap(s3err.InvalidBucketState, err)
		}
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getObjectRetention serves GET /bucket/key?retention[&versionId=].
func (s *Server) getObjectRetention(w http.ResponseWriter, r *http.Request, req *request) error {
	obj, err := s.lockedVersion(r, req)
	if err != nil {
		return err
	}
	if obj.Retention.IsZero() {
		return s3err.NoSuchObjectLockConfiguration
	}
	until := s3xml.Time(obj.Retention.Until)
	return s3xml.Write(w, http.StatusOK, s3xml.Retention{Mode: obj.Retention.Mode, RetainUntilDate: &until})
}

// getObjectLegalHold serves GET /bucket/key?legal-hold[&versionId=].
func (s *Server) getObjectLegalHold(w http.ResponseWriter, r *http.Request, req *request) error {
	obj, err := s.lockedVersion(r, req)
	if err != nil {
		return err
	}
	status := "OFF"
	if obj.LegalHold {
		status = "ON"
	}
	return s3xml.Write(w, http.StatusOK, s3xml.LegalHold{Status: status})
}

// lockedVersion reads the version a retention or legal-hold request
// names, in a bucket that must have object lock.
func (s *Server) lockedVersion(r *http.Request, req *request) (metadata.Object, error) {
	b, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket)
	if err != nil {
		return metadata.Object{}, err
	}
	if !b.ObjectLock {
		return metadata.Object{}, s3err.New(s3err.InvalidRequest, "Bucket is missing Object Lock Configuration")
	}
	return s.getVersion(r.Context(), req.bucket, req.key, req.versionID)
}

// putObjectRetention serves PUT /bucket/key?retention[&versionId=].
func (s *Server) putObjectRetention(w http.ResponseWriter, r *http.Request, req *request) error {
	var body s3xml.Retention
	if err := decodeConfigBody(r, req, true, "Retention", &body); err != nil {
		return err
	}
	var ret metadata.Retention
	switch {
	case body.Mode != "" && body.Mode != metadata.Governance && body.Mode != metadata.Compliance:
		return s3err.Errorf(s3err.MalformedXML, "Retention Mode must be GOVERNANCE or COMPLIANCE, not %q", body.Mode)
	case body.Mode == "" && body.RetainUntilDate == nil:
		// Removing a retention: allowed by the database only for an
		// expired one, or a GOVERNANCE one with bypass.
	case body.Mode == "" || body.RetainUntilDate == nil:
		return s3err.New(s3err.MalformedXML, "Retention needs both Mode and RetainUntilDate.")
	default:
		var err error
		date := time.Time(*body.RetainUntilDate).UTC().Format(time.RFC3339Nano)
		if ret, err = retention(body.Mode, date); err != nil {
			return err
		}
	}
	id, err := s.cfg.Meta.SetRetention(r.Context(), req.bucket, req.key, req.versionID, ret, bypassGovernance(r))
	if err != nil {
		return err
	}
	setVersionID(w.Header(), id) // object lock buckets are always versioned
	w.WriteHeader(http.StatusOK)
	return nil
}

// putObjectLegalHold serves PUT /bucket/key?legal-hold[&versionId=].
func (s *Server) putObjectLegalHold(w http.ResponseWriter, r *http.Request, req *request) error {
	var body s3xml.LegalHold
	if err := decodeConfigBody(r, req, true, "LegalHold", &body); err != nil {
		return err
	}
	if body.Status != "ON" && body.Status != "OFF" {
		return s3err.New(s3err.MalformedXML, "LegalHold Status must be ON or OFF.")
	}
	id, err := s.cfg.Meta.SetLegalHold(r.Context(), req.bucket, req.key, req.versionID, body.Status == "ON")
	if err != nil {
		return err
	}
	setVersionID(w.Header(), id) // object lock buckets are always versioned
	w.WriteHeader(http.StatusOK)
	return nil
}
