package e2e

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/e2e/loadgen"
	"github.com/floe-s3/floe/metadata/pgtest"
)

// BenchmarkReference runs the shapes Floe is compared with MinIO by
// (loadgen.ReferenceShapes) against a cluster of real processes: six
// nodes, RS 3+3 as MinIO's six drives use, one gateway, a PostgreSQL that
// syncs its commits (not the tests' throw-away one), driven over
// HTTP by `floe bench`'s load generator (minio-go, as warp is). Each
// shape runs for $FLOE_BENCH_DURATION (default 10s) once, whatever
// -benchtime says:
//
//	go test -run '^$' -bench Reference -benchtime 1x -timeout 30m ./e2e/
//
// FLOE_BENCH_SHAPES=put,get,list (or a size, e.g. 4KiB) picks shapes;
// FLOE_BENCH_GATEWAY_ARGS adds flags to `floe server`, FLOE_BENCH_NODE_ARGS
// to every `floe node`,
// FLOE_BENCH_NODE_PPROF=PORT has node i serve its profiles on PORT+i, and
// FLOE_BENCH_TLS=1 serves HTTPS (minio-go then sends UNSIGNED-PAYLOAD).
// Reported per shape: its figure, the ratio to MinIO's ("x-minio"),
// latencies, and the gateway's peak RSS and CPU seconds.
func BenchmarkReference(b *testing.B) {
	d := 10 * time.Second
	if s := os.Getenv("FLOE_BENCH_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			b.Fatalf("FLOE_BENCH_DURATION: %v", err)
		}
	}
	// E.g. FLOE_BENCH_GATEWAY_ARGS="--pprof-listen 127.0.0.1:6060" to
	// profile the gateway while a shape runs.
	// FLOE_BENCH_NODE_PPROF=6070 serves node i's profiles on 127.0.0.1:6070+i.
	var opts nodetest.Options
	nodeArgs := strings.Fields(os.Getenv("FLOE_BENCH_NODE_ARGS"))
	pprofBase := -1
	if p := os.Getenv("FLOE_BENCH_NODE_PPROF"); p != "" {
		var err error
		if pprofBase, err = strconv.Atoi(p); err != nil {
			b.Fatalf("FLOE_BENCH_NODE_PPROF: %v", err)
		}
	}
	opts.Args = func(i int) []string {
		args := append([]string(nil), nodeArgs...)
		if pprofBase >= 0 {
			args = append(args, "--pprof-listen", "127.0.0.1:"+strconv.Itoa(pprofBase+i))
		}
		return args
	}
	// A PostgreSQL that syncs every commit, as in production: the figures
	// are for durable writes, as MinIO's are.
	args := append([]string{"--ec", "3+3"}, strings.Fields(os.Getenv("FLOE_BENCH_GATEWAY_ARGS"))...)
	if os.Getenv("FLOE_BENCH_TLS") == "1" {
		cert, key := selfSignedCert(b)
		args = append(args, "--tls-cert", cert, "--tls-key", key)
	}
	cl := startClusterOn(b, pgtest.DurableDSN(b), 6, opts, args...)
	r, err := loadgen.New(loadgen.Config{Endpoint: cl.endpoint, AccessKey: cl.accessKey, SecretKey: cl.secretKey,
		Insecure: true, ServerPIDs: []int{cl.gateway.Process.Pid}})
	must(b, err, "new load generator")
	ctx := ctxT(b)
	must(b, r.Setup(ctx), "setup")
	b.Cleanup(func() { must(b, r.Cleanup(ctxT(b)), "cleanup") })
	shapes := loadgen.ReferenceShapes(d)
	// The performance issue's own listing goal: 8 listers over 10,000
	// keys at 42,000 keys/s ("x-minio" is then the ratio to that goal).
	shapes = append(shapes, loadgen.Reference{
		Shape: loadgen.Shape{Op: loadgen.List, Size: 1 << 10, Concurrency: 8, Duration: d, PageSize: 100, Objects: 10_000},
		MinIO: 42_000,
	})
	for _, ref := range shapes {
		name := string(ref.Op) + "/" + strings.ReplaceAll(loadgen.FormatSize(ref.Size), " ", "") + "x" + strconv.Itoa(ref.Concurrency)
		if ref.Objects != 0 {
			name += "/" + strconv.Itoa(ref.Objects) + "keys"
		}
		if !pickedShape(name) {
			continue
		}
		b.Run(name, func(b *testing.B) {
			var res loadgen.Result
			for range b.N {
				if res.Ops > 0 {
					break // once is enough; see above
				}
				if res, err = r.Run(ctx, ref.Shape); err != nil {
					b.Fatal(err)
				}
			}
			if res.Errors > 0 {
				b.Fatalf("%d requests failed; first: %s", res.Errors, res.FirstError)
			}
			fig, unit := res.Figure()
			b.ReportMetric(fig, unit)
			b.ReportMetric(fig/ref.MinIO, "x-minio")
			b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(res.PeakRSS)/(1<<20), "gw-rss-MiB")
			b.ReportMetric(res.CPU.Seconds(), "gw-cpu-s")
			b.ReportMetric(0, "ns/op") // one timed run, not per-op figures
		})
	}
}

// pickedShape says whether $FLOE_BENCH_SHAPES (comma-separated pieces of
// names, case-insensitive) selects the named shape; empty selects all.
func pickedShape(name string) bool {
	pick := os.Getenv("FLOE_BENCH_SHAPES")
	if pick == "" {
		return true
	}
	for p := range strings.SplitSeq(strings.ToLower(pick), ",") {
		if p != "" && strings.Contains(strings.ToLower(name), p) {
			return true
		}
	}
	return false
}
