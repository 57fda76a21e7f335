package s3api

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/policy"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// maxPolicySize is S3's limit on a bucket policy document.
const maxPolicySize = 20 << 10

// getBucketPolicy serves GET /bucket?policy: the document as the owner
// sent it.
func (s *Server) getBucketPolicy(w http.ResponseWriter, r *http.Request, req *request) error {
	if req.access.Policy == nil {
		return s3err.NoSuchBucketPolicy
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(req.access.Policy)
	return err
}

// putBucketPolicy serves PUT /bucket?policy. A document Floe cannot
// evaluate exactly is refused as MalformedPolicy, never stored; a public
// one is refused while the bucket's BlockPublicPolicy is on.
func (s *Server) putBucketPolicy(w http.ResponseWriter, r *http.Request, req *request) error {
	doc, err := readSmallBody(r, req, maxPolicySize)
	if err != nil {
		return err
	}
	p, err := policy.Parse(doc, req.bucket)
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return s3err.New(s3err.MalformedPolicy, pe.Msg)
		}
		return err
	}
	for _, u := range p.Users() {
		if _, err := s.cfg.Meta.GetUser(r.Context(), u); errors.Is(err, metadata.ErrNoSuchUser) {
			return s3err.Errorf(s3err.MalformedPolicy, "Invalid principal in policy: there is no user %s", u)
		} else if err != nil {
			return err
		}
	}
	if p.IsPublic() && publicAccessBlock(req.access).BlockPublicPolicy {
		return s3err.New(s3err.AccessDenied, "The bucket policy is public and the bucket's PublicAccessBlock blocks public policies.")
	}
	if err := s.cfg.Meta.SetBucketPolicy(r.Context(), req.bucket, doc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteBucketPolicy serves DELETE /bucket?policy.
func (s *Server) deleteBucketPolicy(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.cfg.Meta.SetBucketPolicy(r.Context(), req.bucket, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// policyStatus is GetBucketPolicyStatus's answer.
type policyStatus struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	IsPublic bool
}

// getBucketPolicyStatus serves GET /bucket?policyStatus.
func (s *Server) getBucketPolicyStatus(w http.ResponseWriter, r *http.Request, req *request) error {
	if req.access.Policy == nil {
		return s3err.NoSuchBucketPolicy
	}
	p, err := s.policies.parse(req.access.Policy, req.bucket)
	if err != nil {
		return err
	}
	return s3xml.Write(w, http.StatusOK, policyStatus{IsPublic: p.IsPublic()})
}

// getPublicAccessBlock serves GET /bucket?publicAccessBlock.
func (s *Server) getPublicAccessBlock(w http.ResponseWriter, r *http.Request, req *request) error {
	if req.access.PublicAccessBlock == nil {
		return s3err.NoSuchPublicAccessBlockConfiguration
	}
	return s3xml.Write(w, http.StatusOK, publicAccessBlock(req.access))
}

// putPublicAccessBlock serves PUT /bucket?publicAccessBlock; the four
// settings replace the bucket's (one left out is false).
func (s *Server) putPublicAccessBlock(w http.ResponseWriter, r *http.Request, req *request) error {
	var cfg PublicAccessBlock
	if err := decodeConfigBody(r, req, false, "PublicAccessBlockConfiguration", &cfg); err != nil {
		return err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.SetPublicAccessBlock(r.Context(), req.bucket, raw); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// deletePublicAccessBlock serves DELETE /bucket?publicAccessBlock.
func (s *Server) deletePublicAccessBlock(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.cfg.Meta.SetPublicAccessBlock(r.Context(), req.bucket, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readSmallBody reads r's whole payload (a JSON document) of at most
// limit bytes, with the checks a PUT body gets (see decodeXMLBody).
func readSmallBody(r *http.Request, req *request, limit int64) ([]byte, error) {
	body, err := newObjectBody(r, req.auth.Chunks)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body.r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, s3err.Errorf(s3err.MalformedPolicy, "Policies must be at most %d bytes.", limit)
	}
	if len(b) == 0 {
		return nil, s3err.New(s3err.MalformedPolicy, "Policies must be valid JSON and the first byte must be '{'")
	}
	return b, nil
}
