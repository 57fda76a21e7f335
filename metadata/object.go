package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PutObject implements Store. Parts' blobs and shards are inserted if new;
// an existing blob must not belong to another object or be queued for
// deletion. Every nonce must name an intent that garbage collection has not
// claimed, or nothing is stored and the error is ErrIntentExpired.
func (s *Postgres) PutObject(ctx context.Context, obj Object, nonces [][]byte) (bool, error) {
	if err := checkObject(&obj); err != nil {
		return false, fmt.Errorf("metadata: put %s/%s: %w", obj.Bucket, obj.Key, err)
	}
	nonces = distinct(nonces)

	// Column arrays for unnest; never nil, which pgx would send as NULL.
	n := len(obj.Parts)
	var (
		ids       = make([][]byte, 0, n)
		manifests = make([][]byte, 0, n)
		sizes     = make([]int64, 0, n)
		numbers   = make([]int32, 0, n)
		shardBlob = make([][]byte, 0, n*6)
		shardIdx  = make([]int32, 0, n*6)
		shardNode = make([]string, 0, n*6)
	)
	for _, p := range obj.Parts {
		id := p.Blob.ID
		ids = append(ids, id[:])
		manifests = append(manifests, p.Blob.Manifest.Marshal())
		sizes = append(sizes, p.Size)
		numbers = append(numbers, int32(p.Number))
		for i, nd := range p.Blob.Placement {
			shardBlob = append(shardBlob, id[:])
			shardIdx = append(shardIdx, int32(i))
			shardNode = append(shardNode, nd.ID)
		}
	}
	meta := obj.UserMeta
	if meta == nil {
		meta = map[string]string{}
	}
	var lastModified *time.Time
	if !obj.LastModified.IsZero() {
		lastModified = &obj.LastModified
	}

	var replaced bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM write_intents WHERE nonce = ANY($1) AND claimed_until IS NULL`, nonces)
		b.Queue(`INSERT INTO blobs (id, manifest, size)
			SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bigint[])
			ON CONFLICT (id) DO NOTHING`, ids, manifests, sizes)
		b.Queue(`INSERT INTO shards (blob_id, idx, node_id)
			SELECT * FROM unnest($1::bytea[], $2::int[], $3::text[])
			ON CONFLICT DO NOTHING`, shardBlob, shardIdx, shardNode)
		b.Queue(`SELECT count(*) FROM deletion_queue WHERE blob_id = ANY($1)`, ids)
		// Locks the object row before its parts, as DeleteObject does, so
		// the two cannot deadlock. xmax is 0 in a freshly inserted row and
		// the locking transaction's ID in one updated by ON CONFLICT.
		b.Queue(`INSERT INTO objects (bucket, key, size, etag, content_type, content_encoding,
				content_disposition, content_language, cache_control, expires, user_meta, last_modified)
			VALUES ($1, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''), NULLIF($7, ''), NULLIF($8, ''),
				NULLIF($9, ''), NULLIF($10, ''), $11, COALESCE($12, now()))
			ON CONFLICT (bucket, key) DO UPDATE SET
				size = EXCLUDED.size, etag = EXCLUDED.etag,
				content_type = EXCLUDED.content_type, content_encoding = EXCLUDED.content_encoding,
				content_disposition = EXCLUDED.content_disposition, content_language = EXCLUDED.content_language,
				cache_control = EXCLUDED.cache_control, expires = EXCLUDED.expires,
				user_meta = EXCLUDED.user_meta, last_modified = EXCLUDED.last_modified
			RETURNING xmax <> '0'::xid`,
			obj.Bucket, obj.Key, obj.Size, obj.ETag, obj.ContentType, obj.ContentEncoding,
			obj.ContentDisposition, obj.ContentLanguage, obj.CacheControl, obj.Expires, meta, lastModified)
		// The replaced object's blobs, unless reused, go to GC. The unique
		// index on object_parts(blob_id) guarantees nothing else uses them.
		b.Queue(`WITH old AS (DELETE FROM object_parts WHERE bucket = $1 AND key = $2 RETURNING blob_id)
			INSERT INTO deletion_queue (blob_id)
			SELECT blob_id FROM old WHERE blob_id <> ALL($3::bytea[])
			ON CONFLICT DO NOTHING`, obj.Bucket, obj.Key, ids)
		b.Queue(`INSERT INTO object_parts (bucket, key, part_number, blob_id, size)
			SELECT $1, $2, * FROM unnest($3::int[], $4::bytea[], $5::bigint[])`,
			obj.Bucket, obj.Key, numbers, ids, sizes)

		br := tx.SendBatch(ctx, b)
		defer br.Close()
		tag, err := br.Exec()
		if err != nil {
			return err
		}
		if int(tag.RowsAffected()) != len(nonces) {
			return fmt.Errorf("%w: %d of %d intents are gone or claimed by garbage collection", ErrIntentExpired, len(nonces)-int(tag.RowsAffected()), len(nonces))
		}
		for range 2 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		var queued int
		if err := br.QueryRow().Scan(&queued); err != nil {
			return err
		}
		if queued > 0 {
			return fmt.Errorf("%d of the object's blobs are queued for deletion", queued)
		}
		if err := br.QueryRow().Scan(&replaced); err != nil {
			if code, constraint := pgCode(err); code == codeForeignKey && constraint == "objects_bucket_fkey" {
				return fmt.Errorf("%w: %s", ErrNoSuchBucket, obj.Bucket)
			}
			return err
		}
		if _, err := br.Exec(); err != nil {
			return err
		}
		if _, err := br.Exec(); err != nil {
			if code, constraint := pgCode(err); code == codeUnique && constraint == "object_parts_blob_id" {
				return fmt.Errorf("a blob of the object belongs to another object: %w", err)
			}
			return err
		}
		return br.Close()
	})
	if err != nil {
		return false, fmt.Errorf("metadata: put %s/%s: %w", obj.Bucket, obj.Key, err)
	}
	return replaced, nil
}

// GetObject implements Store. One query reads the object, its parts, their
// manifests and shard placement, in one snapshot.
func (s *Postgres) GetObject(ctx context.Context, bucket, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, fmt.Errorf("metadata: get %s/%s: %w", bucket, key, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT o.key IS NOT NULL, COALESCE(o.size, 0), COALESCE(o.etag, ''),
			COALESCE(o.content_type, ''), COALESCE(o.content_encoding, ''),
			COALESCE(o.content_disposition, ''), COALESCE(o.content_language, ''),
			COALESCE(o.cache_control, ''), COALESCE(o.expires, ''),
			COALESCE(o.user_meta, '{}'), COALESCE(o.last_modified, 'epoch'),
			p.part_number, p.size, b.id, b.manifest, sh.idx, sh.node_ids, sh.addrs
		FROM buckets bk
		LEFT JOIN objects o ON o.bucket = bk.name AND o.key = $2
		LEFT JOIN object_parts p ON p.bucket = o.bucket AND p.key = o.key
		LEFT JOIN blobs b ON b.id = p.blob_id
		LEFT JOIN LATERAL (`+shardsOfBlob+`) sh ON true
		WHERE bk.name = $1
		ORDER BY p.part_number`, bucket, key)
	if err != nil {
		return Object{}, fmt.Errorf("metadata: get %s/%s: %w", bucket, key, err)
	}
	defer rows.Close()
	obj := Object{Bucket: bucket, Key: key}
	var found, bucketFound bool
	for rows.Next() {
		bucketFound = true
		var (
			number   *int32
			size     *int64
			br       blobRow
			userMeta map[string]string
		)
		err := rows.Scan(&found, &obj.Size, &obj.ETag, &obj.ContentType, &obj.ContentEncoding,
			&obj.ContentDisposition, &obj.ContentLanguage, &obj.CacheControl, &obj.Expires,
			&userMeta, &obj.LastModified, &number, &size, &br.id, &br.manifest, &br.idx, &br.nodeIDs, &br.addrs)
		if err != nil {
			return Object{}, fmt.Errorf("metadata: get %s/%s: %w", bucket, key, err)
		}
		if len(userMeta) > 0 {
			obj.UserMeta = userMeta
		}
		if number == nil {
			continue // an object without parts
		}
		blob, err := br.decode()
		if err != nil {
			return Object{}, fmt.Errorf("metadata: get %s/%s: part %d: %w", bucket, key, *number, err)
		}
		obj.Parts = append(obj.Parts, Part{Number: int(*number), Size: *size, Blob: blob})
	}
	if err := rows.Err(); err != nil {
		return Object{}, fmt.Errorf("metadata: get %s/%s: %w", bucket, key, err)
	}
	switch {
	case !bucketFound:
		return Object{}, fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	case !found:
		return Object{}, fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
	}
	return obj, nil
}

