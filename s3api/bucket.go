package s3api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/bucketname"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// listBuckets serves GET /: the buckets the requester owns (every bucket
// when nothing was checked, in tests).
func (s *Server) listBuckets(w http.ResponseWriter, r *http.Request, req *request) error {
	list, who := s.cfg.Meta.ListBucketsOf, req.auth.User
	if req.auth.unchecked() {
		list, who = func(ctx context.Context, _ string) ([]metadata.Bucket, error) { return s.cfg.Meta.ListBuckets(ctx) }, metadata.DefaultUser
	}
	bs, err := list(r.Context(), who)
	if err != nil {
		return err
	}
	res := s3xml.ListAllMyBucketsResult{Owner: &s3xml.Owner{ID: req.auth.UserID, DisplayName: req.auth.User}}
	for _, b := range bs {
		res.Buckets = append(res.Buckets, s3xml.Bucket{Name: b.Name, CreationDate: s3xml.Time(b.CreatedAt)})
	}
	return s3xml.Write(w, http.StatusOK, res)
}

// owner is the owner of req's bucket and of every object in it (S3's
// BucketOwnerEnforced object ownership), for listings and ACLs.
func owner(req *request) *s3xml.Owner {
	if req.access == nil { // not authorized on a bucket: tests of handlers alone
		return &s3xml.Owner{ID: "floe", DisplayName: "floe"}
	}
	return &s3xml.Owner{ID: req.access.OwnerID, DisplayName: req.access.Owner}
}

// initiator is the initiator of the multipart uploads of req's bucket.
// Floe does not record who began an upload; the bucket's owner stands in,
// as its owner also owns the object the upload makes.
func initiator(req *request) *s3xml.Initiator {
	o := owner(req)
	return &s3xml.Initiator{ID: o.ID, DisplayName: o.DisplayName}
}

func (s *Server) createBucket(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := bucketname.Validate(req.bucket); err != nil {
		return err
	}
	var cfg s3xml.CreateBucketConfiguration
	if err := decodeXMLBody(r, req, s3xml.DefaultLimit, false, &cfg); err != nil && !errors.Is(err, s3xml.ErrEmpty) {
		return err
	}
	if loc := cfg.LocationConstraint; loc != "" && loc != s.cfg.Region {
		return s3err.Errorf(s3err.InvalidArgument, "location constraint %q does not match region %q", loc, s.cfg.Region)
	}
	if err := checkACLHeaders(r.Header); err != nil {
		return err
	}
	lock := false
	switch v := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"))); v {
	case "true":
		lock = true
	case "", "false":
	default:
		return s3err.Errorf(s3err.InvalidArgument, "x-amz-bucket-object-lock-enabled must be true or false, not %q", v)
	}
	user := req.auth.User
	if req.auth.unchecked() {
		user = metadata.DefaultUser
	}
	err := s.cfg.Meta.CreateBucketAs(r.Context(), req.bucket, user, lock)
	if errors.Is(err, metadata.ErrBucketExists) {
		// Bucket names are global: say whose it is, as S3 does, and
		// nothing more.
		if acc, aerr := s.cfg.Meta.GetBucketAccess(r.Context(), req.bucket); aerr == nil && acc.Owner != user {
			return s3err.Wrap(s3err.BucketAlreadyExists, err)
		}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/"+req.bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) headBucket(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	w.Header().Set("x-amz-bucket-region", s.cfg.Region)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteBucket(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.cfg.Meta.DeleteBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getBucketLocation(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	loc := s.cfg.Region
	if loc == "us-east-1" {
		loc = "" // S3 reports the classic region as an empty constraint
	}
	return s3xml.Write(w, http.StatusOK, s3xml.LocationConstraint{Location: loc})
}

// maxKeys parses max-keys: default and ceiling 1000, as in S3.
func maxKeys(v string) (int, error) {
	if v == "" {
		return 1000, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, s3err.Errorf(s3err.InvalidArgument, "max-keys %q must be a non-negative integer", v)
	}
	return min(n, 1000), nil
}

