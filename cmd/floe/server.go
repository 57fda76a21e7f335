package main

import (
	"context"
	"flag"
	"strconv"
	"strings"
	"time"

	"github.com/floe-s3/floe/backend/lifecycle"
	"github.com/floe-s3/floe/backend/membership"
	"github.com/floe-s3/floe/backend/metrics"
	"github.com/floe-s3/floe/backend/repair"
	"github.com/floe-s3/floe/backend/scrub"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/s3api"
	"github.com/floe-s3/floe/s3api/gateway"
)

var serverCommand = &command{
	name:    "server",
	summary: "run the S3 gateway",
	usage:   "server [--listen ADDR] [--database-url URL] [--nodes ADDR,...] [--ec K+M] [--tls-cert FILE --tls-key FILE] [--key-cache-ttl D] [--upload-expiry D] [--suspect-after D] [--dead-after D] [--body-idle-timeout D] [--body-min-rate SIZE] [--max-header-bytes SIZE] [--db-wait D] [--metrics-listen ADDR]",
	run:     runServer,
}

// parseEC parses "K+M", e.g. "4+2".
func parseEC(s string) (k, m int, err error) {
	ks, ms, ok := strings.Cut(s, "+")
	if ok {
		k, err = strconv.Atoi(ks)
		if err == nil {
			m, err = strconv.Atoi(ms)
		}
	}
	if !ok || err != nil {
		return 0, 0, usageErrorf("--ec %q: want K+M, e.g. 4+2", s)
	}
	return k, m, nil
}

// DefaultUploadExpiry is how long `floe server` lets a multipart upload
// stay unfinished: a week, as S3 lifecycle rules commonly choose, long
// enough for any real upload and short enough that abandoned parts do not
// hold space for long.
const DefaultUploadExpiry = 7 * 24 * time.Hour

