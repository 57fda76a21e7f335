package metadata

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/floe-s3/floe/migrations"
)

// versionRow is one objects row of a key: one version.
type versionRow struct {
	ID     string
	Latest bool
	Marker bool
	Seq    int64
}

// versionRows returns a key's versions as stored, oldest first.
func versionRows(t testing.TB, s *Postgres, bucket, key string) []versionRow {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT version_id, is_latest, delete_marker, seq
		FROM objects WHERE bucket = $1 AND key = $2 ORDER BY seq`, bucket, key)
	if err != nil {
		t.Fatalf("reading the versions of %s/%s: %v", bucket, key, err)
	}
	defer rows.Close()
	var out []versionRow
	for rows.Next() {
		var r versionRow
		if err := rows.Scan(&r.ID, &r.Latest, &r.Marker, &r.Seq); err != nil {
			t.Fatalf("reading the versions of %s/%s: %v", bucket, key, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading the versions of %s/%s: %v", bucket, key, err)
	}
	return out
}

// rowSummary renders rows as "id[*][M]" oldest first (* latest, M delete
// marker), dropping seq, for comparisons that do not care about it.
func rowSummary(rows []versionRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		s := r.ID
		if r.Latest {
			s += "*"
		}
		if r.Marker {
			s += "M"
		}
		out = append(out, s)
	}
	return out
}

// mustSetVersioning sets bucket's versioning state.
func mustSetVersioning(t testing.TB, s *Postgres, bucket, state string) {
	t.Helper()
	if err := s.SetBucketVersioning(context.Background(), bucket, state); err != nil {
		t.Fatalf("SetBucketVersioning(%s, %s): %v", bucket, state, err)
	}
}

// putVersion stores obj unconditionally and returns what the write did.
func putVersion(t testing.TB, s *Postgres, obj Object) PutResult {
	t.Helper()
	res, err := s.PutObject(context.Background(), obj, nil, Precondition{})
	if err != nil {
		t.Fatalf("PutObject(%s/%s): %v", obj.Bucket, obj.Key, err)
	}
	return res
}

// mustDeleteObject runs DeleteObject and returns what it did.
func mustDeleteObject(t testing.TB, s *Postgres, bucket, key, versionID string) DeleteResult {
	t.Helper()
	res, err := s.DeleteObject(context.Background(), bucket, key, DeleteOptions{VersionID: versionID})
	if err != nil {
		t.Fatalf("DeleteObject(%s/%s, %q): %v", bucket, key, versionID, err)
	}
	return res
}

// blobIDs returns the IDs of objs' part blobs.
func blobIDs(objs ...Object) [][]byte {
	var ids [][]byte
	for _, o := range objs {
		for _, p := range o.Parts {
			ids = append(ids, p.Blob.ID[:])
		}
	}
	return ids
}

// queuedOf counts how many of ids are queued for deletion.
func queuedOf(t testing.TB, s *Postgres, ids [][]byte) int {
	t.Helper()
	if ids == nil {
		ids = [][]byte{}
	}
	return count(t, s, `SELECT count(*) FROM deletion_queue WHERE blob_id = ANY($1)`, ids)
}

// queuedTotal counts the blobs queued for deletion.
func queuedTotal(t testing.TB, s *Postgres) int {
	t.Helper()
	return count(t, s, `SELECT count(*) FROM deletion_queue`)
}

// partBlobs returns the IDs of o's part blobs in part order.
func partBlobs(o Object) []blobmeta.ID {
	var ids []blobmeta.ID
	for _, p := range o.Parts {
		ids = append(ids, p.Blob.ID)
	}
	return ids
}

// checkVersion fails t unless got is the real (not delete marker) version
// want, reported with version ID id and the given latest flag.
func checkVersion(t *testing.T, what string, got Object, err error, want Object, id string, latest bool) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v; want version %q with ETag %s", what, err, id, want.ETag)
	}
	if got.VersionID != id || got.IsLatest != latest || got.DeleteMarker || got.ETag != want.ETag ||
		got.Size != want.Size || !slices.Equal(partBlobs(got), partBlobs(want)) {
		t.Fatalf("%s = version %q latest %v marker %v ETag %s size %d with %d parts; want version %q latest %v ETag %s size %d with %d parts (same blobs)",
			what, got.VersionID, got.IsLatest, got.DeleteMarker, got.ETag, got.Size, len(got.Parts),
			id, latest, want.ETag, want.Size, len(want.Parts))
	}
}

// checkMarkerErr fails t unless err is the *DeleteMarkerError of marker id
// (which is also ErrNoSuchKey), with ByVersionID byID.
func checkMarkerErr(t *testing.T, what string, err error, id string, byID bool) {
	t.Helper()
	var dm *DeleteMarkerError
	if !errors.As(err, &dm) {
		t.Fatalf("%s: %v, want a *DeleteMarkerError", what, err)
	}
	if !errors.Is(err, ErrNoSuchKey) || dm.VersionID != id || dm.ByVersionID != byID || dm.LastModified.IsZero() {
		t.Fatalf("%s: %+v (is ErrNoSuchKey: %v); want marker %q, ByVersionID %v, a LastModified",
			what, *dm, errors.Is(err, ErrNoSuchKey), id, byID)
	}
}

// versionedObject returns a new object at bucket/key with ETag etag and
// parts of the given sizes.
func versionedObject(t testing.TB, bucket, key, etag string, sizes ...int64) Object {
	t.Helper()
	o := newObject(t, bucket, key, sizes...)
	o.ETag = etag
	return o
}

// TestUnversionedBucketHasOnlyTheNullVersion proves that a bucket never
// versioned keeps one version per key: writes report no version ID and
// replace the object (queueing exactly the old blobs), the object reads
// back without a version ID both as the latest and as version "null", and
// a delete removes it and its blobs without leaving a delete marker.
func TestUnversionedBucketHasOnlyTheNullVersion(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	if b, err := s.GetBucket(ctx, "b"); err != nil || b.Versioning != VersioningUnversioned {
		t.Fatalf("GetBucket = %+v, %v; want versioning %s", b, err, VersioningUnversioned)
	}

	first := versionedObject(t, "b", "k", `"first"`, 3, 4)
	if res := putVersion(t, s, first); res != (PutResult{}) {
		t.Fatalf("first PutObject = %+v, want no version ID, nothing replaced", res)
	}
	got, err := s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject", got, err, first, "", true)
	got, err = s.GetObjectVersion(ctx, "b", "k", NullVersion)
	checkVersion(t, "GetObjectVersion(null)", got, err, first, "", true)
	if _, err := s.GetObjectVersion(ctx, "b", "k", NewVersionID()); !errors.Is(err, ErrNoSuchVersion) {
		t.Fatalf("GetObjectVersion(unknown ID) = %v, want ErrNoSuchVersion", err)
	}

	second := versionedObject(t, "b", "k", `"second"`, 5)
	if res := putVersion(t, s, second); res != (PutResult{Replaced: true}) {
		t.Fatalf("overwriting PutObject = %+v, want no version ID, replaced", res)
	}
	if n := queuedOf(t, s, blobIDs(first)); n != 2 {
		t.Fatalf("%d of the replaced object's 2 blobs queued", n)
	}
	if n := queuedTotal(t, s); n != 2 {
		t.Fatalf("%d blobs queued after one overwrite, want the old object's 2", n)
	}
	if rows := rowSummary(versionRows(t, s, "b", "k")); !slices.Equal(rows, []string{"null*"}) {
		t.Fatalf("rows after overwrite = %v, want just the latest null version", rows)
	}
	got, err = s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject after overwrite", got, err, second, "", true)

	if res := mustDeleteObject(t, s, "b", "k", ""); res != (DeleteResult{Existed: true}) {
		t.Fatalf("DeleteObject = %+v, want Existed only", res)
	}
	if n := queuedOf(t, s, blobIDs(second)); n != 1 {
		t.Fatalf("the deleted object's blob is not queued (%d)", n)
	}
	if rows := versionRows(t, s, "b", "k"); len(rows) != 0 {
		t.Fatalf("rows after delete = %v, want none (no delete marker)", rows)
	}
	_, err = s.GetObject(ctx, "b", "k")
	var dm *DeleteMarkerError
	if !errors.Is(err, ErrNoSuchKey) || errors.As(err, &dm) {
		t.Fatalf("GetObject after delete = %v, want plain ErrNoSuchKey", err)
	}
	if _, err := s.GetObjectVersion(ctx, "b", "k", NullVersion); !errors.Is(err, ErrNoSuchVersion) {
		t.Fatalf("GetObjectVersion(null) after delete = %v, want ErrNoSuchVersion", err)
	}
	if res := mustDeleteObject(t, s, "b", "k", ""); res != (DeleteResult{}) {
		t.Fatalf("deleting the missing key = %+v, want nothing done", res)
	}
	if n := count(t, s, `SELECT count(*) FROM objects`); n != 0 {
		t.Fatalf("%d objects rows after deleting a missing key, want 0", n)
	}
	checkBlobAccounting(t, s)
}

// TestEnabledBucketKeepsVersions walks one key of a versioning-enabled
// bucket through S3's life cycle: PUTs add versions (none replaced, no blob
// queued), a plain DELETE adds a delete marker that hides the key from GET
// and from current listings, deleting the marker by ID restores the
// previous version, and deleting versions by ID removes exactly those
// versions' blobs and promotes the next newest when the latest goes.
func TestEnabledBucketKeepsVersions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetVersioning(t, s, "b", VersioningEnabled)
	if b, err := s.GetBucket(ctx, "b"); err != nil || b.Versioning != VersioningEnabled {
		t.Fatalf("GetBucket = %+v, %v; want versioning %s", b, err, VersioningEnabled)
	}

	objs := []Object{
		versionedObject(t, "b", "k", `"v1"`, 1, 2),
		versionedObject(t, "b", "k", `"v2"`, 30),
		versionedObject(t, "b", "k", `"v3"`, 4, 5, 6),
	}
	var ids []string
	for i, o := range objs {
		res := putVersion(t, s, o)
		if !ValidVersionID(res.VersionID) || res.VersionID == NullVersion || slices.Contains(ids, res.VersionID) {
			t.Fatalf("PUT %d: version ID %q, want a fresh 32-hex ID (have %v)", i+1, res.VersionID, ids)
		}
		if res.Replaced != (i > 0) {
			t.Fatalf("PUT %d: Replaced = %v, want %v", i+1, res.Replaced, i > 0)
		}
		ids = append(ids, res.VersionID)
	}
	if n := queuedTotal(t, s); n != 0 {
		t.Fatalf("%d blobs queued by versioned overwrites, want 0", n)
	}
	rows := versionRows(t, s, "b", "k")
	if got, want := rowSummary(rows), []string{ids[0], ids[1], ids[2] + "*"}; !slices.Equal(got, want) {
		t.Fatalf("rows by seq = %v, want %v", got, want)
	}
	for i, o := range objs {
		got, err := s.GetObjectVersion(ctx, "b", "k", ids[i])
		checkVersion(t, fmt.Sprintf("GetObjectVersion(v%d)", i+1), got, err, o, ids[i], i == 2)
	}
	got, err := s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject", got, err, objs[2], ids[2], true)

	// Other keys, to see the deleted one vanish from listings: "d/k" is
	// alone under "d/", so its common prefix must vanish too.
	mustPut(t, s, newObject(t, "b", "j", 1))
	mustPut(t, s, newObject(t, "b", "e/x", 1))
	dk := putVersion(t, s, newObject(t, "b", "d/k", 1))
	dkMarker := mustDeleteObject(t, s, "b", "d/k", "")

	del := mustDeleteObject(t, s, "b", "k", "")
	if !del.DeleteMarker || del.Existed || !ValidVersionID(del.VersionID) || del.VersionID == NullVersion || slices.Contains(ids, del.VersionID) {
		t.Fatalf("DeleteObject = %+v, want a new delete marker with a fresh ID", del)
	}
	marker := del.VersionID
	if n := queuedTotal(t, s); n != 0 {
		t.Fatalf("%d blobs queued by a delete marker, want 0", n)
	}
	if got, want := rowSummary(versionRows(t, s, "b", "k")), []string{ids[0], ids[1], ids[2], marker + "*M"}; !slices.Equal(got, want) {
		t.Fatalf("rows after DELETE = %v, want %v", got, want)
	}
	_, err = s.GetObject(ctx, "b", "k")
	checkMarkerErr(t, "GetObject of a deleted key", err, marker, false)
	_, err = s.GetObjectVersion(ctx, "b", "k", marker)
	checkMarkerErr(t, "GetObjectVersion(marker)", err, marker, true)
	got, err = s.GetObjectVersion(ctx, "b", "k", ids[1])
	checkVersion(t, "GetObjectVersion(v2) under a marker", got, err, objs[1], ids[1], false)

	current := []string{"e/x", "j"}
	for _, p := range []ListParams{
		{Bucket: "b", MaxKeys: 1000},
		{Bucket: "b", MaxKeys: 1},
		{Bucket: "b", Delimiter: "/", MaxKeys: 1000},
		{Bucket: "b", Delimiter: "/", MaxKeys: 1},
		{Bucket: "b", Prefix: "d/", MaxKeys: 10},
		{Bucket: "b", StartAfter: "j", MaxKeys: 10},
	} {
		if err := checkListing(s, current, p); err != nil {
			t.Fatalf("listing with delete markers: %v", err)
		}
	}
	// The store does see d/k's marker and version.
	if rows := rowSummary(versionRows(t, s, "b", "d/k")); !slices.Equal(rows, []string{dk.VersionID, dkMarker.VersionID + "*M"}) {
		t.Fatalf("d/k rows = %v", rows)
	}

	// Deleting the marker by ID brings v3 back.
	if res := mustDeleteObject(t, s, "b", "k", marker); res != (DeleteResult{VersionID: marker, DeleteMarker: true, Existed: true}) {
		t.Fatalf("deleting the marker = %+v", res)
	}
	got, err = s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject after the marker's deletion", got, err, objs[2], ids[2], true)
	if err := checkListing(s, []string{"e/x", "j", "k"}, ListParams{Bucket: "b", Delimiter: "/", MaxKeys: 1}); err != nil {
		t.Fatalf("listing after the marker's deletion: %v", err)
	}
	if n := queuedTotal(t, s); n != 0 {
		t.Fatalf("%d blobs queued by deleting a marker, want 0", n)
	}

	// Deleting noncurrent v1 queues exactly its two blobs.
	if res := mustDeleteObject(t, s, "b", "k", ids[0]); res != (DeleteResult{VersionID: ids[0], Existed: true}) {
		t.Fatalf("deleting v1 = %+v", res)
	}
	if n, total := queuedOf(t, s, blobIDs(objs[0])), queuedTotal(t, s); n != 2 || total != 2 {
		t.Fatalf("after deleting v1: %d of its 2 blobs queued, %d in all; want 2, 2", n, total)
	}
	if _, err := s.GetObjectVersion(ctx, "b", "k", ids[0]); !errors.Is(err, ErrNoSuchVersion) {
		t.Fatalf("GetObjectVersion(deleted v1) = %v, want ErrNoSuchVersion", err)
	}
	got, err = s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject after deleting v1", got, err, objs[2], ids[2], true)

	// Deleting latest v3 by ID promotes v2.
	if res := mustDeleteObject(t, s, "b", "k", ids[2]); res != (DeleteResult{VersionID: ids[2], Existed: true}) {
		t.Fatalf("deleting v3 = %+v", res)
	}
	if n, total := queuedOf(t, s, blobIDs(objs[2])), queuedTotal(t, s); n != 3 || total != 5 {
		t.Fatalf("after deleting v3: %d of its 3 blobs queued, %d in all; want 3, 5", n, total)
	}
	got, err = s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject after deleting the latest", got, err, objs[1], ids[1], true)
	if got, want := rowSummary(versionRows(t, s, "b", "k")), []string{ids[1] + "*"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}

	// Deleting it again is not an error and changes nothing.
	if res := mustDeleteObject(t, s, "b", "k", ids[2]); res != (DeleteResult{VersionID: ids[2]}) {
		t.Fatalf("deleting v3 again = %+v, want Existed false", res)
	}
	checkBlobAccounting(t, s)
}

// TestDeleteBucketWithVersions proves DeleteBucket refuses a versioned
// bucket while any version remains, a noncurrent one or a lone delete
// marker, and succeeds once the last is deleted by ID.
func TestDeleteBucketWithVersions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetVersioning(t, s, "b", VersioningEnabled)
	v1 := putVersion(t, s, newObject(t, "b", "k", 1)).VersionID
	v2 := putVersion(t, s, newObject(t, "b", "k", 2)).VersionID
	marker := mustDeleteObject(t, s, "b", "k", "").VersionID
	steps := []struct {
		name    string
		delete  string // version to delete first, "" for none
		wantErr error
	}{
		{"two versions and a marker", "", ErrBucketNotEmpty},
		{"one version and a marker", v2, ErrBucketNotEmpty},
		{"a lone delete marker", v1, ErrBucketNotEmpty},
		{"nothing left", marker, nil},
	}
	for _, st := range steps {
		if st.delete != "" {
			if res := mustDeleteObject(t, s, "b", "k", st.delete); !res.Existed {
				t.Fatalf("%s: deleting %s: %+v, want Existed", st.name, st.delete, res)
			}
		}
		if err := s.DeleteBucket(ctx, "b"); !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
			t.Fatalf("%s: DeleteBucket = %v, want %v", st.name, err, st.wantErr)
		}
	}
	if _, err := s.GetBucket(ctx, "b"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("GetBucket after DeleteBucket = %v, want ErrNoSuchBucket", err)
	}
	checkBlobAccounting(t, s)
}

// TestSuspendedBucketReplacesOnlyTheNullVersion proves that once
// versioning is suspended, PUT writes version "null", replacing only an
// earlier null version (whose blobs alone are queued) while the versions
// written when enabled stay, and a plain DELETE replaces the null version
// with a "null" delete marker. Re-enabling adds fresh versions again.
func TestSuspendedBucketReplacesOnlyTheNullVersion(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetVersioning(t, s, "b", VersioningEnabled)
	e1o := versionedObject(t, "b", "k", `"e1"`, 1)
	e2o := versionedObject(t, "b", "k", `"e2"`, 2, 3)
	e1 := putVersion(t, s, e1o).VersionID
	e2 := putVersion(t, s, e2o).VersionID
	mustSetVersioning(t, s, "b", VersioningSuspended)
	if b, err := s.GetBucket(ctx, "b"); err != nil || b.Versioning != VersioningSuspended {
		t.Fatalf("GetBucket = %+v, %v; want %s", b, err, VersioningSuspended)
	}

	n1 := versionedObject(t, "b", "k", `"n1"`, 4)
	if res := putVersion(t, s, n1); res != (PutResult{VersionID: NullVersion, Replaced: true}) {
		t.Fatalf("suspended PUT = %+v, want version null, replaced (e2 made noncurrent)", res)
	}
	if n := queuedTotal(t, s); n != 0 {
		t.Fatalf("%d blobs queued when no null version existed, want 0", n)
	}
	if got, want := rowSummary(versionRows(t, s, "b", "k")), []string{e1, e2, "null*"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}

	n2 := versionedObject(t, "b", "k", `"n2"`, 5, 6)
	if res := putVersion(t, s, n2); res != (PutResult{VersionID: NullVersion, Replaced: true}) {
		t.Fatalf("second suspended PUT = %+v, want version null, replaced", res)
	}
	if n, total := queuedOf(t, s, blobIDs(n1)), queuedTotal(t, s); n != 1 || total != 1 {
		t.Fatalf("after replacing null: %d of its blob queued, %d in all; want 1, 1", n, total)
	}
	if got, want := rowSummary(versionRows(t, s, "b", "k")), []string{e1, e2, "null*"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	got, err := s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject", got, err, n2, NullVersion, true)
	got, err = s.GetObjectVersion(ctx, "b", "k", NullVersion)
	checkVersion(t, "GetObjectVersion(null)", got, err, n2, NullVersion, true)
	for _, v := range []struct {
		id  string
		obj Object
	}{{e1, e1o}, {e2, e2o}} {
		got, err := s.GetObjectVersion(ctx, "b", "k", v.id)
		checkVersion(t, "GetObjectVersion(enabled version)", got, err, v.obj, v.id, false)
	}

	// A plain DELETE replaces the null version with a null marker.
	if res := mustDeleteObject(t, s, "b", "k", ""); res != (DeleteResult{VersionID: NullVersion, DeleteMarker: true, Existed: true}) {
		t.Fatalf("suspended DELETE = %+v, want a null marker that replaced a version", res)
	}
	if n, total := queuedOf(t, s, blobIDs(n2)), queuedTotal(t, s); n != 2 || total != 3 {
		t.Fatalf("after suspended DELETE: %d of the null version's 2 blobs queued, %d in all; want 2, 3", n, total)
	}
	if got, want := rowSummary(versionRows(t, s, "b", "k")), []string{e1, e2, "null*M"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	_, err = s.GetObject(ctx, "b", "k")
	checkMarkerErr(t, "GetObject under a null marker", err, NullVersion, false)
	_, err = s.GetObjectVersion(ctx, "b", "k", NullVersion)
	checkMarkerErr(t, "GetObjectVersion(null marker)", err, NullVersion, true)

	// Deleting again swaps one null marker for another.
	mustDeleteObject(t, s, "b", "k", "")
	if got, want := rowSummary(versionRows(t, s, "b", "k")), []string{e1, e2, "null*M"}; !slices.Equal(got, want) {
		t.Fatalf("rows after a second DELETE = %v, want %v", got, want)
	}

	// A key with only enabled versions gets a null marker on top of them.
	other := putVersion(t, s, newObject(t, "b", "other", 1)) // null, suspended
	mustSetVersioning(t, s, "b", VersioningEnabled)
	o1 := putVersion(t, s, newObject(t, "b", "only", 1)).VersionID
	mustSetVersioning(t, s, "b", VersioningSuspended)
	if res := mustDeleteObject(t, s, "b", "only", ""); res != (DeleteResult{VersionID: NullVersion, DeleteMarker: true}) {
		t.Fatalf("suspended DELETE over an enabled version = %+v, want a null marker, nothing deleted", res)
	}
	if got, want := rowSummary(versionRows(t, s, "b", "only")), []string{o1, "null*M"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}

	// Enabled again: new IDs on top; the null marker stays, noncurrent.
	mustSetVersioning(t, s, "b", VersioningEnabled)
	e3o := versionedObject(t, "b", "k", `"e3"`, 7)
	e3 := putVersion(t, s, e3o)
	if !ValidVersionID(e3.VersionID) || e3.VersionID == NullVersion || !e3.Replaced {
		t.Fatalf("re-enabled PUT = %+v, want a fresh ID, replaced", e3)
	}
	if got, want := rowSummary(versionRows(t, s, "b", "k")), []string{e1, e2, "null" + "M", e3.VersionID + "*"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	got, err = s.GetObjectVersion(ctx, "b", "other", NullVersion)
	if err != nil || got.VersionID != NullVersion || other.VersionID != NullVersion {
		t.Fatalf("GetObjectVersion(other, null) = %+v, %v; PUT gave %q", got, err, other.VersionID)
	}
	checkBlobAccounting(t, s)
}

// TestEnablingVersioningKeepsTheNullVersion proves an object written
// before versioning was enabled becomes the key's null version: readable
// as "null" (now reported so), kept as a noncurrent version by the next
// PUT, and deletable by that ID, which queues its blobs.
func TestEnablingVersioningKeepsTheNullVersion(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	old := versionedObject(t, "b", "k", `"old"`, 1, 2)
	putVersion(t, s, old)
	mustSetVersioning(t, s, "b", VersioningEnabled)

	got, err := s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject after enabling", got, err, old, NullVersion, true)
	next := versionedObject(t, "b", "k", `"next"`, 3)
	v := putVersion(t, s, next)
	if !ValidVersionID(v.VersionID) || v.VersionID == NullVersion || !v.Replaced {
		t.Fatalf("PUT after enabling = %+v", v)
	}
	if n := queuedTotal(t, s); n != 0 {
		t.Fatalf("%d blobs queued: the null version must stay", n)
	}
	got, err = s.GetObjectVersion(ctx, "b", "k", NullVersion)
	checkVersion(t, "GetObjectVersion(null)", got, err, old, NullVersion, false)
	res, err := s.ListObjectVersions(ctx, ListVersionsParams{Bucket: "b", MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Versions) != 2 || res.Versions[0].VersionID != v.VersionID || !res.Versions[0].IsLatest ||
		res.Versions[1].VersionID != NullVersion || res.Versions[1].IsLatest || res.Versions[1].ETag != `"old"` {
		t.Fatalf("ListObjectVersions = %+v, want the new version then the null one", res.Versions)
	}
	if r := mustDeleteObject(t, s, "b", "k", NullVersion); r != (DeleteResult{VersionID: NullVersion, Existed: true}) {
		t.Fatalf("deleting the null version = %+v", r)
	}
	if n, total := queuedOf(t, s, blobIDs(old)), queuedTotal(t, s); n != 2 || total != 2 {
		t.Fatalf("%d of the null version's 2 blobs queued, %d in all", n, total)
	}
	got, err = s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject", got, err, next, v.VersionID, true)
	checkBlobAccounting(t, s)
}

// TestMigrationMakesObjectsNullVersions proves that 0006_versioning turns
// objects stored under the earlier schema into their keys' null versions,
// latest, with their parts, readable, listable and kept when versioning
// is then enabled.
func TestMigrationMakesObjectsNullVersions(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	upto := slices.IndexFunc(all, func(m migrations.Migration) bool { return m.Name == "versioning" })
	if upto < 0 {
		t.Fatal("no versioning migration")
	}
	pool := newPool(t, dsn)
	if _, err := pool.Exec(ctx, `CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range all[:upto] {
		if _, err := pool.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("migration %04d_%s: %v", m.Version, m.Name, err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	// Objects as the old schema held them.
	withParts := versionedObject(t, "b", "dir/k", `"old"`, 5, 6)
	empty := Object{Bucket: "b", Key: "e", ETag: `"empty"`}
	oldExec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	oldExec(`INSERT INTO buckets (name) VALUES ('b')`)
	for _, o := range []Object{withParts, empty} {
		oldExec(`INSERT INTO objects (bucket, key, size, etag) VALUES ($1, $2, $3, $4)`, o.Bucket, o.Key, o.Size, o.ETag)
		for _, p := range o.Parts {
			oldExec(`INSERT INTO blobs (id, manifest, size) VALUES ($1, $2, $3)`, p.Blob.ID[:], p.Blob.Manifest.Marshal(), p.Size)
			for i, n := range p.Blob.Placement {
				oldExec(`INSERT INTO shards (blob_id, idx, node_id) VALUES ($1, $2, $3)`, p.Blob.ID[:], i, n.ID)
			}
			oldExec(`INSERT INTO object_parts (bucket, key, part_number, blob_id, size) VALUES ($1, $2, $3, $4, $5)`,
				o.Bucket, o.Key, p.Number, p.Blob.ID[:], p.Size)
		}
	}

	s, err := Open(ctx, dsn) // applies 0006 and any later migration
	if err != nil {
		t.Fatalf("Open (migrating): %v", err)
	}
	t.Cleanup(s.Close)
	var seqs []int64
	for _, o := range []Object{withParts, empty} {
		rows := versionRows(t, s, "b", o.Key)
		if len(rows) != 1 || rows[0].ID != NullVersion || !rows[0].Latest || rows[0].Marker {
			t.Fatalf("%s after migration: %+v, want one latest null version", o.Key, rows)
		}
		seqs = append(seqs, rows[0].Seq)
		got, err := s.GetObject(ctx, "b", o.Key)
		checkVersion(t, "GetObject of a migrated object", got, err, o, "", true)
	}
	if seqs[0] == seqs[1] {
		t.Fatalf("migrated objects share seq %d", seqs[0])
	}
	if n := count(t, s, `SELECT count(*) FROM object_parts WHERE version_id = 'null'`); n != 2 {
		t.Fatalf("%d migrated parts in version null, want 2", n)
	}
	if err := checkListing(s, []string{"dir/k", "e"}, ListParams{Bucket: "b", Delimiter: "/", MaxKeys: 1}); err != nil {
		t.Fatal(err)
	}

	mustSetVersioning(t, s, "b", VersioningEnabled)
	v := putVersion(t, s, versionedObject(t, "b", "dir/k", `"new"`, 1))
	res, err := s.ListObjectVersions(ctx, ListVersionsParams{Bucket: "b", MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range res.Versions {
		got = append(got, fmt.Sprintf("%s@%s/%v/%s", o.Key, o.VersionID, o.IsLatest, o.ETag))
	}
	want := []string{"dir/k@" + v.VersionID + `/true/"new"`, `dir/k@null/false/"old"`, `e@null/true/"empty"`}
	if !slices.Equal(got, want) {
		t.Fatalf("ListObjectVersions after migration = %v, want %v", got, want)
	}
	checkBlobAccounting(t, s)
}

// TestVersionedPreconditions proves conditional writes test the key's
// current version: a delete marker counts as no object (If-None-Match: *
// passes, If-Match fails with ErrNoSuchKey), noncurrent versions do not
// count, and a refused write leaves every version as it was and queues its
// own blobs.
func TestVersionedPreconditions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, b := range []string{"en", "su"} {
		mustCreateBucket(t, s, b)
		mustSetVersioning(t, s, b, VersioningEnabled)
	}
	// "su" had enabled versions before it was suspended (below).
	type step func(t *testing.T, bucket, key string)
	put := func(etag string) step {
		return func(t *testing.T, bucket, key string) {
			putVersion(t, s, versionedObject(t, bucket, key, etag, 2))
		}
	}
	del := func(t *testing.T, bucket, key string) { mustDeleteObject(t, s, bucket, key, "") }
	delMarkerByID := func(t *testing.T, bucket, key string) {
		r := mustDeleteObject(t, s, bucket, key, "")
		mustDeleteObject(t, s, bucket, key, r.VersionID)
	}
	tests := []struct {
		name   string
		bucket string
		setup  []step
		cond   Precondition
		want   error
	}{
		{"none-match, latest is a marker", "en", []step{put(`"v1"`), del}, Precondition{IfNoneMatch: true}, nil},
		{"none-match, only markers", "en", []step{del, del}, Precondition{IfNoneMatch: true}, nil},
		{"none-match, latest is real", "en", []step{put(`"v1"`)}, Precondition{IfNoneMatch: true}, ErrPreconditionFailed},
		{"none-match, real over a marker", "en", []step{put(`"v1"`), del, put(`"v2"`)}, Precondition{IfNoneMatch: true}, ErrPreconditionFailed},
		{"none-match, marker deleted by ID", "en", []step{put(`"v1"`), delMarkerByID}, Precondition{IfNoneMatch: true}, ErrPreconditionFailed},
		{"match any, latest is a marker", "en", []step{put(`"v1"`), del}, Precondition{IfMatch: "*"}, ErrNoSuchKey},
		{"match a version under a marker", "en", []step{put(`"v1"`), del}, Precondition{IfMatch: `"v1"`}, ErrNoSuchKey},
		{"match a noncurrent ETag", "en", []step{put(`"v1"`), put(`"v2"`)}, Precondition{IfMatch: `"v1"`}, ErrPreconditionFailed},
		{"match the latest ETag", "en", []step{put(`"v1"`), put(`"v2"`)}, Precondition{IfMatch: `"v2"`}, nil},
		{"match the restored ETag", "en", []step{put(`"v1"`), delMarkerByID}, Precondition{IfMatch: `"v1"`}, nil},
		{"suspended none-match, null marker", "su", []step{put(`"v1"`), del}, Precondition{IfNoneMatch: true}, nil},
		{"suspended match any, null marker", "su", []step{put(`"v1"`), del}, Precondition{IfMatch: "*"}, ErrNoSuchKey},
		{"suspended match the null version", "su", []step{put(`"v1"`)}, Precondition{IfMatch: `"v1"`}, nil},
		{"suspended none-match, null version", "su", []step{put(`"v1"`)}, Precondition{IfNoneMatch: true}, ErrPreconditionFailed},
	}
	// Every key of "su" gets an enabled version first, which suspended
	// writes must keep.
	for i, tt := range tests {
		if tt.bucket == "su" {
			put(`"enabled"`)(t, "su", fmt.Sprintf("k%d", i))
		}
	}
	mustSetVersioning(t, s, "su", VersioningSuspended)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("k%d", i)
			for _, st := range tt.setup {
				st(t, tt.bucket, key)
			}
			before := versionRows(t, s, tt.bucket, key)
			obj := versionedObject(t, tt.bucket, key, `"new"`, 4)
			nonces := withIntent(t, s, obj)
			res, err := s.PutObject(ctx, obj, nonces, tt.cond)
			if !errors.Is(err, tt.want) || (err != nil) != (tt.want != nil) {
				t.Fatalf("PutObject(%+v) = %+v, %v; want %v", tt.cond, res, err, tt.want)
			}
			if n := count(t, s, `SELECT count(*) FROM write_intents WHERE nonce = ANY($1)`, nonces); n != 0 {
				t.Errorf("%d of the write's intents left", n)
			}
			after := versionRows(t, s, tt.bucket, key)
			if tt.want != nil {
				if res != (PutResult{}) {
					t.Errorf("refused write reported %+v", res)
				}
				if !reflect.DeepEqual(after, before) {
					t.Fatalf("refused write changed the versions: %v → %v", before, after)
				}
				if !isQueued(t, s, obj.Parts[0].Blob) {
					t.Error("the refused write's blob is not queued for deletion")
				}
				checkBlobAccounting(t, s)
				return
			}
			if isQueued(t, s, obj.Parts[0].Blob) {
				t.Error("the written version's blob is queued for deletion")
			}
			got, err := s.GetObject(ctx, tt.bucket, key)
			checkVersion(t, "GetObject after the write", got, err, obj, res.VersionID, true)
			// Enabled: one more version, all others kept. Suspended: the
			// null version replaced, the enabled ones kept.
			var kept []versionRow
			for _, r := range before {
				if tt.bucket == "en" || r.ID != NullVersion {
					r.Latest = false
					kept = append(kept, r)
				}
			}
			if n := len(after); n != len(kept)+1 || !reflect.DeepEqual(after[:n-1], kept) || after[n-1].ID != res.VersionID {
				t.Fatalf("versions %v → %v; want %v plus the new %s", before, after, kept, res.VersionID)
			}
			wantNull := tt.bucket == "su"
			if (res.VersionID == NullVersion) != wantNull || !ValidVersionID(res.VersionID) {
				t.Fatalf("version ID %q in bucket %s", res.VersionID, tt.bucket)
			}
			checkBlobAccounting(t, s)
		})
	}
}

