package metadata

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrPreconditionFailed: a conditional PutObject or CompleteUpload found
// the key in a state its Precondition rules out.
var ErrPreconditionFailed = errors.New("metadata: precondition failed")

// Precondition makes an object write conditional on the key's current
// state, checked in the write's transaction under the key's lock. The
// zero value is unconditional.
type Precondition struct {
	// IfNoneMatch: write only if the key has no object (If-None-Match: *).
	IfNoneMatch bool
	// IfMatch, if not empty: write only if the key's object has this ETag
	// (quotes optional), or any ETag for "*". A missing object fails the
	// write with ErrNoSuchKey, as S3 does.
	IfMatch string
}

// IsZero reports whether p places no condition.
func (p Precondition) IsZero() bool { return p == Precondition{} }

// checkCondition checks p against the key's latest version; the caller
// holds the key's lock (lockKey), so it cannot change before the write. A
// delete marker counts as no object.
func checkCondition(ctx context.Context, tx pgx.Tx, bucket, key string, p Precondition) error {
	var (
		etag   string
		marker bool
	)
	err := tx.QueryRow(ctx, `SELECT etag, delete_marker FROM objects WHERE bucket = $1 AND key = $2 AND is_latest`,
		bucket, key).Scan(&etag, &marker)
	exists := err == nil && !marker
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	switch {
	case p.IfNoneMatch && exists:
		return fmt.Errorf("%w: %s/%s exists (If-None-Match)", ErrPreconditionFailed, bucket, key)
	case p.IfMatch == "":
		return nil
	case !exists:
		return fmt.Errorf("%w: %s/%s (If-Match)", ErrNoSuchKey, bucket, key)
	case p.IfMatch != "*" && unquote(p.IfMatch) != unquote(etag):
		return fmt.Errorf("%w: ETag is %s, not %s", ErrPreconditionFailed, etag, p.IfMatch)
	}
	return nil
}

func unquote(etag string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(etag), `"`), `"`)
}

// failedPrecondition reports whether err is a precondition's failure
// rather than a fault: the write is refused, nothing is broken.
func failedPrecondition(err error) bool {
	return errors.Is(err, ErrPreconditionFailed) || errors.Is(err, ErrNoSuchKey)
}

// discardWrite deletes the intents of nonces and queues those of c's blobs
// that no object or upload uses for deletion: the write they belong to will
// never be committed, and its shards should go now rather than when the
// intents go stale. (A blob in use is one the write meant to reuse.)
func discardWrite(ctx context.Context, tx pgx.Tx, c partColumns, nonces [][]byte) error {
	if len(c.ids) == 0 && len(nonces) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM write_intents WHERE nonce = ANY($1) AND claimed_until IS NULL`, nonces)
	c.queueInsertBlobs(b)
	b.Queue(`INSERT INTO deletion_queue (blob_id)
		SELECT id FROM unnest($1::bytea[]) AS id
		WHERE NOT EXISTS (SELECT 1 FROM object_parts WHERE blob_id = id)
			AND NOT EXISTS (SELECT 1 FROM upload_parts WHERE blob_id = id)
		ON CONFLICT DO NOTHING`, c.ids)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return err
	}
	// A blob already queued is fine here: it is going away either way.
	if err := readInsertBlobs(br, true); err != nil {
		return err
	}
	if _, err := br.Exec(); err != nil {
		return err
	}
	return br.Close()
}
