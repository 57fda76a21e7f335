package s3api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/floe-s3/floe/s3api/checksum"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// getObjectAttributes serves GetObjectAttributes (GET ?attributes): the
// attributes x-amz-object-attributes names, of the latest version or
// ?versionId's, without the body.
func (s *Server) getObjectAttributes(w http.ResponseWriter, r *http.Request, req *request) error {
	want := map[string]bool{}
	for _, v := range r.Header.Values("X-Amz-Object-Attributes") {
		for _, a := range strings.Split(v, ",") {
			switch a = strings.TrimSpace(a); a {
			case "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize":
				want[a] = true
			case "":
			default:
				return s3err.Errorf(s3err.InvalidArgument, "Invalid attribute name specified: %q", a)
			}
		}
	}
	if len(want) == 0 {
		return s3err.New(s3err.InvalidArgument, "x-amz-object-attributes must name at least one attribute")
	}
	maxParts, marker := 1000, 0
	for h, p := range map[string]*int{"X-Amz-Max-Parts": &maxParts, "X-Amz-Part-Number-Marker": &marker} {
		if v := r.Header.Get(h); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return s3err.Errorf(s3err.InvalidArgument, "%s %q must be a non-negative integer", h, v)
			}
			*p = n
		}
	}
	maxParts = min(maxParts, 1000)
	obj, err := s.getVersion(r.Context(), req.bucket, req.key, req.versionID)
	if err != nil {
		return err
	}
	setVersionID(w.Header(), obj.VersionID)
	w.Header().Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	var out s3xml.GetObjectAttributesResponse
	if want["ETag"] {
		out.ETag = strings.Trim(obj.ETag, `"`)
	}
	alg := checksum.Algorithm(obj.Checksum.Algorithm)
	if want["Checksum"] && obj.Checksum.Value != "" {
		out.Checksum = &s3xml.AttributeChecksum{Checksums: xmlChecksums(alg, obj.Checksum.Value), ChecksumType: obj.Checksum.Type}
	}
	// Only a multipart object (an ETag of the form "md5-N") has parts to
	// list.
	if want["ObjectParts"] && strings.Contains(obj.ETag, "-") {
		parts := &s3xml.ObjectParts{TotalPartsCount: len(obj.Parts), PartNumberMarker: marker, MaxParts: maxParts}
		for _, p := range obj.Parts {
			if p.Number <= marker {
				continue
			}
			if len(parts.Parts) == maxParts {
				parts.IsTruncated = true
				break
			}
			parts.Parts = append(parts.Parts, s3xml.ObjectPart{PartNumber: p.Number, Size: p.Size, Checksums: xmlChecksums(alg, p.Checksum)})
			parts.NextPartNumberMarker = p.Number
		}
		out.ObjectParts = parts
	}
	if want["StorageClass"] {
		out.StorageClass = s3xml.StorageClassStandard
	}
	if want["ObjectSize"] {
		out.ObjectSize = &obj.Size
	}
	return s3xml.Write(w, http.StatusOK, out)
}
