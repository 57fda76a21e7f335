package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Lock order: a method that touches an upload locks its multipart_uploads
// row (FOR UPDATE) before anything else; CompleteUpload then locks the
// object row, as PutObject and DeleteObject do. Nothing locks an object row
// and then an upload row, so these cannot deadlock.

// CreateUpload starts multipart upload u; ErrNoSuchBucket if its
// bucket is missing.
func (s *Postgres) CreateUpload(ctx context.Context, u Upload) error {
	if err := checkKey(u.Key); err != nil {
		return fmt.Errorf("metadata: create upload %s/%s: %w", u.Bucket, u.Key, err)
	}
	if u.ID == "" {
		return fmt.Errorf("metadata: create upload %s/%s: empty upload ID", u.Bucket, u.Key)
	}
	if err := checkText("upload ID", u.ID); err != nil {
		return fmt.Errorf("metadata: create upload %s/%s: %w", u.Bucket, u.Key, err)
	}
	if err := checkChecksum(u.Checksum, true); err != nil {
		return fmt.Errorf("metadata: create upload %s/%s: %w", u.Bucket, u.Key, err)
	}
	meta := u.UserMeta
	if meta == nil {
		meta = map[string]string{}
	}
	var initiated *time.Time
	if !u.Initiated.IsZero() {
		initiated = &u.Initiated
	}
	var until *time.Time
	if !u.Retention.IsZero() {
		until = &u.Retention.Until
	}
	_, err := s.db.Exec(ctx, `INSERT INTO multipart_uploads (upload_id, bucket, key, created_at,
			content_type, content_encoding, content_disposition, content_language, cache_control, expires, user_meta,
			checksum_algorithm, checksum_type, lock_mode, lock_until, legal_hold, tags)
		VALUES ($1, $2, $3, COALESCE($4, now()), NULLIF($5, ''), NULLIF($6, ''), NULLIF($7, ''), NULLIF($8, ''),
			NULLIF($9, ''), NULLIF($10, ''), $11, NULLIF($12, ''), NULLIF($13, ''), NULLIF($14, ''), $15, $16, $17)`,
		u.ID, u.Bucket, u.Key, initiated, u.ContentType, u.ContentEncoding, u.ContentDisposition,
		u.ContentLanguage, u.CacheControl, u.Expires, meta, u.Checksum.Algorithm, u.Checksum.Type,
		u.Retention.Mode, until, u.LegalHold, nonNil(u.Tags))
	if code, constraint := pgCode(err); code == codeForeignKey && constraint == "multipart_uploads_bucket_fkey" {
		return fmt.Errorf("%w: %s", ErrNoSuchBucket, u.Bucket)
	}
	if err != nil {
		return fmt.Errorf("metadata: create upload %s/%s: %w", u.Bucket, u.Key, lockError(err))
	}
	return nil
}

// uploadColumns are the multipart_uploads columns scanUpload reads.
const uploadColumns = `upload_id, bucket, key, created_at,
	COALESCE(content_type, ''), COALESCE(content_encoding, ''), COALESCE(content_disposition, ''),
	COALESCE(content_language, ''), COALESCE(cache_control, ''), COALESCE(expires, ''), user_meta,
	COALESCE(checksum_algorithm, ''), COALESCE(checksum_type, ''),
	COALESCE(lock_mode, ''), COALESCE(lock_until, 'epoch'), legal_hold, tags`

// scanUpload scans a row of uploadColumns; ErrNoSuchUpload if there is none.
func scanUpload(row pgx.Row) (Upload, error) {
	var u Upload
	var meta map[string]string
	err := row.Scan(&u.ID, &u.Bucket, &u.Key, &u.Initiated, &u.ContentType, &u.ContentEncoding,
		&u.ContentDisposition, &u.ContentLanguage, &u.CacheControl, &u.Expires, &meta,
		&u.Checksum.Algorithm, &u.Checksum.Type, &u.Retention.Mode, &u.Retention.Until, &u.LegalHold, &u.Tags)
	if errors.Is(err, pgx.ErrNoRows) {
		return Upload{}, ErrNoSuchUpload
	}
	if err != nil {
		return Upload{}, err
	}
	if len(meta) > 0 {
		u.UserMeta = meta
	}
	if u.Retention.Mode == "" {
		u.Retention = Retention{}
	}
	if len(u.Tags) == 0 {
		u.Tags = nil
	}
	return u, nil
}

