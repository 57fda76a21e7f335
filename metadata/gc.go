package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/jackc/pgx/v5"
)

// ClaimDeletions leases up to limit queued blobs to the caller, who
// must delete their shards and then call FinishDeletion. A blob whose
// lease runs out is handed out again.
//
// A queued blob that an object version still references is never handed
// out (it cannot happen by design; this is the last line of defence).
// Each claim adds one to the blob's attempts and leases it for the store's
// lease (DefaultLease); rows other collectors hold locked are skipped, not
// waited for.
func (s *Postgres) ClaimDeletions(ctx context.Context, limit int) ([]Blob, error) {
	rows, err := s.db.Query(ctx, `
		WITH claimed AS (
			UPDATE deletion_queue q
			SET attempts = q.attempts + 1, claimed_until = now() + $2::bigint * interval '1 microsecond'
			WHERE q.blob_id IN (
				SELECT blob_id FROM deletion_queue d
				WHERE (claimed_until IS NULL OR claimed_until < now())
					-- Never hand out a blob a version still holds: its
					-- shards may be the last copy of a locked version.
					AND NOT EXISTS (SELECT 1 FROM object_parts p WHERE p.blob_id = d.blob_id)
				ORDER BY enqueued_at
				LIMIT $1
				FOR UPDATE SKIP LOCKED)
			RETURNING q.blob_id)
		SELECT b.id, b.manifest, sh.idx, sh.node_ids, sh.addrs
		FROM claimed c
		JOIN blobs b ON b.id = c.blob_id
		CROSS JOIN LATERAL (`+shardsOfBlob+`) sh`, limit, interval(s.lease))
	if err != nil {
		return nil, fmt.Errorf("metadata: claim deletions: %w", err)
	}
	var r blobRow
	var blobs []Blob
	_, err = pgx.ForEachRow(rows, []any{&r.id, &r.manifest, &r.idx, &r.nodeIDs, &r.addrs}, func() error {
		b, err := r.decode()
		if err != nil {
			return err
		}
		blobs = append(blobs, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: claim deletions: %w", err)
	}
	return blobs, nil
}

// FinishDeletion forgets a queued blob whose shards are gone.
//
// It drops the blob's row, its shards rows and its queue entry. A blob that
// is not queued is left alone, so calling it twice is harmless.
func (s *Postgres) FinishDeletion(ctx context.Context, id blobmeta.ID) error {
	_, err := s.db.Exec(ctx, `
		DELETE FROM blobs WHERE id = $1
		AND EXISTS (SELECT 1 FROM deletion_queue WHERE blob_id = $1)`, id[:])
	if err != nil {
		return fmt.Errorf("metadata: finish deletion of blob %s: %w", id, err)
	}
	return nil
}

// RecordIntent records that a blob with this nonce is about to be
// written to nodeIDs (shard order); call it before writing any shard.
func (s *Postgres) RecordIntent(ctx context.Context, nonce []byte, nodeIDs []string) error {
	if len(nonce) == 0 {
		return fmt.Errorf("metadata: record intent: empty nonce")
	}
	if nodeIDs == nil {
		nodeIDs = []string{}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO write_intents (nonce, node_ids) VALUES ($1, $2)`, nonce, nodeIDs)
	if err != nil {
		return fmt.Errorf("metadata: record intent %x: %w", nonce, err)
	}
	return nil
}

// SetIntentBlob records the ID of the blob the intent's write produced.
//
// It fails with ErrIntentExpired if the intent is gone or claimed: the write
// must then be abandoned.
func (s *Postgres) SetIntentBlob(ctx context.Context, nonce []byte, id blobmeta.ID) error {
	tag, err := s.db.Exec(ctx, `UPDATE write_intents SET blob_id = $2
		WHERE nonce = $1 AND claimed_until IS NULL`, nonce, id[:])
	if err != nil {
		return fmt.Errorf("metadata: set blob of intent %x: %w", nonce, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %x", ErrIntentExpired, nonce)
	}
	return nil
}

// StaleIntents leases up to limit intents older than olderThan to the
// caller, who must delete what the write left on the nodes and then
// call DeleteIntent. A leased intent can no longer be committed.
//
// Intents are returned oldest first; each is leased for the store's lease
// (DefaultLease), after which another collector may claim it again. Ages are
// measured by the database's clock.
func (s *Postgres) StaleIntents(ctx context.Context, olderThan time.Duration, limit int) ([]Intent, error) {
	rows, err := s.db.Query(ctx, `
		WITH claimed AS (
			UPDATE write_intents w SET claimed_until = now() + $3::bigint * interval '1 microsecond'
			WHERE w.nonce IN (
				SELECT nonce FROM write_intents
				WHERE created_at < now() - $1::bigint * interval '1 microsecond'
				AND (claimed_until IS NULL OR claimed_until < now())
				ORDER BY created_at
				LIMIT $2
				FOR UPDATE SKIP LOCKED)
			RETURNING w.nonce, w.node_ids, w.blob_id, w.created_at)
		SELECT * FROM claimed ORDER BY created_at, nonce`,
		interval(olderThan), limit, interval(s.lease))
	if err != nil {
		return nil, fmt.Errorf("metadata: stale intents: %w", err)
	}
	intents, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Intent, error) {
		var (
			in     Intent
			blobID []byte
		)
		if err := r.Scan(&in.Nonce, &in.NodeIDs, &blobID, &in.CreatedAt); err != nil {
			return Intent{}, err
		}
		if blobID != nil {
			var id blobmeta.ID
			if len(blobID) != len(id) {
				return Intent{}, fmt.Errorf("intent %x: blob ID of %d bytes", in.Nonce, len(blobID))
			}
			copy(id[:], blobID)
			in.BlobID = &id
		}
		return in, nil
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: stale intents: %w", err)
	}
	return intents, nil
}

// DeleteIntent forgets an intent.
//
// Deleting a missing intent is not an error.
func (s *Postgres) DeleteIntent(ctx context.Context, nonce []byte) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM write_intents WHERE nonce = $1`, nonce); err != nil {
		return fmt.Errorf("metadata: delete intent %x: %w", nonce, err)
	}
	return nil
}
