package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Errors of the node lifecycle methods, possibly wrapped.
var (
	// ErrNoSuchNode: no registered node has this ID.
	ErrNoSuchNode = errors.New("metadata: no such node")
	// ErrNodeInUse: DeleteNode without force found shard rows still on the
	// node; drain it and let repair move them first.
	ErrNodeInUse = errors.New("metadata: node still holds shards")
	// ErrNodeNeeded: DeleteNode with force found a blob that would keep
	// fewer than K readable shards without the node.
	ErrNodeNeeded = errors.New("metadata: removing the node would leave a blob unreadable")
)

// Repair reasons recorded by node health.
const (
	ReasonNodeDead    = "node dead"
	ReasonNodeRemoved = "node removed"
)

// NodeTransition is one state change UpdateNodeStates made.
type NodeTransition struct {
	ID, Addr string
	From, To string // Node* constants
	// Queued is, for a change to NodeDead, how many of the node's blobs
	// were newly queued for repair.
	Queued int
}

// Returned reports a dead node that answered again: its shards that were
// not repaired yet count again, and its scrub pass restarts.
func (t NodeTransition) Returned() bool { return t.From == NodeDead && t.To == NodeAlive }

// NodeUsage is a registered node with what it holds according to the
// shards table.
type NodeUsage struct {
	NodeInfo
	StateChangedAt time.Time
	Shards         int64 // shard rows naming the node
	// Bytes is the blob bytes those shards stand for: each blob's size
	// split evenly over its shards (parity included). It compares nodes;
	// it is not the disk space used.
	Bytes int64
	// MisplacedShards and MisplacedBytes count those of the shards that
	// rebalancing marked to move away.
	MisplacedShards, MisplacedBytes int64
}

// staleHeartbeat is true for a node whose last heartbeat is older than $1
// microseconds by the database's clock (or that never had one).
const staleHeartbeat = `(last_heartbeat IS NULL OR last_heartbeat <= now() - $1::bigint * interval '1 microsecond')`

