package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClusterStats is what the metadata says about the cluster as a whole, for
// metrics: the same for every gateway asking, so a dashboard should take
// one gateway's figures (or max over them), never their sum.
type ClusterStats struct {
	// Repair summarizes the repair queue.
	Repair RepairQueueStats
	// Shards counts shard rows by their own state (a Shard* constant) and
	// their node's (a Node* constant, "unregistered" for a node without a
	// row): an ok shard on a dead node is as lost as a missing one.
	Shards []ShardCount
	// GC is what garbage collection has left to do.
	GC GCBacklog
	// Nodes are the registered nodes, in ID order.
	Nodes []NodeStats
	// Scrub is each node's scrub progress, in node ID order.
	Scrub []ScrubProgress
}

// RepairQueueStats summarizes repair_queue.
type RepairQueueStats struct {
	Queued     int64 // blobs in the queue
	InProgress int64 // of those, leased by a repairer now
	Retrying   int64 // of those, waiting out a backoff after a failure
	// OldestAge is how long the oldest entry has been queued, on the
	// database's clock; zero when the queue is empty.
	OldestAge time.Duration
}

// ShardCount is how many shards have one state on nodes of one state.
type ShardCount struct {
	State     string
	NodeState string
	Count     int64
}

// GCBacklog is what garbage collection has left to delete.
type GCBacklog struct {
	Blobs int64 // blobs queued for deletion
	Bytes int64 // their total size (data bytes, before coding)
	// Intents are write intents not yet committed or collected: writes in
	// flight, and those of gateways that died, which gc collects once
	// they are older than its grace.
	Intents int64
}

// NodeStats is one node's row.
type NodeStats struct {
	ID            string
	State         string
	CapacityBytes int64
	FreeBytes     int64
	// HeartbeatAge is the time since its last heartbeat, on the
	// database's clock; negative if it never had one.
	HeartbeatAge time.Duration
}

// NodeUnregistered is the node state ClusterStats.Shards gives shards
// whose node has no row (removed while repair still moves them).
const NodeUnregistered = "unregistered"

// ClusterStats reads ClusterStats in one read-only transaction, so its
// figures agree with each other. Counting shards scans the shards table;
// callers should cache the result for a few seconds and bound ctx.
func (s *Postgres) ClusterStats(ctx context.Context) (ClusterStats, error) {
	var st ClusterStats
	err := pgx.BeginFunc(ctx, s.db,
		func(tx pgx.Tx) error {
			// One snapshot for every figure; the store's pool has no
			// BeginTx, so the transaction is made read-only here.
			if _, err := tx.Exec(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`); err != nil {
				return err
			}
			var oldest float64
			if err := tx.QueryRow(ctx, `
				SELECT count(*),
					count(*) FILTER (WHERE claimed_until > now()),
					count(*) FILTER (WHERE not_before > now() AND (claimed_until IS NULL OR claimed_until <= now())),
					COALESCE(EXTRACT(EPOCH FROM now() - min(enqueued_at)), 0)::float8
				FROM repair_queue`).Scan(&st.Repair.Queued, &st.Repair.InProgress, &st.Repair.Retrying, &oldest); err != nil {
				return fmt.Errorf("repair queue: %w", err)
			}
			st.Repair.OldestAge = time.Duration(oldest * float64(time.Second))

			rows, err := tx.Query(ctx, `
				SELECT s.state, COALESCE(n.state, $1), count(*)
				FROM shards s LEFT JOIN nodes n ON n.id = s.node_id
				GROUP BY 1, 2 ORDER BY 1, 2`, NodeUnregistered)
			if err != nil {
				return fmt.Errorf("shards: %w", err)
			}
			st.Shards, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ShardCount, error) {
				var c ShardCount
				err := r.Scan(&c.State, &c.NodeState, &c.Count)
				return c, err
			})
			if err != nil {
				return fmt.Errorf("shards: %w", err)
			}

			if err := tx.QueryRow(ctx, `
				SELECT count(*), COALESCE(sum(b.size), 0)::bigint,
					(SELECT count(*) FROM write_intents)
				FROM deletion_queue d JOIN blobs b ON b.id = d.blob_id`).Scan(&st.GC.Blobs, &st.GC.Bytes, &st.GC.Intents); err != nil {
				return fmt.Errorf("gc backlog: %w", err)
			}

			rows, err = tx.Query(ctx, `
				SELECT id, state, COALESCE(capacity_bytes, 0), COALESCE(free_bytes, 0),
					COALESCE(EXTRACT(EPOCH FROM now() - last_heartbeat), -1)::float8
				FROM nodes ORDER BY id`)
			if err != nil {
				return fmt.Errorf("nodes: %w", err)
			}
			st.Nodes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (NodeStats, error) {
				var n NodeStats
				var age float64
				err := r.Scan(&n.ID, &n.State, &n.CapacityBytes, &n.FreeBytes, &age)
				n.HeartbeatAge = time.Duration(age * float64(time.Second))
				return n, err
			})
			if err != nil {
				return fmt.Errorf("nodes: %w", err)
			}

			rows, err = tx.Query(ctx, `
				SELECT p.node_id, COALESCE(n.addr, ''), p.cursor, p.pass_started_at, p.last_pass_at,
					COALESCE(p.claimed_until, 'epoch'), p.checked, p.corrupt, p.missing, p.orphans
				FROM scrub_progress p LEFT JOIN nodes n ON n.id = p.node_id ORDER BY p.node_id`)
			if err != nil {
				return fmt.Errorf("scrub progress: %w", err)
			}
			st.Scrub, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScrubProgress, error) {
				var p ScrubProgress
				var started, last *time.Time
				err := r.Scan(&p.NodeID, &p.Addr, &p.Cursor, &started, &last, &p.ClaimedUntil,
					&p.Checked, &p.Corrupt, &p.Missing, &p.Orphans)
				p.PassStartedAt, p.LastPassAt = deref(started), deref(last)
				return p, err
			})
			if err != nil {
				return fmt.Errorf("scrub progress: %w", err)
			}
			return nil
		})
	if err != nil {
		return ClusterStats{}, fmt.Errorf("metadata: cluster stats: %w", err)
	}
	return st, nil
}
