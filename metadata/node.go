package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/jackc/pgx/v5"
)

// UpsertNode registers n or records its heartbeat: it inserts n or updates its address and capacity, and sets its heartbeat
// to the database's now(). An empty n.State keeps the node's state
// (NodeAlive for a new node), so heartbeats do not undo an operator's
// "draining" or "dead".
func (s *Postgres) UpsertNode(ctx context.Context, n NodeInfo) error {
	if n.ID == "" {
		return fmt.Errorf("metadata: upsert node at %s: empty ID", n.Addr)
	}
	_, err := s.db.Exec(ctx, `
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

// ListNodes returns every registered node in ID order.
func (s *Postgres) ListNodes(ctx context.Context) ([]NodeInfo, error) {
	rows, err := s.db.Query(ctx, `
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

// liveNode is the condition on a nodes row for taking new shards: alive,
// heard from within $1 microseconds, and not out of space. A node reports
// as free only the space it still accepts shards into, above its reserve;
// a capacity of 0 means it has reported none (yet).
const liveNode = `state = 'alive'
	AND last_heartbeat > now() - $1::bigint * interval '1 microsecond'
	AND (COALESCE(capacity_bytes, 0) = 0 OR free_bytes > 0)`

// LiveNodes returns the nodes that may take new shards: alive, with a
// heartbeat within maxAge, and with free space above their reserve.
//
// Heartbeat ages are measured by the database's clock, so gateways' clocks
// need not agree.
func (s *Postgres) LiveNodes(ctx context.Context, maxAge time.Duration) ([]blobmeta.Node, error) {
	return s.queryNodes(ctx, `SELECT id, addr FROM nodes WHERE `+liveNode+` ORDER BY id`, maxAge)
}

// DownNodes returns the registered nodes that are neither live nor
// draining: suspect, dead, full or not heard from within maxAge. A
// write on a cluster short of live nodes records the shards it cannot
// place on them as missing, for repair to write once they return.
func (s *Postgres) DownNodes(ctx context.Context, maxAge time.Duration) ([]blobmeta.Node, error) {
	return s.queryNodes(ctx, `SELECT id, addr FROM nodes WHERE state <> 'draining' AND NOT (`+liveNode+`) ORDER BY id`, maxAge)
}

func (s *Postgres) queryNodes(ctx context.Context, query string, maxAge time.Duration) ([]blobmeta.Node, error) {
	rows, err := s.db.Query(ctx, query, interval(maxAge))
	if err != nil {
		return nil, fmt.Errorf("metadata: query nodes: %w", err)
	}
	nodes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (blobmeta.Node, error) {
		var n blobmeta.Node
		err := r.Scan(&n.ID, &n.Addr)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: query nodes: %w", err)
	}
	return nodes, nil
}
