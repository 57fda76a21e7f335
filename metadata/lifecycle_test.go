package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

const testRules = `{"rules": [{"status": "Enabled", "expiration": {"days": 1}}]}`

// mustSetLifecycle gives bucket rules.
func mustSetLifecycle(t testing.TB, s *Postgres, bucket, rules string) {
	t.Helper()
	if err := s.SetBucketLifecycle(context.Background(), bucket, []byte(rules)); err != nil {
		t.Fatalf("SetBucketLifecycle(%s): %v", bucket, err)
	}
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return fmt.Sprint(va) == fmt.Sprint(vb)
}

func TestLifecycleRulesRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")

	if got, err := s.BucketLifecycle(ctx, "b"); err != nil || got != nil {
		t.Fatalf("BucketLifecycle of a new bucket = %s, %v; want nil, nil", got, err)
	}
	mustSetLifecycle(t, s, "b", testRules)
	got, err := s.BucketLifecycle(ctx, "b")
	if err != nil || !jsonEqual(t, got, []byte(testRules)) {
		t.Fatalf("BucketLifecycle = %s, %v; want %s", got, err, testRules)
	}
	if n := count(t, s, `SELECT count(*) FROM lifecycle_runs WHERE bucket = 'b'`); n != 1 {
		t.Fatalf("%d lifecycle_runs rows for a bucket with rules, want 1", n)
	}

	// New rules replace the old and keep the run's row (and its place).
	exec(t, s, `UPDATE lifecycle_runs SET key_marker = 'k' WHERE bucket = 'b'`)
	other := `{"rules": [{"id": "x", "status": "Disabled", "expiration": {"days": 7}}]}`
	mustSetLifecycle(t, s, "b", other)
	if got, err := s.BucketLifecycle(ctx, "b"); err != nil || !jsonEqual(t, got, []byte(other)) {
		t.Fatalf("BucketLifecycle after replacing = %s, %v; want %s", got, err, other)
	}
	if n := count(t, s, `SELECT count(*) FROM lifecycle_runs WHERE bucket = 'b' AND key_marker = 'k'`); n != 1 {
		t.Fatalf("replacing the rules lost the run's row or place (%d rows)", n)
	}

	// nil removes them, and the run.
	if err := s.SetBucketLifecycle(ctx, "b", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.BucketLifecycle(ctx, "b"); err != nil || got != nil {
		t.Fatalf("BucketLifecycle after removing = %s, %v; want nil, nil", got, err)
	}
	if n := count(t, s, `SELECT count(*) FROM lifecycle_runs`); n != 0 {
		t.Fatalf("%d lifecycle_runs rows after the rules were removed", n)
	}
	if err := s.SetBucketLifecycle(ctx, "b", nil); err != nil {
		t.Fatalf("removing rules twice: %v", err)
	}

	// A missing bucket.
	if err := s.SetBucketLifecycle(ctx, "nope", []byte(testRules)); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("SetBucketLifecycle(missing) = %v, want ErrNoSuchBucket", err)
	}
	if err := s.SetBucketLifecycle(ctx, "nope", nil); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("SetBucketLifecycle(missing, nil) = %v, want ErrNoSuchBucket", err)
	}
	if _, err := s.BucketLifecycle(ctx, "nope"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("BucketLifecycle(missing) = %v, want ErrNoSuchBucket", err)
	}
	if n := count(t, s, `SELECT count(*) FROM lifecycle_runs`); n != 0 {
		t.Fatalf("%d lifecycle_runs rows after failed calls", n)
	}
	// Not JSON: refused by the column's type.
	if err := s.SetBucketLifecycle(ctx, "b", []byte("<xml/>")); err == nil {
		t.Fatal("SetBucketLifecycle took rules that are not JSON")
	}
}

// mustClaim claims a run and fails t unless one was due.
func mustClaim(t testing.TB, s *Postgres, every, lease time.Duration) LifecycleRun {
	t.Helper()
	run, ok, err := s.ClaimLifecycleRun(context.Background(), every, lease)
	if err != nil || !ok {
		t.Fatalf("ClaimLifecycleRun = %v, %v; want a run", ok, err)
	}
	return run
}

// mustNotClaim fails t if a run is due.
func mustNotClaim(t testing.TB, s *Postgres, every, lease time.Duration, why string) {
	t.Helper()
	run, ok, err := s.ClaimLifecycleRun(context.Background(), every, lease)
	if err != nil || ok {
		t.Fatalf("%s: ClaimLifecycleRun = %+v, %v, %v; want none", why, run, ok, err)
	}
}

