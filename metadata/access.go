package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// BucketAccess is what deciding a request on a bucket needs: who owns it,
// its policy and its public access block.
type BucketAccess struct {
	Owner, OwnerID string
	// Policy is the bucket policy document as stored; nil when none.
	Policy []byte
	// PublicAccessBlock is the configuration's JSON as stored; nil when
	// none.
	PublicAccessBlock []byte
}

// GetBucketAccess returns a bucket's owner, policy and public access
// block, or ErrNoSuchBucket.
func (s *Postgres) GetBucketAccess(ctx context.Context, bucket string) (BucketAccess, error) {
	var a BucketAccess
	var policy, pab *string
	err := s.db.QueryRow(ctx, `
		SELECT b.owner, u.canonical_id, b.policy, b.public_access_block::text
		FROM buckets b JOIN users u ON u.name = b.owner WHERE b.name = $1`, bucket).
		Scan(&a.Owner, &a.OwnerID, &policy, &pab)
	if errors.Is(err, pgx.ErrNoRows) {
		return BucketAccess{}, fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	}
	if err != nil {
		return BucketAccess{}, fmt.Errorf("metadata: access of bucket %s: %w", bucket, err)
	}
	if policy != nil {
		a.Policy = []byte(*policy)
	}
	if pab != nil {
		a.PublicAccessBlock = []byte(*pab)
	}
	return a, nil
}

// SetBucketPolicy stores a bucket's policy document (validated by the
// caller, kept as sent); nil removes it.
func (s *Postgres) SetBucketPolicy(ctx context.Context, bucket string, doc []byte) error {
	var arg any
	if doc != nil {
		if err := checkText("bucket policy", string(doc)); err != nil {
			return fmt.Errorf("metadata: set policy of %s: %w", bucket, err)
		}
		arg = string(doc)
	}
	return s.setBucketColumn(ctx, bucket, "policy", `UPDATE buckets SET policy = $2 WHERE name = $1`, arg)
}

// SetPublicAccessBlock stores a bucket's PublicAccessBlock configuration
// (JSON, opaque here); nil removes it.
func (s *Postgres) SetPublicAccessBlock(ctx context.Context, bucket string, cfg []byte) error {
	var arg any
	if cfg != nil {
		arg = string(cfg)
	}
	return s.setBucketColumn(ctx, bucket, "public access block", `UPDATE buckets SET public_access_block = $2::jsonb WHERE name = $1`, arg)
}

// setBucketColumn runs an UPDATE of one bucket's row, sql taking the
// bucket as $1 and arg as $2; ErrNoSuchBucket when there is no such row.
func (s *Postgres) setBucketColumn(ctx context.Context, bucket, what, sql string, arg any) error {
	tag, err := s.db.Exec(ctx, sql, bucket, arg)
	if err != nil {
		return fmt.Errorf("metadata: set %s of %s: %w", what, bucket, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	}
	return nil
}
