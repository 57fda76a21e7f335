package httprec_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/floe-s3/floe/backend/httprec"
)

func TestRecorder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		handler  func(w http.ResponseWriter)
		status   int
		sent     bool
		bytes    int64
		wireCode int
	}{
		{"nothing written", func(w http.ResponseWriter) {}, 200, false, 0, 200},
		{"body only", func(w http.ResponseWriter) { w.Write([]byte("hello")) }, 200, true, 5, 200},
		{"status then body", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusPartialContent)
			w.Write([]byte("abc"))
		}, 206, true, 3, 206},
		{"second status ignored", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusNotFound)
			w.WriteHeader(http.StatusInternalServerError)
		}, 404, true, 0, 404},
		// io.Copy goes through ReadFrom (sendfile for files): counted too.
		{"copied body", func(w http.ResponseWriter) {
			io.Copy(w, strings.NewReader("copied"))
		}, 200, true, 6, 200},
		{"status then copied file", func(w http.ResponseWriter) {
			f, err := os.Open("httprec.go")
			if err != nil {
				panic(err)
			}
			defer f.Close()
			w.WriteHeader(http.StatusPartialContent)
			io.Copy(w, &io.LimitedReader{R: f, N: 10})
		}, 206, true, 10, 206},
		{"informational first", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusContinue)
			w.WriteHeader(http.StatusCreated)
		}, 201, true, 0, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(nil)
			defer srv.Close()
			var rec *httprec.Recorder
			srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec = httprec.New(w)
				tc.handler(rec)
				if rec.Status() != tc.status || rec.Sent() != tc.sent || rec.Bytes() != tc.bytes {
					t.Errorf("recorded status %d sent %v bytes %d, want %d %v %d",
						rec.Status(), rec.Sent(), rec.Bytes(), tc.status, tc.sent, tc.bytes)
				}
			})
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wireCode {
				t.Errorf("client got %d, want %d", resp.StatusCode, tc.wireCode)
			}
		})
	}
}

// A Recorder must not hide the connection from http.ResponseController.
func TestRecorderUnwraps(t *testing.T) {
	w := httptest.NewRecorder()
	rec := httprec.New(w)
	if err := http.NewResponseController(rec).Flush(); err != nil {
		t.Fatalf("flush through the recorder: %v", err)
	}
	if !w.Flushed {
		t.Fatal("the flush did not reach the underlying writer")
	}
}