func TestClaimLifecycleRun(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const every, lease = 300 * time.Millisecond, time.Minute
	mustNotClaim(t, s, every, lease, "no buckets")
	mustCreateBucket(t, s, "b")
	mustCreateBucket(t, s, "none") // no rules: never due
	mustNotClaim(t, s, every, lease, "no rules")

	mustSetLifecycle(t, s, "b", testRules)
	before, err := s.DatabaseNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	run := mustClaim(t, s, every, lease)
	if run.Bucket != "b" || !jsonEqual(t, run.Rules, []byte(testRules)) || run.KeyMarker != "" || run.VersionMarker != "" {
		t.Fatalf("claimed %+v", run)
	}
	if run.Now.Before(before) || run.Now.After(before.Add(time.Minute)) {
		t.Fatalf("run.Now = %v, database clock was %v before", run.Now, before)
	}
	mustNotClaim(t, s, every, lease, "leased")
	mustNotClaim(t, s, 0, lease, "leased, every 0")

	// Progress extends the lease; finishing ends it.
	if err := s.SaveLifecycleRun(ctx, "b", "k1", "v1", lease); err != nil {
		t.Fatal(err)
	}
	mustNotClaim(t, s, every, lease, "progress saved")
	if err := s.SaveLifecycleRun(ctx, "b", "", "", lease); err != nil {
		t.Fatal(err)
	}
	mustNotClaim(t, s, every, lease, "just finished")
	var finished time.Time
	if err := s.pool.QueryRow(ctx, `SELECT finished_at FROM lifecycle_runs WHERE bucket = 'b'
		AND claimed_until IS NULL AND key_marker IS NULL AND version_marker IS NULL`).Scan(&finished); err != nil {
		t.Fatalf("the finished run's row: %v", err)
	}

	// Due again once every has passed since it finished.
	deadline := time.Now().Add(10 * time.Second)
	for {
		run, ok, err := s.ClaimLifecycleRun(ctx, every, lease)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if run.Bucket != "b" || run.KeyMarker != "" || run.VersionMarker != "" {
				t.Fatalf("claimed %+v", run)
			}
			if run.Now.Sub(finished) < every {
				t.Fatalf("claimed %v after the last run finished, every is %v", run.Now.Sub(finished), every)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a finished run never came due again")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Saving a missing bucket's run.
	if err := s.SaveLifecycleRun(ctx, "none", "k", "", lease); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("SaveLifecycleRun(no rules) = %v, want ErrNoSuchBucket", err)
	}
	if err := s.SaveLifecycleRun(ctx, "nope", "", "", lease); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("SaveLifecycleRun(missing) = %v, want ErrNoSuchBucket", err)
	}
}

