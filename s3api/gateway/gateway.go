// Package gateway assembles and runs a whole Floe S3 gateway: it opens the
// metadata store (*metadata.Postgres) and the node client, builds the blob
// store over the storage nodes, starts the background workers (membership's
// node monitor, gc's collector, the repairer and the scrubber) and serves
// the S3 HTTP(S) server. It is the one place that knows every part: each
// part declares the small interface it needs of the others, and the gateway
// hands it the concrete store and client. cmd/floe only turns flags into a
// Config and calls Run.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/gc"
	"github.com/floe-s3/floe/backend/lifecycle"
	"github.com/floe-s3/floe/backend/membership"
	"github.com/floe-s3/floe/backend/metrics"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/repair"
	"github.com/floe-s3/floe/backend/scrub"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/s3api"
	"github.com/floe-s3/floe/s3api/console"
	"github.com/rs/zerolog"
)

// Config is a gateway's configuration.
type Config struct {
	Listen      string // host:port of the S3 endpoint
	DatabaseURL string // PostgreSQL connection string
	// DBWait bounds how long a request waits for a database connection
	// before it is answered 503 ServiceUnavailable; zero means
	// metadata.DefaultWait.
	DBWait time.Duration
	Secret []byte // cluster secret shared with the storage nodes
	Params blobmeta.Params
	// ReplicateBelow is the object size under which blobs are stored as
	// whole copies (blob.Options.ReplicateBelow); zero means
	// DefaultReplicateBelow, negative replicates none.
	ReplicateBelow int64
	Nodes          []string // storage node addresses to register (more may be registered already)
	TLSCert        string   // serve HTTPS with this certificate and key when set
	TLSKey         string
	Region         string // requests must be signed for it; default us-east-1
	// Domains are the host names under which "bucket.DOMAIN" names a
	// bucket (virtual-hosted style); path style works whatever they are.
	Domains []string
	// KeyCacheTTL is how long the gateway trusts an access key's secret
	// before reading it from the database again, and so how long a deleted
	// key keeps working; zero means s3api.DefaultKeyCacheTTL.
	KeyCacheTTL time.Duration
	Logger      zerolog.Logger
	// GCInterval and IntentGrace tune garbage collection (see package gc).
	GCInterval  time.Duration
	IntentGrace time.Duration
	// UploadExpiry is how long a multipart upload may stay unfinished
	// before garbage collection aborts it; 0 keeps uploads forever.
	UploadExpiry time.Duration
	// ScrubRate bounds the shard bytes per second the scrubber verifies
	// (see package scrub); 0 runs no scrubber. OrphanGrace is how old an
	// unreferenced shard file must be before the scrubber deletes it
	// (0: scrub.DefaultOrphanGrace).
	// ScrubInterval is the least time between two passes over a node
	// (0: scrub.DefaultPassInterval).
	ScrubRate     int64
	OrphanGrace   time.Duration
	ScrubInterval time.Duration
	// SuspectAfter and DeadAfter drive the node state machine (see
	// membership.Monitor); zero means the membership defaults. New shards
	// go only to alive nodes heard from within SuspectAfter.
	SuspectAfter time.Duration
	DeadAfter    time.Duration
	// RepairWorkers is how many blobs this gateway repairs at once
	// (0: repair.DefaultWorkers; negative: no repair here), reading at
	// most RepairRate bytes per second (0: repair.DefaultRate).
	RepairWorkers int
	RepairRate    int64
	// LifecycleDay is the length of a lifecycle rule's day
	// (lifecycle.DefaultDay if zero; tests use seconds) and LifecycleRate
	// bounds the deletions per second lifecycle runs make (0:
	// lifecycle.DefaultRate; negative: no lifecycle runs here).
	LifecycleDay  time.Duration
	LifecycleRate int
	// BodyIdleTimeout and BodyMinRate pace request bodies (see
	// s3api.Config); zero means the s3api defaults, negative none (a
	// negative BodyIdleTimeout: no pacing at all). MaxHeaderBytes bounds a request's line and
	// headers (0: DefaultMaxHeaderBytes).
	BodyIdleTimeout time.Duration
	BodyMinRate     int64
	MaxHeaderBytes  int
	// Ready, if set, receives the endpoint URL once the gateway serves.
	Ready chan<- string
	// Version is the build the gateway records for `floe admin status`.
	Version string
	// MetricsListen is where /metrics, /healthz and /readyz are served
	// (package metrics); "" or "off" serves none. MetricsOptional makes an
	// address that cannot be bound a warning instead of an error (it is
	// the default, which another gateway on the machine may hold).
	MetricsListen   string
	MetricsOptional bool
	// ShutdownTimeout bounds how long a stopping gateway waits for the
	// requests in flight (0: DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// AccessLog, if set, gets a line per request (see s3api.Config).
	AccessLog *zerolog.Logger
}