func runServer(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	listen := fs.String("listen", "127.0.0.1:9000", "`address` to serve S3 on")
	dbURL := fs.String("database-url", env.getenv("DATABASE_URL"), "PostgreSQL `url` (default $DATABASE_URL)")
	nodes := fs.String("nodes", "", "comma-separated storage node `addresses` to register")
	ec := fs.String("ec", "4+2", "erasure code of new blobs: `K+M` data and parity shards")
	stripe := fs.Int("stripe-size", blobmeta.DefaultStripeSize, "data `bytes` per stripe")
	cert := fs.String("tls-cert", "", "serve HTTPS with this certificate `file` (PEM)")
	key := fs.String("tls-key", "", "private key `file` (PEM) for --tls-cert")
	var domains []string
	fs.Var(&listFlag{list: &domains, check: s3api.CheckDomain}, "domain",
		"serve virtual-hosted–style requests (bucket.`DOMAIN`/key) beside path style; repeat, or separate with commas, for several")
	region := fs.String("region", "us-east-1", "`region` requests are signed for and the gateway reports")
	keyTTL := fs.Duration("key-cache-ttl", s3api.DefaultKeyCacheTTL, "`time` an access key's secret is cached; a deleted key works for up to this long")
	secretFile := fs.String("secret-file", "", "read the cluster secret from `path` instead of $"+secretEnv)
	metricsAddr := fs.String("metrics-listen", metrics.DefaultGatewayListen, "serve Prometheus /metrics, /healthz and /readyz on this `address`, apart from S3; \"\" or off disables. Unauthenticated: keep it on loopback or a private network. If the default is taken (another gateway), the gateway runs without it")
	level := fs.String("log-level", "info", "log `level`: trace, debug, info, warn, error or disabled")
	gcEvery := fs.Duration("gc-interval", 5*time.Second, "`interval` between garbage collection rounds")
	grace := fs.Duration("intent-grace", time.Hour, "`age` after which an uncommitted write is collected")
	repairWorkers := fs.Int("repair-workers", repair.DefaultWorkers, "blobs repaired at once; 0 disables repair on this gateway")
	repairRate := fs.Int64("repair-rate", repair.DefaultRate, "`bytes` per second repair may read from nodes")
	expiry := fs.Duration("upload-expiry", DefaultUploadExpiry, "`age` after which an unfinished multipart upload is aborted and its parts deleted; 0 keeps them forever")
	scrubRate := fs.Int64("scrub-rate", scrub.DefaultRate, "shard `bytes` per second the background scrubber verifies; 0 disables it")
	orphanGrace := fs.Duration("orphan-grace", scrub.DefaultOrphanGrace, "`age` after which the scrubber deletes a shard file nothing references")
	scrubEvery := fs.Duration("scrub-interval", scrub.DefaultPassInterval, "least `time` between two scrub passes over a node")
	suspectAfter := fs.Duration("suspect-after", membership.DefaultSuspectAfter, "`time` without a heartbeat after which a node is suspect: no new shards, read last")
	deadAfter := fs.Duration("dead-after", membership.DefaultDeadAfter, "`time` a node stays suspect before it is declared dead and its shards are repaired elsewhere")
	bodyIdle := fs.Duration("body-idle-timeout", s3api.DefaultBodyIdleTimeout, "`time` without a request body byte after which the request fails with RequestTimeout; 0 disables body pacing")
	bodyRate := fs.String("body-min-rate", "1KiB", "least request body `size` per second, over each --body-idle-timeout spent waiting for it; 0 for none")
	lcDay := fs.Duration("lifecycle-day", lifecycle.DefaultDay, "length of a lifecycle rule's `day` (shorten it to test rules, as Ceph's rgw_lc_debug_interval)")
	lcRate := fs.Int("lifecycle-rate", lifecycle.DefaultRate, "deletions per second lifecycle rules may make from this gateway; 0 runs no lifecycle here")
	dbWait := fs.Duration("db-wait", metadata.DefaultWait, "longest `time` a request waits for a database connection before it is answered 503 ServiceUnavailable")
	maxHeader := fs.String("max-header-bytes", "64KiB", "largest request line and headers, `size`; larger requests get 431")
	pprofAddr := fs.String("pprof-listen", "", pprofFlagUsage)
	memLimit := fs.String("memory-limit", defaultMemoryLimit, "soft `size` limit of the gateway's Go memory, past which garbage collection works harder (GOMEMLIMIT, when set, replaces the default); 0 for none")
	accessLog := fs.String("access-log", "", "write a JSON line per request to this `file` (\"-\": stderr), whatever --log-level says; default: request lines in the log at info level")
	shutdownTimeout := fs.Duration("shutdown-timeout", gateway.DefaultShutdownTimeout, "longest `time` a stopping gateway (SIGTERM) waits for requests in flight before it cuts them")
	replicate := fs.String("replicate-below", "16KiB", "object `size` under which blobs are stored as M+1 whole copies rather than erasure-coded (one node read per GET); 0 for none")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if err := applyMemoryLimit(fs, env, *memLimit); err != nil {
		return err
	}
	replicateBelow, err := parseSize(*replicate)
	if err != nil {
		return usageErrorf("--replicate-below: %v", err)
	}
	if replicateBelow == 0 {
		replicateBelow = -1 // gateway.Config: negative replicates none
	}
	if *shutdownTimeout <= 0 {
		return usageErrorf("--shutdown-timeout must be positive")
	}
	if *dbWait <= 0 {
		return usageErrorf("--db-wait must be positive")
	}
	minRate, err := parseSize(*bodyRate)
	if err != nil || minRate < 0 {
		return usageErrorf("--body-min-rate %q: want a size per second such as 1KiB, or 0", *bodyRate)
	}
	headerBytes, err := parseSize(*maxHeader)
	if err != nil || headerBytes < 4<<10 || headerBytes > 1<<30 {
		return usageErrorf("--max-header-bytes %q: want a size from 4KiB to 1GiB", *maxHeader)
	}
	if *bodyIdle < 0 {
		return usageErrorf("--body-idle-timeout must not be negative")
	}
	if *bodyIdle == 0 {
		*bodyIdle = -1 // gateway.Config: negative disables pacing
	}
	if minRate == 0 {
		minRate = -1 // gateway.Config: negative is no minimum rate
	}
	if *scrubRate < 0 || *orphanGrace <= 0 || *scrubEvery <= 0 {
		return usageErrorf("--scrub-rate %d, --orphan-grace %v, --scrub-interval %v: want a rate >= 0, a positive grace and interval",
			*scrubRate, *orphanGrace, *scrubEvery)
	}
	if *lcDay < time.Second || *lcRate < 0 {
		return usageErrorf("--lifecycle-day must be at least 1s and --lifecycle-rate >= 0")
	}
	if *lcRate == 0 {
		*lcRate = -1 // gateway.Config: negative disables
	}
	if *suspectAfter <= 0 || *deadAfter <= 0 {
		return usageErrorf("--suspect-after and --dead-after must be positive")
	}
	if *dbURL == "" {
		return usageErrorf("no database: set DATABASE_URL or pass --database-url")
	}
	if *expiry < 0 {
		return usageErrorf("--upload-expiry %v: want a positive age, or 0 to keep uploads forever", *expiry)
	}
	if *repairWorkers < 0 || *repairRate <= 0 {
		return usageErrorf("--repair-workers must be >= 0 and --repair-rate > 0")
	}
	if *repairWorkers == 0 {
		*repairWorkers = -1 // gateway.Config: negative disables
	}
	if (*cert == "") != (*key == "") {
		return usageErrorf("--tls-cert and --tls-key go together")
	}
	k, m, err := parseEC(*ec)
	if err != nil {
		return err
	}
	params := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: k, M: m, StripeSize: *stripe}
	if err := params.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	log, err := newLogger(env.stderr, *level)
	if err != nil {
		return err
	}
	secret, err := loadSecret(env, *secretFile, log)
	if err != nil {
		return err
	}
	access, closeAccess, err := openAccessLog(env, *accessLog)
	if err != nil {
		return err
	}
	defer closeAccess()
	if err := startPprof(ctx, *pprofAddr, log); err != nil {
		return err
	}
	var seeds []string
	for _, a := range strings.Split(*nodes, ",") {
		if a = strings.TrimSpace(a); a != "" {
			seeds = append(seeds, a)
		}
	}
	cfg := gateway.Config{
		Listen: *listen, DatabaseURL: *dbURL, DBWait: *dbWait, Secret: secret, Params: params, Nodes: seeds,
		TLSCert: *cert, TLSKey: *key, Region: *region, Domains: domains, Logger: log,
		GCInterval: *gcEvery, IntentGrace: *grace, KeyCacheTTL: *keyTTL, UploadExpiry: *expiry,
		ScrubRate: *scrubRate, OrphanGrace: *orphanGrace, ScrubInterval: *scrubEvery,
		SuspectAfter: *suspectAfter, DeadAfter: *deadAfter,
		RepairWorkers: *repairWorkers, RepairRate: *repairRate,
		BodyIdleTimeout: *bodyIdle, BodyMinRate: minRate, MaxHeaderBytes: int(headerBytes),
		LifecycleDay: *lcDay, LifecycleRate: *lcRate, ReplicateBelow: replicateBelow,
		Version: floeVersion(), ShutdownTimeout: *shutdownTimeout, AccessLog: access,
	}
	cfg.MetricsListen = *metricsAddr
	// Only the default gives way to another gateway holding its port.
	cfg.MetricsOptional = true
	fs.Visit(func(f *flag.Flag) { cfg.MetricsOptional = cfg.MetricsOptional && f.Name != "metrics-listen" })
	return finish(ctx, gateway.Run(ctx, cfg), log.With().Str("listen", *listen).Logger(), "S3 gateway failed")
}