// UpdateNodeStates runs the heartbeat state machine
// on the database's clock, so gateways' clocks need not agree:
//
//	alive   → suspect  no heartbeat for suspectAfter
//	suspect → dead     still no heartbeat, suspect for deadAfter
//	suspect, dead → alive  a heartbeat within suspectAfter
//
// A node turns suspect as of the moment it should have: its last
// heartbeat plus suspectAfter, though never before the caller began
// watching (now minus watched). So a poll that came late (a metadata
// outage, a stalled gateway) does not push the dead transition back by its
// delay, while a gateway that just started does not hold the time nobody
// polled against a node.
//
// Draining nodes are never changed. The transitions, the repair entries of
// nodes turning dead, the scrub restart of dead nodes that returned and,
// when a node turns alive, the end of every repair's retry backoff are one
// transaction; the candidate rows are locked, so several gateways may
// run it at once and each transition happens, and is returned, once.
func (s *Postgres) UpdateNodeStates(ctx context.Context, suspectAfter, deadAfter, watched time.Duration) ([]NodeTransition, error) {
	var out []NodeTransition
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The CTE locks the rows to change; a row another transaction
		// changed meanwhile is re-read and re-checked (READ COMMITTED), so
		// old_state is the state this statement really replaces.
		rows, err := tx.Query(ctx, `
			WITH cur AS (
				SELECT id, state AS old_state,
					CASE WHEN state IN ('suspect', 'dead') AND NOT `+staleHeartbeat+` THEN 'alive'
						WHEN state = 'alive' THEN 'suspect'
						ELSE 'dead' END AS new_state
				FROM nodes
				WHERE (state IN ('suspect', 'dead') AND NOT `+staleHeartbeat+`)
					OR (state = 'alive' AND `+staleHeartbeat+`)
					OR (state = 'suspect' AND `+staleHeartbeat+`
						AND state_changed_at <= now() - $2::bigint * interval '1 microsecond')
				FOR UPDATE)
			UPDATE nodes n SET state = cur.new_state,
				state_changed_at = CASE WHEN cur.new_state = 'suspect' THEN LEAST(now(), GREATEST(
						COALESCE(n.last_heartbeat, '-infinity') + $1::bigint * interval '1 microsecond',
						now() - $3::bigint * interval '1 microsecond'))
					ELSE now() END
			FROM cur WHERE n.id = cur.id
			RETURNING n.id, n.addr, cur.old_state, cur.new_state`,
			interval(suspectAfter), interval(deadAfter), interval(max(watched, 0)))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (NodeTransition, error) {
			var t NodeTransition
			err := r.Scan(&t.ID, &t.Addr, &t.From, &t.To)
			return t, err
		})
		if err != nil {
			return err
		}
		for i, t := range out {
			if t.To == NodeAlive {
				// Repairs waiting out a backoff may have waited for this
				// node (to hold a shard or to take one): retry them now.
				if _, err := tx.Exec(ctx, `UPDATE repair_queue SET not_before = NULL WHERE not_before > now()`); err != nil {
					return fmt.Errorf("retry repairs on the return of %s: %w", t.ID, err)
				}
			}
			switch {
			case t.To == NodeDead:
				tag, err := tx.Exec(ctx, enqueueNodeBlobs, t.ID, ReasonNodeDead)
				if err != nil {
					return fmt.Errorf("queue the blobs of %s: %w", t.ID, err)
				}
				out[i].Queued = int(tag.RowsAffected())
			case t.Returned():
				if err := restartScrub(ctx, tx, t.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: update node states: %w", err)
	}
	return out, nil
}

// enqueueNodeBlobs queues every blob with a shard on node $1 for repair
// with reason $2, as EnqueueNodeRepairs does.
const enqueueNodeBlobs = `
	INSERT INTO repair_queue (blob_id, reason)
	SELECT DISTINCT s.blob_id, $2 FROM shards s
	WHERE s.node_id = $1 AND NOT EXISTS (SELECT 1 FROM deletion_queue d WHERE d.blob_id = s.blob_id)
	ON CONFLICT (blob_id) DO NOTHING`

// restartScrub starts a new scrub pass over a node (empty cursor): shards it
// held while dead may be stale or gone, and the scrubber reconciles them.
// The lease is dropped too: it is most likely held by a scrubber that
// failed to reach the dead node and would keep it for the rest of the
// lease. A scrubber still walking loses its claim at its next save, as
// the cursor changed under it.
func restartScrub(ctx context.Context, tx pgx.Tx, nodeID string) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO scrub_progress (node_id) VALUES ($1)
		ON CONFLICT (node_id) DO UPDATE SET cursor = '', pass_started_at = NULL, claimed_until = NULL`, nodeID)
	if err != nil {
		return fmt.Errorf("restart the scrub of node %s: %w", nodeID, err)
	}
	return nil
}

// RecordHeartbeat refreshes a registered node's heartbeat, address and
// capacity, leaving its state alone; false if no node has n.ID (it was
// removed), in which case nothing is registered.
func (s *Postgres) RecordHeartbeat(ctx context.Context, n NodeInfo) (bool, error) {
	tag, err := s.db.Exec(ctx, `
		UPDATE nodes SET addr = $2, last_heartbeat = now(), capacity_bytes = $3, free_bytes = $4
		WHERE id = $1`, n.ID, n.Addr, n.CapacityBytes, n.FreeBytes)
	if err != nil {
		return false, fmt.Errorf("metadata: heartbeat of node %s: %w", n.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetNodeState sets a node's state (a Node* constant), recording when
// it changed; ErrNoSuchNode if it is not registered.
func (s *Postgres) SetNodeState(ctx context.Context, id, state string) error {
	switch state {
	case NodeAlive, NodeSuspect, NodeDead, NodeDraining:
	default:
		return fmt.Errorf("metadata: set node %s state: unknown state %q", id, state)
	}
	tag, err := s.db.Exec(ctx, `
		UPDATE nodes SET state = $2,
			state_changed_at = CASE WHEN state = $2 THEN state_changed_at ELSE now() END
		WHERE id = $1`, id, state)
	if err != nil {
		return fmt.Errorf("metadata: set node %s %s: %w", id, state, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("metadata: set node %s %s: %w", id, state, ErrNoSuchNode)
	}
	return nil
}

// NodeUsage returns every registered node with its shard count and the
// bytes those shards stand for, in ID order.
func (s *Postgres) NodeUsage(ctx context.Context) ([]NodeUsage, error) {
	rows, err := s.db.Query(ctx, `
		WITH per_shard AS (
			SELECT s.node_id, s.state, b.size / count(*) OVER (PARTITION BY s.blob_id) AS bytes
			FROM shards s JOIN blobs b ON b.id = s.blob_id),
		per_node AS (
			SELECT node_id, count(*) AS shards, sum(bytes)::bigint AS bytes,
				count(*) FILTER (WHERE state = 'misplaced') AS mshards,
				COALESCE(sum(bytes) FILTER (WHERE state = 'misplaced'), 0)::bigint AS mbytes
			FROM per_shard GROUP BY node_id)
		SELECT n.id, n.addr, n.state, COALESCE(n.last_heartbeat, 'epoch'),
			COALESCE(n.capacity_bytes, 0), COALESCE(n.free_bytes, 0), n.state_changed_at,
			COALESCE(p.shards, 0), COALESCE(p.bytes, 0), COALESCE(p.mshards, 0), COALESCE(p.mbytes, 0)
		FROM nodes n LEFT JOIN per_node p ON p.node_id = n.id
		ORDER BY n.id`)
	if err != nil {
		return nil, fmt.Errorf("metadata: node usage: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (NodeUsage, error) {
		var u NodeUsage
		err := r.Scan(&u.ID, &u.Addr, &u.State, &u.LastHeartbeat, &u.CapacityBytes, &u.FreeBytes,
			&u.StateChangedAt, &u.Shards, &u.Bytes, &u.MisplacedShards, &u.MisplacedBytes)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: node usage: %w", err)
	}
	return out, nil
}
