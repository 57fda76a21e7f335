package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// The benchmarks run against six real `floe node` processes on loopback,
// with the default 4+2 code and 1 MiB stripes:
//
//	go test -run '^$' -bench . -benchtime 10x ./backend/blob/

// stripeSizes are the stripe sizes the throughput benchmarks compare; the
// default (blobmeta.DefaultStripeSize) was chosen from their results.
var stripeSizes = []int{256 << 10, 1 << 20, 4 << 20}

// nodeStore returns a store talking to the real nodes of c: the unit tests
// run on in-memory nodes, the benchmarks measure the real transport.
func nodeStore(b *testing.B, c *nodetest.Cluster, opts blob.Options) *blob.Store {
	b.Helper()
	return newStore(b, node.NewClient(c.Secret, nil), opts)
}

func BenchmarkPut64MiB(b *testing.B) {
	c := nodetest.Start(b, 6)
	data := blobtest.RandBytes(1, 64<<20)
	for _, ss := range stripeSizes {
		b.Run(fmt.Sprintf("stripe=%dKiB", ss>>10), func(b *testing.B) {
			s := nodeStore(b, c, blob.Options{Params: blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: ss}})
			b.SetBytes(int64(len(data)))
			for range b.N {
				if _, err := s.Put(context.Background(), bytes.NewReader(data), c.PlacementNodes(), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet64MiB(b *testing.B) {
	c := nodetest.Start(b, 6)
	data := blobtest.RandBytes(2, 64<<20)
	for _, ss := range stripeSizes {
		b.Run(fmt.Sprintf("stripe=%dKiB", ss>>10), func(b *testing.B) {
			s := nodeStore(b, c, blob.Options{Params: blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: ss}})
			res := put(b, s, c.PlacementNodes(), data)
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for range b.N {
				readAll(b, s, res, len(data))
			}
		})
	}
}

func readAll(b *testing.B, s *blob.Store, res *blob.Result, size int) {
	r, err := s.NewReader(context.Background(), res.Manifest, res.Placement, 0, -1)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if n, err := io.Copy(io.Discard, r); err != nil || n != int64(size) {
		b.Fatalf("read %d bytes: %v", n, err)
	}
}

// BenchmarkDegradedGet64MiB reads with two data shards' nodes killed, so
// every stripe is reconstructed from parity.
func BenchmarkDegradedGet64MiB(b *testing.B) {
	c := nodetest.Start(b, 6)
	s := nodeStore(b, c, blob.Options{})
	data := blobtest.RandBytes(2, 64<<20)
	res := put(b, s, c.PlacementNodes(), data)
	// A nodetest node's ID is its address.
	c.ByAddr(b, res.Placement[0].ID).Kill(b)
	c.ByAddr(b, res.Placement[1].ID).Kill(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		readAll(b, s, res, len(data))
	}
}

// BenchmarkStream1GiB writes and reads back 1 GiB generated on the fly and
// reports the peak Go heap seen while doing so: it must stay flat, however
// large the blob.
func BenchmarkStream1GiB(b *testing.B) {
	c := nodetest.Start(b, 6)
	s := nodeStore(b, c, blob.Options{})
	const size = 1 << 30
	b.SetBytes(size)
	peak := watchHeap(b)
	b.ResetTimer()
	for i := range b.N {
		src := &prngReader{rng: rand.NewChaCha8([32]byte{byte(i)}), left: size}
		h := sha256.New()
		res, err := s.Put(context.Background(), io.TeeReader(src, h), c.PlacementNodes(), nil)
		if err != nil {
			b.Fatal(err)
		}
		r, err := s.NewReader(context.Background(), res.Manifest, res.Placement, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		h2 := sha256.New()
		if _, err := io.Copy(h2, r); err != nil {
			b.Fatal(err)
		}
		r.Close()
		if !bytes.Equal(h.Sum(nil), h2.Sum(nil)) {
			b.Fatal("1 GiB read back differs from what was written")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
}

// watchHeap samples the live heap every few milliseconds until the
// benchmark ends and returns a function giving the peak.
func watchHeap(b *testing.B) func() uint64 {
	runtime.GC()
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				mu.Lock()
				peak = max(peak, ms.HeapInuse)
				mu.Unlock()
			}
		}
	}()
	b.Cleanup(func() { close(done); <-stopped })
	return func() uint64 {
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// prngReader yields left pseudo-random bytes without holding them.
type prngReader struct {
	rng  *rand.ChaCha8
	left int64
}

func (p *prngReader) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, _ := p.rng.Read(b)
	p.left -= int64(n)
	return n, nil
}
