package s3api

import (
	"net/http"
	"strconv"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// listMultipartUploads serves ListMultipartUploads (GET /bucket?uploads):
// in-progress uploads ordered by key, then initiation time.
func (s *Server) listMultipartUploads(w http.ResponseWriter, r *http.Request, req *request) error {
	q := r.URL.Query()
	enc, err := s3xml.ParseEncodingType(q.Get("encoding-type"))
	if err != nil {
		return err
	}
	n := 1000 // default and ceiling, as in S3
	if v := q.Get("max-uploads"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			return s3err.Errorf(s3err.InvalidArgument, "max-uploads %q must be a non-negative integer", v)
		}
		n = min(n, 1000)
	}
	p := metadata.ListUploadsParams{Bucket: req.bucket, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), UploadIDMarker: q.Get("upload-id-marker"), MaxUploads: n}
	if p.KeyMarker == "" {
		p.UploadIDMarker = "" // S3 ignores it without a key marker
	}
	res, err := s.cfg.Meta.ListUploads(r.Context(), p)
	if err != nil {
		return err
	}
	out := s3xml.ListMultipartUploadsResult{
		Bucket: req.bucket, KeyMarker: p.KeyMarker, UploadIDMarker: p.UploadIDMarker, Prefix: p.Prefix,
		Delimiter: p.Delimiter, MaxUploads: n, IsTruncated: res.IsTruncated, EncodingType: enc,
	}
	if res.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	for _, u := range res.Uploads {
		out.Uploads = append(out.Uploads, s3xml.Upload{Key: u.Key, UploadID: u.ID,
			Initiator: initiator(req), Owner: owner(req),
			StorageClass: s3xml.StorageClassStandard, Initiated: s3xml.Time(u.Initiated)})
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, s3xml.CommonPrefix{Prefix: cp})
	}
	out.ApplyEncoding()
	return s3xml.Write(w, http.StatusOK, out)
}
