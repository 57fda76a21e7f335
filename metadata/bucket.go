package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// CreateBucket creates an empty bucket owned by DefaultUser;
// ErrBucketExists if it exists.
func (s *Postgres) CreateBucket(ctx context.Context, name string) error {
	return s.CreateBucketAs(ctx, name, DefaultUser, false)
}

// CreateBucketAs creates a bucket owned by user, with object lock (and so
// versioning) if objectLock. ErrBucketExists if the name is taken (by
// anyone: bucket names are global), ErrNoSuchUser if user is missing.
func (s *Postgres) CreateBucketAs(ctx context.Context, name, user string, objectLock bool) error {
	if err := checkText("bucket name", name); err != nil || name == "" {
		return fmt.Errorf("metadata: create bucket %q: invalid name", name)
	}
	tag, err := s.db.Exec(ctx, `INSERT INTO buckets (name, object_lock, versioning, owner)
		VALUES ($1, $2, CASE WHEN $2 THEN 'Enabled' ELSE 'Unversioned' END, $3) ON CONFLICT DO NOTHING`, name, objectLock, user)
	if code, _ := pgCode(err); code == codeForeignKey {
		return fmt.Errorf("metadata: create bucket %s: %w: %s", name, ErrNoSuchUser, user)
	}
	if err != nil {
		return fmt.Errorf("metadata: create bucket %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrBucketExists, name)
	}
	return nil
}

// DeleteBucket deletes an empty bucket: ErrBucketNotEmpty if it holds
// a version of an object (delete markers count) or a multipart upload, ErrNoSuchBucket if it is missing.
func (s *Postgres) DeleteBucket(ctx context.Context, name string) error {
	var deleted, exists bool
	err := s.db.QueryRow(ctx, `
		WITH d AS (
			DELETE FROM buckets WHERE name = $1
			AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket = $1)
			AND NOT EXISTS (SELECT 1 FROM multipart_uploads WHERE bucket = $1)
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM d), EXISTS (SELECT 1 FROM buckets WHERE name = $1)`,
		name).Scan(&deleted, &exists)
	if code, _ := pgCode(err); code == codeForeignKey {
		// An object or upload was committed while we deleted.
		return fmt.Errorf("%w: %s", ErrBucketNotEmpty, name)
	}
	switch {
	case err != nil:
		return fmt.Errorf("metadata: delete bucket %s: %w", name, err)
	case deleted:
		return nil
	case exists:
		return fmt.Errorf("%w: %s", ErrBucketNotEmpty, name)
	default:
		return fmt.Errorf("%w: %s", ErrNoSuchBucket, name)
	}
}

// GetBucket returns a bucket, or ErrNoSuchBucket.
func (s *Postgres) GetBucket(ctx context.Context, name string) (Bucket, error) {
	b := Bucket{Name: name}
	err := s.db.QueryRow(ctx, `SELECT `+bucketColumns+` FROM buckets b JOIN users u ON u.name = b.owner
		WHERE b.name = $1`, name).Scan(b.scanTargets()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return Bucket{}, fmt.Errorf("%w: %s", ErrNoSuchBucket, name)
	}
	if err != nil {
		return Bucket{}, fmt.Errorf("metadata: get bucket %s: %w", name, err)
	}
	return b, nil
}

// ListBuckets returns every bucket in name order.
func (s *Postgres) ListBuckets(ctx context.Context) ([]Bucket, error) {
	return s.listBuckets(ctx, "")
}

// ListBucketsOf returns the buckets user owns, in name order.
func (s *Postgres) ListBucketsOf(ctx context.Context, user string) ([]Bucket, error) {
	return s.listBuckets(ctx, user)
}

// listBuckets lists the buckets of owner, or every bucket when owner is
// empty.
func (s *Postgres) listBuckets(ctx context.Context, owner string) ([]Bucket, error) {
	rows, err := s.db.Query(ctx, `SELECT `+bucketColumns+` FROM buckets b JOIN users u ON u.name = b.owner
		WHERE $1 = '' OR b.owner = $1 ORDER BY b.name`, owner)
	if err != nil {
		return nil, fmt.Errorf("metadata: list buckets: %w", err)
	}
	bs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Bucket, error) {
		var b Bucket
		err := r.Scan(b.scanTargets()...)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: list buckets: %w", err)
	}
	return bs, nil
}

// bucketColumns are the columns scanTargets reads.
const bucketColumns = `b.name, b.created_at, b.versioning, b.object_lock, COALESCE(b.lock_default_mode, ''),
	COALESCE(b.lock_default_days, 0), COALESCE(b.lock_default_years, 0), b.tags, b.owner, u.canonical_id`

// scanTargets returns the Scan destinations of bucketColumns in b.
func (b *Bucket) scanTargets() []any {
	return []any{&b.Name, &b.CreatedAt, &b.Versioning, &b.ObjectLock, &b.DefaultRetention.Mode,
		&b.DefaultRetention.Days, &b.DefaultRetention.Years, &b.Tags, &b.Owner, &b.OwnerID}
}