// GetUpload returns an upload, or ErrNoSuchUpload if there is none with
// this ID in this bucket under this key.
func (s *Postgres) GetUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error) {
	u, err := scanUpload(s.db.QueryRow(ctx, `SELECT `+uploadColumns+` FROM multipart_uploads
		WHERE upload_id = $1 AND bucket = $2 AND key = $3`, uploadID, bucket, key))
	if err != nil {
		return Upload{}, fmt.Errorf("metadata: get upload %s of %s/%s: %w", uploadID, bucket, key, err)
	}
	return u, nil
}

// lockUpload locks upload uploadID's row for the rest of tx: a concurrent
// PutUploadPart, CompleteUpload or AbortUpload of it waits, and one that
// has deleted it makes this return ErrNoSuchUpload. The upload must be in
// bucket under key.
func lockUpload(ctx context.Context, tx pgx.Tx, bucket, key, uploadID string) (Upload, error) {
	return scanUpload(tx.QueryRow(ctx, `SELECT `+uploadColumns+` FROM multipart_uploads
		WHERE upload_id = $1 AND bucket = $2 AND key = $3 FOR UPDATE`, uploadID, bucket, key))
}

// PutUploadPart adds part p to an upload, replacing (and queueing for
// deletion the blob of) an earlier part with its number, and deletes
// the write intent of nonce unless nonce is nil. ErrNoSuchUpload if the
// upload is gone; ErrIntentExpired as for PutObject.
//
// The part's blob and shards are inserted if new; an existing blob must not
// belong to another part or be queued for deletion.
func (s *Postgres) PutUploadPart(ctx context.Context, bucket, key, uploadID string, p UploadPart, nonce []byte) error {
	fail := func(err error) error {
		return fmt.Errorf("metadata: put part %d of upload %s of %s/%s: %w", p.Number, uploadID, bucket, key, err)
	}
	if p.Number < 1 || p.Number > MaxPartNumber {
		return fail(fmt.Errorf("part number out of range 1 to %d", MaxPartNumber))
	}
	// checkObject checks a one-part object's blob as PutObject would.
	part := []Part{{Number: p.Number, Size: p.Size, Blob: p.Blob, Checksum: p.Checksum}}
	if err := checkObject(&Object{Bucket: bucket, Key: key, Size: p.Size, Parts: part}); err != nil {
		return fail(err)
	}
	c := newPartColumns(part)
	var lastModified *time.Time
	if !p.LastModified.IsZero() {
		lastModified = &p.LastModified
	}
	id := p.Blob.ID

	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockUpload(ctx, tx, bucket, key, uploadID); err != nil {
			return err
		}
		b := &pgx.Batch{}
		if nonce != nil {
			b.Queue(`DELETE FROM write_intents WHERE nonce = $1 AND claimed_until IS NULL`, nonce)
		}
		c.queueInsertBlobs(b)
		b.Queue(`SELECT count(*) FROM object_parts WHERE blob_id = $1`, id[:])
		// The part this one replaces, unless it is the same blob (a retry),
		// goes to GC. The upload row lock keeps its parts still.
		b.Queue(`WITH old AS (DELETE FROM upload_parts WHERE upload_id = $1 AND part_number = $2 RETURNING blob_id)
			INSERT INTO deletion_queue (blob_id)
			SELECT blob_id FROM old WHERE blob_id <> $3
			ON CONFLICT DO NOTHING`, uploadID, p.Number, id[:])
		b.Queue(`INSERT INTO upload_parts (upload_id, part_number, blob_id, size, etag, created_at, checksum)
			VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), NULLIF($7, ''))`,
			uploadID, p.Number, id[:], p.Size, p.ETag, lastModified, p.Checksum)

		br := tx.SendBatch(ctx, b)
		defer br.Close()
		if nonce != nil {
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("%w: the intent is gone or claimed by garbage collection", ErrIntentExpired)
			}
		}
		if err := readInsertBlobs(br, false); err != nil {
			return err
		}
		var inObject int
		if err := br.QueryRow().Scan(&inObject); err != nil {
			return err
		}
		if inObject > 0 {
			return fmt.Errorf("blob %s belongs to an object", id)
		}
		if _, err := br.Exec(); err != nil {
			return err
		}
		if _, err := br.Exec(); err != nil {
			if code, constraint := pgCode(err); code == codeUnique && constraint == "upload_parts_blob_id" {
				return fmt.Errorf("blob %s belongs to another part: %w", id, err)
			}
			return err
		}
		return br.Close()
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

