package metadata

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PutObject creates or replaces obj with its parts, and deletes the
// write intents of nonces; it reports whether an object was replaced.
// The replaced object's blobs are queued for deletion. If cond does not
// hold (ErrPreconditionFailed, or ErrNoSuchKey for If-Match on a
// missing key) nothing is stored and obj's new blobs are queued for
// deletion along with the intents' removal.
//
// Parts' blobs and shards are inserted if new; an existing blob must not
// belong to another object or be queued for deletion. Every nonce must name
// an intent that garbage collection has not claimed, or nothing is stored
// and the error is ErrIntentExpired. If cond fails, nothing is stored, the
// intents are deleted and obj's blobs queued for deletion: the caller has
// nothing to clean up.
func (s *Postgres) PutObject(ctx context.Context, obj Object, nonces [][]byte, cond Precondition) (bool, error) {
	if err := checkObject(&obj); err != nil {
		return false, fmt.Errorf("metadata: put %s/%s: %w", obj.Bucket, obj.Key, err)
	}
	cols := newPartColumns(obj.Parts)
	nonces = distinct(nonces)
	var replaced bool
	var refused error
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if cond.IsZero() {
			var err error
			replaced, err = writeObject(ctx, tx, obj, cols, nonces, cond)
			return err
		}
		// In a savepoint, so that a failed precondition undoes the write
		// but the transaction still commits the discarding of its blobs.
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			var err error
			replaced, err = writeObject(ctx, sp, obj, cols, nonces, cond)
			return err
		})
		if failedPrecondition(err) {
			refused = err
			return discardWrite(ctx, tx, cols, nonces)
		}
		return err
	})
	if err == nil && refused != nil {
		err = refused
	}
	if err != nil {
		return false, fmt.Errorf("metadata: put %s/%s: %w", obj.Bucket, obj.Key, err)
	}
	return replaced, nil
}

// GetObject returns an object with its parts, manifests and placement.
//
// One query reads the object, its parts, their manifests and shard
// placement, in one snapshot.
func (s *Postgres) GetObject(ctx context.Context, bucket, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, fmt.Errorf("metadata: get %s/%s: %w", bucket, key, err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT o.key IS NOT NULL, COALESCE(o.size, 0), COALESCE(o.etag, ''),
			COALESCE(o.content_type, ''), COALESCE(o.content_encoding, ''),
			COALESCE(o.content_disposition, ''), COALESCE(o.content_language, ''),
			COALESCE(o.cache_control, ''), COALESCE(o.expires, ''),
			COALESCE(o.user_meta, '{}'), COALESCE(o.last_modified, 'epoch'),
			COALESCE(o.checksum_algorithm, ''), COALESCE(o.checksum, ''), COALESCE(o.checksum_type, ''),
			p.part_number, p.size, COALESCE(p.checksum, ''), b.id, b.manifest, sh.idx, sh.node_ids, sh.addrs, sh.suspects
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
			partSum  string
			br       blobRow
			userMeta map[string]string
		)
		err := rows.Scan(&found, &obj.Size, &obj.ETag, &obj.ContentType, &obj.ContentEncoding,
			&obj.ContentDisposition, &obj.ContentLanguage, &obj.CacheControl, &obj.Expires,
			&userMeta, &obj.LastModified, &obj.Checksum.Algorithm, &obj.Checksum.Value, &obj.Checksum.Type,
			&number, &size, &partSum, &br.id, &br.manifest, &br.idx, &br.nodeIDs, &br.addrs, &br.suspects)
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
		obj.Parts = append(obj.Parts, Part{Number: int(*number), Size: *size, Blob: blob, Checksum: partSum})
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

// DeleteObject deletes an object, queueing its blobs for deletion, and
// reports whether it existed.
//
// Deleting a missing key of an existing bucket is not an error.
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
