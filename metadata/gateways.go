package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// GatewayInfo is a gateway as it records itself.
type GatewayInfo struct {
	ID        string // stable across restarts: host name and listen address
	Address   string // the S3 endpoint it serves
	Version   string
	StartedAt time.Time
	LastSeen  time.Time // by the database's clock
	StoppedAt time.Time // zero while it serves (or if it died without saying)
}

// RecordGateway records that g serves now: at start-up (with g.StartedAt
// set) and then periodically. A restart under the same ID replaces the
// row, so upgrades show their new version.
func (s *Postgres) RecordGateway(ctx context.Context, g GatewayInfo) error {
	_, err := s.db.Exec(ctx, `
		INSERT INTO gateways (id, address, version, started_at, last_seen)
		VALUES ($1, $2, $3, $4, now())
		ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, version = EXCLUDED.version,
			started_at = EXCLUDED.started_at, last_seen = now(), stopped_at = NULL`,
		g.ID, g.Address, g.Version, g.StartedAt)
	if err != nil {
		return fmt.Errorf("metadata: record gateway %s: %w", g.ID, err)
	}
	return nil
}

// GatewayStopped records that gateway id shut down cleanly.
func (s *Postgres) GatewayStopped(ctx context.Context, id string) error {
	if _, err := s.db.Exec(ctx, `UPDATE gateways SET stopped_at = now(), last_seen = now() WHERE id = $1`, id); err != nil {
		return fmt.Errorf("metadata: gateway %s stopped: %w", id, err)
	}
	return nil
}

// ListGateways returns the gateways seen within since of the database's
// now, most recently seen first.
func (s *Postgres) ListGateways(ctx context.Context, since time.Duration) ([]GatewayInfo, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, address, version, started_at, last_seen, COALESCE(stopped_at, 'epoch')
		FROM gateways WHERE last_seen > now() - make_interval(secs => $1)
		ORDER BY last_seen DESC, id`, since.Seconds())
	if err != nil {
		return nil, fmt.Errorf("metadata: list gateways: %w", err)
	}
	gs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (GatewayInfo, error) {
		var g GatewayInfo
		err := r.Scan(&g.ID, &g.Address, &g.Version, &g.StartedAt, &g.LastSeen, &g.StoppedAt)
		if g.StoppedAt.Equal(time.Unix(0, 0)) {
			g.StoppedAt = time.Time{}
		}
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: list gateways: %w", err)
	}
	return gs, nil
}
