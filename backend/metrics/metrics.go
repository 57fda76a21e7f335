// Package metrics exposes what a Floe gateway or storage node does as
// Prometheus metrics: it builds the registries, implements the small
// observer hooks the other packages offer (s3api.Config.Observe,
// blob.Options.Observer, repair/scrub/gc callbacks, node.Config.Metrics),
// collects cluster-wide figures from PostgreSQL on scrape (cached, with a
// short timeout, see ClusterCollector) and serves /metrics, /healthz and
// /readyz on a listener of its own, apart from the S3 port.
//
// Series names follow Prometheus conventions (floe_…_total counters,
// _seconds and _bytes units). Labels have bounded values: operations,
// status codes, node kinds and states, node IDs; never keys, buckets or
// users. Series named floe_cluster_… come from the metadata database and
// are the same on every gateway: take one gateway's value (or max), never
// the sum over gateways.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// DefaultGatewayListen is where a gateway serves its metrics by default:
// loopback only, as the endpoints are unauthenticated. 9464 is the port
// commonly used for Prometheus exporters of this kind.
const DefaultGatewayListen = "127.0.0.1:9464"

// Off reports whether a --metrics-listen value disables the listener.
func Off(addr string) bool { return addr == "" || addr == "off" }

// NewRegistry returns a registry holding the Go runtime and process
// collectors, for a gateway or a node to add its own to.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Pinger is a readiness check: nil when ready.
type Pinger interface {
	Ping(ctx context.Context) error
}

// probeTimeout bounds a readiness check, so a hung database makes /readyz
// answer 503 rather than hang the orchestrator's probe.
const probeTimeout = 3 * time.Second

// Handler serves reg on /metrics, 200 on /healthz while the process
// serves, and on /readyz 200 when ready answers nil (nil ready: always),
// else 503 with the reason.
func Handler(reg *prometheus.Registry, ready Pinger, log zerolog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A collector that fails is reported in the scrape's log and
		// leaves its series out; the others are still served.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      promLogger{log},
		Timeout:       10 * time.Second,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
			defer cancel()
			if err := ready.Ping(ctx); err != nil {
				log.Debug().Err(err).Msg("not ready")
				w.Header().Set("Retry-After", "1")
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// promLogger passes promhttp's errors to zerolog.
type promLogger struct{ log zerolog.Logger }

// Println implements promhttp.Logger.
func (l promLogger) Println(v ...any) { l.log.Warn().Msg(fmt.Sprint(v...)) }

// Listen opens the metrics listener on addr. It is separate from Serve so
// that a bad address fails start-up at once.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves h on ln until ctx is done, then closes the server and
// returns once it has stopped.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log zerolog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info().Str("listen", ln.Addr().String()).Msg("serving metrics")
	select {
	case err := <-errc:
		return fmt.Errorf("metrics: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("metrics: shutdown: %w", err)
	}
	return nil
}

// ListenAddr opens the listener a --metrics-listen value asks for: nil
// when Off. A gateway listens on DefaultGatewayListen unless told
// otherwise, so several gateways on one machine (tests, floe dev beside a
// real one) would fight over it: when optional (the value is the default,
// not one the operator chose), an address that cannot be bound is logged
// and the process runs without a metrics listener instead of failing.
func ListenAddr(addr string, optional bool, log zerolog.Logger) (net.Listener, error) {
	if Off(addr) {
		return nil, nil
	}
	ln, err := Listen(addr)
	if err != nil && optional {
		log.Warn().Err(err).Str("listen", addr).Msg("metrics: default address unavailable; serving no metrics (set --metrics-listen)")
		return nil, nil
	}
	return ln, err
}
