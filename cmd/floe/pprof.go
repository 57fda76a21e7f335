package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/rs/zerolog"
)

// pprofFlagUsage documents --pprof-listen, which server and node share.
const pprofFlagUsage = "serve Go's profiles (net/http/pprof) on this `address`, e.g. 127.0.0.1:6060, for go tool pprof; off when empty. Unauthenticated: keep it on loopback"

// startPprof serves the runtime profiles on addr until ctx ends. It
// listens before returning, so a bad address fails the command at once.
func startPprof(ctx context.Context, addr string, log zerolog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErrorf("--pprof-listen %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Str("listen", addr).Msg("pprof server stopped")
		}
	}()
	log.Info().Str("listen", ln.Addr().String()).Msg("serving profiles")
	return nil
}
