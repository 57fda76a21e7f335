package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/blobtest"
)

// Gateway benchmarks: whole requests through the SDK, the gateway, six
// nodes and PostgreSQL on this machine. Run them with
//
//	go test -run '^$' -bench . -benchtime 5x ./e2e/
//
// (-benchtime 5x makes BenchmarkSmallObjects run only 5 operations; give it
// more, e.g. -bench SmallObjects -benchtime 2000x, for stable figures.)

const bigSize = 256 << 20

// benchCluster starts a cluster with one bucket, "bench".
func benchCluster(b *testing.B) (*cluster, context.Context) {
	b.Helper()
	cl := startCluster(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	b.Cleanup(cancel)
	_, err := cl.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")})
	must(b, err, "create bucket")
	return cl, ctx
}

// BenchmarkPut256MiB measures one client streaming 256 MiB PUTs (each
// overwrites the last, so garbage collection runs alongside).
func BenchmarkPut256MiB(b *testing.B) {
	cl, ctx := benchCluster(b)
	data := blobtest.RandBytes(256, bigSize)
	rd := bytes.NewReader(data)
	b.SetBytes(bigSize)
	for b.Loop() {
		rd.Reset(data)
		_, err := cl.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("big"), Body: rd})
		must(b, err, "put 256 MiB")
	}
	b.StopTimer()
	head, err := cl.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bench"), Key: aws.String("big")})
	must(b, err, "head")
	if aws.ToInt64(head.ContentLength) != bigSize {
		b.Fatalf("stored %d bytes, want %d", aws.ToInt64(head.ContentLength), bigSize)
	}
}

// BenchmarkGet256MiB measures one client reading a 256 MiB object.
func BenchmarkGet256MiB(b *testing.B) {
	cl, ctx := benchCluster(b)
	data := blobtest.RandBytes(256, bigSize)
	_, err := cl.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("big"), Body: bytes.NewReader(data)})
	must(b, err, "put 256 MiB")
	want := sha256.Sum256(data)
	data = nil
	b.SetBytes(bigSize)
	first := true
	for b.Loop() {
		out, err := cl.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("big")})
		must(b, err, "get 256 MiB")
		var n int64
		if first {
			// Check the bytes once; the hashing is the client's cost, not
			// the gateway's, but one iteration of it is cheap insurance.
			h := sha256.New()
			n, err = io.Copy(h, out.Body)
			if err == nil && [32]byte(h.Sum(nil)) != want {
				b.Fatal("GET returned other bytes than were PUT")
			}
			first = false
		} else {
			n, err = io.Copy(io.Discard, out.Body)
		}
		out.Body.Close()
		must(b, err, "read 256 MiB")
		if n != bigSize {
			b.Fatalf("GET returned %d bytes, want %d", n, bigSize)
		}
	}
}

// BenchmarkSmallObjects measures 4 KiB PUTs and GETs from 16 concurrent
// clients (each its own SDK client and connection pool), as operations per
// second with median and 99th percentile latencies.
func BenchmarkSmallObjects(b *testing.B) {
	cl, ctx := benchCluster(b)
	const clients, size, getKeys = 16, 4 << 10, 256
	cs := make([]*s3.Client, clients)
	for i := range cs {
		cs[i] = newClient(b, cl.endpoint, cl.accessKey, cl.secretKey)
	}
	body := blobtest.RandBytes(4, size)
	put := func(c *s3.Client, key string) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(key), Body: bytes.NewReader(body)})
		return err
	}
	get := func(c *s3.Client, key string) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String(key)})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		n, err := io.Copy(io.Discard, out.Body)
		if err == nil && n != size {
			err = fmt.Errorf("GET %s returned %d bytes, want %d", key, n, size)
		}
		return err
	}
	// run spreads ops 0..b.N-1 over the clients and reports throughput.
	run := func(b *testing.B, op func(c *s3.Client, i int64) error) {
		b.SetBytes(size)
		lat := make([]time.Duration, b.N)
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for _, c := range cs {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(b.N) {
						return
					}
					t0 := time.Now()
					if err := op(c, i); err != nil {
						b.Error(err)
						return
					}
					lat[i] = time.Since(t0)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}

	var seq atomic.Int64 // PUT keys are never reused across runs: no overwrites
	b.Run("PUT4KiB", func(b *testing.B) {
		run(b, func(c *s3.Client, _ int64) error { return put(c, fmt.Sprintf("put/%08d", seq.Add(1))) })
	})

	var populate sync.Once
	b.Run("GET4KiB", func(b *testing.B) {
		populate.Do(func() {
			var wg sync.WaitGroup
			for w, c := range cs {
				wg.Go(func() {
					for k := w; k < getKeys; k += clients {
						if err := put(c, fmt.Sprintf("get/%04d", k)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if b.Failed() {
				b.FailNow()
			}
		})
		run(b, func(c *s3.Client, i int64) error { return get(c, fmt.Sprintf("get/%04d", i%getKeys)) })
	})
}
