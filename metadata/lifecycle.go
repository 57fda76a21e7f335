package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SetBucketLifecycle stores a bucket's lifecycle rules, as the gateway's
// JSON (nil removes them). A bucket with rules is walked by the gateways'
// lifecycle runs (ClaimLifecycleRun).
func (s *Postgres) SetBucketLifecycle(ctx context.Context, bucket string, rules []byte) error {
	var cfg any // NULL: none
	if len(rules) > 0 {
		cfg = string(rules)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE buckets SET lifecycle = $2::jsonb WHERE name = $1`, bucket, cfg)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
		}
		if cfg == nil {
			_, err = tx.Exec(ctx, `DELETE FROM lifecycle_runs WHERE bucket = $1`, bucket)
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO lifecycle_runs (bucket) VALUES ($1) ON CONFLICT DO NOTHING`, bucket)
		return err
	})
	if err != nil {
		return fmt.Errorf("metadata: set lifecycle of %s: %w", bucket, err)
	}
	return nil
}

// BucketLifecycle returns a bucket's lifecycle rules as stored, nil when
// it has none.
func (s *Postgres) BucketLifecycle(ctx context.Context, bucket string) ([]byte, error) {
	var rules *string
	err := s.db.QueryRow(ctx, `SELECT lifecycle::text FROM buckets WHERE name = $1`, bucket).Scan(&rules)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("metadata: lifecycle of %s: %w", bucket, err)
	}
	if rules == nil {
		return nil, nil
	}
	return []byte(*rules), nil
}

// LifecycleRun is a claimed lifecycle run of one bucket.
type LifecycleRun struct {
	Bucket string
	Rules  []byte // the bucket's rules, as SetBucketLifecycle stored them
	// KeyMarker and VersionMarker are where the run stopped last, for
	// ListObjectVersions; empty for a run from the start.
	KeyMarker, VersionMarker string
	// Now is the database's clock when the run was claimed: rules are
	// judged by the clock that stamps LastModified.
	Now time.Time
}

// ClaimLifecycleRun leases the run of one bucket whose rules were not
// applied within the last every (or whose previous run died: its lease
// ran out) for lease. ok is false when no bucket is due.
func (s *Postgres) ClaimLifecycleRun(ctx context.Context, every, lease time.Duration) (run LifecycleRun, ok bool, err error) {
	var rules string
	err = s.db.QueryRow(ctx, `
		UPDATE lifecycle_runs r SET claimed_until = now() + $2::bigint * interval '1 microsecond'
		FROM buckets b
		WHERE b.name = r.bucket AND b.lifecycle IS NOT NULL AND r.bucket = (
			SELECT bucket FROM lifecycle_runs
			WHERE (claimed_until IS NULL OR claimed_until < now())
				AND (finished_at IS NULL OR finished_at < now() - $1::bigint * interval '1 microsecond'
					OR key_marker IS NOT NULL)
			ORDER BY finished_at NULLS FIRST LIMIT 1
			FOR UPDATE SKIP LOCKED)
		RETURNING r.bucket, b.lifecycle::text, COALESCE(r.key_marker, ''), COALESCE(r.version_marker, ''), now()`,
		interval(every), interval(lease)).Scan(&run.Bucket, &rules, &run.KeyMarker, &run.VersionMarker, &run.Now)
	if errors.Is(err, pgx.ErrNoRows) {
		return LifecycleRun{}, false, nil
	}
	if err != nil {
		return LifecycleRun{}, false, fmt.Errorf("metadata: claim lifecycle run: %w", err)
	}
	run.Rules = []byte(rules)
	return run, true, nil
}

// SaveLifecycleRun records how far a run got and extends its lease; with
// both markers empty it ends the run (finished now). ErrNoSuchBucket if
// the bucket or its rules are gone.
func (s *Postgres) SaveLifecycleRun(ctx context.Context, bucket, keyMarker, versionMarker string, lease time.Duration) error {
	var (
		tag pgconn.CommandTag
		err error
	)
	if keyMarker == "" && versionMarker == "" {
		tag, err = s.db.Exec(ctx, `UPDATE lifecycle_runs
			SET claimed_until = NULL, key_marker = NULL, version_marker = NULL, finished_at = now()
			WHERE bucket = $1`, bucket)
	} else {
		tag, err = s.db.Exec(ctx, `UPDATE lifecycle_runs
			SET claimed_until = now() + $4::bigint * interval '1 microsecond', key_marker = $2, version_marker = NULLIF($3, '')
			WHERE bucket = $1`, bucket, keyMarker, versionMarker, interval(lease))
	}
	if err != nil {
		return fmt.Errorf("metadata: save lifecycle run of %s: %w", bucket, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s (or its lifecycle rules)", ErrNoSuchBucket, bucket)
	}
	return nil
}

// DatabaseNow returns the database's clock.
func (s *Postgres) DatabaseNow(ctx context.Context) (time.Time, error) {
	var now time.Time
	if err := s.db.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
		return time.Time{}, fmt.Errorf("metadata: now: %w", err)
	}
	return now, nil
}
