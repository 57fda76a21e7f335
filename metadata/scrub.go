package metadata

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/jackc/pgx/v5"
)

// ScrubPassDone is the cursor of a node whose pass has finished: it sorts
// after every shard name ("<hex id>.<index>"). The node's next claim starts
// a new pass; a cursor of "" (a new node, or RestartScrub) starts one at
// once and goes first.
const ScrubPassDone = "~"

// ErrScrubLeaseLost: the scrubber's lease on a node ran out and another
// took it, or the node's pass was restarted (RestartScrub). The scrubber
// must stop working that node.
var ErrScrubLeaseLost = errors.New("metadata: scrub lease lost")

// ScrubProgress is a node's row in scrub_progress.
type ScrubProgress struct {
	NodeID string
	Addr   string // the node's address; empty if it is not registered
	// Cursor is the name of the last shard checked in the current pass:
	// "" at the start of one, ScrubPassDone after it.
	Cursor        string
	PassStartedAt time.Time // zero before the first pass
	LastPassAt    time.Time // when the last full pass finished; zero if none
	// ClaimedUntil is the lease of the scrubber working the node; it is
	// also the claim's token, which SaveScrub checks.
	ClaimedUntil time.Time
	ScrubCounts  // totals over every pass
}

// PassFraction is the share of its current pass a node's scrub has done,
// read from the cursor: shard names start with the blob ID in hex, a
// uniform hash, so the cursor's first digits place it in [0, 1). A pass
// not begun is 0, a finished one 1.
func (p ScrubProgress) PassFraction() float64 {
	switch p.Cursor {
	case "":
		return 0
	case ScrubPassDone:
		return 1
	}
	prefix := p.Cursor[:min(len(p.Cursor), 8)]
	v, err := strconv.ParseUint(prefix, 16, 64)
	if err != nil {
		return 0
	}
	for range 8 - len(prefix) {
		v <<= 4
	}
	return float64(v) / (1 << 32)
}

// ScrubCounts counts what scrubbing found.
type ScrubCounts struct {
	Checked int64 // shards verified
	Corrupt int64 // shards marked corrupt
	Missing int64 // shards marked missing
	Orphans int64 // unreferenced shard files deleted
}

// ScrubShard is a shard row on the node being scrubbed.
type ScrubShard struct {
	ID       blobmeta.ID
	Index    int
	Manifest *blobmeta.Manifest
	State    string // a Shard* constant
}

// ClaimScrub leases to the caller the node to scrub next: one whose
// pass was just (re)started first, then the one scrubbed least
// recently; false if none is free. A node whose last pass finished
// less than rest ago is not due; a finished pass restarts at the claim.
//
// Nodes whose pass starts now (cursor "") come first, then the node whose
// last full pass is oldest. Only alive and draining nodes are scrubbed: the
// others cannot answer.
func (s *Postgres) ClaimScrub(ctx context.Context, lease, rest time.Duration) (ScrubProgress, bool, error) {
	var p ScrubProgress
	var started, last *time.Time
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO scrub_progress (node_id)
			SELECT id FROM nodes ON CONFLICT (node_id) DO NOTHING`); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
			WITH c AS (
				SELECT p.node_id, n.addr FROM scrub_progress p JOIN nodes n ON n.id = p.node_id
				WHERE n.state IN ('alive', 'draining')
					AND (p.claimed_until IS NULL OR p.claimed_until < now())
					AND (p.cursor <> $2 OR p.last_pass_at IS NULL
						OR p.last_pass_at < now() - $3::bigint * interval '1 microsecond')
				ORDER BY p.cursor = '' DESC, p.last_pass_at NULLS FIRST, p.node_id
				LIMIT 1
				FOR UPDATE OF p SKIP LOCKED)
			UPDATE scrub_progress p SET
				claimed_until = now() + $1::bigint * interval '1 microsecond',
				pass_started_at = CASE WHEN p.cursor IN ('', $2) THEN now() ELSE p.pass_started_at END,
				cursor = CASE WHEN p.cursor = $2 THEN '' ELSE p.cursor END
			FROM c WHERE p.node_id = c.node_id
			RETURNING p.node_id, c.addr, p.cursor, p.pass_started_at, p.last_pass_at, p.claimed_until,
				p.checked, p.corrupt, p.missing, p.orphans`, interval(lease), ScrubPassDone, interval(rest)).Scan(
			&p.NodeID, &p.Addr, &p.Cursor, &started, &last, &p.ClaimedUntil,
			&p.Checked, &p.Corrupt, &p.Missing, &p.Orphans)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return ScrubProgress{}, false, nil
	}
	if err != nil {
		return ScrubProgress{}, false, fmt.Errorf("metadata: claim a node to scrub: %w", err)
	}
	p.PassStartedAt, p.LastPassAt = deref(started), deref(last)
	return p, true, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// SaveScrub records a claimed node's new cursor (ScrubPassDone ends
