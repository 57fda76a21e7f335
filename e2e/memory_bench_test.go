package e2e

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BenchmarkMultipartMemory streams one large multipart upload (10 GiB by
// default; FLOE_BENCH_MULTIPART_GIB changes it) through the gateway with
// the SDK's upload manager set up as the aws CLI uses it (8 MiB parts, 10
// at a time), reads it back, and reports the gateway's peak resident set
// size. Nothing holds the object in memory on either side: the client
// generates the bytes and hashes them as they go.
//
//	go test -run '^$' -bench MultipartMemory -benchtime 1x -timeout 60m ./e2e/
//
// It fails if the gateway's peak RSS reaches 256 MiB.
func BenchmarkMultipartMemory(b *testing.B) {
	gib := int64(10)
	if v := os.Getenv("FLOE_BENCH_MULTIPART_GIB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("FLOE_BENCH_MULTIPART_GIB=%q: want a positive integer", v)
		}
		gib = n
	}
	size := gib << 30
	cl, ctx := benchCluster(b)
	pid := cl.gateway.Process.Pid
	sampler := startRSSSampler(pid, 100*time.Millisecond)
	defer sampler.stop()

	for i := 0; b.Loop(); i++ {
		key := fmt.Sprintf("big-%d", i)
		src := newStream(uint64(i), size)
		up := manager.NewUploader(cl.client, func(u *manager.Uploader) {
			u.PartSize, u.Concurrency = 8<<20, 10
		})
		start := time.Now()
		_, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(key), Body: src})
		must(b, err, "upload")
		upDur := time.Since(start)
		putPeak := sampler.peak()

		start = time.Now()
		out, err := cl.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String(key)})
		must(b, err, "get")
		h := sha256.New()
		n, err := io.Copy(h, out.Body)
		out.Body.Close()
		must(b, err, "read back")
		getDur := time.Since(start)
		if n != size || string(h.Sum(nil)) != string(src.sum()) {
			b.Fatalf("read back %d bytes with another SHA-256 than the %d bytes uploaded", n, size)
		}
		b.Logf("%d GiB: upload %.1f s (%.0f MB/s), gateway peak RSS during upload %.1f MiB; read back %.1f s (%.0f MB/s)",
			gib, upDur.Seconds(), float64(size)/upDur.Seconds()/1e6, float64(putPeak)/(1<<20),
			getDur.Seconds(), float64(size)/getDur.Seconds()/1e6)
		_, err = cl.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bench"), Key: aws.String(key)})
		must(b, err, "delete")
	}
	b.StopTimer()
	peak := max(sampler.peak(), vmHWM(pid))
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	if peak >= 256<<20 {
		b.Errorf("gateway peak RSS %.1f MiB, want < 256 MiB", float64(peak)/(1<<20))
	}
}

// stream yields n deterministic pseudo-random bytes and hashes them as it
// goes, so a huge upload needs no memory to generate or to check.
type stream struct {
	rng  *rand.ChaCha8
	left int64
	h    hash.Hash
}

// newStream returns a stream of n bytes from seed.
func newStream(seed uint64, n int64) *stream {
	var s [32]byte
	s[0] = byte(seed)
	return &stream{rng: rand.NewChaCha8(s), left: n, h: sha256.New()}
}

// Read generates the next bytes, hashing them.
func (s *stream) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), s.left)]
	_, _ = s.rng.Read(p)
	s.h.Write(p)
	s.left -= int64(len(p))
	return len(p), nil
}

// sum is the SHA-256 of everything read so far.
func (s *stream) sum() []byte { return s.h.Sum(nil) }

// rssSampler polls a process's resident set size.
type rssSampler struct {
	mu   sync.Mutex
	max  int64
	done chan struct{}
	wg   sync.WaitGroup
}

// startRSSSampler samples the RSS of process pid every interval until
// stopped.
func startRSSSampler(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{done: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if v := procStatus(pid, "VmRSS:"); v > 0 {
				s.mu.Lock()
				s.max = max(s.max, v)
				s.mu.Unlock()
			}
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// peak is the largest RSS sampled so far, in bytes.
func (s *rssSampler) peak() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max
}

// stop ends the sampling.
func (s *rssSampler) stop() {
	close(s.done)
	s.wg.Wait()
}

// vmHWM is the peak resident set size the kernel recorded for pid.
func vmHWM(pid int) int64 { return procStatus(pid, "VmHWM:") }

// procStatus reads a "kB" field of /proc/pid/status in bytes; 0 if absent.
func procStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
