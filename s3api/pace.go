package s3api

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/floe-s3/floe/s3api/s3err"
)

// Defaults of the request body pace a gateway enforces (Config).
const (
	DefaultBodyIdleTimeout = 30 * time.Second
	DefaultBodyMinRate     = 1 << 10 // bytes per second
)

// pacedBody is a request body that must keep arriving: it fails with
// RequestTimeout, as S3 does, when no byte comes for idle, or when fewer
// than minRate bytes per second came over a period of idle spent waiting
// for the client. Only time spent inside Read counts, so a gateway that
// stops reading while nodes catch up never blames the client for it.
//
// Go's HTTP server times out slow headers (ReadHeaderTimeout) but has
// no limit for bodies short of one for the whole request, which would cut
// large uploads; without this, a client sending a byte every few seconds
// holds a request, its memory and its write intent open forever.
type pacedBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	idle    time.Duration
	minRate int64 // bytes per second; 0: no minimum rate, only the idle limit
	now     func() time.Time

	deadline time.Time     // read deadline set on the connection, zero if none
	waited   time.Duration // time blocked in Read this period
	got      int64         // bytes read this period
	done     bool          // body finished (EOF or error): deadline cleared
}

// newPacedBody wraps r's body; w is the response writer of r, through
// which the connection's read deadline is set.
func newPacedBody(w http.ResponseWriter, r *http.Request, idle time.Duration, minRate int64) *pacedBody {
	return &pacedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: idle, minRate: minRate, now: time.Now}
}

// Read reads from the body, keeping the connection's read deadline at
// least 7/8 of idle ahead (resetting it on every read would be one timer
// update per 32 KiB), and checks the rate once a period was spent waiting.
func (p *pacedBody) Read(b []byte) (int, error) {
	if p.done {
		return p.ReadCloser.Read(b)
	}
	start := p.now()
	if p.deadline.Sub(start) < p.idle*7/8 {
		p.deadline = start.Add(p.idle)
		if err := p.rc.SetReadDeadline(p.deadline); err != nil {
			// Not supported (a test recorder): the rate check still applies.
			p.deadline = start.Add(100 * 365 * 24 * time.Hour)
		}
	}
	n, err := p.ReadCloser.Read(b)
	end := p.now()
	p.waited += end.Sub(start)
	p.got += int64(n)
	if err != nil {
		p.done = true
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The deadline stays: the server must not wait for the rest
			// of this body after the error response.
			return n, s3err.Errorf(s3err.RequestTimeout, "no request body byte arrived for %v", p.idle)
		}
		if err == io.EOF {
			p.clearDeadline()
		}
		return n, err
	}
	if p.waited >= p.idle {
		if p.minRate > 0 && float64(p.got) < float64(p.minRate)*p.waited.Seconds() {
			// As for the idle limit: later reads of this body fail at once.
			p.done = true
			_ = p.rc.SetReadDeadline(end)
			return n, s3err.Errorf(s3err.RequestTimeout, "request body arrived at %.0f bytes/s over %v, below the %d bytes/s minimum",
				float64(p.got)/p.waited.Seconds(), p.waited.Round(time.Millisecond), p.minRate)
		}
		p.waited, p.got = 0, 0
	}
	return n, nil
}

// clearDeadline clears the read deadline once the whole body arrived. The
// server reads the connection in the background after the body's EOF,
// while the handler still runs; a deadline left behind would fail that
// read and cancel the request's context.
func (p *pacedBody) clearDeadline() { _ = p.rc.SetReadDeadline(time.Time{}) }
