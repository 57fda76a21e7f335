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
// state, checked in the write's transaction under the object row lock. The
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

// checkIfMatch locks the key's object row and checks p.IfMatch against it.
// The lock holds until the transaction ends, so the ETag cannot change
// before the write. IfNoneMatch needs no lock: see ifNoneMatchGuard.
func checkIfMatch(ctx context.Context, tx pgx.Tx, bucket, key string, p Precondition) error {
	if p.IfMatch == "" {
		return nil
	}
	var etag string
	err := tx.QueryRow(ctx, `SELECT etag FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE`, bucket, key).Scan(&etag)
	if errors.Is(err, pgx.ErrNoRows) {
		var bucketExists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $1)`, bucket).Scan(&bucketExists); err != nil {
			return err
		}
		if !bucketExists {
			return fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
		}
		return fmt.Errorf("%w: %s/%s (If-Match)", ErrNoSuchKey, bucket, key)
	}
	if err != nil {
		return err
	}
	if p.IfMatch != "*" && unquote(p.IfMatch) != unquote(etag) {
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

// ifNoneMatchGuard is the WHERE clause of writeObject's ON CONFLICT DO
// UPDATE: under If-None-Match an existing row is left alone and the INSERT
// returns no row. A row a concurrent writer inserted first counts as
// existing: the INSERT waits for that writer's transaction to end.
func ifNoneMatchGuard(p Precondition) string {
	if p.IfNoneMatch {
		return "WHERE false"
	}
	return ""
}