// TestInvalidAndUnknownVersionIDs proves that version IDs Floe could not
// have issued are ErrInvalidVersionID for reads and deletes (changing
// nothing), while well-formed unknown ones are ErrNoSuchVersion for reads
// and a no-op delete that adds no marker.
func TestInvalidAndUnknownVersionIDs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetVersioning(t, s, "b", VersioningEnabled)
	v := putVersion(t, s, newObject(t, "b", "k", 1)).VersionID
	before := versionRows(t, s, "b", "k")

	hex31 := strings.Repeat("a", 31)
	for _, id := range []string{
		"abc", hex31, hex31 + "0f", strings.ToUpper(v), strings.Repeat("g", 32), "NULL", "Null", " null",
		v + " ", "-" + v[1:], "null\x00", "é" + v[2:],
	} {
		if _, err := s.GetObjectVersion(ctx, "b", "k", id); !errors.Is(err, ErrInvalidVersionID) {
			t.Errorf("GetObjectVersion(%q) = %v, want ErrInvalidVersionID", id, err)
		}
		if res, err := s.DeleteObject(ctx, "b", "k", DeleteOptions{VersionID: id}); !errors.Is(err, ErrInvalidVersionID) || res != (DeleteResult{}) {
			t.Errorf("DeleteObject(%q) = %+v, %v; want ErrInvalidVersionID", id, res, err)
		}
		if ValidVersionID(id) {
			t.Errorf("ValidVersionID(%q) = true", id)
		}
	}
	if _, err := s.GetObjectVersion(ctx, "b", "k", ""); !errors.Is(err, ErrInvalidVersionID) {
		t.Errorf("GetObjectVersion(\"\") = %v, want ErrInvalidVersionID", err)
	}
	if _, err := s.ListObjectVersions(ctx, ListVersionsParams{Bucket: "b", KeyMarker: "k", VersionIDMarker: "abc", MaxKeys: 10}); !errors.Is(err, ErrInvalidVersionID) {
		t.Errorf("ListObjectVersions(version-id-marker abc) = %v, want ErrInvalidVersionID", err)
	}

	for _, id := range []string{NewVersionID(), NullVersion} {
		if _, err := s.GetObjectVersion(ctx, "b", "k", id); !errors.Is(err, ErrNoSuchVersion) {
			t.Errorf("GetObjectVersion(unknown %q) = %v, want ErrNoSuchVersion", id, err)
		}
		if _, err := s.GetObjectVersion(ctx, "b", "nokey", id); !errors.Is(err, ErrNoSuchVersion) {
			t.Errorf("GetObjectVersion(missing key, %q) = %v, want ErrNoSuchVersion", id, err)
		}
		if res := mustDeleteObject(t, s, "b", "k", id); res != (DeleteResult{VersionID: id}) {
			t.Errorf("DeleteObject(unknown %q) = %+v, want Existed false, no marker", id, res)
		}
		if _, err := s.GetObjectVersion(ctx, "nob", "k", id); !errors.Is(err, ErrNoSuchBucket) {
			t.Errorf("GetObjectVersion(missing bucket) = %v, want ErrNoSuchBucket", err)
		}
		if _, err := s.DeleteObject(ctx, "nob", "k", DeleteOptions{VersionID: id}); !errors.Is(err, ErrNoSuchBucket) {
			t.Errorf("DeleteObject(missing bucket, %q) = %v, want ErrNoSuchBucket", id, err)
		}
	}
	if after := versionRows(t, s, "b", "k"); !reflect.DeepEqual(after, before) {
		t.Fatalf("versions changed: %v → %v", before, after)
	}
	if n := count(t, s, `SELECT count(*) FROM objects`); n != 1 {
		t.Fatalf("%d objects rows, want the one version", n)
	}
	if _, err := s.GetObjectVersion(ctx, "b", "k", v); err != nil {
		t.Fatalf("GetObjectVersion(%s): %v", v, err)
	}
	if !ValidVersionID(v) || !ValidVersionID(NullVersion) || !ValidVersionID(NewVersionID()) {
		t.Fatal("ValidVersionID refuses an ID Floe issues")
	}
}

