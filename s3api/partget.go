package s3api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/httprange"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// partRange resolves GetObject or HeadObject with ?partNumber=v against
// obj, as S3 does: a ranged read of the v-th part (counting the object's
// parts in order from 1), answered 206 with the part's Content-Range inside
// the whole object and, for a multipart object, x-amz-mp-parts-count. An
// object that was not uploaded in parts has one part, the whole object. It
// sets those headers on h and returns the range and status to serve.
func partRange(h http.Header, obj metadata.Object, v string, hasRange bool) (start, length int64, status int, err error) {
	n, err := partNumber(v)
	if err != nil {
		return 0, 0, 0, err
	}
	if hasRange {
		return 0, 0, 0, s3err.New(s3err.InvalidRequest, "Cannot specify both Range header and partNumber query parameter")
	}
	count := 1
	length = obj.Size
	if multipart(obj) {
		count = len(obj.Parts)
		h.Set("x-amz-mp-parts-count", strconv.Itoa(count))
	}
	if n > count {
		h.Del("x-amz-mp-parts-count")
		return 0, 0, 0, s3err.Errorf(s3err.InvalidPartNumber, "part %d of an object of %d parts", n, count)
	}
	if multipart(obj) {
		for _, p := range obj.Parts[:n-1] {
			start += p.Size
		}
		length = obj.Parts[n-1].Size
	}
	if length == 0 {
		return start, 0, http.StatusOK, nil // no byte range can name an empty part
	}
	h.Set("Content-Range", httprange.ContentRange(start, length, obj.Size))
	return start, length, http.StatusPartialContent, nil
}

// multipart reports whether obj was made by CompleteMultipartUpload: its
// ETag has the "<md5>-<parts>" form.
func multipart(obj metadata.Object) bool {
	return strings.Contains(s3xml.UnquoteETag(obj.ETag), "-")
}