// A run whose lease ran out (its gateway died) is claimed again and
// resumes from its saved place, even before every has passed.
func TestClaimLifecycleRunAfterLease(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetLifecycle(t, s, "b", testRules)
	const every, lease = time.Hour, 500 * time.Millisecond

	mustClaim(t, s, every, lease)
	if err := s.SaveLifecycleRun(ctx, "b", "key/with space", "v-1", lease); err != nil {
		t.Fatal(err)
	}
	mustNotClaim(t, s, every, time.Minute, "leased")
	deadline := time.Now().Add(10 * time.Second)
	for {
		run, ok, err := s.ClaimLifecycleRun(ctx, every, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if run.Bucket != "b" || run.KeyMarker != "key/with space" || run.VersionMarker != "v-1" {
				t.Fatalf("resumed %+v, want markers key/with space, v-1", run)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a run whose lease ran out was never claimed again")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mustNotClaim(t, s, every, time.Minute, "claimed again")

	// A key marker without a version marker (an unversioned listing's
	// place) comes back as it was.
	if err := s.SaveLifecycleRun(ctx, "b", "k", "", time.Minute); err != nil {
		t.Fatal(err)
	}
	exec(t, s, `UPDATE lifecycle_runs SET claimed_until = now() - interval '1 second'`)
	if run := mustClaim(t, s, every, time.Minute); run.KeyMarker != "k" || run.VersionMarker != "" {
		t.Fatalf("resumed %+v, want key marker k alone", run)
	}

	// A lease that ran out on a run that had not saved a place (it died
	// on its first page) is claimed again, from the start.
	if err := s.SaveLifecycleRun(ctx, "b", "", "", time.Minute); err != nil {
		t.Fatal(err)
	}
	exec(t, s, `UPDATE lifecycle_runs SET finished_at = now() - interval '2 hours'`)
	mustClaim(t, s, every, time.Minute)
	mustNotClaim(t, s, every, time.Minute, "claimed")
	exec(t, s, `UPDATE lifecycle_runs SET claimed_until = now() - interval '1 second'`)
	if run := mustClaim(t, s, every, time.Minute); run.KeyMarker != "" || run.VersionMarker != "" {
		t.Fatalf("reclaimed %+v, want no markers", run)
	}
}

// Runs are claimed oldest first: a bucket that never ran, then the one
// that finished longest ago.
func TestClaimLifecycleRunOrder(t *testing.T) {
	s := newStore(t)
	for _, b := range []string{"a", "b", "c"} {
		mustCreateBucket(t, s, b)
		mustSetLifecycle(t, s, b, testRules)
	}
	exec(t, s, `UPDATE lifecycle_runs SET finished_at = now() - interval '1 hour' WHERE bucket = 'a'`)
	exec(t, s, `UPDATE lifecycle_runs SET finished_at = now() - interval '2 hours' WHERE bucket = 'c'`)
	var got []string
	for range 3 {
		got = append(got, mustClaim(t, s, time.Minute, time.Minute).Bucket)
	}
	if want := []string{"b", "c", "a"}; !slices.Equal(got, want) {
		t.Fatalf("claimed %v, want %v", got, want)
	}
	mustNotClaim(t, s, time.Minute, time.Minute, "all claimed")
}

// Concurrent claimers (gateways) never get the same bucket.
func TestClaimLifecycleRunConcurrent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const buckets, claimers = 40, 8
	for i := range buckets {
		b := fmt.Sprintf("b%02d", i)
		mustCreateBucket(t, s, b)
		mustSetLifecycle(t, s, b, testRules)
	}
	var (
		mu      sync.Mutex
		claimed = map[string]int{}
		wg      sync.WaitGroup
		errs    = make(chan error, claimers)
	)
	claim := func() (bool, error) {
		run, ok, err := s.ClaimLifecycleRun(ctx, time.Hour, time.Hour)
		if err != nil || !ok {
			return false, err
		}
		mu.Lock()
		claimed[run.Bucket]++
		mu.Unlock()
		return true, nil
	}
	start := make(chan struct{})
	for range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				ok, err := claim()
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// A claimer may have given up early on a row another had just
	// claimed; what is left is claimed here.
	late := 0
	for {
		ok, err := claim()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		late++
	}
	t.Logf("%d of %d buckets were left by the concurrent claimers", late, buckets)
	if len(claimed) != buckets {
		t.Fatalf("%d buckets claimed, want %d", len(claimed), buckets)
	}
	for b, n := range claimed {
		if n != 1 {
			t.Errorf("bucket %s claimed %d times", b, n)
		}
	}
}

func TestDeleteBucketDeletesLifecycleRun(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetLifecycle(t, s, "b", testRules)
	mustClaim(t, s, time.Minute, time.Minute)
	if err := s.SaveLifecycleRun(ctx, "b", "k", "", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM lifecycle_runs`); n != 0 {
		t.Fatalf("%d lifecycle_runs rows after DeleteBucket", n)
	}
	if err := s.SaveLifecycleRun(ctx, "b", "", "", time.Minute); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("SaveLifecycleRun of a deleted bucket = %v, want ErrNoSuchBucket", err)
	}
	// A bucket of the same name starts with no rules and no run.
	mustCreateBucket(t, s, "b")
	if got, err := s.BucketLifecycle(ctx, "b"); err != nil || got != nil {
		t.Fatalf("BucketLifecycle of a recreated bucket = %s, %v", got, err)
	}
	mustNotClaim(t, s, 0, time.Minute, "recreated bucket")
}

func TestDatabaseNow(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a, err := s.DatabaseNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	b, err := s.DatabaseNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !b.After(a) {
		t.Fatalf("DatabaseNow went from %v to %v", a, b)
	}
	if d := time.Since(b); d > time.Hour || d < -time.Hour {
		t.Fatalf("DatabaseNow = %v, far from this clock's %v", b, time.Now())
	}
}

// TestLifecycleDeleteConditions checks the conditions lifecycle deletes
// with: an expiry names the latest version's LastModified and is refused
// once a newer write replaced it; a noncurrent removal is refused once the
// version became the latest.
func TestLifecycleDeleteConditions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.CreateBucket(ctx, "plain"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, newObject(t, "plain", "k", 10))
	seen, err := s.GetObject(ctx, "plain", "k")
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, newObject(t, "plain", "k", 20)) // written after the rule looked
	if _, err := s.DeleteObject(ctx, "plain", "k", DeleteOptions{LatestModified: seen.LastModified}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("expiring a replaced object = %v, want ErrPreconditionFailed", err)
	}
	now, err := s.GetObject(ctx, "plain", "k")
	if err != nil || now.Size != 20 {
		t.Fatalf("after the refused expiry: %+v, %v; want the 20-byte object", now, err)
	}
	if res, err := s.DeleteObject(ctx, "plain", "k", DeleteOptions{LatestModified: now.LastModified}); err != nil || !res.Existed {
		t.Fatalf("expiring the object the rule saw = %+v, %v", res, err)
	}

	if err := s.CreateBucket(ctx, "ver"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBucketVersioning(ctx, "ver", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	v1, err := s.PutObject(ctx, newObject(t, "ver", "k", 1), nil, Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.PutObject(ctx, newObject(t, "ver", "k", 2), nil, Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteObject(ctx, "ver", "k", DeleteOptions{VersionID: v2.VersionID, Noncurrent: true}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("removing the latest as noncurrent = %v, want ErrPreconditionFailed", err)
	}
	if _, err := s.DeleteObject(ctx, "ver", "k", DeleteOptions{VersionID: v1.VersionID, Noncurrent: true}); err != nil {
		t.Fatalf("removing a noncurrent version: %v", err)
	}
	if _, err := s.GetObjectVersion(ctx, "ver", "k", v2.VersionID); err != nil {
		t.Fatalf("the latest version after the refused removal: %v", err)
	}
}
