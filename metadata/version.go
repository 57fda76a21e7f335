package metadata

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// NewVersionID returns a fresh version ID: 32 lowercase hex digits of
// randomness. Versions are ordered by the store, not by their IDs.
func NewVersionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// ValidVersionID reports whether id is NullVersion or has NewVersionID's
// form. Any other string names no version Floe has, and S3 answers it
// with 400 InvalidArgument rather than 404.
func ValidVersionID(id string) bool {
	if id == NullVersion {
		return true
	}
	if len(id) != 32 {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// DeleteMarkerError is the error of a read that found a delete marker: the
// key's latest version (it wraps ErrNoSuchKey, 404 in S3) or the version
// asked for by ID (405 in S3). S3 answers both with x-amz-delete-marker and
// the marker's version ID.
type DeleteMarkerError struct {
	Bucket, Key  string
	VersionID    string // empty in an unversioned bucket (which has no markers)
	LastModified time.Time
	ByVersionID  bool // the read named the marker's version ID
}

func (e *DeleteMarkerError) Error() string {
	return fmt.Sprintf("metadata: %s/%s version %s is a delete marker", e.Bucket, e.Key, e.VersionID)
}

// Unwrap makes errors.Is(err, ErrNoSuchKey) hold.
func (e *DeleteMarkerError) Unwrap() error { return ErrNoSuchKey }

// lockKeySQL share-locks a bucket's row and takes the transaction lock of
// one of its keys, returning the bucket's versioning state (no row: no
// such bucket). Every write of a key's versions holds the key lock, so the
// versions' seq order is their commit order and is_latest moves under
// one writer at a time; the bucket lock keeps the versioning state fixed
// until the write commits. Lock order is bucket, then key, everywhere: the
// materialized CTE locks the bucket row before the key lock is asked for.
//
// The two-int4 advisory key space is Floe's per-key locks (Migrate uses
// the one-bigint space); distinct keys whose hashes collide only wait for
// each other.
const lockKeySQL = `WITH b AS MATERIALIZED (SELECT versioning FROM buckets WHERE name = $1 FOR SHARE)
	SELECT versioning, pg_advisory_xact_lock(hashtext($1), hashtext($2))::text FROM b`

// lockKey runs lockKeySQL in tx and returns the bucket's versioning state.
func lockKey(ctx context.Context, tx pgx.Tx, bucket, key string) (string, error) {
	return scanLockKey(tx.QueryRow(ctx, lockKeySQL, bucket, key), bucket)
}

// scanLockKey reads lockKeySQL's row.
func scanLockKey(row pgx.Row, bucket string) (string, error) {
	var versioning, ignored string
	err := row.Scan(&versioning, &ignored)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	}
	return versioning, err
}

// versionIDFor returns the version ID a write reports to its client in a
// bucket in state versioning, given the fresh ID it would use if enabled.
func versionIDFor(versioning, fresh string) string {
	switch versioning {
	case VersioningEnabled:
		return fresh
	case VersioningSuspended:
		return NullVersion
	}
	return ""
}

// SetBucketVersioning sets a bucket's versioning to VersioningEnabled or
// VersioningSuspended. A bucket never returns to unversioned, and one
// with object lock is never suspended (ErrInvalidBucketState).
func (s *Postgres) SetBucketVersioning(ctx context.Context, bucket, state string) error {
	if state != VersioningEnabled && state != VersioningSuspended {
		return fmt.Errorf("metadata: set versioning of %s: invalid state %q", bucket, state)
	}
	tag, err := s.db.Exec(ctx, `UPDATE buckets SET versioning = $2 WHERE name = $1`, bucket, state)
	if code, constraint := pgCode(err); code == codeCheck && constraint == "buckets_lock_versioned" {
		return fmt.Errorf("%w: %s has object lock: its versioning cannot be suspended", ErrInvalidBucketState, bucket)
	}
	if err != nil {
		return fmt.Errorf("metadata: set versioning of %s: %w", bucket, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	}
	return nil
}

// DeleteOptions qualify a DeleteObject.
type DeleteOptions struct {
	// VersionID names the version to delete for good; empty deletes the
	// key (a delete marker in a versioned bucket).
	VersionID string
	// BypassGovernance lets the deletion of a version under a GOVERNANCE
	// retention through (x-amz-bypass-governance-retention); COMPLIANCE
	// retentions and legal holds still refuse it.
	BypassGovernance bool
	// LatestModified, if set, makes a deletion without VersionID happen
	// only while the key's latest version is an object last modified at
	// this instant; else it is ErrPreconditionFailed and nothing changes.
	// Lifecycle expiry uses it, so that a version written after the rule
	// looked is never expired.
	LatestModified time.Time
	// Noncurrent makes a deletion by VersionID happen only while that
	// version is not the key's latest; else it is ErrPreconditionFailed.
	// Lifecycle uses it, so that a version promoted to latest after the
	// rule looked is never removed as noncurrent.
	Noncurrent bool
}

// DeleteResult is what DeleteObject did.
type DeleteResult struct {
	// VersionID is the version deleted (when one was named) or the delete
	// marker written; empty when an unversioned bucket's object was
	// deleted.
	VersionID string
	// DeleteMarker: a delete marker was written, or the version deleted
	// was one.
	DeleteMarker bool
	// Existed: a version was deleted (false when a marker was only added,
	// or there was nothing to delete).
	Existed bool
}

// DeleteObject deletes a key as S3's DeleteObject does. Without a version
// ID it deletes the object of an unversioned bucket, and in a versioned
// bucket adds a delete marker as the key's latest version (a suspended
// bucket's marker replaces the null version). With a version ID it deletes
// that version for good; if it was the latest, the newest remaining
// version becomes the latest. Deleted versions' blobs are queued for
// deletion. Deleting a missing key or version is not an error; deleting a
// version that object lock protects is ErrObjectLocked.
func (s *Postgres) DeleteObject(ctx context.Context, bucket, key string, opt DeleteOptions) (DeleteResult, error) {
	versionID := opt.VersionID
	fail := func(err error) (DeleteResult, error) {
		return DeleteResult{}, fmt.Errorf("metadata: delete %s/%s: %w", bucket, key, lockError(err))
	}
	if err := checkKey(key); err != nil {
		return fail(err)
	}
	if versionID != "" && !ValidVersionID(versionID) {
		return fail(fmt.Errorf("%w: %q", ErrInvalidVersionID, versionID))
	}
	var res DeleteResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		versioning, err := lockKey(ctx, tx, bucket, key)
		if err != nil {
			return err
		}
		if opt.Noncurrent && versionID != "" {
			var latest bool
			err := tx.QueryRow(ctx, `SELECT is_latest FROM objects WHERE bucket = $1 AND key = $2 AND version_id = $3`,
				bucket, key, versionID).Scan(&latest)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if latest {
				return fmt.Errorf("%w: %s/%s version %s is the latest", ErrPreconditionFailed, bucket, key, versionID)
			}
		}
		if !opt.LatestModified.IsZero() && versionID == "" {
			if err := checkLatestModified(ctx, tx, bucket, key, opt.LatestModified); err != nil {
				return err
			}
		}
		if opt.BypassGovernance {
			if err := bypassGovernance(ctx, tx); err != nil {
				return err
			}
		}
		res = DeleteResult{}
		switch {
		case versionID != "":
			res.VersionID = versionID
			res.Existed, res.DeleteMarker, err = deleteVersion(ctx, tx, bucket, key, versionID)
			return err
		case versioning == VersioningUnversioned:
			res.Existed, _, err = deleteVersion(ctx, tx, bucket, key, NullVersion)
			return err
		case versioning == VersioningSuspended:
			if res.Existed, _, err = deleteVersion(ctx, tx, bucket, key, NullVersion); err != nil {
				return err
			}
		}
		res.VersionID = versionIDFor(versioning, NewVersionID())
		res.DeleteMarker = true
		return addDeleteMarker(ctx, tx, bucket, key, res.VersionID)
	})
	if err != nil {
		return fail(err)
	}
	return res, nil
}

