package s3api

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/s3api/s3err"
)

// stepReader yields one step per Read: n bytes after the fake clock
// advanced by wait; then EOF.
type stepReader struct {
	steps []step
	clock *time.Time
}

type step struct {
	wait time.Duration
	n    int
}

func (s *stepReader) Read(p []byte) (int, error) {
	if len(s.steps) == 0 {
		return 0, io.EOF
	}
	st := s.steps[0]
	s.steps = s.steps[1:]
	*s.clock = s.clock.Add(st.wait)
	return min(st.n, len(p)), nil
}

// every returns k steps of n bytes, each after wait.
func every(k int, wait time.Duration, n int) []step {
	out := make([]step, k)
	for i := range out {
		out[i] = step{wait, n}
	}
	return out
}

// The rate is checked over each idle period spent waiting in Read: a
// trickle that is never idle for the whole period still fails, and a slow
// but steady body passes.
func TestPacedBodyRate(t *testing.T) {
	const idle, rate = 10 * time.Second, 1024
	for _, tc := range []struct {
		name  string
		steps []step
		fail  bool
	}{
		{"fast", every(100, time.Millisecond, 32<<10), false},
		{"steady at twice the minimum", every(30, time.Second, 2048), false},
		{"exactly the minimum", every(30, time.Second, 1024), false},
		{"a byte every two seconds", every(30, 2*time.Second, 1), true},
		{"half the minimum", every(30, time.Second, 512), true},
		{"burst then trickle", append(every(1, time.Second, 64<<10), every(20, time.Second, 10)...), true},
		{"short trickle, over before a period", every(4, 2*time.Second, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := time.Unix(1e9, 0)
			r := httptest.NewRequest("PUT", "/b/k", strings.NewReader(""))
			r.Body = io.NopCloser(&stepReader{steps: tc.steps, clock: &clock})
			p := newPacedBody(httptest.NewRecorder(), r, idle, rate)
			p.now = func() time.Time { return clock }
			_, err := io.Copy(io.Discard, p)
			if tc.fail != (err != nil) {
				t.Fatalf("err %v, want failure %v", err, tc.fail)
			}
			if err != nil && !errors.Is(err, s3err.RequestTimeout) {
				t.Fatalf("err %v, want RequestTimeout", err)
			}
		})
	}
}

// A body that stops arriving fails with RequestTimeout after the idle
// limit, through the connection's read deadline, and the S3 error
// reaches the client.
func TestPacedBodyIdle(t *testing.T) {
	got := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = newPacedBody(w, r, 300*time.Millisecond, 0)
		_, err := io.Copy(io.Discard, r.Body)
		got <- err
		s3err.Write(w, r, err, "rid")
	}))
	defer srv.Close()
	pr, pw := io.Pipe()
	defer pw.Close()
	req, err := http.NewRequest("PUT", srv.URL+"/b/k", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 100
	go func() { _, _ = pw.Write([]byte("0123456789")) }() // then nothing
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-got; !errors.Is(err, s3err.RequestTimeout) {
		t.Fatalf("handler read error %v, want RequestTimeout", err)
	}
	if resp.StatusCode != 400 {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
		t.Fatalf("answered after %v, want about the 300ms idle limit", d)
	}
}
