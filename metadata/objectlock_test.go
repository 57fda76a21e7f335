package metadata

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// lockState is a version's protection as stored in its objects row.
type lockState struct {
	Exists bool
	Mode   string    // "" for no retention
	Until  time.Time // zero for no retention
	Hold   bool
}

func (l lockState) String() string {
	if !l.Exists {
		return "no such row"
	}
	return fmt.Sprintf("mode %q until %s hold %v", l.Mode, l.Until.UTC().Format(time.RFC3339Nano), l.Hold)
}

// is reports whether l is the existing row with retention r and hold.
func (l lockState) is(r Retention, hold bool) bool {
	return l.Exists && l.Mode == r.Mode && l.Until.Equal(r.Until) && l.Hold == hold
}

// lockRow reads a version's protection straight from its row.
func lockRow(t testing.TB, s *Postgres, bucket, key, versionID string) lockState {
	t.Helper()
	var (
		l     lockState
		until *time.Time
	)
	err := s.pool.QueryRow(context.Background(), `SELECT COALESCE(lock_mode, ''), lock_until, legal_hold
		FROM objects WHERE bucket = $1 AND key = $2 AND version_id = $3`, bucket, key, versionID).Scan(&l.Mode, &until, &l.Hold)
	if errors.Is(err, pgx.ErrNoRows) {
		return lockState{}
	}
	if err != nil {
		t.Fatalf("reading the lock of %s/%s version %s: %v", bucket, key, versionID, err)
	}
	l.Exists = true
	if until != nil {
		l.Until = *until
	}
	return l
}

