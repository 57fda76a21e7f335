package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/blobtest"
)

// slowReader hands out its bytes a chunk per tick: an upload still
// arriving when the gateway is told to stop.
type slowReader struct {
	r    *bytes.Reader
	tick time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.tick)
	return s.r.Read(p[:min(len(p), 64<<10)])
}

// TestGracefulShutdown: SIGTERM under load. The gateway stops accepting,
// finishes what is in flight (a slow upload arriving for two more
// seconds completes), answers no request begun before the signal with a
// 5xx, exits 0 and records its stop; after a restart every acknowledged
// write reads back.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	accessLog := filepath.Join(t.TempDir(), "access.log")
	cl := startCluster(t, "--log-level", "info", "--access-log", accessLog)
	ctx := ctxT(t)
	if _, err := cl.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("drain")}); err != nil {
		t.Fatal(err)
	}

	// The slow upload: presigned, so a plain HTTP client can send a body
	// that takes its time.
	slow := blobtest.RandBytes(7, 4<<20)
	ps, err := s3.NewPresignClient(cl.client).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("drain"), Key: aws.String("slow")})
	must(t, err, "presign")
	slowDone := make(chan error, 1)
	go func() {
		req, err := http.NewRequest(http.MethodPut, ps.URL, &slowReader{r: bytes.NewReader(slow), tick: 50 * time.Millisecond})
		if err != nil {
			slowDone <- err
			return
		}
		req.ContentLength = int64(len(slow))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			slowDone <- err
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			err = fmt.Errorf("slow PUT: %d %s", resp.StatusCode, b)
		}
		slowDone <- err
	}()

	// The load: PUTs of fresh keys and GETs of acknowledged ones.
	type result struct {
		start  time.Time
		status int
		err    error
	}
	var (
		mu      sync.Mutex
		acked   = map[string][]byte{}
		results []result
		stop    atomic.Bool
		wg      sync.WaitGroup
		seq     atomic.Int64
	)
	for range 8 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				n := seq.Add(1)
				key := fmt.Sprintf("k/%06d", n)
				data := blobtest.RandBytes(uint64(n), 8<<10+int(n%7)*20<<10)
				start := time.Now()
				var err error
				if i%3 == 2 {
					mu.Lock()
					var k string
					for k = range acked {
						break
					}
					want := acked[k]
					mu.Unlock()
					if k != "" {
						var out *s3.GetObjectOutput
						if out, err = cl.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("drain"), Key: aws.String(k)}); err == nil {
							var got []byte
							got, err = io.ReadAll(out.Body)
							out.Body.Close()
							if err == nil && !bytes.Equal(got, want) {
								err = fmt.Errorf("GET %s: wrong bytes", k)
							}
						}
					}
				} else {
					_, err = cl.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("drain"), Key: aws.String(key), Body: bytes.NewReader(data)})
					if err == nil {
						mu.Lock()
						acked[key] = data
						mu.Unlock()
					}
				}
				mu.Lock()
				results = append(results, result{start: start, status: httpStatus(err), err: err})
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond) // the listener is gone: do not spin
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	sigterm := time.Now()
	must(t, cl.gateway.Process.Signal(syscall.SIGTERM), "SIGTERM")
	exited := make(chan error, 1)
	go func() { exited <- cl.gateway.Wait() }()

	var exitErr error
	select {
	case exitErr = <-exited:
	case <-time.After(40 * time.Second):
		t.Fatal("the gateway did not exit within 40 s of SIGTERM")
	}
	stop.Store(true)
	wg.Wait()
	cl.gateway = nil
	if exitErr != nil {
		t.Fatalf("gateway exit after SIGTERM: %v, want status 0", exitErr)
	}
	if err := <-slowDone; err != nil {
		t.Fatalf("the upload in flight at SIGTERM: %v", err)
	}

	var before, ok, cut int
	for _, r := range results {
		if !r.start.Before(sigterm) {
			continue
		}
		before++
		switch {
		case r.status >= 500:
			t.Errorf("a request begun before SIGTERM got %d: %v", r.status, r.err)
		case r.err == nil:
			ok++
		case r.status == 0:
			cut++ // never answered: a connection the gateway closed idle
		default:
			t.Errorf("a request begun before SIGTERM failed: %v", r.err)
		}
	}
	t.Logf("%d requests began before SIGTERM: %d succeeded, %d had no answer; %d writes acknowledged", before, ok, cut, len(acked))
	if ok < 20 {
		t.Fatalf("only %d requests succeeded before SIGTERM: the load did not run", ok)
	}
	logText, err := os.ReadFile(cl.logPath)
	must(t, err, "gateway log")
	if !strings.Contains(string(logText), "S3 gateway stopped") {
		t.Fatalf("the gateway's log does not say it stopped cleanly:\n%s", tail(logText, 3000))
	}
	// The access log has the slow upload's line, answered 200.
	al, err := os.ReadFile(accessLog)
	must(t, err, "access log")
	if !regexp.MustCompile(`"method":"PUT","bucket":"drain","key":"slow".*"status":200`).Match(al) {
		t.Fatalf("the access log has no 200 line for the slow upload:\n%s", tail(al, 2000))
	}
	status := cl.floe(t, "admin", "status")
	if !regexp.MustCompile(`(?m)^\S+/127\.0\.0\.1:\d+\s+http://127\.0\.0\.1:\d+\s+\S+\s+stopped\s`).MatchString(status) {
		t.Fatalf("admin status does not show the gateway stopped:\n%s", status)
	}

	// Back up: every acknowledged write is there, the slow one too.
	cl.startGateway(t)
	eq(t, getBytes(t, cl.client, "drain", "slow", ""), slow, "the upload finished during the drain")
	for k, want := range acked {
		eq(t, getBytes(t, cl.client, "drain", k, ""), want, "acknowledged "+k)
	}
	status = cl.floe(t, "admin", "status")
	if !regexp.MustCompile(`(?m)^\S+/127\.0\.0\.1:\d+\s+http://127\.0\.0\.1:\d+\s+devel\S*\s+serving\s`).MatchString(status) {
		t.Fatalf("admin status does not show the restarted gateway serving:\n%s", status)
	}
}
