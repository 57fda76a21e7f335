// Package loadgen is the load generator behind `floe bench`: it drives any
// S3 endpoint with the shapes storage servers are compared by (PUT and GET
// of objects of one size from N concurrent clients for a while, listing
// in pages of 100 keys) and measures throughput, latency and, given the
// server's process IDs, its peak resident memory and CPU time.
//
// Requests go through minio-go, the client warp and mc are built on, so
// they are signed the way those real clients sign: over plain HTTP a body
// is signed chunk by chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), over
// HTTPS it is sent UNSIGNED-PAYLOAD, and objects above 16 MiB go up as
// multipart uploads of 16 MiB parts, several at once. Figures measured
// here are thus comparable with warp's against MinIO.
//
// Every object a PUT shape reports written is listed in its Result, and
// its bytes are reproducible from its seed (NewContent), so a test can
// read each one back and compare.
package loadgen

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config says where the load goes.
type Config struct {
	// Endpoint is the server's URL, http:// or https://.
	Endpoint string
	// AccessKey and SecretKey sign every request; Region is the one they
	// are signed for (default us-east-1).
	AccessKey, SecretKey, Region string
	// Insecure accepts any TLS certificate (self-signed test servers).
	Insecure bool
	// Bucket is the bucket the load goes to. Empty: Run creates a bucket
	// of its own and Cleanup removes it. Given: it must exist; Cleanup
	// removes only the objects this Runner wrote.
	Bucket string
	// ServerPIDs are the server's processes (on this machine) whose peak
	// resident size and CPU time each shape reports; none: not measured.
	ServerPIDs []int
}

// Op is what a shape does.
type Op string

// The operations a Shape may do.
const (
	Put  Op = "PUT"
	Get  Op = "GET"
	List Op = "LIST"
)

// Shape is one measurement: Concurrency clients doing Op for Duration.
type Shape struct {
	Op          Op
	Size        int64 // bytes per object
	Concurrency int
	Duration    time.Duration
	// Objects is how many objects GET and LIST write before the clock
	// starts (GET reads them at random, LIST lists them all, again and
	// again); 0 takes DefaultObjects.
	Objects int
	// PageSize is LIST's keys per page (default 100).
	PageSize int
}

// DefaultObjects is the number of objects a GET or LIST shape prepares
// when its Objects is zero: enough that GETs spread over many objects
// (up to 1,000) without writing more than 1 GiB, and at least one per
// client.
func DefaultObjects(s Shape) int {
	if s.Op == List {
		return 2000
	}
	n := int64(1000)
	if s.Size > 0 {
		n = min(n, (1<<30)/s.Size)
	}
	return max(int(n), s.Concurrency, 1)
}

// Object is one object a shape wrote.
type Object struct {
	Key  string
	Seed uint64 // its content is NewContent(Seed, Size)
	Size int64
}

// Result is what one shape measured.
type Result struct {
	Shape Shape
	// Ops counts requests that succeeded (pages, for LIST); Errors those
	// that failed, and FirstError says why the first one did.
	Ops, Errors int64
	FirstError  string
	// Bytes counts object bytes moved by successful requests; Keys the
	// keys LIST returned.
	Bytes, Keys int64
	// Elapsed runs from the start until the last request finished.
	Elapsed time.Duration
	// P50 and P99 are latencies of successful requests: whole requests,
	// from sending to the last byte of the response.
	P50, P99 time.Duration
	// PeakRSS and CPU are the server's, while the shape ran; zero without
	// Config.ServerPIDs.
	PeakRSS int64
	CPU     time.Duration
	// Written lists every object a PUT shape wrote and the server
	// acknowledged.
	Written []Object
}

// MiBps returns the throughput in MiB/s.
func (r Result) MiBps() float64 { return float64(r.Bytes) / (1 << 20) / r.Elapsed.Seconds() }

// OpsPerSec returns successful requests per second.
func (r Result) OpsPerSec() float64 { return float64(r.Ops) / r.Elapsed.Seconds() }

// KeysPerSec returns LIST's keys per second.
func (r Result) KeysPerSec() float64 { return float64(r.Keys) / r.Elapsed.Seconds() }

