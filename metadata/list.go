package metadata

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// listKeysSQL pages through current objects (latest versions that are
// not delete markers) without a delimiter: one range scan of the
// objects_latest index.
// $2 is the inclusive lower bound; the variant with $4 stops at the end of
// the prefix's range so a sparse prefix does not scan the rest of the
// bucket.
const (
	listKeysSQL = `
		SELECT key, size, etag, last_modified, COALESCE(checksum_algorithm, '') FROM objects
		WHERE bucket = $1 AND key >= $2 AND is_latest AND NOT delete_marker
		ORDER BY key LIMIT $3`
	listKeysBoundedSQL = `
		SELECT key, size, etag, last_modified, COALESCE(checksum_algorithm, '') FROM objects
		WHERE bucket = $1 AND key >= $2 AND key < $4 AND is_latest AND NOT delete_marker
		ORDER BY key LIMIT $3`
)

// listWalkSQL pages through keys with a delimiter using floe_list (see
// migrations/0006_versioning.sql): it streams keys with an index scan until one
// rolls up into a common prefix, then seeks to floe_prefix_end(prefix),
// past every key under it. $2 is the inclusive lower bound, $3 the prefix,
// $4 the delimiter and $5 the number of entries wanted.
const listWalkSQL = `
	SELECT COALESCE(key, ''), cp, COALESCE(size, 0), COALESCE(etag, ''), COALESCE(last_modified, 'epoch'),
		COALESCE(checksum_algorithm, '')
	FROM floe_list($1, $2, $3, $4, $5)`

// ListObjects returns one page of a bucket's objects in key order.
//
// Keys and common prefixes count together toward MaxKeys, in byte order. The
// cost of a page is proportional to the entries it returns, not to the keys
// it skips. The store does not cap MaxKeys; the gateway caps it at 1000 as
// S3 does.
func (s *Postgres) ListObjects(ctx context.Context, p ListParams) (ListResult, error) {
	for _, f := range []struct{ what, s string }{{"prefix", p.Prefix}, {"delimiter", p.Delimiter}, {"start-after", p.StartAfter}} {
		if err := checkText(f.what, f.s); err != nil {
			return ListResult{}, fmt.Errorf("metadata: list %s: %w", p.Bucket, err)
		}
	}
	if p.MaxKeys < 0 {
		return ListResult{}, fmt.Errorf("metadata: list %s: negative max-keys %d", p.Bucket, p.MaxKeys)
	}
	var res ListResult
	if p.MaxKeys > 0 {
		lower, ok := listStart(p)
		if ok {
			var err error
			if res, err = s.list(ctx, p, lower); err != nil {
				return ListResult{}, fmt.Errorf("metadata: list %s: %w", p.Bucket, err)
			}
		}
	}
	if len(res.Objects) == 0 && len(res.CommonPrefixes) == 0 {
		// Only an empty page needs the bucket checked: objects imply it.
		if _, err := s.GetBucket(ctx, p.Bucket); err != nil {
			return ListResult{}, err
		}
	}
	return res, nil
}

// list runs the query for p from the inclusive lower bound and fetches one
// entry beyond MaxKeys to learn whether the listing is truncated.
func (s *Postgres) list(ctx context.Context, p ListParams, lower string) (ListResult, error) {
	limit := min(p.MaxKeys, math.MaxInt32-1) + 1 // floe_list takes an int4
	var (
		rows pgx.Rows
		err  error
	)
	switch end, bounded := prefixEnd(p.Prefix); {
	case p.Delimiter != "":
		rows, err = s.db.Query(ctx, listWalkSQL, p.Bucket, lower, p.Prefix, p.Delimiter, limit)
	case bounded:
		rows, err = s.db.Query(ctx, listKeysBoundedSQL, p.Bucket, lower, limit, end)
	default:
		rows, err = s.db.Query(ctx, listKeysSQL, p.Bucket, lower, limit)
	}
	if err != nil {
		return ListResult{}, err
	}
	defer rows.Close()
	var (
		res            ListResult
		n              int
		key, etag, alg string
		cp             *string
		size           int64
		modified       time.Time
	)
	scan := []any{&key, &size, &etag, &modified, &alg}
	if p.Delimiter != "" {
		scan = []any{&key, &cp, &size, &etag, &modified, &alg}
	}
	for rows.Next() {
		if err := rows.Scan(scan...); err != nil {
			return ListResult{}, err
		}
		if n++; n > p.MaxKeys {
			res.IsTruncated = true
			break
		}
		if cp != nil {
			res.CommonPrefixes = append(res.CommonPrefixes, *cp)
			res.NextStartAfter = *cp
			continue
		}
		res.Objects = append(res.Objects, Object{Bucket: p.Bucket, Key: key, Size: size, ETag: etag, LastModified: modified,
			Checksum: Checksum{Algorithm: alg}})
		res.NextStartAfter = key
	}
	rows.Close()
	return res, rows.Err()
}

// listStart returns the inclusive lower bound of p's listing: the least
// string that is at or after Prefix and after StartAfter, and, when
// StartAfter is itself a common prefix of the listing, after every key
// under it. ok is false when no key can follow.
func listStart(p ListParams) (lower string, ok bool) {
	lower = p.Prefix
	if p.StartAfter == "" {
		return lower, true
	}
	after := p.StartAfter + "\x01" // the least string greater than StartAfter
	if p.Delimiter != "" && strings.HasPrefix(p.StartAfter, p.Prefix) {
		rest := p.StartAfter[len(p.Prefix):]
		if i := strings.Index(rest, p.Delimiter); i >= 0 && i+len(p.Delimiter) == len(rest) {
			if after, ok = prefixEnd(p.StartAfter); !ok {
				return "", false
			}
		}
	}
	return max(lower, after), true
}

// prefixEnd returns the least string greater than every string starting
// with p in byte order, for an exclusive upper bound of p's range: p with
// its last code point that is not U+10FFFF incremented and the rest
// dropped. ok is false when there is none (p empty or all U+10FFFF). It
// must agree with the SQL function floe_prefix_end.
func prefixEnd(p string) (end string, ok bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		if r < utf8.MaxRune {
			r++
			if r == 0xD800 { // surrogates are not valid in UTF-8
				r = 0xE000
			}
			return p + string(r), true
		}
	}
	return "", false
}