// deleteVersion deletes one version of a key, under the key's lock, and
// queues its blobs for deletion; if it was the latest, the newest
// remaining version becomes the latest. It reports whether the version
// existed and whether it was a delete marker.
func deleteVersion(ctx context.Context, tx pgx.Tx, bucket, key, versionID string) (existed, marker bool, err error) {
	b := &pgx.Batch{}
	b.Queue(`WITH old AS (DELETE FROM object_parts WHERE bucket = $1 AND key = $2 AND version_id = $3 RETURNING blob_id)
		INSERT INTO deletion_queue (blob_id) SELECT blob_id FROM old ON CONFLICT DO NOTHING`, bucket, key, versionID)
	b.Queue(`DELETE FROM objects WHERE bucket = $1 AND key = $2 AND version_id = $3 RETURNING delete_marker`, bucket, key, versionID)
	b.Queue(promoteLatestSQL, bucket, key)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return false, false, err
	}
	switch err := br.QueryRow().Scan(&marker); {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return false, false, err
	default:
		existed = true
	}
	if _, err := br.Exec(); err != nil {
		return false, false, err
	}
	return existed, marker, br.Close()
}

// promoteLatestSQL makes a key's newest version its latest if it has no
// latest (its latest was just deleted).
const promoteLatestSQL = `UPDATE objects SET is_latest = true
	WHERE bucket = $1 AND key = $2 AND NOT is_latest
	AND seq = (SELECT max(seq) FROM objects WHERE bucket = $1 AND key = $2)
	AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket = $1 AND key = $2 AND is_latest)`

// addDeleteMarker makes a delete marker with versionID the key's latest
// version, under the key's lock.
func addDeleteMarker(ctx context.Context, tx pgx.Tx, bucket, key, versionID string) error {
	b := &pgx.Batch{}
	b.Queue(`UPDATE objects SET is_latest = false WHERE bucket = $1 AND key = $2 AND is_latest`, bucket, key)
	b.Queue(`INSERT INTO objects (bucket, key, version_id, is_latest, delete_marker, size, etag)
		VALUES ($1, $2, $3, true, true, 0, '')`, bucket, key, versionID)
	return tx.SendBatch(ctx, b).Close()
}

// checkLatestModified fails with ErrPreconditionFailed unless the key's
// latest version is an object (not a delete marker) last modified at
// want; the caller holds the key's lock.
func checkLatestModified(ctx context.Context, tx pgx.Tx, bucket, key string, want time.Time) error {
	var got time.Time
	err := tx.QueryRow(ctx, `SELECT last_modified FROM objects
		WHERE bucket = $1 AND key = $2 AND is_latest AND NOT delete_marker`, bucket, key).Scan(&got)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %s/%s has no current object", ErrPreconditionFailed, bucket, key)
	case err != nil:
		return err
	case !got.Equal(want):
		return fmt.Errorf("%w: %s/%s was modified at %s, not %s", ErrPreconditionFailed, bucket, key, got, want)
	}
	return nil
}