// Runner runs shapes against one endpoint.
type Runner struct {
	cfg     Config
	client  *minio.Client
	core    minio.Core // the same client, for page-by-page listing
	bucket  string
	created bool   // Run created the bucket; Cleanup removes it
	prefix  string // every key this Runner writes starts with it
	seed    atomic.Uint64
	nextKey atomic.Int64
}

// New returns a Runner for cfg. It sends nothing yet.
func New(cfg Config) (*Runner, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("loadgen: endpoint %q: want http://host:port or https://host:port", cfg.Endpoint)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	secure := u.Scheme == "https"
	tr := &http.Transport{
		Proxy:                 nil, // loopback and lab servers: never a proxy from the environment
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 10 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		DisableCompression:    true,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: cfg.Insecure}, //nolint:gosec // asked for, for self-signed test servers
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       secure,
		Region:       cfg.Region,
		Transport:    tr,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("loadgen: client for %s: %w", cfg.Endpoint, err)
	}
	id := randomHex(4)
	r := &Runner{cfg: cfg, client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket, prefix: "floe-bench-" + id + "/"}
	if r.bucket == "" {
		r.bucket = "floe-bench-" + id
	}
	return r, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

// Bucket returns the bucket the load goes to.
func (r *Runner) Bucket() string { return r.bucket }

// Setup creates the Runner's bucket, unless Config named one.
func (r *Runner) Setup(ctx context.Context) error {
	if r.cfg.Bucket != "" {
		ok, err := r.client.BucketExists(ctx, r.bucket)
		if err != nil {
			return fmt.Errorf("loadgen: bucket %s: %w", r.bucket, err)
		}
		if !ok {
			return fmt.Errorf("loadgen: bucket %s does not exist", r.bucket)
		}
		return nil
	}
	if err := r.client.MakeBucket(ctx, r.bucket, minio.MakeBucketOptions{Region: r.cfg.Region}); err != nil {
		return fmt.Errorf("loadgen: create bucket %s: %w", r.bucket, err)
	}
	r.created = true
	return nil
}

// Cleanup removes every object the Runner wrote, and its bucket if Setup
// created it.
func (r *Runner) Cleanup(ctx context.Context) error {
	objects := make(chan minio.ObjectInfo)
	var listErr error
	go func() {
		defer close(objects)
		for obj := range r.client.ListObjects(ctx, r.bucket, minio.ListObjectsOptions{Prefix: r.prefix, Recursive: true}) {
			if obj.Err != nil {
				listErr = obj.Err
				return
			}
			objects <- obj
		}
	}()
	var removeErr error
	for e := range r.client.RemoveObjects(ctx, r.bucket, objects, minio.RemoveObjectsOptions{}) {
		if removeErr == nil {
			removeErr = fmt.Errorf("loadgen: remove %s: %w", e.ObjectName, e.Err)
		}
	}
	if err := errors.Join(listErr, removeErr); err != nil {
		return fmt.Errorf("loadgen: clean up %s: %w", r.bucket, err)
	}
	if r.created {
		if err := r.client.RemoveBucket(ctx, r.bucket); err != nil {
			return fmt.Errorf("loadgen: remove bucket %s: %w", r.bucket, err)
		}
		r.created = false
	}
	return nil
}

