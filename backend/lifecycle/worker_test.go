package lifecycle_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/lifecycle"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// day is the tests' lifecycle day: short enough to wait for, long enough
// that a run (which judges ages by the clock when it was claimed) is not
// overtaken by it.
const day = 200 * time.Millisecond

// env is a fresh metadata store and a context.
type env struct {
	t   *testing.T
	ctx context.Context
	s   *metadata.Postgres
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	s, err := metadata.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &env{t: t, ctx: ctx, s: s}
}

// worker returns a Worker on the env's store with the tests' day and no
// pacing to speak of.
func (e *env) worker() *lifecycle.Worker {
	return &lifecycle.Worker{Store: e.s, Day: day, Rate: 1_000_000, Log: zerolog.New(zerolog.NewTestWriter(e.t))}
}

// now returns the database's clock, by which LastModified is stamped and
// rules judged.
func (e *env) now() time.Time {
	e.t.Helper()
	now, err := e.s.DatabaseNow(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return now
}

// ago returns the database's clock less n days.
func (e *env) ago(n float64) time.Time { return e.now().Add(-time.Duration(n * float64(day))) }

// waitUntil polls the database's clock until it reaches at.
func (e *env) waitUntil(at time.Time) {
	e.t.Helper()
	for e.now().Before(at) {
		time.Sleep(10 * time.Millisecond)
	}
}

// bucket creates a bucket (versioning "" for unversioned, "lock" for
// object lock) with the rules of a LifecycleConfiguration's body,
// validated and stored as the gateway stores them.
func (e *env) bucket(name, versioning, rules string) {
	e.t.Helper()
	var err error
	if versioning == "lock" {
		err = e.s.CreateObjectLockBucket(e.ctx, name)
	} else {
		err = e.s.CreateBucket(e.ctx, name)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	if versioning != "" && versioning != "lock" {
		if err := e.s.SetBucketVersioning(e.ctx, name, versioning); err != nil {
			e.t.Fatal(err)
		}
	}
	cfg := mustParse(e.t, rules)
	raw, err := json.Marshal(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.s.SetBucketLifecycle(e.ctx, name, raw); err != nil {
		e.t.Fatal(err)
	}
}

// newBlob returns a blob's metadata (no node holds it: lifecycle never
// reads bytes) of size bytes.
func newBlob(size int64) metadata.Blob {
	m := &blobmeta.Manifest{
		Params:     blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 2, M: 1, StripeSize: 1 << 20},
		Size:       size,
		ShardRoots: make([]blobmeta.Hash, 3),
	}
	rand.Read(m.Nonce[:])
	for i := range m.ShardRoots {
		rand.Read(m.ShardRoots[i][:])
	}
	b := metadata.Blob{ID: m.ID(), Manifest: m}
	for i := range 3 {
		b.Placement = append(b.Placement, blobmeta.Node{ID: fmt.Sprintf("n%d", i)})
	}
	return b
}

// withBytes gives an object size bytes in one blob.
func withBytes(size int64) func(*metadata.Object) {
	return func(o *metadata.Object) {
		o.Size = size
		o.Parts = []metadata.Part{{Number: 1, Size: size, Blob: newBlob(size)}}
	}
}

// withTags gives an object tags.
func withTags(tags map[string]string) func(*metadata.Object) {
	return func(o *metadata.Object) { o.Tags = tags }
}

// put writes a version of key last modified at modified (zero: now),
// empty unless an option says otherwise, and returns its version ID.
func (e *env) put(bucket, key string, modified time.Time, opts ...func(*metadata.Object)) string {
	e.t.Helper()
	obj := metadata.Object{Bucket: bucket, Key: key, ETag: `"etag"`, LastModified: modified}
	for _, o := range opts {
		o(&obj)
	}
	res, err := e.s.PutObject(e.ctx, obj, nil, metadata.Precondition{})
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return res.VersionID
}

// del deletes a key (versionID empty) or a version.
func (e *env) del(bucket, key, versionID string) metadata.DeleteResult {
	e.t.Helper()
	res, err := e.s.DeleteObject(e.ctx, bucket, key, metadata.DeleteOptions{VersionID: versionID})
	if err != nil {
		e.t.Fatalf("delete %s/%s %s: %v", bucket, key, versionID, err)
	}
	return res
}

// versions returns a key's versions, newest first.
func (e *env) versions(bucket, key string) []metadata.Object {
	e.t.Helper()
	res, err := e.s.ListObjectVersions(e.ctx, metadata.ListVersionsParams{Bucket: bucket, Prefix: key, MaxKeys: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []metadata.Object
	for _, v := range res.Versions {
		if v.Key == key {
			out = append(out, v)
		}
	}
	return out
}

// summary renders a key's versions newest first as their IDs, "M" for a
// delete marker, with "*" on the latest.
func (e *env) summary(bucket, key string) []string {
	e.t.Helper()
	var out []string
	for _, v := range e.versions(bucket, key) {
		s := v.VersionID
		if v.DeleteMarker {
			s = "M"
		}
		if v.IsLatest {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

func (e *env) wantVersions(bucket, key string, want ...string) {
	e.t.Helper()
	if got := e.summary(bucket, key); !slices.Equal(got, want) {
		e.t.Fatalf("versions of %s/%s = %v, want %v", bucket, key, got, want)
	}
}

// keys returns a bucket's keys with a current version.
func (e *env) keys(bucket string) []string {
	e.t.Helper()
	var out []string
	p := metadata.ListParams{Bucket: bucket, MaxKeys: 1000}
	for {
		res, err := e.s.ListObjects(e.ctx, p)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, o := range res.Objects {
			out = append(out, o.Key)
		}
		if !res.IsTruncated {
			return out
		}
		p.StartAfter = res.Objects[len(res.Objects)-1].Key
	}
}

// run runs w once, waiting for a run to come due (a bucket is walked at
// most every quarter day), and fails t if it fails.
func (e *env) run(w *lifecycle.Worker) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ran, err := w.RunOnce(e.ctx)
		if err != nil {
			e.t.Fatalf("RunOnce: %v", err)
		}
		if ran {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatal("no lifecycle run came due")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// count runs a SELECT count(*) query.
func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.s.Pool().QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// In an unversioned bucket, current objects under the rule's prefix are
// deleted once a day has passed, and only those.
func TestExpireUnversioned(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "", rule(`<ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter>`+enabled+expire1))
	for _, k := range []string{"logs/a", "logs/b", "other/a", "logs"} {
		e.put("b", k, time.Time{})
	}
	w := e.worker()
	e.run(w)
	if e.now().Before(e.versions("b", "logs/a")[0].LastModified.Add(day)) { // else the run may have been late
		if got, want := e.keys("b"), []string{"logs", "logs/a", "logs/b", "other/a"}; !slices.Equal(got, want) {
			t.Fatalf("before a day: keys %v, want %v", got, want)
		}
	}

	e.waitUntil(e.versions("b", "other/a")[0].LastModified.Add(day))
	e.put("b", "logs/fresh", time.Time{})
	e.run(w)
	if got, want := e.keys("b"), []string{"logs", "logs/fresh", "other/a"}; !slices.Equal(got, want) {
		t.Fatalf("after a day: keys %v, want %v", got, want)
	}
	if n := e.count(`SELECT count(*) FROM lifecycle_runs WHERE bucket = 'b'
		AND finished_at IS NOT NULL AND claimed_until IS NULL AND key_marker IS NULL`); n != 1 {
		t.Fatal("the run was not recorded finished")
	}
}

// In a versioned bucket, Expiration adds a delete marker, keeping the
// version's bytes; NoncurrentVersionExpiration then removes that version
// once it has been noncurrent for its days.
func TestExpireVersioned(t *testing.T) {
	e := newEnv(t)
	e.bucket("v", metadata.VersioningEnabled, rule(enabled+expire1+
		`<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`))
	v1 := e.put("v", "k", e.ago(3), withBytes(100))
	w := e.worker()
	e.run(w)

	vs := e.versions("v", "k")
	if len(vs) != 2 || !vs[0].DeleteMarker || !vs[0].IsLatest || vs[1].VersionID != v1 || vs[1].IsLatest {
		t.Fatalf("after expiry: versions %v, want a delete marker over %s", e.summary("v", "k"), v1)
	}
	obj, err := e.s.GetObjectVersion(e.ctx, "v", "k", v1)
	if err != nil || obj.Size != 100 || len(obj.Parts) != 1 {
		t.Fatalf("the expired version: %+v, %v; want its 100 bytes", obj, err)
	}
	if n := e.count(`SELECT count(*) FROM deletion_queue`); n != 0 {
		t.Fatalf("%d blobs queued for deletion after an expiry to a delete marker", n)
	}

	// Noncurrent since the marker was written: not yet a day.
	e.run(w)
	if e.now().Before(vs[0].LastModified.Add(day)) { // else the run may have been late
		e.wantVersions("v", "k", "M*", v1)
	}

	e.waitUntil(vs[0].LastModified.Add(day))
	e.run(w)
	e.wantVersions("v", "k", "M*") // not yet lone when listed
	if _, err := e.s.GetObjectVersion(e.ctx, "v", "k", v1); !errors.Is(err, metadata.ErrNoSuchVersion) {
		t.Fatalf("GetObjectVersion of the removed version: %v, want ErrNoSuchVersion", err)
	}
	if n := e.count(`SELECT count(*) FROM deletion_queue`); n != 1 {
		t.Fatalf("%d blobs queued for deletion after the version was removed, want 1", n)
	}
}

// NewerNoncurrentVersions keeps that many newest noncurrent versions
// however old; without it, a version noncurrent for less than its days
// stays; a noncurrent delete marker goes as a version does.
func TestNoncurrentVersions(t *testing.T) {
	e := newEnv(t)
	e.bucket("v", metadata.VersioningEnabled,
		rule(`<ID>keep2</ID><Filter><Prefix>k/</Prefix></Filter>`+enabled+`<NoncurrentVersionExpiration>`+
			`<NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)+
			rule(`<ID>plain</ID><Filter><Prefix>p/</Prefix></Filter>`+enabled+
				`<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`)+
			rule(`<ID>fifty</ID><Filter><Prefix>r/</Prefix></Filter>`+enabled+
				`<NoncurrentVersionExpiration><NoncurrentDays>50</NoncurrentDays></NoncurrentVersionExpiration>`))
	// A delete marker made noncurrent by a newer version a day ago.
	e.put("v", "p/marker", e.ago(10))
	e.del("v", "p/marker", "")
	m3 := e.put("v", "p/marker", time.Time{})
	e.waitUntil(e.versions("v", "p/marker")[0].LastModified.Add(day))

	var k []string
	for i := range 5 {
		k = append(k, e.put("v", "k/x", e.ago(float64(10-i))))
	}
	e.put("v", "p/old", e.ago(10))
	old2 := e.put("v", "p/old", e.ago(5))
	// Noncurrent for 10 days of its rule's 50.
	recent1 := e.put("v", "r/recent", e.ago(100))
	recent2 := e.put("v", "r/recent", e.ago(10))
	// A version of a key no rule covers stays.
	q1 := e.put("v", "q", e.ago(10))
	q2 := e.put("v", "q", e.ago(9))

	e.run(e.worker())
	e.wantVersions("v", "k/x", k[4]+"*", k[3], k[2])
	e.wantVersions("v", "p/old", old2+"*")
	e.wantVersions("v", "p/marker", m3+"*")
	e.wantVersions("v", "r/recent", recent2+"*", recent1)
	e.wantVersions("v", "q", q2+"*", q1)
}

// ExpiredObjectDeleteMarker removes a delete marker that is its key's only
// version, and no other.
func TestExpiredObjectDeleteMarker(t *testing.T) {
	e := newEnv(t)
	e.bucket("v", metadata.VersioningEnabled, rule(`<Filter><Prefix>a/</Prefix></Filter>`+enabled+
		`<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)+
		rule(`<Filter><Prefix>d/</Prefix></Filter>`+enabled+`<Expiration><Days>50</Days></Expiration>`)+
		rule(`<Filter><Prefix>f/</Prefix></Filter>`+enabled+
			`<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>`))
	lone := e.put("v", "a/lone", e.ago(3))
	e.del("v", "a/lone", "")
	e.del("v", "a/lone", lone)
	e.wantVersions("v", "a/lone", "M*")
	older := e.put("v", "a/older", e.ago(3))
	e.del("v", "a/older", "")
	live := e.put("v", "a/live", e.ago(3))
	e.del("v", "b/lone", "") // a marker alone, outside the rules' prefixes
	e.del("v", "d/lone", "") // under Days: younger than them
	e.del("v", "f/lone", "") // under ExpiredObjectDeleteMarker false

	e.run(e.worker())
	e.wantVersions("v", "a/lone")
	e.wantVersions("v", "a/older", "M*", older)
	e.wantVersions("v", "a/live", live+"*")
	for _, k := range []string{"b/lone", "d/lone", "f/lone"} {
		e.wantVersions("v", k, "M*")
	}
}

// Under Expiration Days, a lone delete marker goes once it is as old as
// the rule's days, as S3 does; a younger one, or one over older
// versions, stays.
func TestDaysRemoveOldLoneMarker(t *testing.T) {
	e := newEnv(t)
	e.bucket("v", metadata.VersioningEnabled, rule(enabled+`<Expiration><Days>2</Days></Expiration>`))
	e.del("v", "old", "")
	e.del("v", "young", "")
	kept := e.put("v", "over", e.ago(1))
	e.del("v", "over", "")
	if _, err := e.s.Pool().Exec(e.ctx, `UPDATE objects SET last_modified = now() - $1 * interval '1 millisecond'
		WHERE bucket = 'v' AND key IN ('old', 'over') AND delete_marker`, 3*day.Milliseconds()); err != nil {
		t.Fatal(err)
	}
	e.run(e.worker())
	e.wantVersions("v", "old")
	e.wantVersions("v", "young", "M*")
	e.wantVersions("v", "over", "M*", kept)
}

// Whether a delete marker that ends a page is its key's only version is
// known from the next page: a lone one there is removed, one with older
// versions is not.
func TestDeleteMarkerAtPageEnd(t *testing.T) {
	e := newEnv(t)
	eodm := rule(`<Filter><Prefix>x/</Prefix></Filter>` + enabled +
		`<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)
	// 999 versions of keys obj/…, then x/m: the page's 1000th.
	e.bucket("lone", metadata.VersioningEnabled, eodm)
	e.putMany("lone", 999, time.Time{})
	e.del("lone", "x/m", "")
	e.put("lone", "y", time.Time{})
	e.bucket("older", metadata.VersioningEnabled, eodm)
	e.putMany("older", 999, time.Time{})
	older := e.put("older", "x/m", time.Time{})
	e.del("older", "x/m", "")
	e.put("older", "y", time.Time{})

	w := e.worker()
	e.run(w)
	e.run(w)
	e.wantVersions("lone", "x/m")
	e.wantVersions("older", "x/m", "M*", older)
}

// A rule with a tag filter expires and removes only versions with the tag.
func TestTagFilter(t *testing.T) {
	e := newEnv(t)
	e.bucket("v", metadata.VersioningEnabled, rule(`<Filter><Tag><Key>expire</Key><Value>yes</Value></Tag></Filter>`+
		enabled+expire1+`<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`))
	yes := withTags(map[string]string{"expire": "yes", "other": "x"})
	k1 := e.put("v", "k", e.ago(10), yes)
	k2 := e.put("v", "k", e.ago(9), withTags(map[string]string{"expire": "no"}))
	k3 := e.put("v", "k", e.ago(8), yes)
	u1 := e.put("v", "u", e.ago(10))
	n1 := e.put("v", "n", e.ago(10), withTags(map[string]string{"Expire": "yes"}))

	e.run(e.worker())
	e.wantVersions("v", "k", "M*", k3, k2) // k3 expired to a marker, k1 removed, k2 untagged
	if _, err := e.s.GetObjectVersion(e.ctx, "v", "k", k1); !errors.Is(err, metadata.ErrNoSuchVersion) {
		t.Fatalf("the tagged noncurrent version: %v, want removed", err)
	}
	e.wantVersions("v", "u", u1+"*")
	e.wantVersions("v", "n", n1+"*")
}

// Object Lock: a retained or held noncurrent version is not removed (the
// database refuses), while its unlocked siblings are, and the run
// succeeds.
func TestObjectLockedVersionsStay(t *testing.T) {
	e := newEnv(t)
	e.bucket("lock", "lock", rule(enabled+
		`<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`))
	retained := e.put("lock", "k", e.ago(10), withBytes(10), func(o *metadata.Object) {
		o.Retention = metadata.Retention{Mode: metadata.Compliance, Until: e.now().Add(time.Hour)}
	})
	k2 := e.put("lock", "k", e.ago(9), withBytes(10))
	k3 := e.put("lock", "k", e.ago(8), withBytes(10))
	held := e.put("lock", "h", e.ago(10), func(o *metadata.Object) { o.LegalHold = true })
	h2 := e.put("lock", "h", e.ago(9))
	h3 := e.put("lock", "h", e.ago(8))

	e.run(e.worker())
	e.wantVersions("lock", "k", k3+"*", retained)
	e.wantVersions("lock", "h", h3+"*", held)
	for _, v := range []struct{ key, id string }{{"k", retained}, {"h", held}} {
		if _, err := e.s.GetObjectVersion(e.ctx, "lock", v.key, v.id); err != nil {
			t.Fatalf("the locked version %s of %s: %v", v.id, v.key, err)
		}
	}
	for _, v := range []struct{ key, id string }{{"k", k2}, {"h", h2}} {
		if _, err := e.s.GetObjectVersion(e.ctx, "lock", v.key, v.id); !errors.Is(err, metadata.ErrNoSuchVersion) {
			t.Fatalf("the unlocked version %s of %s: %v, want removed", v.id, v.key, err)
		}
	}
}

// AbortIncompleteMultipartUpload aborts old uploads under its prefix only.
func TestAbortIncompleteUploads(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "", rule(`<Filter><Prefix>tmp/</Prefix></Filter>`+enabled+
		`<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>`))
	for _, u := range []struct {
		id, key string
		days    float64 // initiated days ago
	}{
		{"old1", "tmp/a", 3}, {"old2", "tmp/a", 2.5}, {"old3", "tmp/b", 10},
		{"young", "tmp/c", 1}, {"new", "tmp/a", 0},
		{"other", "keep/a", 10}, {"tm", "tm", 10},
	} {
		var at time.Time
		if u.days > 0 {
			at = e.ago(u.days)
		}
		if err := e.s.CreateUpload(e.ctx, metadata.Upload{ID: u.id, Bucket: "b", Key: u.key, Initiated: at}); err != nil {
			t.Fatal(err)
		}
	}
	e.run(e.worker())
	res, err := e.s.ListUploads(e.ctx, metadata.ListUploadsParams{Bucket: "b", MaxUploads: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range res.Uploads {
		got = append(got, u.ID)
	}
	slices.Sort(got)
	if want := []string{"new", "other", "tm", "young"}; !slices.Equal(got, want) {
		t.Fatalf("uploads left %v, want %v", got, want)
	}
}

// failingStore fails the failAt-th ListObjectVersions call (from 1; 0:
// none) and records every call's markers.
type failingStore struct {
	*metadata.Postgres
	failAt int

	mu    sync.Mutex
	calls []metadata.ListVersionsParams
}

var errInjected = errors.New("injected listing failure")

func (f *failingStore) ListObjectVersions(ctx context.Context, p metadata.ListVersionsParams) (metadata.ListVersionsResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, p)
	n := len(f.calls)
	f.mu.Unlock()
	if n == f.failAt {
		return metadata.ListVersionsResult{}, errInjected
	}
	return f.Postgres.ListObjectVersions(ctx, p)
}

// putMany writes n empty objects key/0000… last modified at modified.
func (e *env) putMany(bucket string, n int, modified time.Time) {
	e.t.Helper()
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += writers {
				obj := metadata.Object{Bucket: bucket, Key: fmt.Sprintf("obj/%04d", i), ETag: `"e"`, LastModified: modified}
				if _, err := e.s.PutObject(e.ctx, obj, nil, metadata.Precondition{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Fatal(err)
	}
}

// A run that fails after its first page keeps that page's work and its
// place; once its lease has run out, the next claim resumes from there
// and finishes.
func TestResumeAfterFailure(t *testing.T) {
	e := newEnv(t)
	e.bucket("big", "", rule(enabled+expire1))
	const n = 1200
	e.putMany("big", n, e.ago(3))

	fs := &failingStore{Postgres: e.s, failAt: 2}
	w := e.worker()
	w.Store = fs
	ran, err := w.RunOnce(e.ctx)
	if !ran || !errors.Is(err, errInjected) {
		t.Fatalf("RunOnce = %v, %v; want the injected failure", ran, err)
	}
	left := e.keys("big")
	if len(left) != n-1000 || left[0] != "obj/1000" {
		t.Fatalf("after the failed run %d objects left from %q, want the last %d", len(left), left[:1], n-1000)
	}
	var keyMarker, versionMarker *string
	if err := e.s.Pool().QueryRow(e.ctx, `SELECT key_marker, version_marker FROM lifecycle_runs WHERE bucket = 'big'`).
		Scan(&keyMarker, &versionMarker); err != nil {
		t.Fatal(err)
	}
	if keyMarker == nil || *keyMarker != "obj/0999" {
		t.Fatalf("saved key marker %v, want obj/0999", keyMarker)
	}

	// Still leased to the failed run: nobody else takes it.
	fs = &failingStore{Postgres: e.s}
	w.Store = fs
	if ran, err := w.RunOnce(e.ctx); ran || err != nil {
		t.Fatalf("RunOnce while the failed run's lease lasts = %v, %v; want nothing to do", ran, err)
	}
	if _, err := e.s.Pool().Exec(e.ctx, `UPDATE lifecycle_runs SET claimed_until = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	ran, err = w.RunOnce(e.ctx)
	if !ran || err != nil {
		t.Fatalf("resumed RunOnce = %v, %v", ran, err)
	}
	if len(fs.calls) == 0 || fs.calls[0].KeyMarker != *keyMarker || fs.calls[0].VersionIDMarker != deref(versionMarker) {
		t.Fatalf("the resumed run listed from %+v, want the saved markers %q, %q", fs.calls, *keyMarker, deref(versionMarker))
	}
	if left := e.keys("big"); len(left) != 0 {
		t.Fatalf("%d objects left after the resumed run", len(left))
	}
	if n := e.count(`SELECT count(*) FROM lifecycle_runs WHERE bucket = 'big'
		AND finished_at IS NOT NULL AND claimed_until IS NULL AND key_marker IS NULL AND version_marker IS NULL`); n != 1 {
		t.Fatal("the resumed run was not recorded finished")
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// A key whose versions straddle a page keeps its count of newer
// noncurrent versions and their times across the page boundary.
func TestNoncurrentAcrossPages(t *testing.T) {
	e := newEnv(t)
	e.bucket("v", metadata.VersioningEnabled, rule(enabled+`<NoncurrentVersionExpiration>`+
		`<NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>`))
	// 998 single-version keys, then "z" with 6 versions: the first page
	// ends after z's two newest.
	e.putMany("v", 998, e.ago(20))
	var z []string
	for i := range 6 {
		z = append(z, e.put("v", "z", e.ago(float64(10-i))))
	}
	e.run(e.worker())
	e.wantVersions("v", "z", z[5]+"*", z[4], z[3], z[2])
}

// When a run removes the last version of a page, the next page still
// holds that key's older versions (a listing from a version that is gone
// resumes after its key).
func TestRemovedVersionEndsPage(t *testing.T) {
	e := newEnv(t)
	e.bucket("v", metadata.VersioningEnabled, rule(enabled+
		`<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`))
	// 997 single-version keys, then "z" with 6 versions: the first page
	// ends with z's third newest, which the run removes.
	e.putMany("v", 997, e.ago(20))
	var z []string
	for i := range 6 {
		z = append(z, e.put("v", "z", e.ago(float64(10-i))))
	}
	e.put("v", "zz", e.ago(20))
	e.run(e.worker())
	e.wantVersions("v", "z", z[5]+"*")
}

// Deletions are paced at Rate per second.
func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "", rule(enabled+expire1))
	e.putMany("b", 10, e.ago(3))
	w := e.worker()
	w.Rate = 20
	start := time.Now()
	e.run(w)
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Fatalf("10 deletions at 20/s took %v", d)
	}
	if left := e.keys("b"); len(left) != 0 {
		t.Fatalf("%d objects left", len(left))
	}
}

// Run walks every bucket with rules until its context ends.
func TestRun(t *testing.T) {
	e := newEnv(t)
	for _, b := range []string{"b1", "b2", "b3"} {
		e.bucket(b, "", rule(enabled+expire1))
		e.put(b, "k", e.ago(3))
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.worker().Run(ctx)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.keys("b1"))+len(e.keys("b2"))+len(e.keys("b3")) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run left objects a rule expires")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return when its context ended")
	}
}
