package metadata

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PutResult is what an object write did.
type PutResult struct {
	// VersionID is the version written: a fresh ID in a bucket with
	// versioning enabled, NullVersion in a suspended one, empty in an
	// unversioned one.
	VersionID string
	// Replaced: the key had a latest version (maybe a delete marker),
	// which the write replaced (unversioned, or the null version in a
	// suspended bucket) or made noncurrent.
	Replaced bool
}

// PutObject writes obj as the key's new latest version, with its parts,
// and deletes the write intents of nonces. In an unversioned or suspended
// bucket it replaces the key's null version, whose blobs are queued for
// deletion; with versioning enabled every other version stays. If cond
// does not hold for the key's latest version (ErrPreconditionFailed, or
// ErrNoSuchKey for If-Match on a missing key or a delete marker) nothing
// is stored, the intents are deleted and obj's new blobs queued for
// deletion: the caller has nothing to clean up.
//
// Parts' blobs and shards are inserted if new; an existing blob must not
// belong to another object or be queued for deletion. Every nonce must name
// an intent that garbage collection has not claimed, or nothing is stored
// and the error is ErrIntentExpired.
func (s *Postgres) PutObject(ctx context.Context, obj Object, nonces [][]byte, cond Precondition) (PutResult, error) {
	if err := checkObject(&obj); err != nil {
		return PutResult{}, fmt.Errorf("metadata: put %s/%s: %w", obj.Bucket, obj.Key, err)
	}
	cols := newPartColumns(obj.Parts)
	nonces = distinct(nonces)
	var (
		res     PutResult
		refused error
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = writeObject(ctx, tx, obj, cols, nonces, cond)
		if failedPrecondition(err) {
			// Nothing was written; the transaction still commits the
			// discarding of the write's blobs.
			refused = err
			return discardWrite(ctx, tx, cols, nonces)
		}
		return err
	})
	if err == nil && refused != nil {
		err = refused
	}
	if err != nil {
		return PutResult{}, fmt.Errorf("metadata: put %s/%s: %w", obj.Bucket, obj.Key, lockError(err))
	}
	return res, nil
}

// GetObject returns a key's latest version with its parts, manifests and
// placement. If that is a delete marker the error is a *DeleteMarkerError
// (which is ErrNoSuchKey).
func (s *Postgres) GetObject(ctx context.Context, bucket, key string) (Object, error) {
	return s.getObject(ctx, bucket, key, "")
}

// GetObjectVersion returns one version of a key as GetObject does:
// ErrNoSuchVersion if the key has none with that ID, a *DeleteMarkerError
// (ByVersionID set) if it is a delete marker. An unversioned bucket's
// objects are the version NullVersion.
func (s *Postgres) GetObjectVersion(ctx context.Context, bucket, key, versionID string) (Object, error) {
	if !ValidVersionID(versionID) {
		return Object{}, fmt.Errorf("metadata: get %s/%s: %w: %q", bucket, key, ErrInvalidVersionID, versionID)
	}
	return s.getObject(ctx, bucket, key, versionID)
}

// getObject reads the latest version of a key (versionID empty) or the
// one named, with its parts, their manifests and shard placement, in one
// query and one snapshot.
func (s *Postgres) getObject(ctx context.Context, bucket, key, versionID string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, fmt.Errorf("metadata: get %s/%s: %w", bucket, key, err)
	}
	which, args := "o.is_latest", []any{bucket, key}
	if versionID != "" {
		which, args = "o.version_id = $3", append(args, versionID)
	}
	rows, err := s.db.Query(ctx, `
		SELECT bk.versioning, o.key IS NOT NULL, COALESCE(o.version_id, ''), COALESCE(o.is_latest, false),
			COALESCE(o.delete_marker, false), COALESCE(o.size, 0), COALESCE(o.etag, ''),
			COALESCE(o.content_type, ''), COALESCE(o.content_encoding, ''),
			COALESCE(o.content_disposition, ''), COALESCE(o.content_language, ''),
			COALESCE(o.cache_control, ''), COALESCE(o.expires, ''),
			COALESCE(o.user_meta, '{}'), COALESCE(o.last_modified, 'epoch'),
			COALESCE(o.checksum_algorithm, ''), COALESCE(o.checksum, ''), COALESCE(o.checksum_type, ''),
			COALESCE(o.lock_mode, ''), COALESCE(o.lock_until, 'epoch'), COALESCE(o.legal_hold, false),
			COALESCE(o.tags, '{}'),
			p.part_number, p.size, COALESCE(p.checksum, ''), b.id, b.manifest, sh.idx, sh.node_ids, sh.addrs, sh.suspects
		FROM buckets bk
		LEFT JOIN objects o ON o.bucket = bk.name AND o.key = $2 AND `+which+`
		LEFT JOIN object_parts p ON p.bucket = o.bucket AND p.key = o.key AND p.version_id = o.version_id
		LEFT JOIN blobs b ON b.id = p.blob_id
		LEFT JOIN LATERAL (`+shardsOfBlob+`) sh ON true
		WHERE bk.name = $1
		ORDER BY p.part_number`, args...)
	if err != nil {
		return Object{}, fmt.Errorf("metadata: get %s/%s: %w", bucket, key, err)
	}
	defer rows.Close()
	obj := Object{Bucket: bucket, Key: key}
	var (
		found, bucketFound bool
		versioning         string
	)
	for rows.Next() {
		bucketFound = true
		var (
			number   *int32
			size     *int64
			partSum  string
			br       blobRow
			userMeta map[string]string
			tags     map[string]string
		)
		err := rows.Scan(&versioning, &found, &obj.VersionID, &obj.IsLatest, &obj.DeleteMarker,
			&obj.Size, &obj.ETag, &obj.ContentType, &obj.ContentEncoding,
			&obj.ContentDisposition, &obj.ContentLanguage, &obj.CacheControl, &obj.Expires,
			&userMeta, &obj.LastModified, &obj.Checksum.Algorithm, &obj.Checksum.Value, &obj.Checksum.Type,
			&obj.Retention.Mode, &obj.Retention.Until, &obj.LegalHold, &tags,
			&number, &size, &partSum, &br.id, &br.manifest, &br.idx, &br.nodeIDs, &br.addrs, &br.suspects)
		if err != nil {
			return Object{}, fmt.Errorf("metadata: get %s/%s: %w", bucket, key, err)
		}
		if len(userMeta) > 0 {
			obj.UserMeta = userMeta
		}
		if len(tags) > 0 {
			obj.Tags = tags
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
	if versioning == VersioningUnversioned {
		obj.VersionID = ""
	}
	if obj.Retention.Mode == "" {
		obj.Retention = Retention{}
	}
	switch {
	case !bucketFound:
		return Object{}, fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	case !found && versionID != "":
		return Object{}, fmt.Errorf("%w: %s/%s version %s", ErrNoSuchVersion, bucket, key, versionID)
	case !found:
		return Object{}, fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
	case obj.DeleteMarker:
		return Object{}, &DeleteMarkerError{Bucket: bucket, Key: key, VersionID: obj.VersionID,
			LastModified: obj.LastModified, ByVersionID: versionID != ""}
	}
	return obj, nil
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
