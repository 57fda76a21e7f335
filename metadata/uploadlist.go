package metadata

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// listUploadsSQL pages through a bucket's uploads in (key, created_at,
// upload_id) order from just after the position ($2, $3, $4); the index
// multipart_uploads_bucket_key serves the seek on its leading columns.
// Uploads of key $5 whose ID sorts at or before $6 are skipped (the
// fallback for an upload-id-marker whose upload is gone; with $6 empty it
// skips nothing, as IDs are never empty). The variant with $8 stops at the
// end of the prefix's range. IDs compare in byte order, whatever the
// database's collation.
const (
	listUploadsSQL = `
		SELECT upload_id, key, created_at FROM multipart_uploads
		WHERE bucket = $1 AND (key, created_at, upload_id COLLATE "C") > ($2, $3, $4)
		AND NOT (key = $5 AND upload_id COLLATE "C" <= $6)
		ORDER BY key, created_at, upload_id COLLATE "C" LIMIT $7`
	listUploadsBoundedSQL = `
		SELECT upload_id, key, created_at FROM multipart_uploads
		WHERE bucket = $1 AND (key, created_at, upload_id COLLATE "C") > ($2, $3, $4)
		AND NOT (key = $5 AND upload_id COLLATE "C" <= $6)
		AND key < $8
		ORDER BY key, created_at, upload_id COLLATE "C" LIMIT $7`
)

// uploadPos is a position in the (key, created_at, upload_id) order of a
// bucket's uploads; a listing continues with the uploads after it. A
// created of -infinity puts it before every upload of key.
type uploadPos struct {
	key     string
	created pgtype.Timestamptz
	id      string
}

// before returns the position before every upload of key.
func before(key string) uploadPos {
	return uploadPos{key: key, created: pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}}
}

// ListUploads returns one page of a bucket's in-progress uploads, or
// ErrNoSuchBucket.
//
// Uploads and common prefixes count together toward MaxUploads. Keys under a
// common prefix are skipped by seeking past the prefix, never read. The
// store does not cap MaxUploads; the gateway caps it at 1000 as S3 does.
func (s *Postgres) ListUploads(ctx context.Context, p ListUploadsParams) (ListUploadsResult, error) {
	fail := func(err error) error { return fmt.Errorf("metadata: list uploads of %s: %w", p.Bucket, err) }
	for _, f := range []struct{ what, s string }{{"prefix", p.Prefix}, {"delimiter", p.Delimiter},
		{"key-marker", p.KeyMarker}, {"upload-id-marker", p.UploadIDMarker}} {
		if err := checkText(f.what, f.s); err != nil {
			return ListUploadsResult{}, fail(err)
		}
	}
	if p.MaxUploads < 0 {
		return ListUploadsResult{}, fail(fmt.Errorf("negative max-uploads %d", p.MaxUploads))
	}
	var res ListUploadsResult
	if p.MaxUploads > 0 {
		var err error
		if res, err = s.listUploads(ctx, p); err != nil {
			return ListUploadsResult{}, fail(err)
		}
	}
	if len(res.Uploads) == 0 && len(res.CommonPrefixes) == 0 {
		// Only an empty page needs the bucket checked: uploads imply it.
		if _, err := s.GetBucket(ctx, p.Bucket); err != nil {
			return ListUploadsResult{}, err
		}
	}
	return res, nil
}