// DefaultReplicateBelow is the object size under which blobs are kept
// as whole copies rather than erasure-coded. Below it a shard of an
// erasure-coded blob is smaller than a file system block, so M+1 copies
// take about the disk K+M tiny shards do, while a GET reads one node
// instead of K.
const DefaultReplicateBelow = 16 << 10

// DefaultShutdownTimeout is how long a stopping gateway lets requests in
// flight finish: most requests end well within it, and it stays under
// the 30 s after which orchestrators (Kubernetes'
// terminationGracePeriodSeconds) kill the process anyway. An upload cut
// at the deadline was never acknowledged; its client retries.
const DefaultShutdownTimeout = 25 * time.Second

// DefaultMaxHeaderBytes bounds a request's line and headers. S3 itself
// allows 8 KiB of headers on a PUT; the slack is for presigned URLs of
// long keys (up to 3 KiB escaped) and proxies' additions. Go's server
// answers a request over it with 431, before Floe sees it.
const DefaultMaxHeaderBytes = 64 << 10

// Run serves the S3 API until ctx is done.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	meta, err := metadata.OpenWith(ctx, cfg.DatabaseURL, metadata.Options{Wait: cfg.DBWait})
	if err != nil {
		return fmt.Errorf("gateway: metadata: %w", err)
	}
	defer meta.Close()
	client := node.NewClient(cfg.Secret, nil)
	replicateBelow := cfg.ReplicateBelow
	switch {
	case replicateBelow == 0:
		replicateBelow = DefaultReplicateBelow
	case replicateBelow < 0:
		replicateBelow = 0
	}
	// Metrics are always kept (a few atomic adds per request); only the
	// listener serving them is optional.
	reg, gm := metrics.ForGateway(meta, log)
	blobs := blob.NewStore(client, blob.Options{Params: cfg.Params, ReplicateBelow: replicateBelow,
		OnBadShard: badShardHook(meta, log), Observer: gm}, log)

	suspectAfter := cfg.SuspectAfter
	if suspectAfter <= 0 {
		suspectAfter = membership.DefaultSuspectAfter
	}
	mon := &membership.Monitor{Meta: meta, Client: client, Seeds: cfg.Nodes, Log: log,
		SuspectAfter: suspectAfter, DeadAfter: cfg.DeadAfter}
	if err := mon.PollOnce(ctx); err != nil {
		return fmt.Errorf("gateway: first node poll: %w", err)
	}
	col := &gc.Collector{Meta: meta, Client: client, Interval: cfg.GCInterval, IntentGrace: cfg.IntentGrace,
		UploadExpiry: cfg.UploadExpiry, Log: log, OnRound: gm.Collected}
	rep := &repair.Repairer{Meta: meta, Blobs: blobs, Workers: cfg.RepairWorkers, Rate: cfg.RepairRate,
		NodeMaxAge: suspectAfter, Log: log, OnRepair: gm.Repaired}
	// Ready when PostgreSQL answers and writes would find enough live
	// nodes: the S3 port's /_floe/readyz and the metrics /readyz agree.
	ready := metrics.Readiness{Meta: meta, MinLive: blobs.MinLiveNodes(), MaxAge: suspectAfter}

	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	// Signed requests are checked against the keys in PostgreSQL; unsigned
	// ones are anonymous and get only what a bucket policy grants "*".
	auth := s3api.NewSigV4(meta, region, cfg.KeyCacheTTL)
	idle := cfg.BodyIdleTimeout
	switch {
	case idle == 0:
		idle = s3api.DefaultBodyIdleTimeout
	case idle < 0:
		idle = 0
	}
	minRate := cfg.BodyMinRate
	switch {
	case minRate == 0:
		minRate = s3api.DefaultBodyMinRate
	case minRate < 0:
		minRate = 0
	}
	maxHeader := cfg.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	// The web console checks its API calls with the same SigV4 and shows
	// this server's traffic: s3srv is set before anything is served.
	var s3srv *s3api.Server
	con := console.New(console.Config{Auth: auth, Store: meta, Region: region, Logger: log,
		Traffic: func() s3api.Traffic { return s3srv.Traffic() }})
	s3srv = s3api.New(s3api.Config{Meta: meta, Blobs: blobs, Auth: auth, Region: region, Domains: cfg.Domains, Logger: log,
		NodeMaxAge: suspectAfter, BodyIdleTimeout: idle, BodyMinRate: minRate, Ready: ready, Console: con, AccessLog: cfg.AccessLog,
		Observe: func(d s3api.RequestDone) {
			gm.Request(d.Operation, d.Action, d.Method, d.Status, d.In, d.Out, d.Duration)
		}})
	srv := &http.Server{
		Handler:           s3srv,
		ReadHeaderTimeout: 30 * time.Second,
		MaxHeaderBytes:    maxHeader,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          nil,
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("gateway: listen: %w", err)
	}
	scheme := "http"
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("gateway: TLS key pair: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	mln, err := metrics.ListenAddr(cfg.MetricsListen, cfg.MetricsOptional, log)
	if err != nil {
		ln.Close()
		return fmt.Errorf("gateway: %w", err)
	}
	if mln != nil {
		// Served until Run returns, through a shutdown's drain too.
		mctx, stopMetrics := context.WithCancel(context.WithoutCancel(ctx))
		mdone := make(chan struct{})
		go func() {
			defer close(mdone)
			if err := metrics.Serve(mctx, mln, metrics.Handler(reg, ready, log), log); err != nil {
				log.Error().Err(err).Msg("metrics listener failed")
			}
		}()
		defer func() { stopMetrics(); <-mdone }()
	}

	bg, stopBG := context.WithCancel(ctx)
	// The node monitor and the gateway's record outlive a shutdown's
	// drain, for requests still in flight place shards on live nodes;
	// the rest stops at once, releasing its repair and scrub leases.
	alive, stopAlive := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); mon.Run(alive) }()
	go func() { defer wg.Done(); col.Run(bg) }()
	if cfg.ScrubRate > 0 {
		scr := &scrub.Scrubber{Meta: meta, Client: client, Rate: cfg.ScrubRate, OrphanGrace: cfg.OrphanGrace,
			PassInterval: cfg.ScrubInterval, Log: log, OnStep: gm.Scrubbed}
		wg.Go(func() { scr.Run(bg) })
	}
	go func() { defer wg.Done(); rep.Run(bg) }()
	if cfg.LifecycleRate >= 0 {
		lc := &lifecycle.Worker{Store: meta, Day: cfg.LifecycleDay, Rate: cfg.LifecycleRate, Log: log}
		wg.Go(func() { lc.Run(bg) })
	}
	defer func() { stopBG(); stopAlive(); wg.Wait() }()

	endpoint := scheme + "://" + ln.Addr().String()
	log.Info().Str("endpoint", endpoint).Str("ec", cfg.Params.String()).Msg("S3 gateway serving")
	wg.Go(func() {
		recordGateway(alive, meta, metadata.GatewayInfo{ID: gatewayID(ln.Addr().String()), Address: endpoint,
			Version: cfg.Version, StartedAt: time.Now()}, log)
	})
	if cfg.Ready != nil {
		cfg.Ready <- endpoint
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("gateway: serve: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting, let requests in flight finish (their contexts are
	// not the process's, so a signal does not cut them), then stop.
	grace := cfg.ShutdownTimeout
	if grace <= 0 {
		grace = DefaultShutdownTimeout
	}
	log.Info().Dur("deadline", grace).Msg("S3 gateway shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = srv.Close() // past the deadline: cut what is left
		return fmt.Errorf("gateway: shutdown: requests still running after %s: %w", grace, err)
	}
	log.Info().Msg("S3 gateway stopped")
	return nil
}
