package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Object Lock is enforced by the database (migration 0007): triggers
// refuse to delete a version under retention or legal hold, to detach its
// blobs, or to shorten its retention, checking PostgreSQL's clock inside
// the transaction that tries. The methods here set the protections; every
// deletion path gets the refusal as ErrObjectLocked.

// CreateObjectLockBucket creates an empty bucket with versioning enabled
// and object lock on, as S3's CreateBucket with
// x-amz-bucket-object-lock-enabled does; ErrBucketExists if it exists.
func (s *Postgres) CreateObjectLockBucket(ctx context.Context, name string) error {
	return s.CreateBucketAs(ctx, name, DefaultUser, true)
}

// SetObjectLockConfig turns object lock on for a bucket (for good) and
// sets its default retention (a zero def removes it). The bucket's
// versioning must be enabled: ErrInvalidBucketState otherwise.
func (s *Postgres) SetObjectLockConfig(ctx context.Context, bucket string, def DefaultRetention) error {
	if err := checkDefaultRetention(def); err != nil {
		return fmt.Errorf("metadata: set object lock of %s: %w", bucket, err)
	}
	var found, versioned bool
	err := s.db.QueryRow(ctx, `
		WITH u AS (
			UPDATE buckets SET object_lock = true, lock_default_mode = NULLIF($2, ''),
				lock_default_days = NULLIF($3, 0), lock_default_years = NULLIF($4, 0)
			WHERE name = $1 AND versioning = 'Enabled' RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $1), EXISTS (SELECT 1 FROM u)`,
		bucket, def.Mode, def.Days, def.Years).Scan(&found, &versioned)
	switch {
	case err != nil:
		return fmt.Errorf("metadata: set object lock of %s: %w", bucket, err)
	case !found:
		return fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	case !versioned:
		return fmt.Errorf("%w: %s: object lock needs versioning enabled", ErrInvalidBucketState, bucket)
	}
	return nil
}

// checkDefaultRetention checks a default retention's shape: no mode and
// no period, or a mode with exactly one positive period.
func checkDefaultRetention(def DefaultRetention) error {
	if def == (DefaultRetention{}) {
		return nil
	}
	if def.Mode != Governance && def.Mode != Compliance {
		return fmt.Errorf("invalid retention mode %q", def.Mode)
	}
	if (def.Days > 0) == (def.Years > 0) || def.Days < 0 || def.Years < 0 {
		return fmt.Errorf("a default retention needs Days or Years, positive (not %d and %d)", def.Days, def.Years)
	}
	return nil
}

// SetRetention sets the retention of a version of a key (the latest when
// versionID is empty) and returns the version's ID. An active retention
// may be lengthened; shortening, removing (r zero) or changing the mode of
// one is ErrObjectLocked — always for COMPLIANCE, for GOVERNANCE unless
// bypassGovernance. The bucket must have object lock
// (ErrNoObjectLock).
func (s *Postgres) SetRetention(ctx context.Context, bucket, key, versionID string, r Retention, bypassGovernance bool) (string, error) {
	if !r.IsZero() && r.Mode != Governance && r.Mode != Compliance {
		return "", fmt.Errorf("metadata: set retention of %s/%s: invalid mode %q", bucket, key, r.Mode)
	}
	var until *time.Time
	if !r.IsZero() {
		until = &r.Until
	}
	return s.updateVersion(ctx, bucket, key, versionID, true, bypassGovernance,
		`UPDATE objects SET lock_mode = NULLIF($3, ''), lock_until = $4`, r.Mode, until)
}

// SetLegalHold puts a legal hold on a version of a key (the latest when
// versionID is empty), or lifts it, and returns the version's ID. The
// bucket must have object lock (ErrNoObjectLock).
func (s *Postgres) SetLegalHold(ctx context.Context, bucket, key, versionID string, on bool) (string, error) {
	return s.updateVersion(ctx, bucket, key, versionID, true, false, `UPDATE objects SET legal_hold = $3`, on)
}

// updateVersion runs update (an UPDATE objects ... SET with its values
// from $3 on) on one version that is not a delete marker, under the
// key's lock, and returns the version's ID. With lockOnly the bucket must
// have object lock (ErrNoObjectLock); with bypass the update runs with
// the GOVERNANCE bypass.
func (s *Postgres) updateVersion(ctx context.Context, bucket, key, versionID string, lockOnly, bypass bool, update string, args ...any) (string, error) {
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("metadata: update %s/%s: %w", bucket, key, lockError(err))
	}
	if err := checkKey(key); err != nil {
		return fail(err)
	}
	which, params := "is_latest", append([]any{bucket, key}, args...)
	if versionID != "" {
		if !ValidVersionID(versionID) {
			return fail(fmt.Errorf("%w: %q", ErrInvalidVersionID, versionID))
		}
		params = append(params, versionID)
		which = fmt.Sprintf("version_id = $%d", len(params))
	}
	var id string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockKey(ctx, tx, bucket, key); err != nil {
			return err
		}
		if lockOnly {
			var locking bool
			if err := tx.QueryRow(ctx, `SELECT object_lock FROM buckets WHERE name = $1`, bucket).Scan(&locking); err != nil {
				return err
			}
			if !locking {
				return fmt.Errorf("%w: %s", ErrNoObjectLock, bucket)
			}
		}
		if bypass {
			if err := bypassGovernance(ctx, tx); err != nil {
				return err
			}
		}
		var (
			marker       bool
			lastModified time.Time
		)
		err := tx.QueryRow(ctx, update+` WHERE bucket = $1 AND key = $2 AND `+which+`
			RETURNING version_id, delete_marker, last_modified`, params...).Scan(&id, &marker, &lastModified)
		switch {
		case errors.Is(err, pgx.ErrNoRows) && versionID != "":
			return fmt.Errorf("%w: %s/%s version %s", ErrNoSuchVersion, bucket, key, versionID)
		case errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
		case err != nil:
			return err
		case marker:
			// Rolled back: a delete marker has nothing to protect or tag.
			return &DeleteMarkerError{Bucket: bucket, Key: key, VersionID: id, LastModified: lastModified, ByVersionID: versionID != ""}
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return id, nil
}

// bypassGovernance lets the rest of tx through GOVERNANCE retentions
// (x-amz-bypass-governance-retention): the triggers of migration 0007 read
// floe.bypass_governance, set here for tx alone.
func bypassGovernance(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT set_config('floe.bypass_governance', 'on', true)`)
	return err
}
