package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/metadata/pgtest"
)

// Fault-injection tests: real processes are killed or stopped while
// clients work. Each ends by reading back every object a client was told
// was stored and comparing its SHA-256: an acknowledged write must never be
// lost, and no read may return wrong bytes.

// load runs concurrent PUTs (each to a new key, 1 KiB to 3 MiB) and GETs
// of keys already acknowledged, recording what the gateway acknowledged.
type load struct {
	c      *s3.Client
	bucket string

	mu     sync.Mutex
	acked  map[string][32]byte // key → SHA-256 of what a 200 PUT stored
	tried  map[string][32]byte // every key a PUT was attempted for
	keys   []string            // acked keys, for GETs
	putErr []error
	getErr []error
	// slowest is the longest a failed request took to fail.
	slowest time.Duration
	gets    atomic.Int64
}

// newLoad returns a load of requests by c on bucket, yet to run.
func newLoad(c *s3.Client, bucket string) *load {
	return &load{c: c, bucket: bucket, acked: map[string][32]byte{}, tried: map[string][32]byte{}}
}

// run works with the given number of workers until ctx is done.
func (l *load) run(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	var seq atomic.Int64
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for ctx.Err() == nil {
				if rng.IntN(3) > 0 || len(l.ackedKeys()) == 0 {
					l.put(ctx, seq.Add(1), rng)
				} else {
					keys := l.ackedKeys()
					l.get(ctx, keys[rng.IntN(len(keys))])
				}
			}
		})
	}
	wg.Wait()
}

// ackedKeys returns the keys acknowledged so far.
func (l *load) ackedKeys() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keys
}

// put PUTs a new object, number n, of random size and bytes.
func (l *load) put(ctx context.Context, n int64, rng *rand.Rand) {
	key := fmt.Sprintf("load/%06d", n)
	data := blobtest.RandBytes(uint64(n), 1<<10+rng.IntN(3<<20))
	sum := sha256.Sum256(data)
	l.mu.Lock()
	l.tried[key] = sum
	l.mu.Unlock()
	// A detached context: the test's end must not turn into a cut-off PUT
	// that looks like a server failure.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	start := time.Now()
	_, err := l.c.PutObject(pctx, &s3.PutObjectInput{Bucket: aws.String(l.bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.slowest = max(l.slowest, time.Since(start))
		l.putErr = append(l.putErr, fmt.Errorf("put %s: %w", key, err))
		return
	}
	l.acked[key] = sum
	l.keys = append(l.keys[:len(l.keys):len(l.keys)], key)
}

// get GETs key and checks its bytes against what its PUT stored.
func (l *load) get(ctx context.Context, key string) {
	l.gets.Add(1)
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	start := time.Now()
	sum, err := getSum(gctx, l.c, l.bucket, key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil && sum != l.acked[key] {
		err = errors.New("wrong bytes")
	}
	if err != nil {
		l.slowest = max(l.slowest, time.Since(start))
		l.getErr = append(l.getErr, fmt.Errorf("get %s: %w", key, err))
	}
}

// progress returns how many PUTs were acknowledged and GETs started so
// far.
func (l *load) progress() (acked int, gets int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked), l.gets.Load()
}

// waitProgress waits up to a minute until l has acknowledged puts PUTs and
// started gets GETs more than when called: the load runs against the
// cluster as it is now. what says when.
func (l *load) waitProgress(t *testing.T, puts int, gets int64, what string) {
	t.Helper()
	p0, g0 := l.progress()
	waitFor(t, time.Minute, fmt.Sprintf("%d more PUTs are acknowledged and %d more GETs started %s", puts, gets, what), func() (bool, error) {
		p, g := l.progress()
		return p-p0 >= puts && g-g0 >= gets, fmt.Errorf("%d and %d so far", p-p0, g-g0)
	})
}

// verify reads back every acknowledged object, and every attempted one:
// an acknowledged key must hold exactly its bytes; a key whose PUT failed
// must hold nothing or exactly its bytes (a commit whose response was
// lost), never something else.
func (l *load) verify(t *testing.T) {
	t.Helper()
	ctx := ctxT(t)
	for key, want := range l.tried {
		got, err := getSum(ctx, l.c, l.bucket, key)
		_, acked := l.acked[key]
		switch {
		case err == nil && got != want:
			t.Errorf("%s reads back other bytes than were PUT (acknowledged: %v)", key, acked)
		case err != nil && acked:
			t.Errorf("acknowledged %s is lost: %v", key, err)
		case err != nil && errCode(err) != "NoSuchKey":
			t.Errorf("unacknowledged %s: %v, want NoSuchKey or its bytes", key, err)
		}
	}
	t.Logf("%d PUTs tried, %d acknowledged, %d failed; %d GETs, %d failed",
		len(l.tried), len(l.acked), len(l.putErr), l.gets.Load(), len(l.getErr))
}

// TestKillNodesDuringLoad kill -9s M (2) of the six nodes while clients
// PUT and GET concurrently: writes keep their quorum (K=4) and reads read
// around the dead nodes, so no request may fail, and everything
// acknowledged reads back.
func TestKillNodesDuringLoad(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	_, err := cl.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("load")})
	must(t, err, "create bucket")
	l := newLoad(cl.client, "load")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.run(ctx, 6); close(done) }()
	defer func() { cancel(); <-done }() // also when a wait fails the test
	l.waitProgress(t, 5, 2, "before the kills")
	cl.nodes.Nodes[2].Kill(t)
	cl.nodes.Nodes[5].Kill(t)
	l.waitProgress(t, 10, 5, "with M nodes down")
	cancel()
	<-done
	for _, err := range l.putErr {
		t.Errorf("PUT failed with M nodes down: %v", err)
	}
	for _, err := range l.getErr {
		t.Errorf("GET failed with M nodes down: %v", err)
	}
	if len(l.acked) < 10 || l.gets.Load() < 5 {
		t.Fatalf("only %d PUTs acknowledged and %d GETs: the load did not run", len(l.acked), l.gets.Load())
	}
	l.verify(t)
}