// the pass), adds to its counters and renews the lease, updating p.
// ErrScrubLeaseLost if the lease ran out and was taken, or the pass
// was restarted, since p was read.
func (s *Postgres) SaveScrub(ctx context.Context, p *ScrubProgress, cursor string, add ScrubCounts, lease time.Duration) error {
	var last *time.Time
	err := s.db.QueryRow(ctx, `
		UPDATE scrub_progress SET cursor = $3,
			claimed_until = now() + $4::bigint * interval '1 microsecond',
			last_pass_at = CASE WHEN $3 = $9 THEN now() ELSE last_pass_at END,
			checked = checked + $5, corrupt = corrupt + $6, missing = missing + $7, orphans = orphans + $8
		WHERE node_id = $1 AND claimed_until = $2 AND cursor = $10 AND pass_started_at IS NOT DISTINCT FROM $11
		RETURNING claimed_until, last_pass_at, checked, corrupt, missing, orphans`,
		p.NodeID, p.ClaimedUntil, cursor, interval(lease), add.Checked, add.Corrupt, add.Missing, add.Orphans,
		ScrubPassDone, p.Cursor, nullTime(p.PassStartedAt)).Scan(&p.ClaimedUntil, &last, &p.Checked, &p.Corrupt, &p.Missing, &p.Orphans)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: node %s", ErrScrubLeaseLost, p.NodeID)
	}
	if err != nil {
		return fmt.Errorf("metadata: save scrub progress of node %s: %w", p.NodeID, err)
	}
	p.Cursor, p.LastPassAt = cursor, deref(last)
	return nil
}

// ReleaseScrub gives up a claim, if it is still p's.
func (s *Postgres) ReleaseScrub(ctx context.Context, p ScrubProgress) error {
	_, err := s.db.Exec(ctx, `UPDATE scrub_progress SET claimed_until = NULL
		WHERE node_id = $1 AND claimed_until = $2`, p.NodeID, p.ClaimedUntil)
	if err != nil {
		return fmt.Errorf("metadata: release scrub of node %s: %w", p.NodeID, err)
	}
	return nil
}

// RestartScrub starts a new pass over a node (one that came back): it
// is scrubbed before any other.
//
// The lease is kept: a scrubber working the node finds its pass gone
// (pass_started_at cleared) at its next SaveScrub and releases the node, so
// two never work it at once.
func (s *Postgres) RestartScrub(ctx context.Context, nodeID string) error {
	_, err := s.db.Exec(ctx, `
		INSERT INTO scrub_progress (node_id) VALUES ($1)
		ON CONFLICT (node_id) DO UPDATE SET cursor = '', pass_started_at = NULL`, nodeID)
	if err != nil {
		return fmt.Errorf("metadata: restart scrub of node %s: %w", nodeID, err)
	}
	return nil
}

