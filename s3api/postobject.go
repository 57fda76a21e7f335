package s3api

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"io"
	"mime"
	mimemultipart "mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/postform"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
	"github.com/floe-s3/floe/s3api/sigv4"
)

// FormAuthenticator authenticates the form of a browser POST upload,
// which carries its signature in form fields rather than headers. SigV4
// implements it; an Authenticator that does not lets every form through
// unchecked (AcceptAll, in tests).
type FormAuthenticator interface {
	// AuthenticateForm returns who signed the form's policy (fields
	// lower-cased, as postform.Form.Fields), Anonymous for a form with
	// no signature at all, or an S3 error.
	AuthenticateForm(ctx context.Context, fields map[string]string) (Auth, error)
}

// AuthenticateForm implements FormAuthenticator.
func (a *SigV4) AuthenticateForm(ctx context.Context, fields map[string]string) (Auth, error) {
	if sigv4.UnsignedPOST(fields) {
		return Auth{Anonymous: true}, nil
	}
	id, err := a.v.VerifyPOST(ctx, fields)
	if err != nil {
		return Auth{}, err
	}
	k, err := a.keys.lookup(ctx, id)
	if err != nil {
		return Auth{}, err
	}
	return Auth{AccessKeyID: id, User: k.user, UserID: k.userID}, nil
}

// postFieldHeaders maps the form fields S3 takes as the object's headers
// to those headers; every x-amz-* field but the signature's is taken as
// the header of its name (x-amz-meta-*, x-amz-storage-class, ...).
var postFieldHeaders = map[string]string{
	"content-type": "Content-Type", "cache-control": "Cache-Control", "content-disposition": "Content-Disposition",
	"content-encoding": "Content-Encoding", "content-language": "Content-Language", "expires": "Expires",
	"acl": "X-Amz-Acl",
}

// postSignatureFields are the x-amz-* fields that sign the form rather
// than describe the object.
var postSignatureFields = map[string]bool{
	"x-amz-algorithm": true, "x-amz-credential": true, "x-amz-date": true, "x-amz-signature": true,
	"x-amz-security-token": true,
}

// formHeaders turns the object-describing fields of a POST form into the
// request headers a PUT would carry, so that one set of rules (and of
// refusals) applies to both.
func formHeaders(fields map[string]string) (http.Header, error) {
	h := http.Header{}
	for name, v := range fields {
		switch {
		case postFieldHeaders[name] != "":
			h.Set(postFieldHeaders[name], v)
		case strings.HasPrefix(name, "x-amz-checksum-"), name == "tagging":
			return nil, s3err.Errorf(s3err.NotImplemented, "the POST form field %s is not implemented", name)
		case strings.HasPrefix(name, "x-amz-") && !postSignatureFields[name]:
			h.Set(name, v)
		}
	}
	return h, nil
}

// postObject serves POST /bucket with a multipart/form-data body: S3's
// browser upload. The form's fields come first and are held (20 KiB at
// most); the file then streams into a new blob as a PUT's body does,
// bounded by the policy's content-length-range, never held whole.
func (s *Server) postObject(w http.ResponseWriter, r *http.Request, req *request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return s3err.New(s3err.PreconditionFailed, "Bucket POST must be of the enclosure-type multipart/form-data")
	}
	// The form is read before anything is decided: its fields carry the
	// signature. A request signed the usual way cannot also be a form.
	if !req.auth.Anonymous && !req.auth.unchecked() {
		return s3err.New(s3err.InvalidRequest, "a browser POST upload is authenticated by its form fields, not an Authorization header")
	}
	form, err := postform.Read(mimemultipart.NewReader(r.Body, params["boundary"]))
	if err != nil {
		return err
	}
	fields := form.Fields
	if fa, ok := s.cfg.Auth.(FormAuthenticator); ok {
		if req.auth, err = fa.AuthenticateForm(r.Context(), fields); err != nil {
			return err
		}
	}
	key, err := postform.Key(fields, form.Filename)
	if err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	minSize, maxSize := int64(0), int64(MaxObjectSize)
	if !req.auth.Anonymous {
		pol, err := postform.ParsePolicy(fields["policy"])
		if err != nil {
			return err
		}
		fields["bucket"], fields["key"] = req.bucket, key
		if err := pol.Check(fields, time.Now()); err != nil {
			return err
		}
		if lo, hi, ok := pol.LengthRange(); ok {
			minSize, maxSize = lo, min(hi, maxSize)
		}
	}
	req.key = key
	if err := s.authorizeOn(r, req, req.bucket, key, "s3:PutObject"); err != nil {
		return err
	}
	etag, err := s.storePosted(r, req, fields, postform.CheckedBody(form.File, minSize, maxSize))
	if err != nil {
		return err
	}
	return s.postResponse(w, r, req, fields, etag)
}

