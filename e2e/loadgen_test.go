package e2e

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/e2e/loadgen"
)

// TestLoadgen drives a cluster with the load generator behind `floe
// bench`, over HTTP (minio-go signs bodies chunk by chunk) and HTTPS
// (UNSIGNED-PAYLOAD): PUT of small objects and of multipart-sized ones,
// GET and LIST. Every object it reports written reads back through
// aws-sdk-go-v2 with the bytes it sent, the gateway's memory and CPU are
// measured, and Cleanup leaves no bucket and no object row behind.
func TestLoadgen(t *testing.T) {
	t.Parallel()
	overHTTPAndHTTPS(t, func(t *testing.T, cl *cluster) {
		ctx := ctxT(t)
		r, err := loadgen.New(loadgen.Config{Endpoint: cl.endpoint, AccessKey: cl.accessKey, SecretKey: cl.secretKey,
			Insecure: true, ServerPIDs: []int{cl.gateway.Process.Pid}})
		must(t, err, "new load generator")
		must(t, r.Setup(ctx), "setup")
		bucket := r.Bucket()

		run := func(s loadgen.Shape) loadgen.Result {
			t.Helper()
			res, err := r.Run(ctx, s)
			must(t, err, "run %s %d", s.Op, s.Size)
			if res.Errors != 0 || res.Ops == 0 || res.P50 <= 0 || res.P99 < res.P50 {
				t.Fatalf("%s %d: %d requests, %d errors (first: %s), p50 %s p99 %s", s.Op, s.Size, res.Ops, res.Errors, res.FirstError, res.P50, res.P99)
			}
			if res.PeakRSS < 1<<20 || res.CPU <= 0 {
				t.Fatalf("%s %d: gateway peak RSS %d bytes, CPU %s; want both measured", s.Op, s.Size, res.PeakRSS, res.CPU)
			}
			return res
		}
		small := run(loadgen.Shape{Op: loadgen.Put, Size: 4 << 10, Concurrency: 4, Duration: time.Second})
		big := run(loadgen.Shape{Op: loadgen.Put, Size: 17 << 20, Concurrency: 2, Duration: 100 * time.Millisecond})
		for _, res := range []loadgen.Result{small, big} {
			if int64(len(res.Written)) != res.Ops || res.Bytes != res.Ops*res.Shape.Size {
				t.Fatalf("PUT %d: %d objects listed written, %d bytes, for %d requests", res.Shape.Size, len(res.Written), res.Bytes, res.Ops)
			}
			for _, obj := range res.Written {
				want, _ := io.ReadAll(loadgen.NewContent(obj.Seed, obj.Size))
				eq(t, getBytes(t, cl.client, bucket, obj.Key, ""), want, obj.Key)
			}
		}
		// Above 16 MiB minio-go uploads 16 MiB parts: a multipart ETag.
		head, err := cl.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(big.Written[0].Key)})
		must(t, err, "head a big object")
		if etag := aws.ToString(head.ETag); !strings.HasSuffix(etag, `-2"`) {
			t.Fatalf("ETag of a 17 MiB object %s, want one of a 2-part upload", etag)
		}

		get := run(loadgen.Shape{Op: loadgen.Get, Size: 4 << 10, Concurrency: 4, Duration: time.Second, Objects: 8})
		if get.Bytes != get.Ops*4<<10 {
			t.Fatalf("GET: %d bytes in %d requests", get.Bytes, get.Ops)
		}
		// A walk that misses a key counts an error, which run refuses.
		list := run(loadgen.Shape{Op: loadgen.List, Size: 1, Concurrency: 2, Duration: time.Second, Objects: 250, PageSize: 100})
		if list.Keys < 250 || list.Keys > list.Ops*100 {
			t.Fatalf("LIST: %d keys in %d pages", list.Keys, list.Ops)
		}

		must(t, r.Cleanup(ctx), "cleanup")
		if _, err := cl.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); httpStatus(err) != 404 {
			t.Fatalf("HeadBucket after cleanup: %v, want 404", err)
		}
		if n := cl.count(t, `SELECT count(*) FROM objects WHERE bucket = $1`, bucket); n != 0 {
			t.Fatalf("%d object rows left in %s after cleanup", n, bucket)
		}
	})
}

// TestBenchCommand runs `floe bench` itself: it prints its table, checks
// every object it wrote and removes its bucket.
func TestBenchCommand(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodetest.Binary(t), "bench", "--endpoint", cl.endpoint,
		"--op", "put", "--size", "64KiB", "--concurrency", "4", "--duration", "1s", "--verify",
		"--server-pid", strconv.Itoa(cl.gateway.Process.Pid))
	cmd.Env = []string{"AWS_ACCESS_KEY_ID=" + cl.accessKey, "AWS_SECRET_ACCESS_KEY=" + cl.secretKey}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("floe bench: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "ops/s") || !strings.Contains(lines[1], "PUT") || !strings.Contains(lines[1], "64 KiB") {
		t.Fatalf("floe bench printed:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "read back intact") {
		t.Fatalf("floe bench did not verify its objects:\n%s", stderr.String())
	}
	out, err := cl.client.ListBuckets(ctx, &s3.ListBucketsInput{})
	must(t, err, "list buckets")
	if len(out.Buckets) != 0 {
		t.Fatalf("buckets left after floe bench: %s", aws.ToString(out.Buckets[0].Name))
	}
}