// dbNow returns the database's clock: the one the object-lock triggers
// check retentions against.
func dbNow(t testing.TB, s *Postgres) time.Time {
	t.Helper()
	var now time.Time
	if err := s.pool.QueryRow(context.Background(), `SELECT now()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

// dbAdd returns ts plus years and days as PostgreSQL adds them (in the
// session's time zone, as the default retention is computed).
func dbAdd(t testing.TB, s *Postgres, ts time.Time, years, days int) time.Time {
	t.Helper()
	var out time.Time
	err := s.pool.QueryRow(context.Background(), `SELECT $1::timestamptz + make_interval(years => $2, days => $3)`,
		ts, years, days).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitDBPast waits until the database's clock is past ts.
func waitDBPast(t testing.TB, s *Postgres, ts time.Time) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var past bool
		if err := s.pool.QueryRow(context.Background(), `SELECT now() > $1`, ts).Scan(&past); err != nil {
			t.Fatal(err)
		}
		if past {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database clock did not pass %s in 10 s", ts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mustCreateLockBucket creates bucket name with object lock.
func mustCreateLockBucket(t testing.TB, s *Postgres, name string) {
	t.Helper()
	if err := s.CreateObjectLockBucket(context.Background(), name); err != nil {
		t.Fatalf("CreateObjectLockBucket(%s): %v", name, err)
	}
}

// mustSetLockConfig sets bucket's object lock configuration.
func mustSetLockConfig(t testing.TB, s *Postgres, bucket string, def DefaultRetention) {
	t.Helper()
	if err := s.SetObjectLockConfig(context.Background(), bucket, def); err != nil {
		t.Fatalf("SetObjectLockConfig(%s, %+v): %v", bucket, def, err)
	}
}

// putProtected stores a new two-part version of bucket/key with retention
// r and legal hold hold, and returns it and its version ID.
func putProtected(t testing.TB, s *Postgres, bucket, key string, r Retention, hold bool) (Object, string) {
	t.Helper()
	obj := newObject(t, bucket, key, 3, 4)
	obj.Retention, obj.LegalHold = r, hold
	return obj, putVersion(t, s, obj).VersionID
}

// at returns a retention of mode until ts, at PostgreSQL's precision.
func at(mode string, ts time.Time) Retention {
	return Retention{Mode: mode, Until: ts.Truncate(time.Microsecond)}
}

// sqlState returns err's SQLSTATE, "" if it is not from PostgreSQL.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// checkKept fails t unless version id of obj is still stored with all its
// parts and none of its blobs is queued for deletion.
func checkKept(t *testing.T, what string, s *Postgres, obj Object, id string) {
	t.Helper()
	if !lockRow(t, s, obj.Bucket, obj.Key, id).Exists {
		t.Fatalf("%s: version %s of %s/%s is gone", what, id, obj.Bucket, obj.Key)
	}
	parts := count(t, s, `SELECT count(*) FROM object_parts WHERE bucket = $1 AND key = $2 AND version_id = $3`,
		obj.Bucket, obj.Key, id)
	blobs := count(t, s, `SELECT count(*) FROM blobs WHERE id = ANY($1)`, blobIDs(obj))
	if parts != len(obj.Parts) || blobs != len(obj.Parts) {
		t.Fatalf("%s: version %s has %d parts and %d blobs, want %d", what, id, parts, blobs, len(obj.Parts))
	}
	if n := queuedOf(t, s, blobIDs(obj)); n != 0 {
		t.Fatalf("%s: %d blobs of version %s queued for deletion", what, n, id)
	}
}

// checkGone fails t unless version id of obj is deleted and all its blobs
// are queued for deletion.
func checkGone(t *testing.T, what string, s *Postgres, obj Object, id string) {
	t.Helper()
	if lockRow(t, s, obj.Bucket, obj.Key, id).Exists {
		t.Fatalf("%s: version %s of %s/%s still exists", what, id, obj.Bucket, obj.Key)
	}
	if n := count(t, s, `SELECT count(*) FROM object_parts WHERE bucket = $1 AND key = $2 AND version_id = $3`,
		obj.Bucket, obj.Key, id); n != 0 {
		t.Fatalf("%s: deleted version %s keeps %d parts", what, id, n)
	}
	if n := queuedOf(t, s, blobIDs(obj)); n != len(obj.Parts) {
		t.Fatalf("%s: %d of deleted version %s's %d blobs queued", what, n, id, len(obj.Parts))
	}
}

// TestObjectLockBucketConfiguration proves a bucket created with object
// lock is versioned for good, that object lock can be turned on only in a
// versioning-enabled bucket, that default retentions are checked and
// stored, and that GetBucket and ListBuckets report them.
func TestObjectLockBucketConfiguration(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	if b, err := s.GetBucket(ctx, "lk"); err != nil || b.Versioning != VersioningEnabled || !b.ObjectLock || b.DefaultRetention != (DefaultRetention{}) {
		t.Fatalf("GetBucket(lk) = %+v, %v; want versioning enabled, object lock, no default", b, err)
	}
	if err := s.CreateObjectLockBucket(ctx, "lk"); !errors.Is(err, ErrBucketExists) {
		t.Fatalf("CreateObjectLockBucket(existing) = %v, want ErrBucketExists", err)
	}
	if err := s.SetBucketVersioning(ctx, "lk", VersioningSuspended); !errors.Is(err, ErrInvalidBucketState) {
		t.Fatalf("suspending a lock bucket = %v, want ErrInvalidBucketState", err)
	}
	mustSetVersioning(t, s, "lk", VersioningEnabled) // a no-op is fine
	if b, _ := s.GetBucket(ctx, "lk"); b.Versioning != VersioningEnabled {
		t.Fatalf("lock bucket's versioning = %s after the refused suspension", b.Versioning)
	}

	// Object lock needs versioning enabled, not merely ever enabled.
	mustCreateBucket(t, s, "plain")
	mustCreateBucket(t, s, "susp")
	mustSetVersioning(t, s, "susp", VersioningSuspended)
	for _, name := range []string{"plain", "susp"} {
		for _, def := range []DefaultRetention{{}, {Mode: Governance, Days: 1}} {
			if err := s.SetObjectLockConfig(ctx, name, def); !errors.Is(err, ErrInvalidBucketState) {
				t.Fatalf("SetObjectLockConfig(%s, %+v) = %v, want ErrInvalidBucketState", name, def, err)
			}
		}
		if b, _ := s.GetBucket(ctx, name); b.ObjectLock || b.DefaultRetention != (DefaultRetention{}) {
			t.Fatalf("%s after refused SetObjectLockConfig: %+v", name, b)
		}
	}
	mustCreateBucket(t, s, "ver")
	mustSetVersioning(t, s, "ver", VersioningEnabled)
	mustSetLockConfig(t, s, "ver", DefaultRetention{})
	if b, _ := s.GetBucket(ctx, "ver"); !b.ObjectLock || b.Versioning != VersioningEnabled {
		t.Fatalf("ver after SetObjectLockConfig: %+v, want object lock on", b)
	}
	if err := s.SetBucketVersioning(ctx, "ver", VersioningSuspended); !errors.Is(err, ErrInvalidBucketState) {
		t.Fatalf("suspending ver once locked = %v, want ErrInvalidBucketState", err)
	}

	valid := DefaultRetention{Mode: Compliance, Days: 7}
	mustSetLockConfig(t, s, "lk", valid)
	for _, def := range []DefaultRetention{
		{Mode: "governance", Days: 1},
		{Mode: "BOGUS", Days: 1},
		{Days: 1},
		{Years: 1},
		{Mode: Governance, Days: 1, Years: 1},
		{Mode: Governance},
		{Mode: Governance, Days: -1},
		{Mode: Compliance, Years: -2},
		{Mode: Governance, Days: 3, Years: -1},
		{Mode: Governance, Days: -3, Years: 1},
	} {
		err := s.SetObjectLockConfig(ctx, "lk", def)
		if err == nil || errors.Is(err, ErrNoSuchBucket) || errors.Is(err, ErrInvalidBucketState) {
			t.Errorf("SetObjectLockConfig(%+v) = %v, want a validation error", def, err)
		}
		if b, _ := s.GetBucket(ctx, "lk"); b.DefaultRetention != valid {
			t.Fatalf("after refused %+v the default is %+v, want %+v kept", def, b.DefaultRetention, valid)
		}
	}
	if err := s.SetObjectLockConfig(ctx, "nob", valid); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("SetObjectLockConfig(missing bucket) = %v, want ErrNoSuchBucket", err)
	}

	for _, def := range []DefaultRetention{{Mode: Governance, Days: 1}, {Mode: Compliance, Years: 3}, {}, {Mode: Governance, Years: 1}} {
		mustSetLockConfig(t, s, "lk", def)
		b, err := s.GetBucket(ctx, "lk")
		if err != nil || b.DefaultRetention != def || !b.ObjectLock || b.Versioning != VersioningEnabled {
			t.Fatalf("GetBucket after setting %+v = %+v, %v", def, b, err)
		}
	}
	bs, err := s.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Bucket{}
	for _, b := range bs {
		got[b.Name] = b
	}
	for name, want := range map[string]struct {
		lock bool
		def  DefaultRetention
	}{
		"lk":    {true, DefaultRetention{Mode: Governance, Years: 1}},
		"ver":   {true, DefaultRetention{}},
		"plain": {false, DefaultRetention{}},
		"susp":  {false, DefaultRetention{}},
	} {
		if b, ok := got[name]; !ok || b.ObjectLock != want.lock || b.DefaultRetention != want.def {
			t.Errorf("ListBuckets: %s = %+v (listed %v), want object lock %v, default %+v", name, b, ok, want.lock, want.def)
		}
	}
}

// TestComplianceRetentionHoldsTheVersion proves a COMPLIANCE retention in
// the future keeps its version: deleting it by ID is refused with or
// without the GOVERNANCE bypass, with its row, parts and blobs left and
// nothing queued; a plain DELETE still adds a delete marker; and the
// retention can be lengthened only, never shortened, turned into
// GOVERNANCE or removed, bypass or not.
func TestComplianceRetentionHoldsTheVersion(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	now := dbNow(t, s)
	r := at(Compliance, now.Add(time.Hour))
	obj, id := putProtected(t, s, "lk", "k", r, false)
	if l := lockRow(t, s, "lk", "k", id); !l.is(r, false) {
		t.Fatalf("stored lock = %v, want %+v", l, r)
	}
	got, err := s.GetObjectVersion(ctx, "lk", "k", id)
	if err != nil || got.Retention.Mode != r.Mode || !got.Retention.Until.Equal(r.Until) || got.LegalHold {
		t.Fatalf("GetObjectVersion = %+v, %v; want retention %+v, no hold", got.Retention, err, r)
	}

	for _, bypass := range []bool{false, true} {
		_, err := s.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: id, BypassGovernance: bypass})
		if !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("DeleteObject(COMPLIANCE version, bypass %v) = %v, want ErrObjectLocked", bypass, err)
		}
		checkKept(t, fmt.Sprintf("after the refused delete (bypass %v)", bypass), s, obj, id)
		if n := queuedTotal(t, s); n != 0 {
			t.Fatalf("%d blobs queued by a refused delete", n)
		}
	}

	// A plain DELETE protects nothing less: it hides the version behind a
	// marker, which S3 allows.
	del, err := s.DeleteObject(ctx, "lk", "k", DeleteOptions{})
	if err != nil || !del.DeleteMarker || del.VersionID == id || !ValidVersionID(del.VersionID) {
		t.Fatalf("plain DeleteObject = %+v, %v; want a new delete marker", del, err)
	}
	if rows, want := rowSummary(versionRows(t, s, "lk", "k")), []string{id, del.VersionID + "*M"}; !slices.Equal(rows, want) {
		t.Fatalf("rows after the plain delete = %v, want %v", rows, want)
	}
	checkKept(t, "after the plain delete", s, obj, id)

	longer := at(Compliance, r.Until.Add(time.Hour))
	steps := []struct {
		name   string
		to     Retention
		bypass bool
		ok     bool
	}{
		{"shorten", at(Compliance, r.Until.Add(-time.Minute)), false, false},
		{"shorten with bypass", at(Compliance, r.Until.Add(-time.Minute)), true, false},
		{"to GOVERNANCE, same date", at(Governance, r.Until), false, false},
		{"to GOVERNANCE, later, with bypass", at(Governance, r.Until.Add(time.Hour)), true, false},
		{"remove", Retention{}, false, false},
		{"remove with bypass", Retention{}, true, false},
		{"lengthen", longer, false, true},
		{"back to the old date", r, true, false},
	}
	want := r
	for _, st := range steps {
		got, err := s.SetRetention(ctx, "lk", "k", id, st.to, st.bypass)
		switch {
		case st.ok && (err != nil || got != id):
			t.Fatalf("%s: SetRetention = %q, %v; want %q", st.name, got, err, id)
		case !st.ok && !errors.Is(err, ErrObjectLocked):
			t.Fatalf("%s: SetRetention = %q, %v; want ErrObjectLocked", st.name, got, err)
		}
		if st.ok {
			want = st.to
		}
		if l := lockRow(t, s, "lk", "k", id); !l.is(want, false) {
			t.Fatalf("%s: stored lock = %v, want %+v", st.name, l, want)
		}
	}
	checkKept(t, "at the end", s, obj, id)
	checkBlobAccounting(t, s)
}

// TestGovernanceRetention proves a GOVERNANCE retention gives way to the
// bypass only: a delete by ID is refused without it and done with it (the
// version gone, its blobs queued), shortening needs it, and upgrading to
// COMPLIANCE does not, after which the bypass no longer helps.
func TestGovernanceRetention(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	now := dbNow(t, s)
	r := at(Governance, now.Add(time.Hour))

	v1obj, v1 := putProtected(t, s, "lk", "k", r, false)
	if _, err := s.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v1}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("DeleteObject(GOVERNANCE version) = %v, want ErrObjectLocked", err)
	}
	checkKept(t, "after the refused delete", s, v1obj, v1)
	res, err := s.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v1, BypassGovernance: true})
	if err != nil || res != (DeleteResult{VersionID: v1, Existed: true}) {
		t.Fatalf("DeleteObject(GOVERNANCE version, bypass) = %+v, %v; want it deleted", res, err)
	}
	checkGone(t, "after the bypassing delete", s, v1obj, v1)

	v2obj, v2 := putProtected(t, s, "lk", "k", r, false)
	shorter := at(Governance, r.Until.Add(-30*time.Minute))
	if _, err := s.SetRetention(ctx, "lk", "k", v2, shorter, false); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("shortening GOVERNANCE without bypass = %v, want ErrObjectLocked", err)
	}
	if l := lockRow(t, s, "lk", "k", v2); !l.is(r, false) {
		t.Fatalf("after the refused shortening: %v, want %+v", l, r)
	}
	if got, err := s.SetRetention(ctx, "lk", "k", "", shorter, true); err != nil || got != v2 {
		t.Fatalf("shortening GOVERNANCE (latest) with bypass = %q, %v; want %q", got, err, v2)
	}
	if l := lockRow(t, s, "lk", "k", v2); !l.is(shorter, false) {
		t.Fatalf("after the shortening: %v, want %+v", l, shorter)
	}
	upgraded := at(Compliance, shorter.Until)
	if _, err := s.SetRetention(ctx, "lk", "k", v2, upgraded, false); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("GOVERNANCE to COMPLIANCE without bypass = %v, want ErrObjectLocked (a mode change overrides it)", err)
	}
	if got, err := s.SetRetention(ctx, "lk", "k", v2, upgraded, true); err != nil || got != v2 {
		t.Fatalf("GOVERNANCE to COMPLIANCE with bypass = %q, %v; want %q", got, err, v2)
	}
	if l := lockRow(t, s, "lk", "k", v2); !l.is(upgraded, false) {
		t.Fatalf("after the upgrade: %v, want %+v", l, upgraded)
	}
	if _, err := s.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v2, BypassGovernance: true}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("DeleteObject(upgraded version, bypass) = %v, want ErrObjectLocked", err)
	}
	checkKept(t, "after the upgrade", s, v2obj, v2)
	checkBlobAccounting(t, s)
}

// TestRetentionChangeRules runs SetRetention over every change of an
// active retention, plus expired and absent ones, against S3's rules:
// COMPLIANCE is never shortened, never turned into GOVERNANCE and never
// removed while it lasts; GOVERNANCE may be lengthened by anyone, and
// shortened, removed or changed to another mode (COMPLIANCE too) with the
// bypass only. An expired or absent retention may be set to
// anything. A refused change leaves the row as it was.
func TestRetentionChangeRules(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	now := dbNow(t, s)
	oldUntil := now.Add(time.Hour).Truncate(time.Microsecond)
	past := now.Add(-time.Hour).Truncate(time.Microsecond)
	const (
		shorter = -time.Minute
		same    = 0
		longer  = time.Minute
	)
	type change struct {
		mode  string        // "" removes the retention
		delta time.Duration // new until relative to the old one
	}
	cases := []struct {
		oldMode  string // "" for none
		oldUntil time.Time
		to       change
		bypass   bool
		allowed  bool
	}{
		// Active COMPLIANCE: only the same or a later COMPLIANCE date.
		{Compliance, oldUntil, change{Compliance, shorter}, false, false},
		{Compliance, oldUntil, change{Compliance, shorter}, true, false},
		{Compliance, oldUntil, change{Compliance, same}, false, true},
		{Compliance, oldUntil, change{Compliance, same}, true, true},
		{Compliance, oldUntil, change{Compliance, longer}, false, true},
		{Compliance, oldUntil, change{Compliance, longer}, true, true},
		{Compliance, oldUntil, change{Governance, shorter}, false, false},
		{Compliance, oldUntil, change{Governance, shorter}, true, false},
		{Compliance, oldUntil, change{Governance, same}, false, false},
		{Compliance, oldUntil, change{Governance, same}, true, false},
		{Compliance, oldUntil, change{Governance, longer}, false, false},
		{Compliance, oldUntil, change{Governance, longer}, true, false},
		{Compliance, oldUntil, change{"", 0}, false, false},
		{Compliance, oldUntil, change{"", 0}, true, false},
		// Active GOVERNANCE: anyone may keep or lengthen it; shortening,
		// removing or changing its mode needs the bypass.
		{Governance, oldUntil, change{Governance, shorter}, false, false},
		{Governance, oldUntil, change{Governance, shorter}, true, true},
		{Governance, oldUntil, change{Governance, same}, false, true},
		{Governance, oldUntil, change{Governance, same}, true, true},
		{Governance, oldUntil, change{Governance, longer}, false, true},
		{Governance, oldUntil, change{Governance, longer}, true, true},
		{Governance, oldUntil, change{Compliance, shorter}, false, false},
		{Governance, oldUntil, change{Compliance, shorter}, true, true},
		{Governance, oldUntil, change{Compliance, same}, false, false},
		{Governance, oldUntil, change{Compliance, same}, true, true},
		{Governance, oldUntil, change{Compliance, longer}, false, false},
		{Governance, oldUntil, change{Compliance, longer}, true, true},
		{Governance, oldUntil, change{"", 0}, false, false},
		{Governance, oldUntil, change{"", 0}, true, true},
		// Expired: nothing is protected any more.
		{Compliance, past, change{Compliance, shorter}, false, true},
		{Compliance, past, change{Governance, shorter}, false, true},
		{Compliance, past, change{"", 0}, false, true},
		{Governance, past, change{Governance, shorter}, false, true},
		{Governance, past, change{"", 0}, false, true},
		// None: any retention may be set, even one already past (the
		// gateway refuses past dates; this layer does not).
		{"", time.Time{}, change{Compliance, time.Hour}, false, true},
		{"", time.Time{}, change{Governance, -2 * time.Hour}, false, true},
		{"", time.Time{}, change{"", 0}, false, true},
	}
	for i, c := range cases {
		old := "none"
		if c.oldMode != "" {
			old = fmt.Sprintf("%s ending in %s", c.oldMode, c.oldUntil.Sub(now).Round(time.Minute))
		}
		name := fmt.Sprintf("%d: %s → %q %+v, bypass %v", i, old, c.to.mode, c.to.delta, c.bypass)
		key := fmt.Sprintf("k%d", i)
		var from Retention
		if c.oldMode != "" {
			from = at(c.oldMode, c.oldUntil)
		}
		obj, id := putProtected(t, s, "lk", key, from, false)
		var to Retention
		if c.to.mode != "" {
			base := c.oldUntil
			if base.IsZero() {
				base = now
			}
			to = at(c.to.mode, base.Add(c.to.delta))
		}
		got, err := s.SetRetention(ctx, "lk", key, id, to, c.bypass)
		want := from
		switch {
		case c.allowed && (err != nil || got != id):
			t.Errorf("%s: SetRetention = %q, %v; want it allowed", name, got, err)
		case c.allowed:
			want = to
		case !errors.Is(err, ErrObjectLocked):
			t.Errorf("%s: SetRetention = %q, %v; want ErrObjectLocked", name, got, err)
		}
		if l := lockRow(t, s, "lk", key, id); !l.is(want, false) {
			t.Errorf("%s: stored %v, want %+v", name, l, want)
		}
		checkKept(t, name, s, obj, id)
	}
}

// TestLegalHold proves a legal hold keeps its version whatever the
// retention and the bypass say, until it is lifted.
func TestLegalHold(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	now := dbNow(t, s)

	// A hold set afterwards, on a version without retention.
	a, aID := putProtected(t, s, "lk", "a", Retention{}, false)
	for range 2 { // setting it twice is harmless
		if got, err := s.SetLegalHold(ctx, "lk", "a", "", true); err != nil || got != aID {
			t.Fatalf("SetLegalHold(a, on) = %q, %v; want %q", got, err, aID)
		}
	}
	if got, err := s.GetObject(ctx, "lk", "a"); err != nil || !got.LegalHold || !got.Retention.IsZero() {
		t.Fatalf("GetObject(a) = hold %v retention %+v, %v; want a hold only", got.LegalHold, got.Retention, err)
	}
	// A hold given at PUT, on top of a GOVERNANCE retention.
	gr := at(Governance, now.Add(time.Hour))
	b, bID := putProtected(t, s, "lk", "b", gr, true)
	if l := lockRow(t, s, "lk", "b", bID); !l.is(gr, true) {
		t.Fatalf("b stored %v, want %+v with hold", l, gr)
	}
	for _, v := range []struct {
		obj Object
		id  string
	}{{a, aID}, {b, bID}} {
		for _, bypass := range []bool{false, true} {
			_, err := s.DeleteObject(ctx, "lk", v.obj.Key, DeleteOptions{VersionID: v.id, BypassGovernance: bypass})
			if !errors.Is(err, ErrObjectLocked) {
				t.Fatalf("DeleteObject(%s under hold, bypass %v) = %v, want ErrObjectLocked", v.obj.Key, bypass, err)
			}
			checkKept(t, "under hold", s, v.obj, v.id)
		}
	}
	// Lifting the hold is no retention change: the bypass is not needed.
	for _, key := range []string{"a", "b"} {
		if _, err := s.SetLegalHold(ctx, "lk", key, "", false); err != nil {
			t.Fatalf("SetLegalHold(%s, off) = %v", key, err)
		}
	}
	if res, err := s.DeleteObject(ctx, "lk", "a", DeleteOptions{VersionID: aID}); err != nil || !res.Existed {
		t.Fatalf("DeleteObject(a, hold lifted) = %+v, %v; want it deleted", res, err)
	}
	checkGone(t, "a after the hold", s, a, aID)
	// b's GOVERNANCE retention remains, and gives way to the bypass only.
	if _, err := s.DeleteObject(ctx, "lk", "b", DeleteOptions{VersionID: bID}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("DeleteObject(b, hold lifted, GOVERNANCE left) = %v, want ErrObjectLocked", err)
	}
	if res, err := s.DeleteObject(ctx, "lk", "b", DeleteOptions{VersionID: bID, BypassGovernance: true}); err != nil || !res.Existed {
		t.Fatalf("DeleteObject(b, bypass) = %+v, %v; want it deleted", res, err)
	}
	checkGone(t, "b after the hold", s, b, bID)
	checkBlobAccounting(t, s)
}

// TestRetentionExpiresByTheDatabaseClock proves a retention ends when the
// database's clock passes it, as read at the start of the deleting
// transaction: a transaction begun before the end is still refused after
// it; a new one succeeds. And the store itself never consults the Go
// clock: a retention already past may be set (s3api's retention refuses
// past dates: "The retain until date must be in the future!") and
// protects nothing.
func TestRetentionExpiresByTheDatabaseClock(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	r := at(Compliance, dbNow(t, s).Add(600*time.Millisecond))
	obj, id := putProtected(t, s, "lk", "k", r, false)
	obj2, id2 := putProtected(t, s, "lk", "k2", r, false)
	if _, err := s.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: id, BypassGovernance: true}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("DeleteObject before the end = %v, want ErrObjectLocked", err)
	}

	early, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Rollback(ctx)
	var started time.Time
	if err := early.QueryRow(ctx, `SELECT now()`).Scan(&started); err != nil || !started.Before(r.Until) {
		t.Fatalf("early transaction began at %v (%v), want before %v", started, err, r.Until)
	}
	waitDBPast(t, s, r.Until)
	_, err = early.Exec(ctx, `DELETE FROM objects WHERE bucket = 'lk' AND key = 'k' AND version_id = $1`, id)
	if sqlState(err) != codeObjectLocked {
		t.Fatalf("deleting in a transaction begun before the end = %v, want SQLSTATE %s", err, codeObjectLocked)
	}
	early.Rollback(ctx)

	// The COMPLIANCE retention is over: removing it needs no bypass, and
	// the version may be deleted by anyone.
	if _, err := s.SetRetention(ctx, "lk", "k2", id2, Retention{}, false); err != nil {
		t.Fatalf("removing an expired COMPLIANCE retention = %v", err)
	}
	for _, v := range []struct {
		obj Object
		id  string
	}{{obj, id}, {obj2, id2}} {
		if res, err := s.DeleteObject(ctx, "lk", v.obj.Key, DeleteOptions{VersionID: v.id}); err != nil || !res.Existed {
			t.Fatalf("DeleteObject(%s) after the end = %+v, %v; want it deleted", v.obj.Key, res, err)
		}
		checkGone(t, "after the end", s, v.obj, v.id)
	}

	// A retention in the past, which the store takes as given.
	p, pID := putProtected(t, s, "lk", "p", Retention{}, false)
	pastR := at(Compliance, dbNow(t, s).Add(-time.Hour))
	if got, err := s.SetRetention(ctx, "lk", "p", "", pastR, false); err != nil || got != pID {
		t.Fatalf("SetRetention(past date) = %q, %v; want it set", got, err)
	}
	if l := lockRow(t, s, "lk", "p", pID); !l.is(pastR, false) {
		t.Fatalf("stored %v, want %+v", l, pastR)
	}
	if _, err := s.DeleteObject(ctx, "lk", "p", DeleteOptions{VersionID: pID}); err != nil {
		t.Fatalf("DeleteObject under a past COMPLIANCE retention = %v, want it deleted", err)
	}
	checkGone(t, "past retention", s, p, pID)
	checkBlobAccounting(t, s)
}

// TestDefaultRetention proves a version written without a retention in a
// bucket with a default one gets it, computed from the database's clock
// at the write, and that an explicit retention overrides it.
func TestDefaultRetention(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	mustCreateBucket(t, s, "plain")

	// put writes a version of key with r and hold, and returns its stored
	// lock and the database clock just before and after the write.
	put := func(key string, r Retention, hold bool) (lockState, time.Time, time.Time) {
		t.Helper()
		before := dbNow(t, s)
		_, id := putProtected(t, s, "lk", key, r, hold)
		after := dbNow(t, s)
		return lockRow(t, s, "lk", key, id), before, after
	}
	checkDefault := func(what string, l lockState, before, after time.Time, mode string, years, days int, hold bool) {
		t.Helper()
		lo, hi := dbAdd(t, s, before, years, days), dbAdd(t, s, after, years, days)
		if !l.Exists || l.Mode != mode || l.Until.Before(lo) || l.Until.After(hi) || l.Hold != hold {
			t.Fatalf("%s: stored %v, want %s until between %s and %s, hold %v", what, l, mode,
				lo.UTC().Format(time.RFC3339Nano), hi.UTC().Format(time.RFC3339Nano), hold)
		}
	}

	l, _, _ := put("none", Retention{}, false)
	if !l.is(Retention{}, false) {
		t.Fatalf("no default: stored %v, want no retention", l)
	}

	mustSetLockConfig(t, s, "lk", DefaultRetention{Mode: Governance, Days: 1})
	l, before, after := put("d1", Retention{}, false)
	checkDefault("GOVERNANCE 1 day", l, before, after, Governance, 0, 1, false)
	if got, err := s.GetObject(ctx, "lk", "d1"); err != nil || got.Retention.Mode != Governance || !got.Retention.Until.Equal(l.Until) {
		t.Fatalf("GetObject(d1) retention = %+v, %v; want the stored %v", got.Retention, err, l)
	}
	l, before, after = put("d1hold", Retention{}, true)
	checkDefault("GOVERNANCE 1 day with a hold", l, before, after, Governance, 0, 1, true)

	// An explicit retention, shorter or longer, in either mode, wins.
	for _, r := range []Retention{
		at(Compliance, before.Add(time.Hour)),
		at(Governance, before.Add(72*time.Hour)),
	} {
		if l, _, _ := put("explicit-"+r.Mode, r, false); !l.is(r, false) {
			t.Fatalf("explicit %+v: stored %v", r, l)
		}
	}

	mustSetLockConfig(t, s, "lk", DefaultRetention{Mode: Compliance, Years: 2})
	l, before, after = put("y2", Retention{}, false)
	checkDefault("COMPLIANCE 2 years", l, before, after, Compliance, 2, 0, false)
	if l.Until.Before(before.AddDate(2, 0, -1)) {
		t.Fatalf("2-year default ends %s, not two years after %s", l.Until, before)
	}

	mustSetLockConfig(t, s, "lk", DefaultRetention{})
	if l, _, _ := put("cleared", Retention{}, false); !l.is(Retention{}, false) {
		t.Fatalf("default cleared: stored %v, want no retention", l)
	}
	// A bucket without object lock has no default.
	obj := newObject(t, "plain", "k", 1)
	mustPut(t, s, obj)
	if l := lockRow(t, s, "plain", "k", NullVersion); !l.is(Retention{}, false) {
		t.Fatalf("plain bucket: stored %v, want no retention", l)
	}
}

// TestObjectLockRequestErrors proves SetRetention and SetLegalHold name
// the version they changed (the latest when no version ID is given), and
// refuse, changing nothing, in a bucket without object lock, a missing
// bucket, key or version, a delete marker, and an invalid version ID or
// key.
func TestObjectLockRequestErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	mustCreateBucket(t, s, "plain")
	mustCreateBucket(t, s, "ver")
	mustSetVersioning(t, s, "ver", VersioningEnabled)
	mustPut(t, s, newObject(t, "plain", "k", 1))
	mustPut(t, s, newObject(t, "ver", "k", 1))
	_, v1 := putProtected(t, s, "lk", "k", Retention{}, false)
	_, v2 := putProtected(t, s, "lk", "k", Retention{}, false)
	_, g1 := putProtected(t, s, "lk", "gone", Retention{}, false)
	marker := mustDeleteObject(t, s, "lk", "gone", "").VersionID
	r := at(Governance, dbNow(t, s).Add(time.Hour))

	ops := []struct {
		name string
		do   func(bucket, key, versionID string) (string, error)
	}{
		{"SetRetention", func(b, k, v string) (string, error) { return s.SetRetention(ctx, b, k, v, r, false) }},
		{"SetLegalHold", func(b, k, v string) (string, error) { return s.SetLegalHold(ctx, b, k, v, true) }},
	}
	cases := []struct {
		name              string
		bucket, key, vers string
		want              error
		marker            string // the *DeleteMarkerError's version, if one
	}{
		{"bucket without object lock", "plain", "k", "", ErrNoObjectLock, ""},
		{"versioned bucket without object lock", "ver", "k", "", ErrNoObjectLock, ""},
		{"missing key, no object lock", "plain", "nokey", "", ErrNoObjectLock, ""},
		{"missing bucket", "nob", "k", "", ErrNoSuchBucket, ""},
		{"missing key", "lk", "nokey", "", ErrNoSuchKey, ""},
		{"missing key by version", "lk", "nokey", v1, ErrNoSuchVersion, ""},
		{"unknown version", "lk", "k", NewVersionID(), ErrNoSuchVersion, ""},
		{"no null version", "lk", "k", NullVersion, ErrNoSuchVersion, ""},
		{"another key's version", "lk", "k", g1, ErrNoSuchVersion, ""},
		{"invalid version ID", "lk", "k", "v1", ErrInvalidVersionID, ""},
		{"upper-case version ID", "lk", "k", "ABCDEF0123456789ABCDEF0123456789", ErrInvalidVersionID, ""},
		{"empty key", "lk", "", "", ErrInvalidKey, ""},
		{"latest is a delete marker", "lk", "gone", "", ErrNoSuchKey, marker},
		{"delete marker by ID", "lk", "gone", marker, ErrNoSuchKey, marker},
	}
	for _, op := range ops {
		for _, c := range cases {
			id, err := op.do(c.bucket, c.key, c.vers)
			if !errors.Is(err, c.want) || id != "" {
				t.Errorf("%s(%s): %q, %v; want %v", op.name, c.name, id, err, c.want)
				continue
			}
			var dm *DeleteMarkerError
			if isMarker := errors.As(err, &dm); isMarker != (c.marker != "") {
				t.Errorf("%s(%s): %v; delete marker error %v, want %v", op.name, c.name, err, isMarker, c.marker != "")
			} else if isMarker && (dm.VersionID != c.marker || dm.ByVersionID != (c.vers != "") || dm.LastModified.IsZero()) {
				t.Errorf("%s(%s): %+v; want marker %s, ByVersionID %v, its LastModified", op.name, c.name, *dm, c.marker, c.vers != "")
			}
		}
	}
	if n := count(t, s, `SELECT count(*) FROM objects WHERE lock_mode IS NOT NULL OR lock_until IS NOT NULL OR legal_hold`); n != 0 {
		t.Fatalf("%d rows got a protection from refused requests", n)
	}
	if _, err := s.SetRetention(ctx, "lk", "k", "", Retention{Mode: "governance", Until: r.Until}, false); err == nil || errors.Is(err, ErrObjectLocked) {
		t.Fatalf("SetRetention(mode governance) = %v, want a validation error", err)
	}

	// The version changed is the one named, or the latest.
	for _, st := range []struct {
		op, vers, want string
	}{{"SetRetention", "", v2}, {"SetRetention", v1, v1}, {"SetLegalHold", "", v2}, {"SetLegalHold", v1, v1}} {
		var (
			id  string
			err error
		)
		if st.op == "SetRetention" {
			id, err = s.SetRetention(ctx, "lk", "k", st.vers, r, false)
		} else {
			id, err = s.SetLegalHold(ctx, "lk", "k", st.vers, true)
		}
		if err != nil || id != st.want {
			t.Fatalf("%s(k, %q) = %q, %v; want %q", st.op, st.vers, id, err, st.want)
		}
	}
	for _, id := range []string{v1, v2} {
		if l := lockRow(t, s, "lk", "k", id); !l.is(r, true) {
			t.Fatalf("version %s stored %v, want %+v with hold", id, l, r)
		}
	}
	if l := lockRow(t, s, "lk", "gone", marker); !l.is(Retention{}, false) {
		t.Fatalf("the delete marker stored %v, want nothing", l)
	}
}

// TestMultipartUploadCarriesLock proves an upload's retention and hold
// are stored with it, reported by GetUpload, and given to the object its
// completion writes; an upload without them gets the bucket's default.
func TestMultipartUploadCarriesLock(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "b") // objectOf and mustPutPart write b/k
	r := at(Compliance, dbNow(t, s).Add(time.Hour))

	complete := func(u Upload) (Object, string) {
		t.Helper()
		if err := s.CreateUpload(ctx, u); err != nil {
			t.Fatalf("CreateUpload(%s): %v", u.ID, err)
		}
		got, err := s.GetUpload(ctx, "b", "k", u.ID)
		if err != nil || got.Retention.Mode != u.Retention.Mode || !got.Retention.Until.Equal(u.Retention.Until) || got.LegalHold != u.LegalHold {
			t.Fatalf("GetUpload(%s) = retention %+v hold %v, %v; want %+v, %v", u.ID, got.Retention, got.LegalHold, err, u.Retention, u.LegalHold)
		}
		parts := []UploadPart{newPart(t, 1, 5), newPart(t, 2, 6)}
		for _, p := range parts {
			mustPutPart(t, s, u.ID, p)
		}
		obj := objectOf(parts...)
		obj.Retention, obj.LegalHold = Retention{}, false // the upload's are used, not obj's
		res, err := s.CompleteUpload(ctx, u.ID, obj, Precondition{})
		if err != nil {
			t.Fatalf("CompleteUpload(%s): %v", u.ID, err)
		}
		return obj, res.VersionID
	}

	obj, id := complete(Upload{ID: "up1", Bucket: "b", Key: "k", Retention: r, LegalHold: true})
	if l := lockRow(t, s, "b", "k", id); !l.is(r, true) {
		t.Fatalf("completed object stored %v, want %+v with hold", l, r)
	}
	if got, err := s.GetObject(ctx, "b", "k"); err != nil || got.Retention.Mode != Compliance || !got.Retention.Until.Equal(r.Until) || !got.LegalHold {
		t.Fatalf("GetObject = retention %+v hold %v, %v", got.Retention, got.LegalHold, err)
	}
	if _, err := s.DeleteObject(ctx, "b", "k", DeleteOptions{VersionID: id, BypassGovernance: true}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("DeleteObject(completed locked object) = %v, want ErrObjectLocked", err)
	}
	checkKept(t, "completed upload", s, obj, id)

	mustSetLockConfig(t, s, "b", DefaultRetention{Mode: Governance, Days: 1})
	before := dbNow(t, s)
	_, id2 := complete(Upload{ID: "up2", Bucket: "b", Key: "k"})
	after := dbNow(t, s)
	l := lockRow(t, s, "b", "k", id2)
	if lo, hi := dbAdd(t, s, before, 0, 1), dbAdd(t, s, after, 0, 1); l.Mode != Governance || l.Until.Before(lo) || l.Until.After(hi) || l.Hold {
		t.Fatalf("upload without retention completed with %v, want the bucket's GOVERNANCE 1 day", l)
	}
	checkBlobAccounting(t, s)
}

// TestClaimDeletionsSkipsLockedBlobs simulates a bug that queues a locked
// version's blobs for deletion: ClaimDeletions must still never hand them
// out (while it does hand out a truly deleted version's), and
// FinishDeletion cannot drop them.
func TestClaimDeletionsSkipsLockedBlobs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	locked, lockedID := putProtected(t, s, "lk", "k", at(Compliance, dbNow(t, s).Add(time.Hour)), false)
	held, heldID := putProtected(t, s, "lk", "h", Retention{}, true)
	free, freeID := putProtected(t, s, "lk", "f", Retention{}, false)
	mustDeleteObject(t, s, "lk", "f", freeID)

	exec(t, s, `INSERT INTO deletion_queue (blob_id) SELECT blob_id FROM object_parts
		WHERE bucket = 'lk' AND version_id = ANY($1)`, []string{lockedID, heldID})
	if n := queuedTotal(t, s); n != 6 {
		t.Fatalf("%d blobs queued, want 6 (2 deleted, 4 wrongly)", n)
	}
	blobs, err := s.ClaimDeletions(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range blobs {
		got = append(got, b.ID.String())
	}
	var want []string
	for _, p := range free.Parts {
		want = append(want, p.Blob.ID.String())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("ClaimDeletions = %v, want only the deleted version's %v", got, want)
	}
	// Even after their lease would have run out.
	exec(t, s, `UPDATE deletion_queue SET claimed_until = now() - interval '1 second'`)
	blobs, err = s.ClaimDeletions(ctx, 100)
	if err != nil || len(blobs) != len(free.Parts) {
		t.Fatalf("second ClaimDeletions = %d blobs, %v; want the deleted version's %d again", len(blobs), err, len(free.Parts))
	}
	for _, p := range locked.Parts {
		if err := s.FinishDeletion(ctx, p.Blob.ID); err == nil {
			t.Errorf("FinishDeletion(a locked version's blob) succeeded")
		}
	}
	exec(t, s, `DELETE FROM deletion_queue WHERE blob_id = ANY($1)`, blobIDs(locked, held))
	checkKept(t, "after the GC", s, locked, lockedID)
	checkKept(t, "after the GC", s, held, heldID)
	checkBlobAccounting(t, s)
}

// TestObjectLockTriggersGuardSQL proves the protection is the database's:
// plain SQL that deletes a protected version or its parts, or weakens its
// retention, fails with SQLSTATE FLK01 (which the store reports as
// ErrObjectLocked), and floe.bypass_governance, local to its transaction,
// lets GOVERNANCE alone give way.
func TestObjectLockTriggersGuardSQL(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	now := dbNow(t, s)
	_, comp := putProtected(t, s, "lk", "k", at(Compliance, now.Add(time.Hour)), false)
	_, gov := putProtected(t, s, "lk", "k", at(Governance, now.Add(time.Hour)), false)
	_, held := putProtected(t, s, "lk", "k", Retention{}, true)
	_, free := putProtected(t, s, "lk", "k", Retention{}, false)

	const (
		delObject   = `DELETE FROM objects WHERE bucket = 'lk' AND key = 'k' AND version_id = $1`
		delParts    = `DELETE FROM object_parts WHERE bucket = 'lk' AND key = 'k' AND version_id = $1`
		shorten     = `UPDATE objects SET lock_until = lock_until - interval '1 minute' WHERE bucket = 'lk' AND version_id = $1`
		remove      = `UPDATE objects SET lock_mode = NULL, lock_until = NULL WHERE bucket = 'lk' AND version_id = $1`
		toGov       = `UPDATE objects SET lock_mode = 'GOVERNANCE' WHERE bucket = 'lk' AND version_id = $1`
		delAll      = `DELETE FROM objects WHERE bucket = 'lk' AND version_id <> $1`
		delAllParts = `DELETE FROM object_parts WHERE bucket = 'lk' AND version_id <> $1`
	)
	cases := []struct {
		sql     string
		version string
		bypass  bool
		locked  bool
	}{
		{delObject, comp, false, true},
		{delObject, comp, true, true},
		{delParts, comp, false, true},
		{delParts, comp, true, true},
		{shorten, comp, true, true},
		{remove, comp, true, true},
		{toGov, comp, true, true},
		{delObject, gov, false, true},
		{delObject, gov, true, false},
		{delParts, gov, false, true},
		{delParts, gov, true, false},
		{shorten, gov, false, true},
		{shorten, gov, true, false},
		{remove, gov, false, true},
		{remove, gov, true, false},
		{delObject, held, false, true},
		{delObject, held, true, true},
		{delParts, held, true, true},
		{delObject, free, false, false},
		{delParts, free, false, false},
		{delAll, free, true, true}, // one protected row fails the whole statement
		{delAllParts, free, true, true},
	}
	for _, c := range cases {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.bypass {
			if _, err := tx.Exec(ctx, `SELECT set_config('floe.bypass_governance', 'on', true)`); err != nil {
				t.Fatal(err)
			}
		}
		_, err = tx.Exec(ctx, c.sql, c.version)
		tx.Rollback(ctx) // leave every row as it was
		switch {
		case c.locked && sqlState(err) != codeObjectLocked:
			t.Errorf("%s [%s, bypass %v] = %v, want SQLSTATE %s", c.sql, c.version, c.bypass, err, codeObjectLocked)
		case c.locked && !errors.Is(lockError(err), ErrObjectLocked):
			t.Errorf("lockError(%v) is not ErrObjectLocked", err)
		case !c.locked && err != nil:
			t.Errorf("%s [%s, bypass %v] = %v, want it allowed", c.sql, c.version, c.bypass, err)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM objects WHERE bucket = 'lk'`); n != 4 {
		t.Fatalf("%d versions left, want all 4 (every case rolled back)", n)
	}

	// The bypass ends with its transaction, on the same connection.
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('floe.bypass_governance', 'on', true)`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, delObject, gov); sqlState(err) != codeObjectLocked {
		t.Fatalf("deleting the GOVERNANCE version after the bypass's transaction = %v, want SQLSTATE %s", err, codeObjectLocked)
	}
}

// TestConcurrentBypassDeleteAndComplianceUpgrade races a bypassing delete
// of a GOVERNANCE version against raising its retention to COMPLIANCE:
// one wins, wholly. Either the version is gone with its blobs queued (and
// the upgrade found no version), or it is COMPLIANCE with every blob (and
// the delete was refused).
func TestConcurrentBypassDeleteAndComplianceUpgrade(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateLockBucket(t, s, "lk")
	now := dbNow(t, s)
	gov, comp := at(Governance, now.Add(time.Hour)), at(Compliance, now.Add(2*time.Hour))
	const rounds = 24
	var deleted, upgraded int
	for i := range rounds {
		key := fmt.Sprintf("k%d", i)
		obj, id := putProtected(t, s, "lk", key, gov, false)
		// Another version, so the key's lock and promotion are exercised.
		_, other := putProtected(t, s, "lk", key, Retention{}, false)
		var (
			wg             sync.WaitGroup
			start          = make(chan struct{})
			delErr, setErr error
			setID          string
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, delErr = s.DeleteObject(ctx, "lk", key, DeleteOptions{VersionID: id, BypassGovernance: true})
		}()
		go func() {
			defer wg.Done()
			<-start
			setID, setErr = s.SetRetention(ctx, "lk", key, id, comp, true)
		}()
		close(start)
		wg.Wait()
		l := lockRow(t, s, "lk", key, id)
		switch {
		case delErr == nil && errors.Is(setErr, ErrNoSuchVersion):
			deleted++
			checkGone(t, key, s, obj, id)
			if n := count(t, s, `SELECT count(*) FROM objects WHERE bucket = 'lk' AND key = $1 AND lock_mode = 'COMPLIANCE'`, key); n != 0 {
				t.Fatalf("%s: deleted, yet %d COMPLIANCE rows", key, n)
			}
		case setErr == nil && setID == id && errors.Is(delErr, ErrObjectLocked):
			upgraded++
			if !l.is(comp, false) {
				t.Fatalf("%s: upgraded, yet stored %v", key, l)
			}
			checkKept(t, key, s, obj, id)
		default:
			t.Fatalf("%s: delete = %v, upgrade = %q, %v; stored %v: not one whole outcome", key, delErr, setID, setErr, l)
		}
		if rows := rowSummary(versionRows(t, s, "lk", key)); rows[len(rows)-1] != other+"*" {
			t.Fatalf("%s: rows %v, want %s latest", key, rows, other)
		}
	}
	t.Logf("%d rounds: %d deleted first, %d upgraded first", rounds, deleted, upgraded)
	checkBlobAccounting(t, s)
}

// TestLockValuesNeedALockBucket checks that the database refuses a
// retention or legal hold in a bucket without object lock, whichever path
// writes it.
func TestLockValuesNeedALockBucket(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "plain"); err != nil {
		t.Fatal(err)
	}
	obj := newObject(t, "plain", "k", 1)
	obj.LegalHold = true
	if _, err := s.PutObject(ctx, obj, nil, Precondition{}); !errors.Is(err, ErrNoObjectLock) {
		t.Fatalf("PutObject with a legal hold in a plain bucket: %v, want ErrNoObjectLock", err)
	}
	obj.LegalHold, obj.Retention = false, Retention{Mode: Governance, Until: time.Now().Add(time.Hour)}
	if _, err := s.PutObject(ctx, obj, nil, Precondition{}); !errors.Is(err, ErrNoObjectLock) {
		t.Fatalf("PutObject with a retention in a plain bucket: %v, want ErrNoObjectLock", err)
	}
	up := Upload{ID: "u1", Bucket: "plain", Key: "k", LegalHold: true}
	if err := s.CreateUpload(ctx, up); !errors.Is(err, ErrNoObjectLock) {
		t.Fatalf("CreateUpload with a legal hold in a plain bucket: %v, want ErrNoObjectLock", err)
	}
	if n := count(t, s, `SELECT count(*) FROM objects WHERE bucket = 'plain'`); n != 0 {
		t.Fatalf("%d objects stored", n)
	}
}