// Run measures one shape. Errors of single requests are counted in the
// Result; an error is returned only when the shape could not be run
// (its objects could not be prepared, the server's processes not read).
func (r *Runner) Run(ctx context.Context, s Shape) (Result, error) {
	if s.Concurrency < 1 {
		s.Concurrency = 1
	}
	if s.Op != List && s.Size < 0 {
		return Result{}, fmt.Errorf("loadgen: object size %d", s.Size)
	}
	var op func(ctx context.Context, w *worker) (bytes int64, keys int64, err error)
	switch s.Op {
	case Put:
		op = func(ctx context.Context, w *worker) (int64, int64, error) {
			obj := r.newObject(s.Size)
			if err := r.put(ctx, obj); err != nil {
				return 0, 0, err
			}
			w.written = append(w.written, obj)
			return obj.Size, 0, nil
		}
	case Get:
		if s.Objects == 0 {
			s.Objects = DefaultObjects(s)
		}
		objs, err := r.prepare(ctx, s)
		if err != nil {
			return Result{}, err
		}
		op = func(ctx context.Context, w *worker) (int64, int64, error) {
			obj := objs[w.rand.IntN(len(objs))]
			n, err := r.get(ctx, obj.Key)
			if err == nil && n != obj.Size {
				err = fmt.Errorf("get %s: %d bytes, want %d", obj.Key, n, obj.Size)
			}
			return n, 0, err
		}
	case List:
		if s.Objects == 0 {
			s.Objects = DefaultObjects(s)
		}
		if s.PageSize == 0 {
			s.PageSize = 100
		}
		objs, err := r.prepare(ctx, s)
		if err != nil {
			return Result{}, err
		}
		prefix := listPrefix(objs)
		op = func(ctx context.Context, w *worker) (int64, int64, error) {
			return r.listPage(ctx, w, prefix, s.PageSize, len(objs))
		}
	default:
		return Result{}, fmt.Errorf("loadgen: operation %q: want PUT, GET or LIST", s.Op)
	}
	return r.measure(ctx, s, op)
}

// worker is one client's state.
type worker struct {
	rand      *mrand.Rand
	latencies []time.Duration
	written   []Object
	// LIST: where the worker's walk through the keys stands.
	token string
	seen  int
}

// measure runs op from s.Concurrency workers until s.Duration has
// passed; requests under way then finish and count.
func (r *Runner) measure(ctx context.Context, s Shape, op func(context.Context, *worker) (int64, int64, error)) (Result, error) {
	smp, err := startSampler(r.cfg.ServerPIDs)
	if err != nil {
		return Result{}, err
	}
	res := Result{Shape: s}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		bytes atomic.Int64
		keys  atomic.Int64
		ops   atomic.Int64
		errs  atomic.Int64
	)
	workers := make([]*worker, s.Concurrency)
	start := time.Now()
	deadline := start.Add(s.Duration)
	for i := range workers {
		w := &worker{rand: mrand.New(mrand.NewPCG(uint64(i), 1))}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				b, k, err := op(ctx, w)
				if err != nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						res.FirstError = err.Error()
						mu.Unlock()
					}
					continue
				}
				w.latencies = append(w.latencies, time.Since(t0))
				ops.Add(1)
				bytes.Add(b)
				keys.Add(k)
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if smp != nil {
		if res.PeakRSS, res.CPU, err = smp.stop(); err != nil {
			return Result{}, err
		}
	}
	res.Ops, res.Errors, res.Bytes, res.Keys = ops.Load(), errs.Load(), bytes.Load(), keys.Load()
	var all []time.Duration
	for _, w := range workers {
		all = append(all, w.latencies...)
		res.Written = append(res.Written, w.written...)
	}
	slices.Sort(all)
	if len(all) > 0 {
		res.P50 = all[(len(all)-1)*50/100]
		res.P99 = all[(len(all)-1)*99/100]
	}
	return res, ctx.Err()
}

// newObject names a new object of size bytes.
func (r *Runner) newObject(size int64) Object {
	n := r.nextKey.Add(1)
	return Object{Key: fmt.Sprintf("%s%08d", r.prefix, n), Seed: r.seed.Add(1), Size: size}
}

// put writes obj as minio-go writes a file: one request up to 16 MiB,
// above that a multipart upload of 16 MiB parts sent four at a time.
func (r *Runner) put(ctx context.Context, obj Object) error {
	_, err := r.client.PutObject(ctx, r.bucket, obj.Key, NewContent(obj.Seed, obj.Size), obj.Size,
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("put %s: %w", obj.Key, err)
	}
	return nil
}

// get reads key whole and returns its length.
func (r *Runner) get(ctx context.Context, key string) (int64, error) {
	obj, err := r.client.GetObject(ctx, r.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", key, err)
	}
	defer obj.Close()
	n, err := io.Copy(io.Discard, obj)
	if err != nil {
		return n, fmt.Errorf("get %s: %w", key, err)
	}
	return n, nil
}