// TestPostgresStopDuringLoad stops PostgreSQL for 10 s while clients work:
// requests fail fast with 503 ServiceUnavailable and a Retry-After (a
// service condition SDKs retry, not a 500), none waits much longer than
// --db-wait, readiness turns false and back, the gateway reconnects by
// itself once PostgreSQL is back, and everything acknowledged reads back.
func TestPostgresStopDuringLoad(t *testing.T) {
	// Not parallel: stops the shared PostgreSQL, and times failures against --db-wait.
	const dbWait = 2 * time.Second
	cl := startCluster(t, "--db-wait", dbWait.String())
	_, err := cl.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("load")})
	must(t, err, "create bucket")
	if st := cl.probe(t, "/_floe/readyz"); st != http.StatusOK {
		t.Fatalf("readyz %d before the outage, want 200", st)
	}
	// Clients that do not retry, so each failure shows.
	c := newClient(t, cl.endpoint, cl.accessKey, cl.secretKey, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	l := newLoad(c, "load")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.run(ctx, 4); close(done) }()
	defer func() { cancel(); <-done }() // also when a wait fails the test
	l.waitProgress(t, 5, 1, "before the outage")
	pgtest.Stop(t)
	stopped := time.Now()
	// Readiness follows the database within a probe or two. Not a wait:
	// the outage lasts 10 s by design, and healthz must answer 200
	// throughout, so this samples both every 250 ms for that long.
	notReady := false
	for time.Since(stopped) < 10*time.Second {
		if !notReady && cl.probe(t, "/_floe/readyz") == http.StatusServiceUnavailable {
			notReady = true
			t.Logf("readyz 503 %v after the stop", time.Since(stopped).Round(time.Millisecond))
		}
		if st := cl.probe(t, "/_floe/healthz"); st != http.StatusOK {
			t.Errorf("healthz %d while PostgreSQL is down: the process is alive, want 200", st)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !notReady {
		t.Error("readyz never turned 503 while PostgreSQL was down")
	}
	pgtest.Start(t)
	t.Logf("PostgreSQL was down for %v", time.Since(stopped).Round(time.Millisecond))
	// The gateway must serve again without a restart.
	back := time.Now()
	waitFor(t, 30*time.Second, "the gateway serves again after PostgreSQL came back", func() (bool, error) {
		_, err := c.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String("load")})
		return err == nil, err
	})
	waitFor(t, 30*time.Second-time.Since(back), "readyz is 200 again after PostgreSQL came back", func() (bool, error) {
		st := cl.probe(t, "/_floe/readyz")
		return st == http.StatusOK, fmt.Errorf("readyz %d", st)
	})
	l.waitProgress(t, 5, 1, "against the recovered gateway")
	cancel()
	<-done
	if len(l.putErr) == 0 {
		t.Errorf("no PUT failed while PostgreSQL was down: the outage was not exercised")
	}
	checkOutageFailures(t, "PUT", l.putErr)
	checkOutageFailures(t, "GET", l.getErr)
	// A request waits at most --db-wait for each connection it asks for;
	// a PUT may ask twice (its intent, its commit), and a 3 MiB body
	// takes its time on a loaded machine.
	t.Logf("slowest failure took %v (--db-wait %v)", l.slowest.Round(time.Millisecond), dbWait)
	if l.slowest > 3*dbWait+3*time.Second {
		t.Errorf("a request took %v to fail with --db-wait %v", l.slowest, dbWait)
	}
	l.verify(t)
}