// ListScrubProgress returns every node's scrub progress in ID order.
func (s *Postgres) ListScrubProgress(ctx context.Context) ([]ScrubProgress, error) {
	rows, err := s.db.Query(ctx, `
		SELECT p.node_id, COALESCE(n.addr, ''), p.cursor, p.pass_started_at, p.last_pass_at, p.claimed_until,
			p.checked, p.corrupt, p.missing, p.orphans
		FROM scrub_progress p LEFT JOIN nodes n ON n.id = p.node_id ORDER BY p.node_id`)
	if err != nil {
		return nil, fmt.Errorf("metadata: list scrub progress: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScrubProgress, error) {
		var p ScrubProgress
		var started, last, until *time.Time
		err := r.Scan(&p.NodeID, &p.Addr, &p.Cursor, &started, &last, &until,
			&p.Checked, &p.Corrupt, &p.Missing, &p.Orphans)
		p.PassStartedAt, p.LastPassAt, p.ClaimedUntil = deref(started), deref(last), deref(until)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: list scrub progress: %w", err)
	}
	return out, nil
}

// NodeShards returns the shards rows on a node whose blob IDs are in
// [from, to] (to nil: no upper bound), by blob ID then index, with
// their blobs' manifests.
//
// Blob IDs sort as their hex does, so the range [from, to] holds every shard
// name between "<from>." and "<to>.~".
func (s *Postgres) NodeShards(ctx context.Context, nodeID string, from blobmeta.ID, to *blobmeta.ID) ([]ScrubShard, error) {
	var toArg []byte
	if to != nil {
		toArg = to[:]
	}
	rows, err := s.db.Query(ctx, `
		SELECT s.blob_id, s.idx, b.manifest, s.state
		FROM shards s JOIN blobs b ON b.id = s.blob_id
		WHERE s.node_id = $1 AND s.blob_id >= $2 AND ($3::bytea IS NULL OR s.blob_id <= $3)
		ORDER BY s.blob_id, s.idx`, nodeID, from[:], toArg)
	if err != nil {
		return nil, fmt.Errorf("metadata: shards of node %s: %w", nodeID, err)
	}
	var (
		out      []ScrubShard
		id, raw  []byte
		idx      int
		state    string
		manifest = map[string]*blobmeta.Manifest{}
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &idx, &raw, &state}, func() error {
		m, ok := manifest[string(id)]
		if !ok {
			var err error
			if m, err = blobmeta.UnmarshalManifest(raw); err != nil {
				return fmt.Errorf("blob %x: %w", id, err)
			}
			manifest[string(id)] = m
		}
		sh := ScrubShard{Index: idx, Manifest: m, State: state}
		copy(sh.ID[:], id)
		out = append(out, sh)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: shards of node %s: %w", nodeID, err)
	}
	return out, nil
}

// OrphanDeletable reports whether shard idx of blob id on nodeID, a
// file no row points at, may be deleted: still no row points at it,
// and its blob is neither in a write intent (by ID, or by nonce; nil
// if unknown, written is then the file's time) nor queued for
// deletion or repair.
//
// One snapshot sees either a write's intent or the rows its commit inserted
// (the commit drops the one and inserts the others in one transaction), so a
// shard a write is about to commit is never reported deletable.
func (s *Postgres) OrphanDeletable(ctx context.Context, id blobmeta.ID, idx int, nodeID string, nonce []byte, written time.Time) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `
		SELECT NOT EXISTS (SELECT 1 FROM shards WHERE blob_id = $1 AND idx = $2 AND node_id = $3)
			AND NOT EXISTS (SELECT 1 FROM deletion_queue WHERE blob_id = $1)
			AND NOT EXISTS (SELECT 1 FROM repair_queue WHERE blob_id = $1)
			AND NOT EXISTS (SELECT 1 FROM write_intents WHERE blob_id = $1
				OR nonce = $4
				-- Without its nonce (the manifest is unreadable), any
				-- write still unbound to a blob that began before the
				-- shard was written (a minute of clock skew allowed)
				-- may own it.
				OR ($4::bytea IS NULL AND blob_id IS NULL AND created_at < $5::timestamptz + interval '1 minute'))`,
		id[:], idx, nodeID, nonce, written).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("metadata: may orphan shard %s.%d on %s be deleted: %w", id, idx, nodeID, err)
	}
	return ok, nil
}
