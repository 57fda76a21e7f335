package s3api

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/floe-s3/floe/s3api/checksum"
	"github.com/floe-s3/floe/s3api/chunked"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// decodeXMLBody decodes the XML body of r (CreateBucket, DeleteObjects,
// CompleteMultipartUpload) into v, reading at most limit payload bytes,
// with the checks a PUT body gets: aws-chunked framing and chunk
// signatures, Content-MD5, x-amz-checksum-* (header or trailer) and the
// declared length. s3xml.Decode reads to EOF, where those checks fire, so
// a body that fails one never reaches the handler's action.
//
// With digestRequired (DeleteObjects, as in S3) a request that carries
// neither Content-MD5 nor an x-amz-checksum-* value is refused: nothing in
// an UNSIGNED-PAYLOAD request would otherwise protect which keys it
// deletes.
func decodeXMLBody(r *http.Request, req *request, limit int64, digestRequired bool, v any) error {
	if r.ContentLength < 0 && r.Header.Get("X-Amz-Decoded-Content-Length") == "" {
		// Transfer-Encoding: chunked with no declared length. The decoder
		// holds the document in memory anyway; read it (one byte past the
		// limit, so an oversized body still fails as such) and give the
		// checks its length.
		b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			return s3err.Errorf(s3err.IncompleteBody, "reading the request body: %w", err)
		}
		if int64(len(b)) > limit {
			return s3err.Wrap(s3err.MalformedXML, s3xml.ErrTooLarge)
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	}
	if digestRequired && !hasBodyDigest(r) {
		return s3err.New(s3err.InvalidRequest, "Missing required header for this request: Content-MD5 or x-amz-checksum-*")
	}
	body, err := newObjectBody(r, req.auth.Chunks)
	if err != nil {
		return err
	}
	defer body.Close()
	return s3xml.Decode(body.r, limit, v)
}

// hasBodyDigest reports whether r declares a digest of its payload: a
// Content-MD5 header, or an x-amz-checksum-* value in a header or (for an
// aws-chunked body) announced as a trailer. An x-amz-sdk-checksum-algorithm
// header alone names an algorithm but carries no value to check.
func hasBodyDigest(r *http.Request) bool {
	if r.Header.Get("Content-Md5") != "" {
		return true
	}
	var trailers []string // only an aws-chunked body has trailers
	if _, ok := chunked.OptionsFor(r.Header.Get("X-Amz-Content-Sha256")); ok {
		trailers = chunked.ParseTrailerHeader(r.Header.Get("X-Amz-Trailer"))
	}
	for _, a := range checksum.Algorithms {
		if r.Header.Get(a.Header()) != "" || containsFold(trailers, a.Header()) {
			return true
		}
	}
	return false
}

// decodeConfigBody is decodeXMLBody for a configuration body that must be
// there (S3's limit for them, 1 MiB): an empty one is MalformedXML,
// naming the element expected.
func decodeConfigBody(r *http.Request, req *request, digestRequired bool, root string, v any) error {
	err := decodeXMLBody(r, req, s3xml.DefaultLimit, digestRequired, v)
	if errors.Is(err, s3xml.ErrEmpty) {
		return s3err.Errorf(s3err.MalformedXML, "The request needs a %s body.", root)
	}
	return err
}