// listObjects serves ListObjects (v1) and ListObjectsV2 (list-type=2).
func (s *Server) listObjects(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	enc, err := s3xml.ParseEncodingType(q.Get("encoding-type"))
	if err != nil {
		return err
	}
	n, err := maxKeys(q.Get("max-keys"))
	if err != nil {
		return err
	}
	p := metadata.ListParams{Bucket: req.bucket, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), MaxKeys: n}
	v2 := q.Get("list-type") == "2"
	if lt := q.Get("list-type"); lt != "" && lt != "2" {
		return s3err.Errorf(s3err.InvalidArgument, "unknown list-type %q", lt)
	}
	token := q.Get("continuation-token")
	if v2 {
		p.StartAfter = q.Get("start-after")
		if _, ok := q["continuation-token"]; ok {
			after, err := base64.RawURLEncoding.DecodeString(token)
			if err != nil || token == "" {
				return s3err.New(s3err.InvalidArgument, "the continuation token provided is incorrect")
			}
			p.StartAfter = string(after)
		}
	} else {
		p.StartAfter = q.Get("marker")
	}
	// A listing of a missing bucket must say so, not return nothing.
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	res, err := s.cfg.Meta.ListObjects(r.Context(), p)
	if err != nil {
		return err
	}
	contents := make([]s3xml.Object, 0, len(res.Objects))
	for _, o := range res.Objects {
		contents = append(contents, s3xml.Object{
			Key: o.Key, LastModified: s3xml.Time(o.LastModified), ETag: s3xml.ETag(o.ETag),
			ChecksumAlgorithm: o.Checksum.Algorithm, Size: o.Size, StorageClass: s3xml.StorageClassStandard, Owner: owner(req),
		})
	}
	prefixes := make([]s3xml.CommonPrefix, 0, len(res.CommonPrefixes))
	for _, cp := range res.CommonPrefixes {
		prefixes = append(prefixes, s3xml.CommonPrefix{Prefix: cp})
	}
	if v2 {
		out := s3xml.ListBucketV2Result{
			Name: req.bucket, Prefix: p.Prefix, StartAfter: q.Get("start-after"), ContinuationToken: token,
			KeyCount: len(contents) + len(prefixes), MaxKeys: n, Delimiter: p.Delimiter,
			IsTruncated: res.IsTruncated, EncodingType: enc, Contents: contents, CommonPrefixes: prefixes,
		}
		for i := range out.Contents {
			out.Contents[i].Owner = nil // v2 lists owners only with fetch-owner=true
		}
		if q.Get("fetch-owner") == "true" {
			for i := range out.Contents {
				out.Contents[i].Owner = owner(req)
			}
		}
		if res.IsTruncated {
			out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.NextStartAfter))
		}
		out.ApplyEncoding()
		return s3xml.Write(w, http.StatusOK, out)
	}
	out := s3xml.ListBucketResult{
		Name: req.bucket, Prefix: p.Prefix, Marker: p.StartAfter, MaxKeys: n, Delimiter: p.Delimiter,
		IsTruncated: res.IsTruncated, EncodingType: enc, Contents: contents, CommonPrefixes: prefixes,
	}
	// S3 sends NextMarker only with a delimiter; without one, clients use
	// the last key.
	if res.IsTruncated && p.Delimiter != "" {
		out.NextMarker = res.NextStartAfter
	}
	out.ApplyEncoding()
	return s3xml.Write(w, http.StatusOK, out)
}

// deleteObjects serves DeleteObjects (POST ?delete).
func (s *Server) deleteObjects(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	var d s3xml.Delete
	if err := decodeXMLBody(r, req, s3xml.DeleteLimit, true, &d); err != nil {
		return err
	}
	var res s3xml.DeleteResult
	for _, o := range d.Objects {
		err := s.authorizeDelete(r, req, o.Key, o.VersionID)
		var del s3xml.DeletedObject
		if err == nil {
			del, err = s.deleteOne(r.Context(), req, o, bypassGovernance(r))
		}
		if err != nil {
			se := s3err.From(toS3Error(err))
			if se.Code.Status >= 500 {
				s.log.Error().Err(err).Str("req", req.id).Str("key", o.Key).Msg("delete failed")
			}
			res.Errors = append(res.Errors, s3xml.DeleteError{Key: o.Key, VersionID: o.VersionID, Code: se.Code.Name, Message: se.Code.Message})
			continue
		}
		if !d.Quiet {
			res.Deleted = append(res.Deleted, del)
		}
	}
	return s3xml.Write(w, http.StatusOK, res)
}

// deleteOne deletes one object of a DeleteObjects request, as DeleteObject
// would, and says what it did as S3 reports it: VersionId is the version
// named; a marker written is DeleteMarker with DeleteMarkerVersionId, a
// marker deleted by version ID is DeleteMarker with both IDs.
func (s *Server) deleteOne(ctx context.Context, req *request, o s3xml.ObjectIdentifier, bypass bool) (s3xml.DeletedObject, error) {
	if o.VersionID != "" && !metadata.ValidVersionID(o.VersionID) {
		return s3xml.DeletedObject{}, s3err.New(s3err.NoSuchVersion, "Invalid version id specified")
	}
	res, err := s.cfg.Meta.DeleteObject(ctx, req.bucket, o.Key, metadata.DeleteOptions{VersionID: o.VersionID, BypassGovernance: bypass})
	if err != nil {
		return s3xml.DeletedObject{}, err
	}
	out := s3xml.DeletedObject{Key: o.Key, VersionID: o.VersionID, DeleteMarker: res.DeleteMarker}
	if res.DeleteMarker {
		out.DeleteMarkerVersionID = res.VersionID
	}
	return out, nil
}
