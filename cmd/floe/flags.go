package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"
)

// errHelp is returned by a command whose flags asked for help; floe exits 0.
var errHelp = flag.ErrHelp

// newFlagSet returns a flag set for command c that reports errors instead
// of exiting, and prints c's synopsis above the flag defaults.
func newFlagSet(c *command, env *environ) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	// parseFlags reports errors itself; flag would print them a second time.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: floe %s\n\n%s.\n\nFlags:\n", c.usage, upperFirst(c.summary))
		fs.PrintDefaults()
	}
	addConfigFlags(fs, c.name)
	return fs
}

// parseFlags parses args into fs and rejects positional arguments. Usage
// asked for with -h goes to stdout; a bad flag becomes a usageError, which
// run reports in one line rather than with the whole flag list.
func parseFlags(fs *flag.FlagSet, env *environ, args []string) error {
	if err := parseFlagsOnly(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// parseFlagsOnly is parseFlags without the check for positional arguments.
func parseFlagsOnly(fs *flag.FlagSet, env *environ, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(env.stdout)
		fs.Usage()
		return errHelp
	}
	if err != nil {
		return usageErrorf("%v", err)
	}
	return applySettings(fs, env)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// newLogger returns the JSON logger commands write to stderr.
func newLogger(w io.Writer, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Logger{}, usageErrorf("--log-level %q: want trace, debug, info, warn, error or disabled", level)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// secretEnv names the environment variable holding the cluster secret.
const secretEnv = "FLOE_CLUSTER_SECRET"

// clusterSecret returns the secret shared by every node and server of a
// cluster: the contents of file if given, else the value of
// FLOE_CLUSTER_SECRET. A trailing newline in the file is not part of it, so
// `echo secret > file` works.
func clusterSecret(env *environ, file string) ([]byte, error) {
	var secret []byte
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading cluster secret: %w", err)
		}
		secret = bytes.TrimRight(b, "\r\n")
		if len(secret) == 0 {
			return nil, usageErrorf("cluster secret file %s is empty", file)
		}
		return secret, nil
	}
	if s := env.getenv(secretEnv); s != "" {
		return []byte(s), nil
	}
	return nil, usageErrorf("no cluster secret: set %s or pass --secret-file (every node and server of a cluster must share it)", secretEnv)
}

// minSecretLen is the shortest cluster secret accepted without a warning.
const minSecretLen = 16

// loadSecret returns the cluster secret (see clusterSecret) and warns on log
// when it is short.
func loadSecret(env *environ, file string, log zerolog.Logger) ([]byte, error) {
	secret, err := clusterSecret(env, file)
	if err != nil {
		return nil, err
	}
	if len(secret) < minSecretLen {
		log.Warn().Int("bytes", len(secret)).Msgf("cluster secret is shorter than %d bytes", minSecretLen)
	}
	return secret, nil
}

// finish ends a long-running command. Stopped by a signal (ctx cancelled),
// it is a clean exit; otherwise the failure goes to the JSON log, like
// everything else once the logger runs, and floe exits 1.
func finish(ctx context.Context, err error, log zerolog.Logger, what string) error {
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		return nil
	}
	if err == nil {
		err = errors.New("stopped unexpectedly")
	}
	log.Error().Err(err).Msg(what)
	return errLogged
}

// openAccessLog opens the --access-log destination: nil for none, stderr
// for "-", else the file, appended to (so logrotate's copytruncate works).
func openAccessLog(env *environ, path string) (*zerolog.Logger, func(), error) {
	switch path {
	case "":
		return nil, func() {}, nil
	case "-":
		l := zerolog.New(env.stderr).With().Timestamp().Logger()
		return &l, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, nil, usageErrorf("--access-log: %v", err)
	}
	l := zerolog.New(f).With().Timestamp().Logger()
	return &l, func() { f.Close() }, nil
}
