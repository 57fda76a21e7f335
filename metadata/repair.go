package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/jackc/pgx/v5"
)

// Shard states (shards.state): a shard's own health, apart from its node's.
const (
	ShardOK        = "ok"
	ShardCorrupt   = "corrupt"   // a scrub or a read found bad bytes
	ShardMissing   = "missing"   // its node does not have it
	ShardMisplaced = "misplaced" // healthy, but rebalancing wants it elsewhere
)

// ErrRepairConflict: FinishRepair found a shard no longer where the repair
// read it from (another repairer or an operator moved it), or the blob
// being deleted. Nothing was changed; what the repair wrote is an orphan.
var ErrRepairConflict = errors.New("metadata: blob changed during repair")

// ShardHealth is one shard of a blob as repair sees it.
type ShardHealth struct {
	Index     int
	NodeID    string
	Addr      string // empty if the node is not registered
	NodeState string // a Node* constant; NodeDead if the node is not registered
	State     string // a Shard* constant
}

// Readable reports whether the shard can serve reads: it is not known bad
// and its node is up (alive, suspect or draining).
func (h ShardHealth) Readable() bool {
	return (h.State == ShardOK || h.State == ShardMisplaced) && h.NodeState != NodeDead && h.Addr != ""
}

// NeedsRewrite reports whether repair must write this shard anew on another
// node: it is bad, its node is dead or draining, or it is misplaced.
func (h ShardHealth) NeedsRewrite() bool {
	return h.State != ShardOK || h.NodeState == NodeDead || h.NodeState == NodeDraining || h.Addr == ""
}

// RepairTask is a blob a repairer has claimed.
type RepairTask struct {
	Blob     Blob          // manifest and placement
	Shards   []ShardHealth // in index order
	Reason   string        // why it was first queued
	Attempts int           // claims so far, this one included
}

// ShardMove records that shard Index, read as being on node From, now
// lives on node To.
type ShardMove struct {
	Index    int
	From, To string
}

// ReleaseRepair hands a claimed blob back untouched, for a repairer that
// stops (a gateway shutting down): it is claimable again at once and the
// attempt does not count.
func (s *Postgres) ReleaseRepair(ctx context.Context, id blobmeta.ID) error {
	_, err := s.db.Exec(ctx, `UPDATE repair_queue
		SET claimed_until = NULL, attempts = greatest(attempts - 1, 0) WHERE blob_id = $1`, id[:])
	if err != nil {
		return fmt.Errorf("metadata: release repair of blob %s: %w", id, err)
	}
	return nil
}

// RepairStatus summarizes the repair queue.
type RepairStatus struct {
	Queued     int       // blobs in the queue
	InProgress int       // of those, leased by a repairer now
	Retrying   int       // of those, waiting after a failed attempt
	Oldest     time.Time // when the oldest entry was queued; zero if none
	// ByReadable counts queued blobs by how many of their shards can
	// still serve reads: the lower, the closer to loss.
	ByReadable map[int]int
}

// readableShard holds for a shard s (joined with its node n) that can
// serve reads, as ShardHealth.Readable decides.
const readableShard = `s.state IN ('ok', 'misplaced') AND n.state <> 'dead'`

// readableShards counts blob q.blob_id's readable shards; it orders the
// repair queue, least redundancy first.
const readableShards = `(SELECT count(*) FROM shards s JOIN nodes n ON n.id = s.node_id
	WHERE s.blob_id = q.blob_id AND ` + readableShard + `)`

// EnqueueRepair queues blobs for repair (see RepairTask); blobs already
// queued, missing or being deleted are skipped.
func (s *Postgres) EnqueueRepair(ctx context.Context, reason string, ids ...blobmeta.ID) error {
	if len(ids) == 0 {
		return nil
	}
	raw := make([][]byte, len(ids))
	for i := range ids {
		raw[i] = ids[i][:]
	}
	// Only blobs that exist and are not being deleted; a blob already
	// queued keeps its entry (and its place in line).
	_, err := s.db.Exec(ctx, `
		INSERT INTO repair_queue (blob_id, reason)
		SELECT b.id, $2 FROM blobs b
		WHERE b.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM deletion_queue d WHERE d.blob_id = b.id)
		ON CONFLICT (blob_id) DO NOTHING`, raw, reason)
	if err != nil {
		return fmt.Errorf("metadata: enqueue %d blobs for repair: %w", len(ids), err)
	}
	return nil
}