// ListUploadPartsPage returns one page of an upload's parts: up to
// limit of those numbered above after, in number order, and whether
// more follow; ErrNoSuchUpload as for ListUploadParts. The parts come
// without their blobs (Blob is zero), and only the page is read, so a
// page costs the same however many parts the upload has.
//
// One query reads the upload and, by keyset on upload_parts' primary key
// (upload_id, part_number), the page's parts plus one to tell whether more
// follow.
func (s *Postgres) ListUploadPartsPage(ctx context.Context, bucket, key, uploadID string, after, limit int) ([]UploadPart, bool, error) {
	fail := func(err error) error {
		return fmt.Errorf("metadata: list parts of upload %s of %s/%s after %d: %w", uploadID, bucket, key, after, err)
	}
	// No part is numbered outside 1 to MaxPartNumber, so clamping changes
	// no page and keeps the arguments within int and LIMIT within reason.
	after = min(max(after, 0), MaxPartNumber)
	limit = min(max(limit, 0), MaxPartNumber)
	rows, err := s.db.Query(ctx, `
		SELECT `+uploadPartColumns+`
		FROM multipart_uploads u
		LEFT JOIN LATERAL (
			SELECT part_number, size, etag, created_at, checksum FROM upload_parts
			WHERE upload_id = u.upload_id AND part_number > $4
			ORDER BY part_number
			LIMIT $5) p ON true
		WHERE u.upload_id = $1 AND u.bucket = $2 AND u.key = $3
		ORDER BY p.part_number`, uploadID, bucket, key, after, limit+1)
	if err != nil {
		return nil, false, fail(err)
	}
	parts, err := scanUploadParts(rows, nil, nil)
	if err != nil {
		return nil, false, fail(err)
	}
	if len(parts) > limit {
		return parts[:limit], true, nil
	}
	return parts, false, nil
}

