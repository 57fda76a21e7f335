package metadata

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ListVersionsParams selects the versions ListObjectVersions returns.
type ListVersionsParams struct {
	Bucket    string
	Prefix    string // only keys starting with Prefix
	Delimiter string // if not empty, roll keys up into common prefixes
	// KeyMarker lists the versions of keys after it only (or, when it is
	// a common prefix of the listing, after every key under it). With
	// VersionIDMarker, the versions of KeyMarker older than that version
	// come first; if that version is gone, listing resumes after the key.
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int // versions plus common prefixes to return; 0 returns none
}

// ListVersionsResult is one page of a version listing.
type ListVersionsResult struct {
	// Versions are ordered by key, newest first; delete markers among
	// them. Bucket, Key, VersionID (NullVersion for a null version, in
	// every bucket), IsLatest, DeleteMarker, Size, ETag, LastModified and
	// Checksum.Algorithm are set, not Parts.
	Versions       []Object
	CommonPrefixes []string
	// IsTruncated reports that entries follow: list again with KeyMarker
	// and VersionIDMarker set to NextKeyMarker and NextVersionIDMarker.
	IsTruncated bool
	// NextKeyMarker is the key of the last version or the last common
	// prefix returned; NextVersionIDMarker is that version's ID, empty if
	// a common prefix came last. Both are empty unless IsTruncated.
	NextKeyMarker       string
	NextVersionIDMarker string
}

// ListObjectVersions returns one page of a bucket's versions, as S3's
// ListObjectVersions: by key in byte order, each key's versions newest
// first, keys rolled up into common prefixes at the delimiter. Versions
// and common prefixes count together toward MaxKeys. A page costs what
// it returns (see floe_list_versions in migrations/0006_versioning.sql).
func (s *Postgres) ListObjectVersions(ctx context.Context, p ListVersionsParams) (ListVersionsResult, error) {
	fail := func(err error) (ListVersionsResult, error) {
		return ListVersionsResult{}, fmt.Errorf("metadata: list versions of %s: %w", p.Bucket, err)
	}
	for _, f := range []struct{ what, s string }{{"prefix", p.Prefix}, {"delimiter", p.Delimiter}, {"key-marker", p.KeyMarker}} {
		if err := checkText(f.what, f.s); err != nil {
			return fail(err)
		}
	}
	if p.MaxKeys < 0 {
		return fail(fmt.Errorf("negative max-keys %d", p.MaxKeys))
	}
	if p.VersionIDMarker != "" && !ValidVersionID(p.VersionIDMarker) {
		return fail(fmt.Errorf("%w: %q", ErrInvalidVersionID, p.VersionIDMarker))
	}
	var res ListVersionsResult
	if p.MaxKeys > 0 {
		var err error
		if res, err = s.listVersions(ctx, p); err != nil {
			return fail(err)
		}
	}
	if len(res.Versions) == 0 && len(res.CommonPrefixes) == 0 {
		if _, err := s.GetBucket(ctx, p.Bucket); err != nil {
			return ListVersionsResult{}, err
		}
	}
	return res, nil
}

// listVersions finds where p's page starts and reads it, one entry beyond
// MaxKeys to learn whether the listing is truncated.
func (s *Postgres) listVersions(ctx context.Context, p ListVersionsParams) (ListVersionsResult, error) {
	var res ListVersionsResult
	startKey, ok := listStart(ListParams{Prefix: p.Prefix, Delimiter: p.Delimiter, StartAfter: p.KeyMarker})
	if !ok {
		return res, nil
	}
	var startSeq *int64
	if p.VersionIDMarker != "" && strings.HasPrefix(p.KeyMarker, p.Prefix) && !rollsUp(p.KeyMarker, p.Prefix, p.Delimiter) {
		var seq int64
		err := s.db.QueryRow(ctx, `SELECT seq FROM objects WHERE bucket = $1 AND key = $2 AND version_id = $3`,
			p.Bucket, p.KeyMarker, p.VersionIDMarker).Scan(&seq)
		switch {
		case errors.Is(err, pgx.ErrNoRows): // gone: resume after the key
		case err != nil:
			return res, err
		default:
			startKey, startSeq = p.KeyMarker, &seq
		}
	}
	limit := min(p.MaxKeys, math.MaxInt32-1) + 1
	rows, err := s.db.Query(ctx, `
		SELECT COALESCE(key, ''), cp, COALESCE(version_id, ''), COALESCE(is_latest, false),
			COALESCE(delete_marker, false), COALESCE(size, 0), COALESCE(etag, ''), COALESCE(last_modified, 'epoch'),
			COALESCE(checksum_algorithm, '')
		FROM floe_list_versions($1, $2, $3, $4, $5, $6)`,
		p.Bucket, startKey, startSeq, p.Prefix, p.Delimiter, limit)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		o := Object{Bucket: p.Bucket}
		var cp *string
		if err := rows.Scan(&o.Key, &cp, &o.VersionID, &o.IsLatest, &o.DeleteMarker, &o.Size, &o.ETag, &o.LastModified, &o.Checksum.Algorithm); err != nil {
			return res, err
		}
		if n++; n > p.MaxKeys {
			res.IsTruncated = true
			break
		}
		if cp != nil {
			res.CommonPrefixes = append(res.CommonPrefixes, *cp)
			res.NextKeyMarker, res.NextVersionIDMarker = *cp, ""
			continue
		}
		res.Versions = append(res.Versions, o)
		res.NextKeyMarker, res.NextVersionIDMarker = o.Key, o.VersionID
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextVersionIDMarker = "", ""
	}
	return res, nil
}

// rollsUp reports whether key, which starts with prefix, rolls up into a
// common prefix when listing prefix with delimiter delim.
func rollsUp(key, prefix, delim string) bool {
	return delim != "" && strings.Contains(key[len(prefix):], delim)
}