// prepare writes the objects a GET or LIST shape works on, with the
// shape's concurrency, outside the measurement.
func (r *Runner) prepare(ctx context.Context, s Shape) ([]Object, error) {
	objs := make([]Object, s.Objects)
	for i := range objs {
		objs[i] = r.newObject(s.Size)
	}
	if err := forEach(ctx, len(objs), s.Concurrency, func(i int) error { return r.put(ctx, objs[i]) }); err != nil {
		return nil, fmt.Errorf("loadgen: prepare %d objects: %w", len(objs), err)
	}
	return objs, nil
}

// forEach calls f(0) to f(n-1) from concurrency goroutines, stopping
// at the first error, which it returns.
func forEach(ctx context.Context, n, concurrency int, f func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := atomic.Int64{}
	concurrency = max(concurrency, 1)
	errc := make(chan error, concurrency)
	for range concurrency {
		go func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					errc <- nil
					return
				}
				if err := f(int(i)); err != nil {
					cancel()
					errc <- err
					return
				}
			}
		}()
	}
	var errs []error
	for range concurrency {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return ctx.Err() // the caller's, as ours is only cancelled after an error
	}
	return errors.Join(errs...)
}

// listPrefix returns the common key prefix of objects newObject named in
// one run of prepare: the Runner's prefix.
func listPrefix(objs []Object) string {
	p := objs[0].Key
	for _, o := range objs[1:] {
		for len(p) > 0 && (len(o.Key) < len(p) || o.Key[:len(p)] != p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// listPage asks for the worker's next page of pageSize keys under
// prefix, walking all of them and starting over at the end; a walk that
// does not find total keys is an error.
//
// minio-go's page-by-page call takes no context; the transport's
// response timeout bounds it instead.
func (r *Runner) listPage(_ context.Context, w *worker, prefix string, pageSize, total int) (int64, int64, error) {
	res, err := r.core.ListObjectsV2(r.bucket, prefix, "", w.token, "", pageSize)
	if err != nil {
		return 0, 0, fmt.Errorf("list %s: %w", prefix, err)
	}
	n := len(res.Contents)
	w.seen += n
	w.token = res.NextContinuationToken
	if !res.IsTruncated || w.token == "" {
		seen := w.seen
		w.token, w.seen = "", 0
		if seen < total {
			return 0, int64(n), fmt.Errorf("list %s: %d keys, want at least %d", prefix, seen, total)
		}
	}
	return 0, int64(n), nil
}

// Verify reads every object back, concurrency at a time, and compares
// its bytes with what was written; the first difference is an error.
func (r *Runner) Verify(ctx context.Context, objs []Object, concurrency int) error {
	if err := forEach(ctx, len(objs), concurrency, func(i int) error { return r.verify(ctx, objs[i]) }); err != nil {
		return fmt.Errorf("loadgen: verify: %w", err)
	}
	return nil
}

// verify compares one object with its content, block by block.
func (r *Runner) verify(ctx context.Context, obj Object) error {
	got, err := r.client.GetObject(ctx, r.bucket, obj.Key, minio.GetObjectOptions{})
	if err != nil {
		return fmt.Errorf("get %s: %w", obj.Key, err)
	}
	defer got.Close()
	want := NewContent(obj.Seed, obj.Size)
	a, b := make([]byte, 256<<10), make([]byte, 256<<10)
	var off int64
	for {
		n, err := io.ReadFull(got, a)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return fmt.Errorf("get %s: %w", obj.Key, err)
		}
		m, _ := io.ReadFull(want, b[:n])
		if m != n || string(a[:n]) != string(b[:n]) {
			return fmt.Errorf("%s: bytes differ from what was written, in %d bytes from offset %d", obj.Key, n, off)
		}
		off += int64(n)
		if n < len(a) {
			break
		}
	}
	if off != obj.Size {
		return fmt.Errorf("%s: %d bytes, want %d", obj.Key, off, obj.Size)
	}
	return nil
}
