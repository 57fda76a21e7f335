package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/floe-s3/floe/e2e/loadgen"
)

var benchCommand = &command{
	name:    "bench",
	summary: "measure an S3 endpoint (Floe, MinIO, any) with PUT, GET and LIST load",
	usage: "bench [--endpoint URL] [--access-key ID --secret-key S] [--op put|get|list] [--size SIZE] [--concurrency N] " +
		"[--duration D] [--objects N] [--suite reference] [--server-pid PID,...] [--bucket NAME] [--verify] [--keep]",
	run: runBench,
}

// runBench runs one shape, or the reference suite, and prints a table.
func runBench(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	endpoint := fs.String("endpoint", "http://127.0.0.1:9000", "S3 endpoint `URL`, http:// (bodies signed chunk by chunk) or https:// (UNSIGNED-PAYLOAD)")
	accessKey := fs.String("access-key", env.getenv("AWS_ACCESS_KEY_ID"), "access key `ID` (default $AWS_ACCESS_KEY_ID, else the key of floe dev's --data directory)")
	secretKey := fs.String("secret-key", env.getenv("AWS_SECRET_ACCESS_KEY"), "secret `key` (default $AWS_SECRET_ACCESS_KEY)")
	defData := env.getenv(devDataEnv)
	if defData == "" {
		defData = devDefaultData
	}
	data := fs.String("data", defData, "floe dev's data `directory`, whose access key is used when none is given")
	region := fs.String("region", devRegion, "`region` requests are signed for")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate")
	op := fs.String("op", "put", "`operation`: put, get or list")
	sizeFlag := fs.String("size", "4KiB", "object `size`")
	concurrency := fs.Int("concurrency", 16, "concurrent `clients`")
	duration := fs.Duration("duration", 30*time.Second, "`time` each shape runs")
	objects := fs.Int("objects", 0, "objects GET and LIST write before the clock starts (0: up to 1,000 and 1 GiB for GET, 2,000 for LIST)")
	pageSize := fs.Int("page-size", 100, "LIST's keys per `page`")
	suite := fs.String("suite", "", "run the `suite` of shapes named instead of one: \"reference\" runs the shapes Floe is compared with MinIO by, with --duration each")
	pids := fs.String("server-pid", "", "the server's process `IDs`, comma-separated, whose peak RSS and CPU time are reported")
	bucket := fs.String("bucket", "", "an existing `bucket` to use (default: a new one, removed afterwards)")
	verify := fs.Bool("verify", false, "read back every object PUT wrote and compare its bytes")
	keep := fs.Bool("keep", false, "leave the objects (and the bucket) behind")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	size, err := parseSize(*sizeFlag)
	if err != nil {
		return usageErrorf("--size: %v", err)
	}
	if *concurrency < 1 || *duration <= 0 || *objects < 0 || *pageSize < 1 || *pageSize > 1000 {
		return usageErrorf("--concurrency and --duration must be positive, --objects not negative, --page-size 1 to 1000")
	}
	var refs []loadgen.Reference
	switch *suite {
	case "":
		o := loadgen.Op(strings.ToUpper(*op))
		if o != loadgen.Put && o != loadgen.Get && o != loadgen.List {
			return usageErrorf("--op %q: want put, get or list", *op)
		}
		refs = []loadgen.Reference{{Shape: loadgen.Shape{Op: o, Size: size, Concurrency: *concurrency,
			Duration: *duration, Objects: *objects, PageSize: *pageSize}}}
	case "reference":
		refs = loadgen.ReferenceShapes(*duration)
	default:
		return usageErrorf("--suite %q: want reference", *suite)
	}
	serverPIDs, err := parsePIDs(*pids)
	if err != nil {
		return usageErrorf("--server-pid: %v", err)
	}
	if *accessKey == "" && *secretKey == "" {
		if b, err := os.ReadFile(filepath.Join(*data, devKeyFile)); err == nil {
			if k, err := parseDevKey(b); err == nil {
				*accessKey, *secretKey = k.ID, k.Secret
			}
		}
	}
	if *accessKey == "" || *secretKey == "" {
		return usageErrorf("no access key: pass --access-key and --secret-key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}

	r, err := loadgen.New(loadgen.Config{Endpoint: *endpoint, AccessKey: *accessKey, SecretKey: *secretKey,
		Region: *region, Insecure: *insecure, Bucket: *bucket, ServerPIDs: serverPIDs})
	if err != nil {
		return usageErrorf("%v", err)
	}
	setup, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.Setup(setup); err != nil {
		return err
	}
	var (
		results []loadgen.Result
		minio   []float64
		runErr  error
	)
	for _, ref := range refs {
		fmt.Fprintf(env.stderr, "floe bench: %s %s × %d for %s on %s\n", ref.Op, loadgen.FormatSize(ref.Size), ref.Concurrency, ref.Duration, r.Bucket())
		res, err := r.Run(ctx, ref.Shape)
		if err != nil {
			runErr = err
			break
		}
		if *verify && len(res.Written) > 0 {
			if err := r.Verify(ctx, res.Written, ref.Concurrency); err != nil {
				runErr = err
				break
			}
			fmt.Fprintf(env.stderr, "floe bench: all %d objects written read back intact\n", len(res.Written))
		}
		res.Written = nil // not needed any more; can be many
		results = append(results, res)
		minio = append(minio, ref.MinIO)
	}
	if *suite == "" {
		minio = nil
	}
	if len(results) > 0 {
		if err := loadgen.Table(env.stdout, results, minio); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	if !*keep {
		// Clean up even after a signal, within its own deadline.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
		defer cancel()
		if err := r.Cleanup(cctx); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	if runErr != nil {
		return runErr
	}
	var failed int64
	for _, res := range results {
		failed += res.Errors
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}

// parsePIDs parses a comma-separated list of process IDs.
func parsePIDs(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var pids []int
	for f := range strings.SplitSeq(s, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("%q is not a process ID", f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
