package metadata

import (
	"context"
	"fmt"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/jackc/pgx/v5"
)

// DeleteNode unregisters a node. It refuses with ErrNodeInUse while
// shard rows name the node, unless force; with force it refuses with
// ErrNodeNeeded if a blob would keep fewer than K readable shards
// elsewhere, else marks the node's shards missing, queues their blobs
// for repair and returns how many shards it marked.
//
// Without force it refuses (ErrNodeInUse) while any shard row names the
// node. With force it refuses (ErrNodeNeeded) if some blob not being deleted
// would keep fewer than K readable shards on other nodes; otherwise the
// node's shards are marked missing, their blobs queued for repair and the
// node's row deleted, in one transaction.
func (s *Postgres) DeleteNode(ctx context.Context, id string, force bool) (int, error) {
	var marked int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var exists bool
		// Lock the row: heartbeats and state changes wait for the verdict.
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM nodes WHERE id = $1 FOR UPDATE)`, id).Scan(&exists)
		if err != nil {
			return err
		}
		if !exists {
			return ErrNoSuchNode
		}
		var shards, blobs int
		err = tx.QueryRow(ctx, `SELECT count(*), count(DISTINCT blob_id) FROM shards WHERE node_id = $1`, id).Scan(&shards, &blobs)
		if err != nil {
			return err
		}
		if shards > 0 && !force {
			return fmt.Errorf("%w: %d shards of %d blobs (drain it and wait for repair to move them, or use force)",
				ErrNodeInUse, shards, blobs)
		}
		if shards == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM nodes WHERE id = $1`, id)
			return err
		}
		if err := checkRedundancyWithout(ctx, tx, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE shards SET state = 'missing' WHERE node_id = $1`, id)
		if err != nil {
			return err
		}
		marked = int(tag.RowsAffected())
		if _, err := tx.Exec(ctx, enqueueNodeBlobs, id, ReasonNodeRemoved); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM nodes WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("metadata: remove node %s: %w", id, err)
	}
	return marked, nil
}

// checkRedundancyWithout fails with ErrNodeNeeded if a blob with a shard on
// node id (and not being deleted) has fewer than K readable shards on other
// nodes, readable as in ShardHealth.Readable.
func checkRedundancyWithout(ctx context.Context, tx pgx.Tx, id string) error {
	rows, err := tx.Query(ctx, `
		SELECT b.id, b.manifest, (
			SELECT count(*) FROM shards s JOIN nodes n ON n.id = s.node_id
			WHERE s.blob_id = b.id AND s.node_id <> $1 AND `+readableShard+`)
		FROM blobs b
		WHERE b.id IN (SELECT blob_id FROM shards WHERE node_id = $1)
			AND NOT EXISTS (SELECT 1 FROM deletion_queue d WHERE d.blob_id = b.id)`, id)
	if err != nil {
		return err
	}
	var rawID, manifest []byte
	var readable, unsafe int
	var first error
	_, err = pgx.ForEachRow(rows, []any{&rawID, &manifest, &readable}, func() error {
		m, err := blobmeta.UnmarshalManifest(manifest)
		if err != nil {
			return fmt.Errorf("blob %x: %w", rawID, err)
		}
		if readable < m.Params.K {
			unsafe++
			if first == nil {
				first = fmt.Errorf("blob %s would keep %d readable shards, needs %d", m.ID(), readable, m.Params.K)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if unsafe > 0 {
		return fmt.Errorf("%w: %d blobs would fall below K readable shards (e.g. %v); repair them first", ErrNodeNeeded, unsafe, first)
	}
	return nil
}
