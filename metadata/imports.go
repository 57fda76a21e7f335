package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The states of an import row (table import_objects, migration 0012).
const (
	// ImportCopying: a copy started and has not been verified yet. Found
	// at start-up, it is the trace of a run that died mid-copy.
	ImportCopying = "copying"
	// ImportDone: the copy was acknowledged and verified.
	ImportDone = "done"
	// ImportFailed: the copy failed after its retries; the next run
	// tries again.
	ImportFailed = "failed"
)

// ImportPair names what one import copies: a source bucket on a source
// endpoint into a destination bucket.
type ImportPair struct {
	SourceEndpoint, SourceBucket, DestBucket string
}

// ImportObject is the progress of one source object version.
type ImportObject struct {
	Key string
	// VersionID is the source's version ID, "" for a bucket listed
	// without versions.
	VersionID    string
	DeleteMarker bool
	// ETag, Size and LastModified are the source's, as listed.
	ETag         string
	Size         int64
	LastModified time.Time
	State        string
	// UploadID is the destination multipart upload of a copy in flight.
	UploadID string
	// DestVersionID is the destination version the copy became.
	DestVersionID string
	Error         string
	// Attempts counts started copies, Copies finished ones.
	Attempts, Copies int
	StartedAt        time.Time
	UpdatedAt        time.Time
}

// ImportID names an ImportObject within its pair.
type ImportID struct{ Key, VersionID string }

// ErrNoImportRow: the row to update does not exist.
var ErrNoImportRow = errors.New("metadata: no such import row")

// ImportLookup returns the rows of pair for keys (every version of each),
// by key and version.
func (s *Postgres) ImportLookup(ctx context.Context, p ImportPair, keys []string) (map[ImportID]ImportObject, error) {
	rows, err := s.db.Query(ctx, `
		SELECT key, version_id, delete_marker, etag, size, coalesce(last_modified, 'epoch'), state,
		       coalesce(upload_id, ''), coalesce(dest_version_id, ''), coalesce(error, ''),
		       attempts, copies, started_at, updated_at
		FROM import_objects
		WHERE source_endpoint = $1 AND source_bucket = $2 AND dest_bucket = $3 AND key = ANY($4)`,
		p.SourceEndpoint, p.SourceBucket, p.DestBucket, keys)
	if err != nil {
		return nil, fmt.Errorf("metadata: import lookup: %w", err)
	}
	objs, err := pgx.CollectRows(rows, scanImportObject)
	if err != nil {
		return nil, fmt.Errorf("metadata: import lookup: %w", err)
	}
	m := make(map[ImportID]ImportObject, len(objs))
	for _, o := range objs {
		m[ImportID{o.Key, o.VersionID}] = o
	}
	return m, nil
}

func scanImportObject(r pgx.CollectableRow) (ImportObject, error) {
	var o ImportObject
	err := r.Scan(&o.Key, &o.VersionID, &o.DeleteMarker, &o.ETag, &o.Size, &o.LastModified, &o.State,
		&o.UploadID, &o.DestVersionID, &o.Error, &o.Attempts, &o.Copies, &o.StartedAt, &o.UpdatedAt)
	return o, err
}

// ImportStart records that a copy of o (its key, version, delete marker,
// ETag, size and last-modified time) begins: the row becomes copying, with
// no upload, destination version or error, and one more attempt. A row
// from an earlier copy of the key is overwritten; its Copies count stays.
func (s *Postgres) ImportStart(ctx context.Context, p ImportPair, o ImportObject) error {
	if err := checkText("key", o.Key); err != nil {
		return fmt.Errorf("metadata: import start: %w", err)
	}
	var lm any
	if !o.LastModified.IsZero() {
		lm = o.LastModified
	}
	_, err := s.db.Exec(ctx, `
		INSERT INTO import_objects (source_endpoint, source_bucket, dest_bucket, key, version_id,
		                            delete_marker, etag, size, last_modified, state, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'copying', 1)
		ON CONFLICT (source_endpoint, source_bucket, dest_bucket, key, version_id) DO UPDATE SET
			delete_marker = EXCLUDED.delete_marker, etag = EXCLUDED.etag, size = EXCLUDED.size,
			last_modified = EXCLUDED.last_modified, state = 'copying', upload_id = NULL,
			dest_version_id = NULL, error = NULL, attempts = import_objects.attempts + 1,
			started_at = now(), updated_at = now()`,
		p.SourceEndpoint, p.SourceBucket, p.DestBucket, o.Key, o.VersionID, o.DeleteMarker, o.ETag, o.Size, lm)
	if err != nil {
		return fmt.Errorf("metadata: import start %s: %w", o.Key, err)
	}
	return nil
}

