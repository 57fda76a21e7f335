package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/floe-s3/floe/backend/placement"
	"github.com/jackc/pgx/v5"
)

// UpsertNode implements Store: it registers n or updates its address and
// capacity, and sets its heartbeat to the database's now(). An empty
// n.State keeps the node's state (NodeAlive for a new node), so heartbeats
// do not undo an operator's "draining" or "dead".
func (s *Postgres) UpsertNode(ctx context.Context, n NodeInfo) error {
	if n.ID == "" {
		return fmt.Errorf("metadata: upsert node at %s: empty ID", n.Addr)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO nodes (id, addr, state, last_heartbeat, capacity_bytes, free_bytes)
		VALUES ($1, $2, COALESCE(NULLIF($3, ''), 'alive'), now(), $4, $5)
		ON CONFLICT (id) DO UPDATE SET
			addr = EXCLUDED.addr,
			state = COALESCE(NULLIF($3, ''), nodes.state),
			last_heartbeat = now(),
			capacity_bytes = EXCLUDED.capacity_bytes,
			free_bytes = EXCLUDED.free_bytes`,
		n.ID, n.Addr, n.State, n.CapacityBytes, n.FreeBytes)
	if err != nil {
		return fmt.Errorf("metadata: upsert node %s: %w", n.ID, err)
	}
	return nil
}

// ListNodes implements Store.
func (s *Postgres) ListNodes(ctx context.Context) ([]NodeInfo, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, addr, state, COALESCE(last_heartbeat, 'epoch'),
			COALESCE(capacity_bytes, 0), COALESCE(free_bytes, 0)
		FROM nodes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("metadata: list nodes: %w", err)
	}
	nodes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (NodeInfo, error) {
		var n NodeInfo
		err := r.Scan(&n.ID, &n.Addr, &n.State, &n.LastHeartbeat, &n.CapacityBytes, &n.FreeBytes)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: list nodes: %w", err)
	}
	return nodes, nil
}

// LiveNodes implements Store. Heartbeat ages are measured by the
// database's clock, so gateways' clocks need not agree.
func (s *Postgres) LiveNodes(ctx context.Context, maxAge time.Duration) ([]placement.Node, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, addr FROM nodes
		WHERE state = 'alive' AND last_heartbeat > now() - $1::bigint * interval '1 microsecond'
		ORDER BY id`, interval(maxAge))
	if err != nil {
		return nil, fmt.Errorf("metadata: live nodes: %w", err)
	}
	nodes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (placement.Node, error) {
		var n placement.Node
		err := r.Scan(&n.ID, &n.Addr)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: live nodes: %w", err)
	}
	return nodes, nil
}
