package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SetBucketCors stores a bucket's CORS configuration (JSON, opaque here);
// nil removes it.
func (s *Postgres) SetBucketCors(ctx context.Context, bucket string, cfg []byte) error {
	var arg any
	if cfg != nil {
		arg = string(cfg)
	}
	return s.setBucketColumn(ctx, bucket, "CORS", `UPDATE buckets SET cors = $2::jsonb WHERE name = $1`, arg)
}

// BucketCors returns a bucket's CORS configuration as stored, nil when it
// has none.
func (s *Postgres) BucketCors(ctx context.Context, bucket string) ([]byte, error) {
	var cfg *string
	err := s.db.QueryRow(ctx, `SELECT cors::text FROM buckets WHERE name = $1`, bucket).Scan(&cfg)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("metadata: CORS of %s: %w", bucket, err)
	}
	if cfg == nil {
		return nil, nil
	}
	return []byte(*cfg), nil
}