// ListUploadParts returns an upload's parts in number order with their
// manifests and placement, or ErrNoSuchUpload.
//
// One query reads the upload, its parts, their manifests and shard
// placement, in one snapshot.
func (s *Postgres) ListUploadParts(ctx context.Context, bucket, key, uploadID string) ([]UploadPart, error) {
	fail := func(err error) error {
		return fmt.Errorf("metadata: list parts of upload %s of %s/%s: %w", uploadID, bucket, key, err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT `+uploadPartColumns+`, b.id, b.manifest, sh.idx, sh.node_ids, sh.addrs, sh.suspects
		FROM multipart_uploads u
		LEFT JOIN upload_parts p ON p.upload_id = u.upload_id
		LEFT JOIN blobs b ON b.id = p.blob_id
		LEFT JOIN LATERAL (`+shardsOfBlob+`) sh ON true
		WHERE u.upload_id = $1 AND u.bucket = $2 AND u.key = $3
		ORDER BY p.part_number`, uploadID, bucket, key)
	if err != nil {
		return nil, fail(err)
	}
	var br blobRow
	parts, err := scanUploadParts(rows, []any{&br.id, &br.manifest, &br.idx, &br.nodeIDs, &br.addrs, &br.suspects}, func(p *UploadPart) error {
		var err error
		if p.Blob, err = br.decode(); err != nil {
			return fmt.Errorf("part %d: %w", p.Number, err)
		}
		return nil
	})
	if err != nil {
		return nil, fail(err)
	}
	return parts, nil
}

// uploadPartColumns are the columns of part p that scanUploadParts reads.
const uploadPartColumns = `p.part_number, p.size, p.etag, p.created_at, COALESCE(p.checksum, '')`

// scanUploadParts reads and closes the rows of a query of an upload left
// joined to its parts p: uploadPartColumns, then columns scanned into
// extra, which fill (unless nil) turns into more of each part. The part
// columns are NULL in the one row of an upload without (listed) parts; no
// row at all is ErrNoSuchUpload.
func scanUploadParts(rows pgx.Rows, extra []any, fill func(*UploadPart) error) ([]UploadPart, error) {
	defer rows.Close()
	var (
		parts []UploadPart
		found bool
	)
	for rows.Next() {
		found = true
		var (
			number       *int32
			size         *int64
			etag         *string
			lastModified *time.Time
			sum          string
		)
		if err := rows.Scan(append([]any{&number, &size, &etag, &lastModified, &sum}, extra...)...); err != nil {
			return nil, err
		}
		if number == nil {
			continue // an upload without parts
		}
		p := UploadPart{Number: int(*number), Size: *size, ETag: *etag, LastModified: *lastModified, Checksum: sum}
		if fill != nil {
			if err := fill(&p); err != nil {
				return nil, err
			}
		}
		parts = append(parts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNoSuchUpload
	}
	return parts, nil
}

// CompleteUpload turns an upload into object obj, whose parts must be
// parts of the upload with the same numbers and blobs (else
// ErrInvalidPart) and whose Bucket and Key must be the upload's (else
// ErrNoSuchUpload). The object gets the upload's headers, user
// metadata, retention and legal hold; obj's are ignored. It creates or replaces the object as
// PutObject does, queues the blobs of the parts not used for deletion,
// deletes the upload and reports what it wrote. If
// cond does not hold it fails as PutObject does and changes nothing:
// the upload remains. obj's Checksum and its parts' are stored as given.
//
// A failed cond rolls everything back: the upload is left as it was.
func (s *Postgres) CompleteUpload(ctx context.Context, uploadID string, obj Object, cond Precondition) (PutResult, error) {
	fail := func(err error) error {
		return fmt.Errorf("metadata: complete upload %s of %s/%s: %w", uploadID, obj.Bucket, obj.Key, err)
	}
	if err := checkObject(&obj); err != nil {
		return PutResult{}, fail(err)
	}
	c := newPartColumns(obj.Parts)

	var res PutResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		u, err := lockUpload(ctx, tx, obj.Bucket, obj.Key, uploadID)
		if err != nil {
			return err
		}
		obj.Headers = u.Headers
		obj.Retention, obj.LegalHold, obj.Tags = u.Retention, u.LegalHold, u.Tags

		var matching int
		err = tx.QueryRow(ctx, `SELECT count(*) FROM upload_parts p
			JOIN unnest($2::int[], $3::bytea[]) AS c (part_number, blob_id) USING (part_number, blob_id)
			WHERE p.upload_id = $1`, uploadID, c.numbers, c.ids).Scan(&matching)
		if err != nil {
			return err
		}
		if matching != len(obj.Parts) {
			return fmt.Errorf("%w: %d of %d parts are not the upload's", ErrInvalidPart, len(obj.Parts)-matching, len(obj.Parts))
		}
		// Free the chosen blobs of their upload_parts rows before the
		// object's parts take them (both blob_id indexes are unique), and
		// queue the blobs not chosen.
		_, err = tx.Exec(ctx, `WITH old AS (DELETE FROM upload_parts WHERE upload_id = $1 RETURNING blob_id)
			INSERT INTO deletion_queue (blob_id)
			SELECT blob_id FROM old WHERE blob_id <> ALL($2::bytea[])
			ON CONFLICT DO NOTHING`, uploadID, c.ids)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM multipart_uploads WHERE upload_id = $1`, uploadID); err != nil {
			return err
		}
		res, err = writeObject(ctx, tx, obj, c, [][]byte{}, cond)
		return err
	})
	if err != nil {
		return PutResult{}, fail(lockError(err))
	}
	return res, nil
}

