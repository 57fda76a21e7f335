package s3err

import (
	"encoding/xml"
	"net/http"
	"strconv"
)

// xmlHeader starts every XML body; S3 always sends it.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// body is the XML form of an error response. S3 error bodies carry no
// namespace.
type body struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
}

// Write sends err as an S3 error response to w: the status from its Code,
// Content-Type application/xml and an <Error> body. HEAD requests and 304
// responses get the status alone, as S3 sends them. Errors that are not an
// *Error or Code are sent as InternalError with the generic message; the
// caller is responsible for logging them.
//
// Write sets x-amz-request-id when requestID is non-empty. Headers the
// handler set earlier (such as Content-Range for InvalidRange) are kept,
// except Content-Length, Content-Type, ETag and Last-Modified, which would
// describe the object rather than the error.
func Write(w http.ResponseWriter, r *http.Request, err error, requestID string) {
	e := From(err)
	if e == nil {
		e = &Error{Code: InternalError}
	}
	status := e.Code.Status
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	rid := e.RequestID
	if rid == "" {
		rid = requestID
	}
	h := w.Header()
	for _, k := range []string{"Content-Length", "Content-Type", "ETag", "Last-Modified", "Content-Encoding"} {
		h.Del(k)
	}
	if rid != "" {
		h.Set("x-amz-request-id", rid)
	}
	for k, v := range e.Header {
		h[k] = v
	}
	if (r != nil && r.Method == http.MethodHead) || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	res := e.Resource
	if res == "" && r != nil && r.URL != nil {
		res = r.URL.Path
	}
	// Marshal cannot fail on this struct: strings with invalid UTF-8 or
	// control characters are escaped as U+FFFD.
	out, _ := xml.Marshal(body{Code: e.Code.Name, Message: e.message(), Resource: res, RequestID: rid})
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xmlHeader)+len(out)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xmlHeader))
	_, _ = w.Write(out)
}
