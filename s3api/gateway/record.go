package gateway

import (
	"context"
	"os"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/rs/zerolog"
)

// recordEvery is how often a gateway refreshes its row in the gateways
// table; `floe admin status` calls one unseen for three periods gone.
const recordEvery = 10 * time.Second

// gatewayRecorder is what recordGateway needs of the metadata store.
type gatewayRecorder interface {
	RecordGateway(ctx context.Context, g metadata.GatewayInfo) error
	GatewayStopped(ctx context.Context, id string) error
}

// recordGateway keeps this gateway's row fresh until ctx is done, then
// marks it stopped. Failures are logged, never fatal: the row is for
// operators, not for serving.
func recordGateway(ctx context.Context, meta gatewayRecorder, g metadata.GatewayInfo, log zerolog.Logger) {
	record := func() {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := meta.RecordGateway(rctx, g); err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("recording the gateway in PostgreSQL")
		}
	}
	record()
	t := time.NewTicker(recordEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			record()
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := meta.GatewayStopped(sctx, g.ID); err != nil {
				log.Warn().Err(err).Msg("recording the gateway's stop")
			}
			return
		}
	}
}

// gatewayID names a gateway stably across restarts: its host and the
// address it listens on.
func gatewayID(listen string) string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return host + "/" + listen
}
