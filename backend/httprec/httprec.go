// Package httprec records what an HTTP handler wrote: the status and the
// number of body bytes, for access logs, and whether the header is gone,
// for error handling (an error can only become a response before it is).
// Both the gateway and the storage nodes wrap their ResponseWriter in one.
package httprec

import (
	"io"
	"net/http"
)

// Recorder is an http.ResponseWriter that notes the status and body size
// of the response passing through it.
type Recorder struct {
	http.ResponseWriter
	status int // final status sent; 0 while the header is not
	bytes  int64
}

// New returns a Recorder writing to w.
func New(w http.ResponseWriter) *Recorder { return &Recorder{ResponseWriter: w} }

// WriteHeader sends the header. The first final status is the one
// recorded; informational (1xx) ones pass through unrecorded.
func (w *Recorder) WriteHeader(status int) {
	if w.status == 0 && status >= 200 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write sends body bytes, and with the first of them a 200 header if none
// was sent, as net/http does.
func (w *Recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom copies src to the body through the underlying writer's
// ReadFrom when it has one, so that net/http can send a file with
// sendfile(2) rather than through a buffer.
func (w *Recorder) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(w.ResponseWriter, src)
	}
	w.bytes += n
	return n, err
}

// Status returns the status sent, or 200 if the handler has sent nothing
// yet: what net/http answers for a handler that writes nothing.
func (w *Recorder) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Sent reports whether the header has been sent, after which the status
// can no longer change.
func (w *Recorder) Sent() bool { return w.status != 0 }

// Bytes returns the number of body bytes written.
func (w *Recorder) Bytes() int64 { return w.bytes }

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushes).
func (w *Recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