// AbortUpload deletes an upload, queueing its parts' blobs for
// deletion; ErrNoSuchUpload if there is none.
func (s *Postgres) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockUpload(ctx, tx, bucket, key, uploadID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `WITH old AS (DELETE FROM upload_parts WHERE upload_id = $1 RETURNING blob_id)
			INSERT INTO deletion_queue (blob_id) SELECT blob_id FROM old ON CONFLICT DO NOTHING`, uploadID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM multipart_uploads WHERE upload_id = $1`, uploadID)
		return err
	})
	if err != nil {
		return fmt.Errorf("metadata: abort upload %s of %s/%s: %w", uploadID, bucket, key, err)
	}
	return nil
}

// partColumns are parts as column arrays for unnest; never nil, which pgx
// would send as NULL.
type partColumns struct {
	ids       [][]byte
	manifests [][]byte
	sizes     []int64
	numbers   []int32
	checksums []string // "" for none
	shardBlob [][]byte
	shardIdx  []int32
	shardNode []string
}

func newPartColumns(parts []Part) partColumns {
	n := len(parts)
	c := partColumns{
		ids:       make([][]byte, 0, n),
		manifests: make([][]byte, 0, n),
		sizes:     make([]int64, 0, n),
		numbers:   make([]int32, 0, n),
		checksums: make([]string, 0, n),
		shardBlob: make([][]byte, 0, n*6),
		shardIdx:  make([]int32, 0, n*6),
		shardNode: make([]string, 0, n*6),
	}
	for _, p := range parts {
		id := p.Blob.ID
		c.ids = append(c.ids, id[:])
		c.manifests = append(c.manifests, p.Blob.Manifest.Marshal())
		c.sizes = append(c.sizes, p.Size)
		c.numbers = append(c.numbers, int32(p.Number))
		c.checksums = append(c.checksums, p.Checksum)
		for i, nd := range p.Blob.Placement {
			c.shardBlob = append(c.shardBlob, id[:])
			c.shardIdx = append(c.shardIdx, int32(i))
			c.shardNode = append(c.shardNode, nd.ID)
		}
	}
	return c
}

// queueInsertBlobs queues the three statements that insert the parts'
// blobs and shards if new and count those queued for deletion; read their
// results with readInsertBlobs.
func (c *partColumns) queueInsertBlobs(b *pgx.Batch) {
	b.Queue(`INSERT INTO blobs (id, manifest, size)
		SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bigint[])
		ON CONFLICT (id) DO NOTHING`, c.ids, c.manifests, c.sizes)
	b.Queue(`INSERT INTO shards (blob_id, idx, node_id)
		SELECT * FROM unnest($1::bytea[], $2::int[], $3::text[])
		ON CONFLICT DO NOTHING`, c.shardBlob, c.shardIdx, c.shardNode)
	b.Queue(`SELECT count(*) FROM deletion_queue WHERE blob_id = ANY($1)`, c.ids)
}

// readInsertBlobs reads the results of queueInsertBlobs, failing if a blob
// is queued for deletion unless queuedOK.
func readInsertBlobs(br pgx.BatchResults, queuedOK bool) error {
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	var queued int
	if err := br.QueryRow().Scan(&queued); err != nil {
		return err
	}
	if queued > 0 && !queuedOK {
		return fmt.Errorf("%d of the blobs are queued for deletion", queued)
	}
	return nil
}

// writeObject is PutObject's transaction: under the key's lock it checks
// cond against the key's latest version, deletes the intents of nonces
// (never nil), inserts c's blobs and shards, deletes the null version if
// the bucket is not versioning-enabled (queueing its blobs that obj does
// not reuse), makes the latest version noncurrent, and inserts obj as the
// new latest version with its parts, its retention (the bucket's default
// if obj names none) and legal hold. obj must have passed checkObject and
// c must be newPartColumns(obj.Parts). If cond does not hold it fails with
// ErrPreconditionFailed or ErrNoSuchKey having written nothing.
func writeObject(ctx context.Context, tx pgx.Tx, obj Object, c partColumns, nonces [][]byte, cond Precondition) (PutResult, error) {
	meta := obj.UserMeta
	if meta == nil {
		meta = map[string]string{}
	}
	var lastModified *time.Time
	if !obj.LastModified.IsZero() {
		lastModified = &obj.LastModified
	}
	var retainUntil *time.Time
	if !obj.Retention.IsZero() {
		retainUntil = &obj.Retention.Until
	}
	fresh := NewVersionID()
	b := &pgx.Batch{}
	var versioning string
	if cond.IsZero() {
		b.Queue(lockKeySQL, obj.Bucket, obj.Key)
	} else {
		// The condition must be read under the lock, before any write.
		var err error
		if versioning, err = lockKey(ctx, tx, obj.Bucket, obj.Key); err != nil {
			return PutResult{}, err
		}
		if err := checkCondition(ctx, tx, obj.Bucket, obj.Key, cond); err != nil {
			return PutResult{}, err
		}
	}
	b.Queue(`DELETE FROM write_intents WHERE nonce = ANY($1) AND claimed_until IS NULL`, nonces)
	c.queueInsertBlobs(b)
	// The bucket row is share-locked: its versioning cannot change before
	// the transaction ends, so every statement reads the same state.
	const unversioned = `(SELECT versioning FROM buckets WHERE name = $1) <> 'Enabled'`
	// The replaced null version's blobs, unless reused, go to GC. The
	// unique index on object_parts(blob_id) guarantees nothing else uses
	// them.
	b.Queue(`WITH old AS (DELETE FROM object_parts
			WHERE bucket = $1 AND key = $2 AND version_id = 'null' AND `+unversioned+` RETURNING blob_id)
		INSERT INTO deletion_queue (blob_id)
		SELECT blob_id FROM old WHERE blob_id <> ALL($3::bytea[])
		ON CONFLICT DO NOTHING`, obj.Bucket, obj.Key, c.ids)
	b.Queue(`DELETE FROM objects WHERE bucket = $1 AND key = $2 AND version_id = 'null' AND `+unversioned,
		obj.Bucket, obj.Key)
	b.Queue(`UPDATE objects SET is_latest = false WHERE bucket = $1 AND key = $2 AND is_latest`, obj.Bucket, obj.Key)
	b.Queue(`INSERT INTO objects (bucket, key, version_id, is_latest, size, etag, content_type, content_encoding,
			content_disposition, content_language, cache_control, expires, user_meta, last_modified,
			checksum_algorithm, checksum, checksum_type, lock_mode, lock_until, legal_hold, tags)
		VALUES ($1, $2, CASE WHEN `+unversioned+` THEN 'null' ELSE $16 END, true,
			$3, $4, NULLIF($5, ''), NULLIF($6, ''), NULLIF($7, ''), NULLIF($8, ''),
			NULLIF($9, ''), NULLIF($10, ''), $11, COALESCE($12, now()),
			NULLIF($13, ''), NULLIF($14, ''), NULLIF($15, ''),
			COALESCE(NULLIF($17, ''), (SELECT lock_default_mode FROM buckets WHERE name = $1)),
			COALESCE($18, (SELECT now() + make_interval(years => COALESCE(lock_default_years, 0),
				days => COALESCE(lock_default_days, 0)) FROM buckets WHERE name = $1 AND lock_default_mode IS NOT NULL)),
			$19, $20)`,
		obj.Bucket, obj.Key, obj.Size, obj.ETag, obj.ContentType, obj.ContentEncoding,
		obj.ContentDisposition, obj.ContentLanguage, obj.CacheControl, obj.Expires, meta, lastModified,
		obj.Checksum.Algorithm, obj.Checksum.Value, obj.Checksum.Type, fresh,
		obj.Retention.Mode, retainUntil, obj.LegalHold, nonNil(obj.Tags))
	b.Queue(`INSERT INTO object_parts (bucket, key, version_id, part_number, blob_id, size, checksum)
		SELECT $1, $2, CASE WHEN `+unversioned+` THEN 'null' ELSE $7 END, n, id, sz, NULLIF(sum, '')
		FROM unnest($3::int[], $4::bytea[], $5::bigint[], $6::text[]) AS u (n, id, sz, sum)`,
		obj.Bucket, obj.Key, c.numbers, c.ids, c.sizes, c.checksums, fresh)

	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if cond.IsZero() {
		var err error
		if versioning, err = scanLockKey(br.QueryRow(), obj.Bucket); err != nil {
			return PutResult{}, err
		}
	}
	tag, err := br.Exec()
	if err != nil {
		return PutResult{}, err
	}
	if int(tag.RowsAffected()) != len(nonces) {
		return PutResult{}, fmt.Errorf("%w: %d of %d intents are gone or claimed by garbage collection", ErrIntentExpired, len(nonces)-int(tag.RowsAffected()), len(nonces))
	}
	if err := readInsertBlobs(br, false); err != nil {
		return PutResult{}, err
	}
	res := PutResult{VersionID: versionIDFor(versioning, fresh)}
	for range 2 { // the null version's parts and row
		if tag, err = br.Exec(); err != nil {
			return PutResult{}, err
		}
	}
	res.Replaced = tag.RowsAffected() > 0
	if tag, err = br.Exec(); err != nil {
		return PutResult{}, err
	}
	res.Replaced = res.Replaced || tag.RowsAffected() > 0
	if _, err := br.Exec(); err != nil {
		return PutResult{}, err
	}
	if _, err := br.Exec(); err != nil {
		if code, constraint := pgCode(err); code == codeUnique && constraint == "object_parts_blob_id" {
			return PutResult{}, fmt.Errorf("a blob of the object belongs to another object: %w", err)
		}
		return PutResult{}, err
	}
	return res, br.Close()
}

// nonNil returns m, or an empty map for nil: pgx sends a nil map as NULL,
// and the jsonb columns it fills are NOT NULL.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
