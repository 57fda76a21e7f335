package s3api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// Floe has no ACLs: every bucket and object is its owner's alone, which
// is S3's "private" canned ACL (and, with one owner, also
// "bucket-owner-full-control"). Requests that ask for exactly that are
// honoured; any other ACL is refused rather than silently not applied.

// checkACLHeaders refuses x-amz-acl values other than private and any
// x-amz-grant-* header, on the writes that take them.
func checkACLHeaders(h http.Header) error {
	switch acl := h.Get("X-Amz-Acl"); acl {
	case "", "private", "bucket-owner-full-control":
	default:
		return s3err.Errorf(s3err.NotImplemented, "the %q ACL is not implemented: Floe buckets and objects are private to their owner", acl)
	}
	for name := range h {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-grant-") {
			return s3err.Errorf(s3err.NotImplemented, "%s is not implemented: Floe buckets and objects are private to their owner", name)
		}
	}
	return nil
}

// ownerPolicy is the ACL of every bucket and object: the owner's
// FULL_CONTROL.
func ownerPolicy(req *request) s3xml.AccessControlPolicy {
	o := owner(req)
	return s3xml.AccessControlPolicy{Owner: *o, AccessControlList: s3xml.AccessControlList{Grants: []s3xml.Grant{{
		Grantee:    s3xml.Grantee{Type: "CanonicalUser", ID: o.ID, DisplayName: o.DisplayName},
		Permission: "FULL_CONTROL",
	}}}}
}

// getBucketACL serves GET /bucket?acl.
func (s *Server) getBucketACL(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	return s3xml.Write(w, http.StatusOK, ownerPolicy(req))
}

// getObjectACL serves GET /bucket/key?acl[&versionId=].
func (s *Server) getObjectACL(w http.ResponseWriter, r *http.Request, req *request) error {
	obj, err := s.getVersion(r.Context(), req.bucket, req.key, req.versionID)
	if err != nil {
		return err
	}
	setVersionID(w.Header(), obj.VersionID)
	return s3xml.Write(w, http.StatusOK, ownerPolicy(req))
}

// putBucketACL serves PUT /bucket?acl: accepted when it asks for what
// already holds.
func (s *Server) putBucketACL(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	if err := s.checkPutACL(r, req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// putObjectACL serves PUT /bucket/key?acl[&versionId=], likewise.
func (s *Server) putObjectACL(w http.ResponseWriter, r *http.Request, req *request) error {
	obj, err := s.getVersion(r.Context(), req.bucket, req.key, req.versionID)
	if err != nil {
		return err
	}
	if err := s.checkPutACL(r, req); err != nil {
		return err
	}
	setVersionID(w.Header(), obj.VersionID)
	w.WriteHeader(http.StatusOK)
	return nil
}

// checkPutACL accepts a canned private ACL, or a body granting only the
// owner FULL_CONTROL.
func (s *Server) checkPutACL(r *http.Request, req *request) error {
	if err := checkACLHeaders(r.Header); err != nil {
		return err
	}
	var p s3xml.AccessControlPolicy
	err := decodeXMLBody(r, req, s3xml.DefaultLimit, false, &p)
	if errors.Is(err, s3xml.ErrEmpty) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.Header.Get("X-Amz-Acl") != "" {
		return s3err.New(s3err.InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
	}
	o := owner(req)
	for _, g := range p.AccessControlList.Grants {
		if g.Permission != "FULL_CONTROL" || g.Grantee.ID != o.ID {
			return s3err.New(s3err.NotImplemented, "grants to others are not implemented: Floe buckets and objects are private to their owner")
		}
	}
	return nil
}
