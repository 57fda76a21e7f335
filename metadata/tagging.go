package metadata

import (
	"context"
	"fmt"
)

// SetObjectTags replaces the tags of a version of a key (the latest when
// versionID is empty; nil or empty tags remove them all) and returns the
// version's ID. A delete marker has no tags: *DeleteMarkerError.
func (s *Postgres) SetObjectTags(ctx context.Context, bucket, key, versionID string, tags map[string]string) (string, error) {
	if err := checkTags(tags); err != nil {
		return "", fmt.Errorf("metadata: tag %s/%s: %w", bucket, key, err)
	}
	return s.updateVersion(ctx, bucket, key, versionID, false, false, `UPDATE objects SET tags = $3`, nonNil(tags))
}

// SetBucketTags replaces a bucket's tag set; nil or empty removes it.
func (s *Postgres) SetBucketTags(ctx context.Context, bucket string, tags map[string]string) error {
	if err := checkTags(tags); err != nil {
		return fmt.Errorf("metadata: tag bucket %s: %w", bucket, err)
	}
	var set any // NULL: no tag set
	if len(tags) > 0 {
		set = tags
	}
	tag, err := s.db.Exec(ctx, `UPDATE buckets SET tags = $2 WHERE name = $1`, bucket, set)
	if err != nil {
		return fmt.Errorf("metadata: tag bucket %s: %w", bucket, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	}
	return nil
}

// checkTags checks that tags can be stored (text without NUL); S3's
// limits on their number and lengths are the gateway's to report.
func checkTags(tags map[string]string) error {
	for k, v := range tags {
		if err := checkText("tag key", k); err != nil {
			return err
		}
		if err := checkText("tag value", v); err != nil {
			return err
		}
	}
	return nil
}