// storePosted stores the file of a POST form as req.key, described by
// the form's fields, and returns its ETag.
func (s *Server) storePosted(r *http.Request, req *request, fields map[string]string, file io.Reader) (string, error) {
	bkt, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket)
	if err != nil {
		return "", err
	}
	h, err := formHeaders(fields)
	if err != nil {
		return "", err
	}
	hdr, err := requestHeaders(h)
	if err != nil {
		return "", err
	}
	if err := checkACLHeaders(h); err != nil {
		return "", err
	}
	ret, hold, err := lockHeaders(h, bkt)
	if err != nil {
		return "", err
	}
	sum := md5.New()
	var size int64
	n := &countingReader{r: io.TeeReader(file, sum), n: &size}
	obj := metadata.Object{Bucket: req.bucket, Key: req.key, Headers: hdr, Retention: ret, LegalHold: hold}
	// Detached from the request's context, as a PUT's write is: see
	// putObject.
	part, nonce, failed, err := s.writeBlob(context.WithoutCancel(r.Context()), n, -1)
	req.bytes = size
	if err != nil {
		return "", err
	}
	obj.Size, obj.ETag = size, `"`+hex.EncodeToString(sum.Sum(nil))+`"`
	if part != nil {
		obj.Parts = []metadata.Part{*part}
	}
	if _, err := s.commit(r.Context(), obj, nonce, metadata.Precondition{}); err != nil {
		return "", err
	}
	s.markFailed(r.Context(), part, failed)
	return obj.ETag, nil
}

// postResult is the body of a POST upload answered with
// success_action_status 201.
type postResult struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string
	Bucket   string
	Key      string
	ETag     string
}

// postResponse answers a stored POST upload as the form asks: a 303 to
// success_action_redirect (with bucket, key and etag in its query), or
// success_action_status 200, 201 (with a PostResponse document) or, by
// default, 204.
func (s *Server) postResponse(w http.ResponseWriter, r *http.Request, req *request, fields map[string]string, etag string) error {
	w.Header().Set("ETag", etag)
	loc := objectURL(r, req.bucket, req.key)
	w.Header().Set("Location", loc)
	redirect := fields["success_action_redirect"]
	if redirect == "" {
		redirect = fields["redirect"] // the older name
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		q := u.Query()
		q.Set("bucket", req.bucket)
		q.Set("key", req.key)
		q.Set("etag", etag)
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	switch status, _ := strconv.Atoi(fields["success_action_status"]); status {
	case http.StatusOK:
		w.WriteHeader(http.StatusOK)
	case http.StatusCreated:
		return s3xml.Write(w, http.StatusCreated, postResult{Location: loc, Bucket: req.bucket, Key: req.key, ETag: etag})
	default: // 204, and any value S3 does not know
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// objectURL is the path-style URL of bucket/key on the host r reached.
func objectURL(r *http.Request, bucket, key string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: "/" + bucket + "/" + key}).String()
}
