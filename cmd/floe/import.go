package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/floe-s3/floe/s3api/s3import"
	"github.com/mattn/go-isatty"
)

var importCommand = &command{
	name:    "import",
	summary: "copy buckets from another S3 server (AWS, MinIO, Garage, Floe) into Floe, resumably",
	usage: "import --source-endpoint URL (--bucket SRC[:DST]... | --all-buckets) [--dest-endpoint URL] [--workers N] [--dry-run] " +
		"[--database-url URL | --data DIR] [flags]",
	run: runImport,
}

// bucketList is a repeatable --bucket.
type bucketList []s3import.BucketPair

func (b *bucketList) String() string { return "" }

func (b *bucketList) Set(s string) error {
	p, err := s3import.ParseBucketPair(s)
	if err != nil {
		return err
	}
	*b = append(*b, p)
	return nil
}

// runImport parses the flags into an s3import.Config and runs it.
func runImport(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	db := databaseFlag(fs, env)
	envOr := func(names ...string) string {
		for _, n := range names {
			if v := env.getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	var src, dst s3import.Endpoint
	fs.StringVar(&src.URL, "source-endpoint", env.getenv("FLOE_IMPORT_SOURCE_ENDPOINT"), "source S3 endpoint `URL` (default $FLOE_IMPORT_SOURCE_ENDPOINT)")
	fs.StringVar(&src.Region, "source-region", envOr("FLOE_IMPORT_SOURCE_REGION", "AWS_REGION"), "`region` source requests are signed for (default $FLOE_IMPORT_SOURCE_REGION, $AWS_REGION, us-east-1)")
	fs.StringVar(&src.AccessKey, "source-access-key", envOr("FLOE_IMPORT_SOURCE_ACCESS_KEY_ID"), "source access key `ID` (default $FLOE_IMPORT_SOURCE_ACCESS_KEY_ID)")
	// Secrets default from the environment after parsing, so that help
	// never prints them as defaults.
	fs.StringVar(&src.SecretKey, "source-secret-key", "", "source secret `key`; prefer $FLOE_IMPORT_SOURCE_SECRET_ACCESS_KEY, which a process listing does not show")
	fs.StringVar(&src.SessionToken, "source-session-token", "", "source session `token` of temporary credentials (default $FLOE_IMPORT_SOURCE_SESSION_TOKEN)")
	fs.BoolVar(&src.PathStyle, "source-path-style", true, "address source buckets by path (/bucket/key); false for virtual hosts (bucket.host), as AWS prefers")
	fs.BoolVar(&src.Insecure, "source-insecure", false, "accept any TLS certificate from the source")
	fs.StringVar(&dst.URL, "dest-endpoint", envOr("FLOE_IMPORT_DEST_ENDPOINT"), "Floe's S3 endpoint `URL` (default $FLOE_IMPORT_DEST_ENDPOINT, http://127.0.0.1:9000)")
	fs.StringVar(&dst.Region, "dest-region", envOr("FLOE_IMPORT_DEST_REGION"), "`region` of Floe (its --region; default $FLOE_IMPORT_DEST_REGION, us-east-1)")
	fs.StringVar(&dst.AccessKey, "dest-access-key", envOr("FLOE_IMPORT_DEST_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"), "Floe access key `ID` (default $FLOE_IMPORT_DEST_ACCESS_KEY_ID, $AWS_ACCESS_KEY_ID, else the key of floe dev's --data directory)")
	fs.StringVar(&dst.SecretKey, "dest-secret-key", "", "Floe secret `key`; prefer $FLOE_IMPORT_DEST_SECRET_ACCESS_KEY or $AWS_SECRET_ACCESS_KEY")
	fs.BoolVar(&dst.Insecure, "dest-insecure", false, "accept any TLS certificate from Floe")
	var buckets bucketList
	fs.Var(&buckets, "bucket", "copy source bucket `SRC` into bucket DST (SRC[:DST], default DST = SRC; repeatable); created if missing")
	all := fs.Bool("all-buckets", false, "copy every bucket of the source, each into a bucket of the same name")
	workers := fs.Int("workers", s3import.DefaultWorkers, "`number` of objects copied at once")
	dry := fs.Bool("dry-run", false, "list what would be copied; copy nothing, create nothing, record no progress")
	every := fs.Duration("progress-interval", s3import.DefaultProgressEvery, "`time` between progress lines when stdout is not a terminal")
	retries := fs.Int("retries", s3import.DefaultRetries, "further `attempts` at an object after a transient failure")
	timeout := fs.Duration("timeout", s3import.DefaultCallTimeout, "`time` limit of each request, plus the object's size at 256 KiB/s for those carrying a body")
	level := fs.String("log-level", "info", "log `level` (to stderr): trace, debug, info, warn, error or disabled")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	for _, s := range []struct {
		v     *string
		names []string
	}{{&src.SecretKey, []string{"FLOE_IMPORT_SOURCE_SECRET_ACCESS_KEY"}}, {&src.SessionToken, []string{"FLOE_IMPORT_SOURCE_SESSION_TOKEN"}},
		{&dst.SecretKey, []string{"FLOE_IMPORT_DEST_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"}}} {
		if *s.v == "" {
			*s.v = envOr(s.names...)
		}
	}
	log, err := newLogger(env.stderr, *level)
	if err != nil {
		return err
	}
	if src.URL == "" {
		return usageErrorf("no source: pass --source-endpoint URL")
	}
	if dst.URL == "" {
		dst.URL = "http://127.0.0.1:9000"
	}
	dst.PathStyle = true
	if len(buckets) == 0 && !*all {
		return usageErrorf("nothing to import: pass --bucket SRC[:DST] (repeatable) or --all-buckets")
	}
	if len(buckets) > 0 && *all {
		return usageErrorf("--bucket and --all-buckets exclude each other")
	}
	if *workers < 1 || *retries < 0 || *timeout <= 0 {
		return usageErrorf("--workers must be positive, --retries not negative, --timeout positive")
	}
	if dst.AccessKey == "" && dst.SecretKey == "" && *db.data != "" {
		if b, err := os.ReadFile(filepath.Join(*db.data, devKeyFile)); err == nil {
			if k, err := parseDevKey(b); err == nil {
				dst.AccessKey, dst.SecretKey = k.ID, k.Secret
			}
		}
	}
	if dst.AccessKey == "" || dst.SecretKey == "" {
		return usageErrorf("no Floe access key: set FLOE_IMPORT_DEST_ACCESS_KEY_ID and FLOE_IMPORT_DEST_SECRET_ACCESS_KEY (or pass --dest-access-key and --dest-secret-key)")
	}

	cfg := s3import.Config{Source: src, Dest: dst, Buckets: buckets, AllBuckets: *all, Workers: *workers, DryRun: *dry,
		Out: env.stdout, Bar: isTerminal(env.stdout), ProgressEvery: *every, Retries: *retries, CallTimeout: *timeout, Log: log}
	if *retries == 0 {
		cfg.Retries = -1 // Config's zero means the default
	}
	var progress s3import.Progress
	if _, _, err := db.dsn(); err == nil || !*dry {
		meta, err := db.open(ctx)
		if err != nil {
			return err
		}
		defer meta.Close()
		progress = meta
	}
	start := time.Now()
	sum, err := s3import.Run(ctx, cfg, progress)
	log.Info().Int64("copied", sum.Copied).Int64("bytes", sum.CopiedBytes).Int64("skipped", sum.Skipped).
		Int64("failed", sum.Failed).Dur("took", time.Since(start)).Msg("import finished")
	if errors.Is(err, s3import.ErrFailed) {
		log.Error().Err(err).Msg("import incomplete")
		return errLogged
	}
	return err
}

// isTerminal reports whether w is a terminal, where a progress bar can
// redraw itself.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