// EnqueueNodeRepairs queues every blob with a shard on a node (dead,
// draining or removed) and returns how many were newly queued.
func (s *Postgres) EnqueueNodeRepairs(ctx context.Context, nodeID, reason string) (int, error) {
	tag, err := s.db.Exec(ctx, `
		INSERT INTO repair_queue (blob_id, reason)
		SELECT DISTINCT s.blob_id, $2 FROM shards s
		WHERE s.node_id = $1 AND NOT EXISTS (SELECT 1 FROM deletion_queue d WHERE d.blob_id = s.blob_id)
		ON CONFLICT (blob_id) DO NOTHING`, nodeID, reason)
	if err != nil {
		return 0, fmt.Errorf("metadata: enqueue the blobs of node %s for repair: %w", nodeID, err)
	}
	return int(tag.RowsAffected()), nil
}

// SetShardState records a shard's health (a Shard* constant) if the
// shard is still on nodeID, and queues its blob for repair unless the
// state is ShardOK. It reports whether the shard was on nodeID.
func (s *Postgres) SetShardState(ctx context.Context, id blobmeta.ID, idx int, nodeID, state, reason string) (bool, error) {
	switch state {
	case ShardOK, ShardCorrupt, ShardMissing, ShardMisplaced:
	default:
		return false, fmt.Errorf("metadata: set shard %d of blob %s: unknown state %q", idx, id, state)
	}
	var changed bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE shards SET state = $4 WHERE blob_id = $1 AND idx = $2 AND node_id = $3`,
			id[:], idx, nodeID, state)
		if err != nil {
			return err
		}
		changed = tag.RowsAffected() == 1
		if !changed || state == ShardOK {
			return nil
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO repair_queue (blob_id, reason)
			SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM deletion_queue WHERE blob_id = $1)
			ON CONFLICT (blob_id) DO NOTHING`, id[:], reason)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("metadata: set shard %d of blob %s on %s %s: %w", idx, id, nodeID, state, err)
	}
	return changed, nil
}

// ClaimRepairs leases up to limit queued blobs to the caller, fewest
// readable shards first, with the current health of every shard. The
// caller rewrites the shards that need it and calls FinishRepair, or
// FailRepair; an entry whose lease runs out is handed out again.
//
// Blobs with the fewest readable shards come first, then the longest queued;
// entries other repairers hold locked are skipped, not waited for, and blobs
// being deleted are left alone.
func (s *Postgres) ClaimRepairs(ctx context.Context, limit int, lease time.Duration) ([]RepairTask, error) {
	type claim struct {
		id       []byte
		reason   string
		attempts int
	}
	var claims []claim
	var tasks []RepairTask
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH c AS (
				SELECT q.blob_id FROM repair_queue q
				WHERE (q.claimed_until IS NULL OR q.claimed_until < now())
					AND (q.not_before IS NULL OR q.not_before <= now())
					AND NOT EXISTS (SELECT 1 FROM deletion_queue d WHERE d.blob_id = q.blob_id)
				ORDER BY `+readableShards+`, q.enqueued_at
				LIMIT $1
				FOR UPDATE OF q SKIP LOCKED)
			UPDATE repair_queue q
			SET claimed_until = now() + $2::bigint * interval '1 microsecond', attempts = q.attempts + 1
			FROM c WHERE q.blob_id = c.blob_id
			RETURNING q.blob_id, q.reason, q.attempts`, limit, interval(lease))
		if err != nil {
			return err
		}
		claims, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (claim, error) {
			var c claim
			err := r.Scan(&c.id, &c.reason, &c.attempts)
			return c, err
		})
		if err != nil || len(claims) == 0 {
			return err
		}
		ids := make([][]byte, len(claims))
		for i, c := range claims {
			ids[i] = c.id
		}
		byID, err := loadRepairBlobs(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, c := range claims {
			t, ok := byID[string(c.id)]
			if !ok {
				continue // deleted since it was queued; the cascade drops its entry
			}
			t.Reason, t.Attempts = c.reason, c.attempts
			tasks = append(tasks, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: claim repairs: %w", err)
	}
	return tasks, nil
}

// GetRepairTask returns a blob and the health of its shards, as
// ClaimRepairs would, without claiming it; ErrNoSuchBlob if it is gone.
func (s *Postgres) GetRepairTask(ctx context.Context, id blobmeta.ID) (RepairTask, error) {
	byID, err := loadRepairBlobs(ctx, s.db, [][]byte{id[:]})
	if err != nil {
		return RepairTask{}, fmt.Errorf("metadata: load blob %s for repair: %w", id, err)
	}
	t, ok := byID[string(id[:])]
	if !ok {
		return RepairTask{}, fmt.Errorf("metadata: load blob %s for repair: %w", id, ErrNoSuchBlob)
	}
	return t, nil
}

// querier is what loadRepairBlobs needs of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// loadRepairBlobs reads the blobs with these IDs and the health of their
// shards, keyed by string(id).
func loadRepairBlobs(ctx context.Context, q querier, ids [][]byte) (map[string]RepairTask, error) {
	rows, err := q.Query(ctx, `
		SELECT b.id, b.manifest, sh.idx, sh.node_ids, sh.addrs, sh.node_states, sh.states
		FROM blobs b CROSS JOIN LATERAL (
			SELECT array_agg(s.idx ORDER BY s.idx) AS idx,
				array_agg(s.node_id ORDER BY s.idx) AS node_ids,
				array_agg(COALESCE(n.addr, '') ORDER BY s.idx) AS addrs,
				array_agg(COALESCE(n.state, 'dead') ORDER BY s.idx) AS node_states,
				array_agg(s.state ORDER BY s.idx) AS states
			FROM shards s LEFT JOIN nodes n ON n.id = s.node_id
			WHERE s.blob_id = b.id) sh
		WHERE b.id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	var r blobRow
	var nodeStates, states []string
	out := make(map[string]RepairTask, len(ids))
	_, err = pgx.ForEachRow(rows, []any{&r.id, &r.manifest, &r.idx, &r.nodeIDs, &r.addrs, &nodeStates, &states}, func() error {
		b, err := r.decode()
		if err != nil {
			return err
		}
		t := RepairTask{Blob: b, Shards: make([]ShardHealth, len(b.Placement))}
		for i, nd := range b.Placement {
			t.Shards[i] = ShardHealth{Index: i, NodeID: nd.ID, Addr: nd.Addr, NodeState: nodeStates[i], State: states[i]}
		}
		out[string(r.id)] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishRepair records in one transaction that the moved shards now
// live on their new nodes (healthy), and drops the blob's queue entry.
// If any shard is no longer on its From node, or the blob is being
// deleted, it changes nothing and returns ErrRepairConflict.
func (s *Postgres) FinishRepair(ctx context.Context, id blobmeta.ID, moves []ShardMove) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var deleting bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deletion_queue WHERE blob_id = $1)`, id[:]).Scan(&deleting); err != nil {
			return err
		}
		if deleting {
			return fmt.Errorf("%w: the blob is being deleted", ErrRepairConflict)
		}
		for _, m := range moves {
			tag, err := tx.Exec(ctx, `UPDATE shards SET node_id = $4, state = 'ok'
				WHERE blob_id = $1 AND idx = $2 AND node_id = $3`, id[:], m.Index, m.From, m.To)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("%w: shard %d is no longer on node %s", ErrRepairConflict, m.Index, m.From)
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM repair_queue WHERE blob_id = $1`, id[:])
		return err
	})
	if err != nil {
		return fmt.Errorf("metadata: finish repair of blob %s: %w", id, err)
	}
	return nil
}