// ImportSetUpload records the destination multipart upload of the copy
// in flight, so that a run that finds it after a crash can abort it.
func (s *Postgres) ImportSetUpload(ctx context.Context, p ImportPair, id ImportID, uploadID string) error {
	return s.importUpdate(ctx, "set upload", p, id, `upload_id = NULLIF($6, '')`, uploadID)
}

// ImportDone marks the copy verified: done, as destVersionID on the
// destination, one more finished copy.
func (s *Postgres) ImportDone(ctx context.Context, p ImportPair, id ImportID, destVersionID string) error {
	return s.importUpdate(ctx, "done", p, id,
		`state = 'done', upload_id = NULL, error = NULL, dest_version_id = NULLIF($6, ''), copies = copies + 1`, destVersionID)
}

// ImportFailed marks the copy failed with the reason msg.
func (s *Postgres) ImportFailed(ctx context.Context, p ImportPair, id ImportID, msg string) error {
	return s.importUpdate(ctx, "failed", p, id, `state = 'failed', upload_id = NULL, error = $6`, msg)
}

// importUpdate sets the columns set names (with $6 as arg) on one row.
func (s *Postgres) importUpdate(ctx context.Context, what string, p ImportPair, id ImportID, set string, arg string) error {
	tag, err := s.db.Exec(ctx, `
		UPDATE import_objects SET `+set+`, updated_at = now()
		WHERE source_endpoint = $1 AND source_bucket = $2 AND dest_bucket = $3 AND key = $4 AND version_id = $5`,
		p.SourceEndpoint, p.SourceBucket, p.DestBucket, id.Key, id.VersionID, arg)
	if err != nil {
		return fmt.Errorf("metadata: import %s %s: %w", what, id.Key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s %q", ErrNoImportRow, id.Key, id.VersionID)
	}
	return nil
}

// ImportCounts returns how many rows of pair are in each state.
func (s *Postgres) ImportCounts(ctx context.Context, p ImportPair) (map[string]int, error) {
	rows, err := s.db.Query(ctx, `
		SELECT state, count(*) FROM import_objects
		WHERE source_endpoint = $1 AND source_bucket = $2 AND dest_bucket = $3 GROUP BY state`,
		p.SourceEndpoint, p.SourceBucket, p.DestBucket)
	if err != nil {
		return nil, fmt.Errorf("metadata: import counts: %w", err)
	}
	m := map[string]int{}
	var st string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error { m[st] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("metadata: import counts: %w", err)
	}
	return m, nil
}

// ErrImportRunning: another import of the pair holds its lock.
var ErrImportRunning = errors.New("metadata: another import of this bucket pair is running")

// ImportLock takes the lock of pair (named by a hash of the pair, whose
// parts hold no spaces: URLs and bucket names cannot), a PostgreSQL advisory lock held on a
// connection of its own until unlock is called or the process dies (the
// server drops a dead client's locks with its connection), so two imports
// of one pair never interleave their rows. ErrImportRunning if taken.
func (s *Postgres) ImportLock(ctx context.Context, p ImportPair) (unlock func(), err error) {
	conn, err := s.db.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("metadata: import lock: %w", err)
	}
	var ok bool
	err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended('floe import ' || $1 || ' ' || $2 || ' ' || $3, 0))`,
		p.SourceEndpoint, p.SourceBucket, p.DestBucket).Scan(&ok)
	if err != nil {
		conn.Release()
		return nil, fmt.Errorf("metadata: import lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, fmt.Errorf("%w: %s/%s -> %s", ErrImportRunning, p.SourceEndpoint, p.SourceBucket, p.DestBucket)
	}
	return func() {
		// Closing the connection drops the lock, even if it is broken.
		_ = conn.Conn().Close(context.Background())
		conn.Release()
	}, nil
}