// checkOutageFailures fails t unless every failed request during a
// metadata outage that got an answer got 503 ServiceUnavailable with a
// Retry-After header, and some did. A broken connection is allowed: a
// client whose Expect: 100-continue wait (1 s in the SDK) ran out on the
// loaded test machine sends its body, and Go's server then closes the
// connection it refused the body on, which the client sees as a reset.
func checkOutageFailures(t *testing.T, what string, errs []error) {
	t.Helper()
	codes := map[string]int{}
	for _, err := range errs {
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() == 0 {
			codes["(no response)"]++
			continue
		}
		code := errCode(err)
		if code == "" {
			code = strconv.Itoa(re.HTTPStatusCode())
		}
		codes[code]++
		if re.HTTPStatusCode() != http.StatusServiceUnavailable {
			t.Errorf("%s failed with HTTP %d, want 503: %v", what, re.HTTPStatusCode(), err)
		} else if re.Response.Header.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After: %v", what, err)
		}
	}
	t.Logf("%s failures by code: %v", what, codes)
	if len(errs) > 0 && codes["ServiceUnavailable"] == 0 {
		t.Errorf("no %s failed with 503 ServiceUnavailable: %v", what, codes)
	}
}

// probe GETs an unsigned gateway path and returns the status (0 if the
// gateway did not answer).
func (c *cluster) probe(t *testing.T, path string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+path, nil)
	must(t, err, "probe request")
	resp, err := rawClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestGatewayKilledDuringMultipartUpload kill -9s the gateway while a part
// streams in; after a restart the upload continues from the parts already
// stored, completes, and the object is whole.
func TestGatewayKilledDuringMultipartUpload(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	ctx := ctxT(t)
	c := cl.client
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mpu")})
	must(t, err, "create bucket")
	const partSize = 5 << 20
	data := blobtest.RandBytes(77, 3*partSize+12345)
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big")})
	must(t, err, "create upload")
	part := func(c *s3.Client, n int32, body io.Reader, size int64) (*s3.UploadPartOutput, error) {
		return c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("big"), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: body, ContentLength: aws.Int64(size)})
	}
	p1, err := part(c, 1, bytes.NewReader(data[:partSize]), partSize)
	must(t, err, "part 1")

	// Part 2 streams in as a raw UNSIGNED-PAYLOAD request (the SDK would
	// read the whole body first to sign it over HTTP); the gateway dies in
	// the middle of it.
	pr, pw := io.Pipe()
	failed := make(chan error, 1)
	go func() {
		res, err := cl.trySend("PUT", "/mpu/big?partNumber=2&uploadId="+aws.ToString(up.UploadId), nil, pr, partSize, "UNSIGNED-PAYLOAD")
		if err == nil {
			failed <- fmt.Errorf("part 2 answered %d although the gateway was killed during it", res.status)
			return
		}
		failed <- nil
	}()
	if _, err := pw.Write(data[partSize : partSize+partSize/2]); err != nil {
		t.Fatal(err)
	}
	cl.gateway.Process.Kill()
	_ = cl.gateway.Wait()
	cl.gateway = nil
	pw.CloseWithError(errors.New("gateway gone"))
	if err := <-failed; err != nil {
		t.Fatal(err)
	}

	cl.startGateway(t)
	c = cl.client
	p2, err := part(c, 2, bytes.NewReader(data[partSize:2*partSize]), partSize)
	must(t, err, "part 2 after restart")
	p3, err := part(c, 3, bytes.NewReader(data[2*partSize:]), int64(len(data)-2*partSize))
	must(t, err, "part 3")
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: p1.ETag}, {PartNumber: aws.Int32(2), ETag: p2.ETag}, {PartNumber: aws.Int32(3), ETag: p3.ETag},
		}}})
	must(t, err, "complete")
	got, err := getSum(ctx, c, "mpu", "big")
	must(t, err, "read back")
	if got != sha256.Sum256(data) {
		t.Fatal("the completed object differs from what was uploaded")
	}
	// The upload manager, too, against the restarted gateway.
	_, err = manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = partSize }).Upload(ctx,
		&s3.PutObjectInput{Bucket: aws.String("mpu"), Key: aws.String("again"), Body: bytes.NewReader(data)})
	must(t, err, "upload manager after restart")
	if got, err := getSum(ctx, c, "mpu", "again"); err != nil || got != sha256.Sum256(data) {
		t.Fatalf("second object: %v", err)
	}
}