// DeleteObject implements Store. Deleting a missing key of an existing
// bucket is not an error.
func (s *Postgres) DeleteObject(ctx context.Context, bucket, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, fmt.Errorf("metadata: delete %s/%s: %w", bucket, key, err)
	}
	// Lock the object row first, as PutObject does, and touch the parts
	// only if there was a row to lock: under READ COMMITTED each statement
	// sees a new snapshot, so without the lock a PutObject committing in
	// between would have its object deleted and its parts cascaded away
	// without their blobs being queued (a leak the concurrency test found).
	var bucketExists, existed bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $1)`, bucket).Scan(&bucketExists); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT 1 FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE`, bucket, key)
		if err != nil {
			return err
		}
		existed = rows.Next()
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if !existed {
			return nil
		}
		if _, err := tx.Exec(ctx, `WITH old AS (DELETE FROM object_parts WHERE bucket = $1 AND key = $2 RETURNING blob_id)
			INSERT INTO deletion_queue (blob_id) SELECT blob_id FROM old ON CONFLICT DO NOTHING`, bucket, key); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM objects WHERE bucket = $1 AND key = $2`, bucket, key)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("metadata: delete %s/%s: %w", bucket, key, err)
	}
	if !bucketExists {
		return false, fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	}
	return existed, nil
}

// distinct returns the distinct byte strings of bs, never nil.
func distinct(bs [][]byte) [][]byte {
	out := make([][]byte, 0, len(bs))
	seen := make(map[string]bool, len(bs))
	for _, b := range bs {
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, b)
		}
	}
	return out
}
