package s3import

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/metadata"
)

// listPage is how many keys a listing request asks for (S3's maximum);
// tests make it small to cross page boundaries.
var listPage int32 = 1000

// entry is one listed version with its key and whether it is the
// current one (to order versions that share a timestamp).
type entry struct {
	key    string
	latest bool
	v      version
}

// list pages through j's source bucket and hands every key with pending
// work to emit, having counted what is skipped.
func (im *importer) list(ctx context.Context, j *job, emit func(*item) error) error {
	if j.versioned {
		return im.listVersions(ctx, j, emit)
	}
	var token *string
	for {
		out, err := call(ctx, im.cfg, "listing "+j.pair.Source, func(ctx context.Context) (*s3.ListObjectsV2Output, error) {
			return im.src.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(j.pair.Source),
				ContinuationToken: token, MaxKeys: aws.Int32(listPage)})
		})
		if err != nil {
			return err
		}
		var group [][]entry
		for _, o := range out.Contents {
			group = append(group, []entry{{key: aws.ToString(o.Key), latest: true, v: version{
				etag: aws.ToString(o.ETag), size: aws.ToInt64(o.Size), lastModified: aws.ToTime(o.LastModified).UnixMilli()}}})
		}
		if err := im.plan(ctx, j, group, emit); err != nil {
			return err
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		if out.NextContinuationToken == nil || aws.ToString(out.NextContinuationToken) == aws.ToString(token) {
			return fmt.Errorf("listing %s: truncated page without a new continuation token", j.pair.Source)
		}
		token = out.NextContinuationToken
	}
}

// listVersions is list for a bucket with versions: each key's versions and
// delete markers, which may span pages, are gathered and replayed oldest
// first.
func (im *importer) listVersions(ctx context.Context, j *job, emit func(*item) error) error {
	var keyMarker, vidMarker *string
	var g versionGrouper
	for {
		out, err := call(ctx, im.cfg, "listing versions of "+j.pair.Source, func(ctx context.Context) (*s3.ListObjectVersionsOutput, error) {
			return im.src.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(j.pair.Source),
				KeyMarker: keyMarker, VersionIdMarker: vidMarker, MaxKeys: aws.Int32(listPage)})
		})
		if err != nil {
			return err
		}
		var page []entry
		for _, o := range out.Versions {
			page = append(page, entry{key: aws.ToString(o.Key), latest: aws.ToBool(o.IsLatest), v: version{
				id: aws.ToString(o.VersionId), etag: aws.ToString(o.ETag), size: aws.ToInt64(o.Size),
				lastModified: aws.ToTime(o.LastModified).UnixMilli()}})
		}
		for _, o := range out.DeleteMarkers {
			page = append(page, entry{key: aws.ToString(o.Key), latest: aws.ToBool(o.IsLatest), v: version{
				id: aws.ToString(o.VersionId), deleteMarker: true, lastModified: aws.ToTime(o.LastModified).UnixMilli()}})
		}
		groups := g.add(page, aws.ToBool(out.IsTruncated))
		if err := im.plan(ctx, j, groups, emit); err != nil {
			return err
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		if aws.ToString(out.NextKeyMarker) == aws.ToString(keyMarker) && aws.ToString(out.NextVersionIdMarker) == aws.ToString(vidMarker) {
			return fmt.Errorf("listing versions of %s: truncated page without new markers", j.pair.Source)
		}
		keyMarker, vidMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

// versionGrouper turns pages of a version listing into whole keys: the
// last key of a truncated page is held back, since its older versions may
// come on the next page.
type versionGrouper struct{ carry []entry }

// add takes one page (versions and delete markers, in any order) and
// returns the keys it completes, each with its versions oldest first.
func (g *versionGrouper) add(page []entry, truncated bool) [][]entry {
	// The SDK splits versions and delete markers in two lists: back
	// into key order, newest first within a key as S3 lists them (on a
	// tie of timestamps the current version is the newest).
	slices.SortStableFunc(page, func(a, b entry) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := cmp.Compare(b.v.lastModified, a.v.lastModified); c != 0 {
			return c
		}
		switch {
		case a.latest && !b.latest:
			return -1
		case b.latest && !a.latest:
			return 1
		}
		return 0
	})
	groups := groupByKey(append(g.carry, page...))
	g.carry = nil
	if truncated && len(groups) > 0 {
		g.carry, groups = groups[len(groups)-1], groups[:len(groups)-1]
	}
	for _, gr := range groups {
		slices.Reverse(gr)
	}
	return groups
}

// groupByKey splits entries sorted by key into runs of one key.
func groupByKey(es []entry) [][]entry {
	var gs [][]entry
	for i := 0; i < len(es); {
		k := i + 1
		for k < len(es) && es[k].key == es[i].key {
			k++
		}
		gs = append(gs, es[i:k:k])
		i = k
	}
	return gs
}

// plan decides, for keys (each a group of versions, oldest first), what is
// done and unchanged and what must be copied, and emits the latter.
func (im *importer) plan(ctx context.Context, j *job, groups [][]entry, emit func(*item) error) error {
	if len(groups) == 0 {
		return nil
	}
	rows := map[metadata.ImportID]metadata.ImportObject{}
	if im.progress != nil {
		keys := make([]string, len(groups))
		for i, g := range groups {
			keys[i] = g[0].key
		}
		var err error
		rows, err = call(ctx, im.cfg, "reading progress", func(ctx context.Context) (map[metadata.ImportID]metadata.ImportObject, error) {
			return im.progress.ImportLookup(ctx, j.ipair, keys)
		})
		if err != nil {
			return err
		}
	}
	for _, g := range groups {
		it := &item{job: j, key: g[0].key, rows: map[metadata.ImportID]metadata.ImportObject{}}
		for _, e := range g {
			im.stats.listed.Add(1)
			im.stats.listedBytes.Add(e.v.size)
			id := metadata.ImportID{Key: e.key, VersionID: e.v.id}
			row, ok := rows[id]
			if ok {
				it.rows[id] = row
			}
			if ok && unchanged(row, e.v) {
				im.stats.skipped.Add(1)
				if len(it.versions) == 0 {
					it.prevDest = row.DestVersionID
				}
				continue
			}
			it.versions = append(it.versions, e.v)
		}
		if len(it.versions) == 0 {
			continue
		}
		if err := emit(it); err != nil {
			return err
		}
	}
	return nil
}

// unchanged reports whether row records a finished copy of v as it is
// listed now. A version ID names immutable bytes; an unversioned key is
// the same object while its ETag, size and last-modified time are.
func unchanged(row metadata.ImportObject, v version) bool {
	if row.State != metadata.ImportDone {
		return false
	}
	if v.id != "" {
		return true
	}
	return sameETag(row.ETag, v.etag) && row.Size == v.size && row.LastModified.UnixMilli() == v.lastModified
}