// listUploads lists from the markers of p. It reads one entry beyond
// MaxUploads to learn whether the listing is truncated, and starts a new
// query after each common prefix, seeking past the keys under it.
func (s *Postgres) listUploads(ctx context.Context, p ListUploadsParams) (ListUploadsResult, error) {
	var res ListUploadsResult
	// KeyMarker starts the listing as StartAfter starts an object listing.
	lower, ok := listStart(ListParams{Prefix: p.Prefix, Delimiter: p.Delimiter, StartAfter: p.KeyMarker})
	if !ok {
		return res, nil
	}
	pos := before(lower)
	var skipKey, skipUpTo string
	if p.KeyMarker != "" && p.UploadIDMarker != "" && lower == p.KeyMarker+"\x01" {
		// Resume among KeyMarker's own uploads, after the marker upload.
		var created time.Time
		err := s.db.QueryRow(ctx, `SELECT created_at FROM multipart_uploads
			WHERE bucket = $1 AND key = $2 AND upload_id = $3`, p.Bucket, p.KeyMarker, p.UploadIDMarker).Scan(&created)
		switch {
		case err == nil:
			pos = uploadPos{key: p.KeyMarker, created: pgtype.Timestamptz{Time: created, Valid: true}, id: p.UploadIDMarker}
		case errors.Is(err, pgx.ErrNoRows):
			// The marker upload is gone; as S3 documents, list the
			// uploads of KeyMarker whose IDs sort after it.
			pos, skipKey, skipUpTo = before(p.KeyMarker), p.KeyMarker, p.UploadIDMarker
		default:
			return res, err
		}
	}
	end, bounded := prefixEnd(p.Prefix)
	n := 0 // entries read, including the one beyond MaxUploads
	for {
		limit := p.MaxUploads + 1 - n
		var (
			rows pgx.Rows
			err  error
		)
		if bounded {
			rows, err = s.db.Query(ctx, listUploadsBoundedSQL, p.Bucket, pos.key, pos.created, pos.id, skipKey, skipUpTo, limit, end)
		} else {
			rows, err = s.db.Query(ctx, listUploadsSQL, p.Bucket, pos.key, pos.created, pos.id, skipKey, skipUpTo, limit)
		}
		if err != nil {
			return res, err
		}
		var (
			id, key string
			created time.Time
			seek    bool
		)
		for rows.Next() {
			if err := rows.Scan(&id, &key, &created); err != nil {
				rows.Close()
				return res, err
			}
			if n++; n > p.MaxUploads {
				res.IsTruncated = true
				break
			}
			if cp := uploadCommonPrefix(key, p.Prefix, p.Delimiter); cp != "" {
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
				e, ok := prefixEnd(cp)
				if !ok {
					break // nothing sorts after cp: the listing is done
				}
				pos, seek = before(e), true
				break
			}
			res.Uploads = append(res.Uploads, Upload{ID: id, Bucket: p.Bucket, Key: key, Initiated: created})
			res.NextKeyMarker, res.NextUploadIDMarker = key, id
			pos = uploadPos{key: key, created: pgtype.Timestamptz{Time: created, Valid: true}, id: id}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, err
		}
		if !seek || res.IsTruncated {
			return res, nil
		}
	}
}

// uploadCommonPrefix returns the common prefix key rolls up into when
// listing prefix (which key starts with) with delimiter delim, or "".
func uploadCommonPrefix(key, prefix, delim string) string {
	if delim == "" {
		return ""
	}
	i := strings.Index(key[len(prefix):], delim)
	if i < 0 {
		return ""
	}
	return key[:len(prefix)+i+len(delim)]
}

// AbortStaleUploads aborts, as AbortUpload does, up to limit uploads
// initiated more than olderThan ago and returns how many it aborted.
// Uploads another transaction holds (a part being committed) are
// skipped, not waited for, so several gateways may call it at once.
//
// Ages are measured by the database's clock from each upload's initiation,
// as S3's lifecycle rule AbortIncompleteMultipartUpload measures them.
func (s *Postgres) AbortStaleUploads(ctx context.Context, olderThan time.Duration, limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("metadata: abort stale uploads: limit %d", limit)
	}
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Upload rows first, as every upload method locks them.
		rows, err := tx.Query(ctx, `SELECT upload_id FROM multipart_uploads
			WHERE created_at < now() - $1::bigint * interval '1 microsecond'
			ORDER BY created_at LIMIT $2
			FOR UPDATE SKIP LOCKED`, interval(olderThan), limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `WITH old AS (DELETE FROM upload_parts WHERE upload_id = ANY($1) RETURNING blob_id)
			INSERT INTO deletion_queue (blob_id) SELECT blob_id FROM old ON CONFLICT DO NOTHING`, ids)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM multipart_uploads WHERE upload_id = ANY($1)`, ids)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("metadata: abort stale uploads: %w", err)
	}
	return n, nil
}
