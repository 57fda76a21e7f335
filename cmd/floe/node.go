package main

import (
	"context"
	"errors"

	"github.com/floe-s3/floe/backend/node"
)

// minSecretLen is the shortest cluster secret accepted without a warning.
const minSecretLen = 16

var nodeCommand = &command{
	name:    "node",
	summary: "run a storage node",
	usage:   "node --listen ADDR --data DIR [--secret-file PATH] [--log-level LEVEL]",
	run:     runNode,
}

// runNode runs a storage node until ctx is cancelled.
func runNode(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	listen := fs.String("listen", "127.0.0.1:9001", "`address` to serve the node API on")
	dir := fs.String("data", "", "`directory` holding the node's shards (required)")
	secretFile := fs.String("secret-file", "", "read the cluster secret from `path` instead of $"+secretEnv)
	level := fs.String("log-level", "info", "log `level`: trace, debug, info, warn, error or disabled")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErrorf("--data is required")
	}
	if *listen == "" {
		return usageErrorf("--listen must not be empty")
	}
	log, err := newLogger(env.stderr, *level)
	if err != nil {
		return err
	}
	secret, err := clusterSecret(env, *secretFile)
	if err != nil {
		return err
	}
	if len(secret) < minSecretLen {
		log.Warn().Int("bytes", len(secret)).Msgf("cluster secret is shorter than %d bytes", minSecretLen)
	}

	cfg := node.Config{Listen: *listen, Dir: *dir, Secret: secret, Logger: log}
	err = node.Run(ctx, cfg)
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		// Stopped by a signal: a clean exit.
		return nil
	}
	if err == nil {
		err = errors.New("stopped unexpectedly")
	}
	// Once the logger runs, failures go to the JSON log like everything else.
	log.Error().Err(err).Str("listen", *listen).Str("data", *dir).Msg("storage node failed")
	return errLogged
}
