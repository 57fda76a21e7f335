package main

import (
	"context"

	"github.com/floe-s3/floe/backend/metrics"
	"github.com/floe-s3/floe/backend/node"
)

var nodeCommand = &command{
	name:    "node",
	summary: "run a storage node",
	usage:   "node --listen ADDR --data DIR [--reserve SIZE] [--group-sync] [--secret-file PATH] [--log-level LEVEL] [--metrics-listen ADDR]",
	run:     runNode,
}

// runNode runs a storage node until ctx is cancelled.
func runNode(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	listen := fs.String("listen", "127.0.0.1:9001", "`address` to serve the node API on")
	dir := fs.String("data", "", "`directory` holding the node's shards (required)")
	reserve := fs.String("reserve", "", "`size` to keep free on the data file system (e.g. 64MiB, 1GiB): at that point the node refuses new shards; 0 keeps nothing free (default 1% of the file system, at most 1GiB)")
	secretFile := fs.String("secret-file", "", "read the cluster secret from `path` instead of $"+secretEnv)
	level := fs.String("log-level", "info", "log `level`: trace, debug, info, warn, error or disabled")
	pprofAddr := fs.String("pprof-listen", "", pprofFlagUsage)
	metricsAddr := fs.String("metrics-listen", "", "serve Prometheus /metrics, /healthz and /readyz on this `address`, e.g. 127.0.0.1:9465; off when empty (several nodes often share a machine). Unauthenticated: keep it on loopback or a private network")
	groupSync := fs.Bool("group-sync", false, "make concurrent shard writes durable together with syncfs(2) rounds instead of two fsyncs each (Linux; best on a file system of the node's own)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErrorf("--data is required")
	}
	if *listen == "" {
		return usageErrorf("--listen must not be empty")
	}
	cfg := node.Config{Listen: *listen, Dir: *dir, GroupSync: *groupSync}
	if *reserve != "" {
		n, err := parseSize(*reserve)
		if err != nil {
			return usageErrorf("--reserve: %v", err)
		}
		cfg.Reserve = n
		if n == 0 {
			cfg.Reserve = -1 // node.Config's "no reserve"; 0 there is the default
		}
	}
	log, err := newLogger(env.stderr, *level)
	if err != nil {
		return err
	}
	secret, err := loadSecret(env, *secretFile, log)
	if err != nil {
		return err
	}
	if err := startPprof(ctx, *pprofAddr, log); err != nil {
		return err
	}
	cfg.Secret, cfg.Logger = secret, log
	stopMetrics, err := startNodeMetrics(ctx, *metricsAddr, &cfg)
	if err != nil {
		return err
	}
	defer stopMetrics()
	return finish(ctx, node.Run(ctx, cfg), log.With().Str("listen", *listen).Str("data", *dir).Logger(), "storage node failed")
}

// startNodeMetrics serves a node's metrics on addr, unless it is off, and
// hooks them into cfg. It listens before returning, so a bad address fails
// the command at once; the returned stop ends the listener.
func startNodeMetrics(ctx context.Context, addr string, cfg *node.Config) (stop func(), err error) {
	ln, err := metrics.ListenAddr(addr, false, cfg.Logger)
	if err != nil {
		return nil, usageErrorf("--metrics-listen %s: %v", addr, err)
	}
	if ln == nil {
		return func() {}, nil
	}
	reg, nm := metrics.ForNode()
	cfg.Metrics = nm
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := metrics.Serve(mctx, ln, metrics.Handler(reg, nil, cfg.Logger), cfg.Logger); err != nil {
			cfg.Logger.Error().Err(err).Msg("metrics listener failed")
		}
	}()
	return func() { cancel(); <-done }, nil
}
