package s3api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/floe-s3/floe/backend/httprec"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
)

// pingFunc is a Pinger from a function.
type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

func TestProbes(t *testing.T) {
	var down error
	s := New(Config{Ready: pingFunc(func(context.Context) error { return down })})
	tests := []struct {
		method, path string
		down         error
		want         int
	}{
		{"GET", "/_floe/healthz", nil, 200},
		{"GET", "/_floe/healthz", metadata.ErrUnavailable, 200}, // alive, not ready
		{"HEAD", "/_floe/healthz", nil, 200},
		{"GET", "/_floe/readyz", nil, 200},
		{"GET", "/_floe/readyz", metadata.ErrUnavailable, 503},
		{"POST", "/_floe/readyz", nil, 405},
		{"GET", "/_floe/nothing", nil, 404},
	}
	for _, tt := range tests {
		down = tt.down
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
		if w.Code != tt.want {
			t.Errorf("%s %s (store down: %v): %d, want %d", tt.method, tt.path, tt.down != nil, w.Code, tt.want)
		}
		if tt.want == 503 && w.Header().Get("Retry-After") == "" {
			t.Errorf("%s %s: 503 without Retry-After", tt.method, tt.path)
		}
	}
}

// An unreachable metadata store is 503 ServiceUnavailable with a
// Retry-After, however it was wrapped; other failures keep their codes.
func TestUnavailableIs503(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"store method", fmt.Errorf("metadata: get object: %w", metadata.ErrUnavailable), "ServiceUnavailable"},
		{"key lookup wrapped by sigv4", s3err.Wrap(s3err.InternalError, fmt.Errorf("looking up access key: %w", metadata.ErrUnavailable)), "ServiceUnavailable"},
		{"broken connection", fmt.Errorf("metadata: put: %w", io.ErrUnexpectedEOF), "ServiceUnavailable"},
		{"a real S3 error stays", s3err.Wrap(s3err.NoSuchKey, metadata.ErrUnavailable), "NoSuchKey"},
		{"a bug stays a 500", errors.New("nil map"), "InternalError"},
	}
	s := New(Config{})
	for _, tt := range tests {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/b/k", nil)
		s.writeError(httprec.New(w), r, &request{id: "rid"}, tt.err)
		if !strings.Contains(w.Body.String(), "<Code>"+tt.want+"</Code>") {
			t.Errorf("%s: body %s, want code %s", tt.name, w.Body, tt.want)
		}
		if got := w.Header().Get("Retry-After") != ""; got != (w.Code == http.StatusServiceUnavailable) {
			t.Errorf("%s: status %d, Retry-After %q", tt.name, w.Code, w.Header().Get("Retry-After"))
		}
		if strings.Contains(w.Body.String(), "looking up") {
			t.Errorf("%s: internal detail sent to the client: %s", tt.name, w.Body)
		}
	}
}
