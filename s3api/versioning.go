package s3api

import (
	"context"
	"errors"
	"net/http"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// getBucketVersioning serves GetBucketVersioning: no Status for a bucket
// whose versioning was never enabled, as S3 answers.
func (s *Server) getBucketVersioning(w http.ResponseWriter, r *http.Request, req *request) error {
	b, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket)
	if err != nil {
		return err
	}
	var out s3xml.VersioningConfiguration
	if b.Versioning != metadata.VersioningUnversioned {
		out.Status = b.Versioning
	}
	return s3xml.Write(w, http.StatusOK, out)
}

// putBucketVersioning serves PutBucketVersioning (Enabled or Suspended).
// MFA delete is refused: Floe has no MFA devices to check it against.
func (s *Server) putBucketVersioning(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	var cfg s3xml.VersioningConfiguration
	if err := decodeConfigBody(r, req, false, "VersioningConfiguration", &cfg); err != nil {
		return err
	}
	switch cfg.MfaDelete {
	case "", "Disabled":
	case "Enabled":
		return s3err.New(s3err.NotImplemented, "MFA delete is not implemented")
	default:
		return s3err.Errorf(s3err.IllegalVersioningConfiguration, "unknown MfaDelete %q", cfg.MfaDelete)
	}
	if cfg.Status != metadata.VersioningEnabled && cfg.Status != metadata.VersioningSuspended {
		return s3err.Errorf(s3err.IllegalVersioningConfiguration, "Status must be Enabled or Suspended, not %q", cfg.Status)
	}
	if err := s.cfg.Meta.SetBucketVersioning(r.Context(), req.bucket, cfg.Status); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getVersion reads the version of bucket/key a request names: the latest
// when versionID is empty.
func (s *Server) getVersion(ctx context.Context, bucket, key, versionID string) (metadata.Object, error) {
	if versionID == "" {
		return s.cfg.Meta.GetObject(ctx, bucket, key)
	}
	return s.cfg.Meta.GetObjectVersion(ctx, bucket, key, versionID)
}

// copySourceVersion reads a copy's source version. A delete marker named
// by its ID is refused as S3 refuses it (400, not the 405 of a GET).
func (s *Server) copySourceVersion(ctx context.Context, bucket, key, versionID string) (metadata.Object, error) {
	obj, err := s.getVersion(ctx, bucket, key, versionID)
	var marker *metadata.DeleteMarkerError
	if errors.As(err, &marker) && marker.ByVersionID {
		return metadata.Object{}, s3err.New(s3err.InvalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id.")
	}
	return obj, err
}

// setVersionID sets x-amz-version-id, which S3 sends for every version of
// a bucket that has had versioning enabled, and never for an unversioned
// bucket (whose objects the store reports without an ID).
func setVersionID(h http.Header, versionID string) {
	if versionID != "" {
		h.Set("x-amz-version-id", versionID)
	}
}

// setWrittenVersionID sets x-amz-version-id on the answer to a write: S3
// names the version an enabled bucket created, and none for the null
// version a suspended bucket writes.
func setWrittenVersionID(h http.Header, versionID string) {
	if versionID != metadata.NullVersion {
		setVersionID(h, versionID)
	}
}

// listObjectVersions serves ListObjectVersions (GET /bucket?versions).
func (s *Server) listObjectVersions(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	enc, err := s3xml.ParseEncodingType(q.Get("encoding-type"))
	if err != nil {
		return err
	}
	n, err := maxKeys(q.Get("max-keys"))
	if err != nil {
		return err
	}
	p := metadata.ListVersionsParams{Bucket: req.bucket, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), VersionIDMarker: q.Get("version-id-marker"), MaxKeys: n}
	if p.VersionIDMarker != "" {
		if p.KeyMarker == "" {
			return s3err.New(s3err.InvalidArgument, "A version-id marker cannot be specified without a key marker.")
		}
		if !metadata.ValidVersionID(p.VersionIDMarker) {
			return s3err.New(s3err.InvalidArgument, "Invalid version id specified")
		}
	}
	res, err := s.cfg.Meta.ListObjectVersions(r.Context(), p)
	if err != nil {
		return err
	}
	out := s3xml.ListVersionsResult{
		Name: req.bucket, Prefix: p.Prefix, KeyMarker: p.KeyMarker, VersionIDMarker: p.VersionIDMarker,
		MaxKeys: n, Delimiter: p.Delimiter, IsTruncated: res.IsTruncated, EncodingType: enc,
		NextKeyMarker: res.NextKeyMarker, NextVersionIDMarker: res.NextVersionIDMarker,
		Entries:        make([]s3xml.VersionEntry, 0, len(res.Versions)),
		CommonPrefixes: make([]s3xml.CommonPrefix, 0, len(res.CommonPrefixes)),
	}
	for _, v := range res.Versions {
		if v.DeleteMarker {
			out.Entries = append(out.Entries, s3xml.VersionEntry{DeleteMarker: &s3xml.DeleteMarkerEntry{
				Key: v.Key, VersionID: v.VersionID, IsLatest: v.IsLatest, LastModified: s3xml.Time(v.LastModified), Owner: owner(req),
			}})
			continue
		}
		out.Entries = append(out.Entries, s3xml.VersionEntry{Version: &s3xml.ObjectVersion{
			Key: v.Key, VersionID: v.VersionID, IsLatest: v.IsLatest, LastModified: s3xml.Time(v.LastModified),
			ETag: s3xml.ETag(v.ETag), ChecksumAlgorithm: v.Checksum.Algorithm, Size: v.Size,
			StorageClass: s3xml.StorageClassStandard, Owner: owner(req),
		}})
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, s3xml.CommonPrefix{Prefix: cp})
	}
	out.ApplyEncoding()
	return s3xml.Write(w, http.StatusOK, out)
}