// FailRepair releases a claimed blob, to be retried after retryAfter.
func (s *Postgres) FailRepair(ctx context.Context, id blobmeta.ID, cause error, retryAfter time.Duration) error {
	msg := "unknown error"
	if cause != nil {
		msg = cause.Error()
	}
	_, err := s.db.Exec(ctx, `UPDATE repair_queue
		SET claimed_until = NULL, last_error = $2, not_before = now() + $3::bigint * interval '1 microsecond'
		WHERE blob_id = $1`, id[:], msg, interval(retryAfter))
	if err != nil {
		return fmt.Errorf("metadata: record failed repair of blob %s: %w", id, err)
	}
	return nil
}

// RepairStatus summarizes the repair queue.
func (s *Postgres) RepairStatus(ctx context.Context) (RepairStatus, error) {
	st := RepairStatus{ByReadable: map[int]int{}}
	var oldest *time.Time
	err := s.db.QueryRow(ctx, `
		SELECT count(*),
			count(*) FILTER (WHERE claimed_until > now()),
			count(*) FILTER (WHERE not_before > now() AND (claimed_until IS NULL OR claimed_until <= now())),
			min(enqueued_at)
		FROM repair_queue`).Scan(&st.Queued, &st.InProgress, &st.Retrying, &oldest)
	if err != nil {
		return RepairStatus{}, fmt.Errorf("metadata: repair status: %w", err)
	}
	if oldest != nil {
		st.Oldest = *oldest
	}
	rows, err := s.db.Query(ctx, `SELECT r, count(*) FROM (SELECT `+readableShards+` AS r FROM repair_queue q) x GROUP BY r`)
	if err != nil {
		return RepairStatus{}, fmt.Errorf("metadata: repair status: %w", err)
	}
	var readable, n int
	_, err = pgx.ForEachRow(rows, []any{&readable, &n}, func() error {
		st.ByReadable[readable] = n
		return nil
	})
	if err != nil {
		return RepairStatus{}, fmt.Errorf("metadata: repair status: %w", err)
	}
	return st, nil
}
