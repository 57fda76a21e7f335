package s3api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"
)

// TestObserveAndTraffic: every answered request reaches Config.Observe
// and the Traffic totals, errors too; the console prefix goes to
// Config.Console untouched by S3 handling.
func TestObserveAndTraffic(t *testing.T) {
	var seen []RequestDone
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	s := New(Config{Observe: func(d RequestDone) { seen = append(seen, d) }, Console: console})

	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST / = %d, want 405", w.Code)
	}
	if len(seen) != 1 || seen[0].Status != 405 || seen[0].Method != "POST" || seen[0].Action != "" || seen[0].Out != int64(w.Body.Len()) {
		t.Fatalf("observed %+v, want one POST answered 405 with %d body bytes", seen, w.Body.Len())
	}
	if tr := s.Traffic(); tr.Requests != 1 || tr.BytesOut != int64(w.Body.Len()) || tr.BytesIn != 0 {
		t.Fatalf("Traffic = %+v", tr)
	}

	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, ConsolePrefix+"index.html", nil))
	if w.Code != http.StatusTeapot || w.Header().Get("x-amz-request-id") != "" {
		t.Fatalf("console request = %d %v, want the console's own answer", w.Code, w.Header())
	}
	if len(seen) != 1 {
		t.Fatalf("the console's request was observed as an S3 request: %+v", seen)
	}
}

// TestAccessLog: with Config.AccessLog every request gets a line there,
// whatever the main log's level; 5xx also reach the main log.
func TestAccessLog(t *testing.T) {
	var access, main bytes.Buffer
	al := zerolog.New(&access)
	s := New(Config{AccessLog: &al, Logger: zerolog.New(&main).Level(zerolog.WarnLevel)})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/?x=1", nil))
	var line map[string]any
	if err := json.Unmarshal(access.Bytes(), &line); err != nil {
		t.Fatalf("access log %q: %v", access.String(), err)
	}
	if line["method"] != "POST" || line["status"] != float64(405) || line["query"] != "x=1" || line["req"] == "" {
		t.Fatalf("access log line %v", line)
	}
	if main.Len() != 0 {
		t.Fatalf("a 405 reached the main log: %s", main.String())
	}
}

func TestOperationNames(t *testing.T) {
	s := New(Config{})
	for _, tc := range []struct{ method, target, want string }{
		{"GET", "/b/k", "GetObject"},
		{"HEAD", "/b/k", "HeadObject"},
		{"PUT", "/b/k", "PutObject"},
		{"GET", "/b?list-type=2", "ListObjectsV2"},
		{"GET", "/b", "ListObjects"},
		{"PUT", "/b/k?partNumber=1&uploadId=x", "UploadPart"},
		{"POST", "/b/k?uploads", "CreateMultipartUpload"},
		{"POST", "/b/k?uploadId=x", "CompleteMultipartUpload"},
		{"POST", "/b?delete", "DeleteObjects"},
		{"GET", "/b?acl", "GetBucketAcl"},
		{"PUT", "/b?lifecycle", "PutBucketLifecycleConfiguration"},
		{"GET", "/", "ListBuckets"},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		req := &request{}
		if err := parseTarget(r, req, nil); err != nil {
			t.Fatal(err)
		}
		h, _, err := s.route(r, req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.target, err)
		}
		if got := operation(h, r); got != tc.want {
			t.Errorf("%s %s: operation %q, want %q", tc.method, tc.target, got, tc.want)
		}
	}
}