// TestSetBucketVersioningErrors proves only Enabled and Suspended can be
// set (a bucket never returns to unversioned) and a missing bucket is
// ErrNoSuchBucket.
func TestSetBucketVersioningErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	for _, state := range []string{VersioningUnversioned, "", "enabled", "Disabled"} {
		if err := s.SetBucketVersioning(ctx, "b", state); err == nil {
			t.Errorf("SetBucketVersioning(%q) succeeded", state)
		}
	}
	if b, err := s.GetBucket(ctx, "b"); err != nil || b.Versioning != VersioningUnversioned {
		t.Fatalf("GetBucket = %+v, %v; want it still unversioned", b, err)
	}
	if err := s.SetBucketVersioning(ctx, "nob", VersioningEnabled); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("SetBucketVersioning(missing bucket) = %v, want ErrNoSuchBucket", err)
	}
}

// TestCompleteUploadAddsAVersion proves CompleteUpload writes as PutObject
// does: in an enabled bucket a new version with a fresh ID on top of the
// others (none of whose blobs are queued, only the unused parts'), in a
// suspended one the null version.
func TestCompleteUploadAddsAVersion(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetVersioning(t, s, "b", VersioningEnabled)
	first := versionedObject(t, "b", "k", `"first"`, 3)
	v1 := putVersion(t, s, first).VersionID

	complete := func(id string, use, skip []UploadPart) (Object, PutResult) {
		t.Helper()
		if err := s.CreateUpload(ctx, Upload{ID: id, Bucket: "b", Key: "k"}); err != nil {
			t.Fatal(err)
		}
		for _, p := range append(slices.Clone(use), skip...) {
			mustPutPart(t, s, id, p)
		}
		obj := objectOf(use...)
		res, err := s.CompleteUpload(ctx, id, obj, Precondition{})
		if err != nil {
			t.Fatalf("CompleteUpload(%s): %v", id, err)
		}
		if n := queuedOf(t, s, blobIDs(objectOf(skip...))); n != len(skip) {
			t.Fatalf("CompleteUpload(%s) queued %d of the %d unused parts", id, n, len(skip))
		}
		return obj, res
	}
	up1, r1 := complete("up1", []UploadPart{newPart(t, 1, 5), newPart(t, 2, 6)}, []UploadPart{newPart(t, 3, 7)})
	if !ValidVersionID(r1.VersionID) || r1.VersionID == NullVersion || r1.VersionID == v1 || !r1.Replaced {
		t.Fatalf("CompleteUpload = %+v, want a fresh version that made %s noncurrent", r1, v1)
	}
	up2, r2 := complete("up2", []UploadPart{newPart(t, 1, 8)}, nil)
	if !ValidVersionID(r2.VersionID) || r2.VersionID == NullVersion || r2.VersionID == r1.VersionID {
		t.Fatalf("second CompleteUpload = %+v", r2)
	}
	if n := queuedTotal(t, s); n != 1 {
		t.Fatalf("%d blobs queued, want only the unused part's", n)
	}
	if got, want := rowSummary(versionRows(t, s, "b", "k")), []string{v1, r1.VersionID, r2.VersionID + "*"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	got, err := s.GetObjectVersion(ctx, "b", "k", v1)
	checkVersion(t, "GetObjectVersion(PUT version)", got, err, first, v1, false)
	got, err = s.GetObjectVersion(ctx, "b", "k", r1.VersionID)
	checkVersion(t, "GetObjectVersion(first upload)", got, err, up1, r1.VersionID, false)
	got, err = s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject", got, err, up2, r2.VersionID, true)

	mustSetVersioning(t, s, "b", VersioningSuspended)
	up3, r3 := complete("up3", []UploadPart{newPart(t, 1, 9)}, nil)
	if r3 != (PutResult{VersionID: NullVersion, Replaced: true}) {
		t.Fatalf("suspended CompleteUpload = %+v, want the null version", r3)
	}
	got, err = s.GetObject(ctx, "b", "k")
	checkVersion(t, "GetObject after suspended complete", got, err, up3, NullVersion, true)
	if got, want := rowSummary(versionRows(t, s, "b", "k")), []string{v1, r1.VersionID, r2.VersionID, "null*"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	checkBlobAccounting(t, s)
}

// TestConcurrentVersionedWrites runs many PUTs, plain DELETEs (markers) and
// deletes of versions by ID on one key of an enabled bucket at once, and
// proves the versions come out as if serialized: every acknowledged
// version that was not deleted exists exactly once with its own blobs,
// IDs are distinct, each writer's versions are ordered as it wrote them,
// exactly the newest is latest (and is what GetObject returns), and every
// blob is live or queued, never both.
func TestConcurrentVersionedWrites(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetVersioning(t, s, "b", VersioningEnabled)
	const workers, ops = 8, 20

	type ack struct {
		id     string
		marker bool
		blobs  []blobmeta.ID
	}
	live := make([][]ack, workers) // each worker's surviving versions, in write order
	var deletedBlobs [workers][]blobmeta.ID
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			<-start
			for i := range ops {
				r := rng.IntN(10)
				switch {
				case r < 3 && len(live[w]) > 0:
					// Delete one of this worker's versions: only it
					// deletes them, so it must still exist.
					j := rng.IntN(len(live[w]))
					a := live[w][j]
					res, err := s.DeleteObject(ctx, "b", "k", DeleteOptions{VersionID: a.id})
					if err != nil || res != (DeleteResult{VersionID: a.id, DeleteMarker: a.marker, Existed: true}) {
						errs[w] = fmt.Errorf("op %d: DeleteObject(%s) = %+v, %v", i, a.id, res, err)
						return
					}
					live[w] = slices.Delete(live[w], j, j+1)
					deletedBlobs[w] = append(deletedBlobs[w], a.blobs...)
				case r < 5:
					res, err := s.DeleteObject(ctx, "b", "k", DeleteOptions{})
					if err != nil || !res.DeleteMarker || res.Existed || !ValidVersionID(res.VersionID) || res.VersionID == NullVersion {
						errs[w] = fmt.Errorf("op %d: DeleteObject = %+v, %v", i, res, err)
						return
					}
					live[w] = append(live[w], ack{id: res.VersionID, marker: true})
				default:
					sizes := make([]int64, rng.IntN(3))
					for k := range sizes {
						sizes[k] = int64(1 + rng.IntN(9))
					}
					obj := newObject(t, "b", "k", sizes...)
					obj.ETag = fmt.Sprintf(`"w%d-%d"`, w, i)
					res, err := s.PutObject(ctx, obj, nil, Precondition{})
					if err != nil || !ValidVersionID(res.VersionID) || res.VersionID == NullVersion {
						errs[w] = fmt.Errorf("op %d: PutObject = %+v, %v", i, res, err)
						return
					}
					live[w] = append(live[w], ack{id: res.VersionID, blobs: partBlobs(obj)})
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", w, err)
		}
	}

	rows := versionRows(t, s, "b", "k")
	byID := map[string]versionRow{}
	for _, r := range rows {
		if _, dup := byID[r.ID]; dup {
			t.Fatalf("version %s stored twice", r.ID)
		}
		byID[r.ID] = r
	}
	acked := map[string]ack{}
	for w := range workers {
		var prev int64
		for _, a := range live[w] {
			if _, dup := acked[a.id]; dup {
				t.Fatalf("version ID %s acknowledged twice", a.id)
			}
			acked[a.id] = a
			r, ok := byID[a.id]
			switch {
			case !ok:
				t.Fatalf("worker %d's acknowledged version %s is missing", w, a.id)
			case r.Marker != a.marker:
				t.Fatalf("version %s: delete marker %v, want %v", a.id, r.Marker, a.marker)
			case r.Seq <= prev:
				t.Fatalf("worker %d's versions out of order: seq %d after %d", w, r.Seq, prev)
			}
			prev = r.Seq
		}
	}
	if len(rows) != len(acked) {
		t.Fatalf("%d versions stored, %d acknowledged and not deleted", len(rows), len(acked))
	}
	var latest []versionRow
	for _, r := range rows {
		if r.Latest {
			latest = append(latest, r)
		}
	}
	if len(rows) > 0 && (len(latest) != 1 || latest[0] != rows[len(rows)-1]) {
		t.Fatalf("latest rows %v; want exactly the newest, %v", latest, rows[len(rows)-1])
	}
	if len(rows) > 0 {
		newest := rows[len(rows)-1]
		got, err := s.GetObject(ctx, "b", "k")
		if newest.Marker {
			checkMarkerErr(t, "GetObject", err, newest.ID, false)
		} else if err != nil || got.VersionID != newest.ID || !slices.Equal(partBlobs(got), acked[newest.ID].blobs) {
			t.Fatalf("GetObject = version %s, %v; want %s", got.VersionID, err, newest.ID)
		}
	}

	// Each surviving PUT owns exactly its blobs; deleted ones' are queued.
	parts := map[string][]blobmeta.ID{}
	prows, err := s.pool.Query(ctx, `SELECT version_id, blob_id FROM object_parts WHERE bucket = 'b' AND key = 'k' ORDER BY version_id, part_number`)
	if err != nil {
		t.Fatal(err)
	}
	for prows.Next() {
		var (
			id   string
			blob []byte
		)
		if err := prows.Scan(&id, &blob); err != nil {
			t.Fatal(err)
		}
		parts[id] = append(parts[id], blobmeta.ID(blob))
	}
	if err := prows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, a := range acked {
		if !slices.Equal(parts[id], a.blobs) {
			t.Fatalf("version %s has parts %x, want %x", id, parts[id], a.blobs)
		}
		delete(parts, id)
	}
	if len(parts) != 0 {
		t.Fatalf("parts of versions nobody acknowledged: %v", parts)
	}
	var wantQueued [][]byte
	for w := range workers {
		for _, b := range deletedBlobs[w] {
			wantQueued = append(wantQueued, b[:])
		}
	}
	if n, total := queuedOf(t, s, wantQueued), queuedTotal(t, s); n != len(wantQueued) || total != n {
		t.Fatalf("%d of the deleted versions' %d blobs queued, %d in all", n, len(wantQueued), total)
	}
	checkBlobAccounting(t, s)
}

// TestConcurrentWritesWhileTogglingVersioning PUTs and DELETEs one key
// from several goroutines while versioning flips between Enabled and
// Suspended, and proves each write saw one state throughout: the writes
// reported "null" (the suspended ones) leave at most one null version, one
// of them, and queue the blobs of the null objects they replaced; every
// fresh-ID version or marker stays, with its kind; one version, the
// newest, is latest; no blob is lost or doubly owned.
func TestConcurrentWritesWhileTogglingVersioning(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetVersioning(t, s, "b", VersioningEnabled)
	const writers, ops = 4, 20
	type write struct {
		etag   string // "" for a delete marker
		id     string
		marker bool
		blobs  []blobmeta.ID
	}
	results := make([][]write, writers)
	errs := make([]error, writers+1)
	stop := make(chan struct{})
	var wg, toggler sync.WaitGroup
	toggler.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			state := VersioningSuspended
			if i%2 == 1 {
				state = VersioningEnabled
			}
			if err := s.SetBucketVersioning(ctx, "b", state); err != nil {
				errs[writers] = err
				return
			}
		}
	})
	for w := range writers {
		wg.Go(func() {
			for i := range ops {
				if (w+i)%4 == 3 {
					res, err := s.DeleteObject(ctx, "b", "k", DeleteOptions{})
					if err != nil || !res.DeleteMarker || !ValidVersionID(res.VersionID) || (res.Existed && res.VersionID != NullVersion) {
						errs[w] = fmt.Errorf("delete %d: %+v, %v", i, res, err)
						return
					}
					results[w] = append(results[w], write{id: res.VersionID, marker: true})
					continue
				}
				obj := newObject(t, "b", "k", 1)
				obj.ETag = fmt.Sprintf(`"w%d-%d"`, w, i)
				res, err := s.PutObject(ctx, obj, nil, Precondition{})
				if err != nil || !ValidVersionID(res.VersionID) {
					errs[w] = fmt.Errorf("put %d: %+v, %v", i, res, err)
					return
				}
				results[w] = append(results[w], write{obj.ETag, res.VersionID, false, partBlobs(obj)})
			}
		})
	}
	wg.Wait()
	close(stop)
	toggler.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	rows := versionRows(t, s, "b", "k")
	byID := map[string]versionRow{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	var nulls []write
	fresh := 0
	for _, ws := range results {
		for _, w := range ws {
			if w.id == NullVersion {
				nulls = append(nulls, w)
				continue
			}
			fresh++
			if r, ok := byID[w.id]; !ok || r.Marker != w.marker {
				t.Fatalf("enabled write %+v: stored as %+v (found %v)", w, r, ok)
			}
		}
	}
	wantRows := fresh
	if len(nulls) > 0 {
		wantRows++
	}
	if len(rows) != wantRows {
		t.Fatalf("%d versions stored; want %d fresh ones and %d null", len(rows), fresh, min(len(nulls), 1))
	}
	if n := count(t, s, `SELECT count(*) FROM objects WHERE is_latest`); n != 1 || !rows[len(rows)-1].Latest {
		t.Fatalf("%d latest versions, want 1, the newest", n)
	}
	if len(nulls) > 0 {
		// The surviving null version is one of the null writes; the
		// blobs of every other null PUT are queued.
		got, err := s.GetObjectVersion(ctx, "b", "k", NullVersion)
		var dm *DeleteMarkerError
		isMarker := errors.As(err, &dm)
		if err != nil && !isMarker {
			t.Fatalf("GetObjectVersion(null): %v", err)
		}
		var queued [][]byte
		found := false
		for _, w := range nulls {
			switch {
			case !found && isMarker && w.marker, !found && !isMarker && w.etag == got.ETag:
				found = true
			case !w.marker:
				queued = append(queued, w.blobs[0][:])
			}
		}
		if !found {
			t.Fatalf("null version (%s, marker %v) is none of the null writes", got.ETag, isMarker)
		}
		if n, total := queuedOf(t, s, queued), queuedTotal(t, s); n != len(queued) || total != n {
			t.Fatalf("%d of the %d replaced null versions' blobs queued, %d in all", n, len(queued), total)
		}
	}
	t.Logf("%d enabled writes, %d suspended", fresh, len(nulls))
	checkBlobAccounting(t, s)
}
