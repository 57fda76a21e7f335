package scrub_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/metadata"
)

// A healthy cluster's pass verifies every shard once (resuming page after
// page across claims) and finds and deletes nothing; then a flipped bit
// and a lost shard are found, marked and their blobs queued for repair,
// while every blob still reads back.
func TestScrubFindsCorruptAndMissingShards(t *testing.T) {
	e := newEnv(t, 6)
	var blobs []written
	for i := range 4 {
		blobs = append(blobs, e.put(uint64(i+1)))
	}
	s := e.scrubber(-1)       // even with no grace, nothing referenced is touched
	s.Slice = time.Nanosecond // one page per claim: every claim resumes a pass

	st := e.pass(s)
	if st.Checked != 24 || st.Corrupt != 0 || st.Missing != 0 || st.Orphans != 0 {
		t.Fatalf("healthy pass: %+v, want 24 checked and nothing found", st)
	}
	if got := e.files(); got != 24 {
		t.Fatalf("%d shards after a healthy pass, want 24", got)
	}
	if n, err := e.meta.RepairStatus(e.ctx); err != nil || n.Queued != 0 {
		t.Fatalf("repair queue after a healthy pass: %+v, %v", n, err)
	}

	corrupt, gone := blobs[1], blobs[2]
	e.corrupt(corrupt, 3)
	e.drop(gone, 0)
	st = e.pass(s)
	if st.Checked != 22 || st.Corrupt != 1 || st.Missing != 1 || st.Orphans != 0 {
		t.Fatalf("pass over damage: %+v, want 22 checked, 1 corrupt, 1 missing", st)
	}
	if got := e.shardState(corrupt.ID, 3); got != metadata.ShardCorrupt {
		t.Errorf("flipped shard is %q, want corrupt", got)
	}
	if got := e.shardState(gone.ID, 0); got != metadata.ShardMissing {
		t.Errorf("lost shard is %q, want missing", got)
	}
	for _, w := range blobs {
		want := w.ID == corrupt.ID || w.ID == gone.ID
		if e.queued(w.ID) != want {
			t.Errorf("blob %s queued for repair: %v, want %v", w.ID, !want, want)
		}
		e.readBack(w)
	}
	ps, err := e.meta.ListScrubProgress(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total metadata.ScrubCounts
	for _, p := range ps {
		total.Checked += p.Checked
		total.Corrupt += p.Corrupt
		total.Missing += p.Missing
		total.Orphans += p.Orphans
	}
	if total != (metadata.ScrubCounts{Checked: 46, Corrupt: 1, Missing: 1}) {
		t.Errorf("scrub_progress totals %+v, want 46 checked, 1 corrupt, 1 missing", total)
	}
	// Found once: the next pass skips what is already marked.
	if st := e.pass(s); st.Corrupt != 0 || st.Missing != 0 || st.Checked != 22 {
		t.Errorf("third pass: %+v, want 22 checked and nothing new", st)
	}
}

// Orphan shard files are deleted only when older than the grace and no
// write intent (by blob ID or by nonce) or deletion may still claim them.
func TestScrubDeletesOnlyDeadOrphans(t *testing.T) {
	e := newEnv(t, 6)
	kept := e.put(1)
	old := e.write(2, false) // a gateway crashed and its intent was collected
	e.age(old, 2*time.Hour)
	fresh := e.write(3, false)
	bound := e.write(4, true) // in flight: intent bound to its blob
	e.age(bound, 2*time.Hour)
	unbound := e.write(5, false) // in flight: intent known by nonce only
	if err := e.meta.RecordIntent(e.ctx, unbound.nonce, []string{"x"}); err != nil {
		t.Fatal(err)
	}
	e.age(unbound, 2*time.Hour)

	cases := []struct {
		name  string
		grace time.Duration
		gone  []written // deleted by this pass
		stay  []written
	}{
		{"grace 1h", time.Hour, []written{old}, []written{kept, fresh, bound, unbound}},
		{"no grace", -1, []written{fresh}, []written{kept, bound, unbound}},
	}
	for _, tc := range cases {
		st := e.pass(e.scrubber(tc.grace))
		if want := int64(6 * len(tc.gone)); st.Orphans != want || st.Checked != 6 || st.Corrupt+st.Missing != 0 {
			t.Fatalf("%s: %+v, want 6 checked and %d orphans deleted", tc.name, st, want)
		}
		for _, w := range tc.gone {
			for i := range w.Placement {
				if e.has(w, i) {
					t.Errorf("%s: shard %d of blob %d kept", tc.name, i, w.seed)
				}
			}
		}
		for _, w := range tc.stay {
			for i := range w.Placement {
				if !e.has(w, i) {
					t.Fatalf("%s: shard %d of blob %d deleted", tc.name, i, w.seed)
				}
			}
		}
	}
	e.readBack(kept)
	e.readBack(bound)
}

// Several scrubbers never hold the same node, a restarted pass takes the
// node from its scrubber (who then fails to save) and goes first, and a
// lease that runs out lets another scrubber take over.
func TestScrubClaims(t *testing.T) {
	e := newEnv(t, 3)
	ctx := e.ctx

	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		seen  = map[string]int{}
		none  int
		claim = make([]metadata.ScrubProgress, 5)
	)
	for i := range claim {
		wg.Go(func() {
			p, ok, err := e.meta.ClaimScrub(ctx, time.Minute, 0)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if !ok {
				none++
				return
			}
			seen[p.NodeID]++
			claim[i] = p
		})
	}
	wg.Wait()
	if len(seen) != 3 || none != 2 {
		t.Fatalf("5 concurrent claims over 3 nodes: %v and %d empty, want each node once", seen, none)
	}
	// Finish and release every pass; a claim's token follows its saves.
	for i := range claim {
		if claim[i].NodeID == "" {
			continue
		}
		if err := e.meta.SaveScrub(ctx, &claim[i], metadata.ScrubPassDone, metadata.ScrubCounts{Checked: 1}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := e.meta.ReleaseScrub(ctx, claim[i]); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := e.meta.ListScrubProgress(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if !p.ClaimedUntil.IsZero() || p.LastPassAt.IsZero() || p.Checked != 1 {
			t.Errorf("node %s after a saved, released pass: %+v", p.NodeID, p)
		}
	}

	// Every pass just finished: no node is due for an hour, unless restarted.
	if p, ok, err := e.meta.ClaimScrub(ctx, time.Minute, time.Hour); err != nil || ok {
		t.Fatalf("claim with every pass fresh: %+v %v %v, want none", p, ok, err)
	}
	restarted := ps[1].NodeID
	if err := e.meta.RestartScrub(ctx, restarted); err != nil {
		t.Fatal(err)
	}
	if p, ok, err := e.meta.ClaimScrub(ctx, time.Minute, time.Hour); err != nil || !ok || p.NodeID != restarted {
		t.Fatalf("claim after a restart: %+v %v %v, want node %s", p, ok, err, restarted)
	} else if err := e.meta.ReleaseScrub(ctx, p); err != nil {
		t.Fatal(err)
	}

	p, ok, err := e.meta.ClaimScrub(ctx, time.Minute, 0)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := e.meta.RestartScrub(ctx, p.NodeID); err != nil {
		t.Fatal(err)
	}
	if err := e.meta.SaveScrub(ctx, &p, "aa.1", metadata.ScrubCounts{}, time.Minute); !errors.Is(err, metadata.ErrScrubLeaseLost) {
		t.Fatalf("save after the pass was restarted: %v, want ErrScrubLeaseLost", err)
	}
	if err := e.meta.ReleaseScrub(ctx, p); err != nil {
		t.Fatal(err)
	}
	// Make the restarted node the most recently scrubbed: it still goes first.
	if _, err := e.meta.Pool().Exec(ctx, `UPDATE scrub_progress SET last_pass_at = now() + interval '1 hour' WHERE node_id = $1`, p.NodeID); err != nil {
		t.Fatal(err)
	}
	q, ok, err := e.meta.ClaimScrub(ctx, time.Millisecond, 0)
	if err != nil || !ok || q.NodeID != p.NodeID || q.Cursor != "" {
		t.Fatalf("claim after restart: %+v %v %v, want node %s at a new pass", q, ok, err, p.NodeID)
	}
	// Its lease runs out: another scrubber takes the node, the first loses it.
	time.Sleep(20 * time.Millisecond)
	var r metadata.ScrubProgress
	for {
		r, ok, err = e.meta.ClaimScrub(ctx, time.Minute, 0)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if r.NodeID == q.NodeID {
			break
		}
	}
	if err := e.meta.SaveScrub(ctx, &q, "aa.1", metadata.ScrubCounts{}, time.Minute); !errors.Is(err, metadata.ErrScrubLeaseLost) {
		t.Fatalf("save after the lease was taken: %v, want ErrScrubLeaseLost", err)
	}
	if err := e.meta.SaveScrub(ctx, &r, "aa.1", metadata.ScrubCounts{}, time.Minute); err != nil {
		t.Fatalf("the new holder cannot save: %v", err)
	}
}

// Verification is paced: the bytes verified in a slice stay within the
// rate times the time taken plus a second's burst and one shard.
func TestScrubRateBoundsPace(t *testing.T) {
	e := newEnv(t, 6)
	for i := range 6 {
		e.put(uint64(i + 1))
	}
	const rate = 1 << 20
	s := e.scrubber(time.Hour)
	s.Rate, s.Slice = rate, 2*time.Second
	var verified int64
	start := time.Now()
	for range 3 {
		st, err := s.Step(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		verified += st.Bytes
	}
	took := time.Since(start)
	const shard = blobSize / 4
	limit := int64(took.Seconds()*rate) + rate + shard
	if verified == 0 || verified > limit {
		t.Fatalf("verified %d bytes in %v at %d B/s, want 0 < bytes <= %d", verified, took, rate, limit)
	}
	ps, err := e.meta.ListScrubProgress(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var checked int64
	for _, p := range ps {
		checked += p.Checked
	}
	if checked*shard != verified {
		t.Errorf("scrub_progress counts %d shards checked, the steps verified %d bytes", checked, verified)
	}
	t.Logf("verified %d KiB in %v at a rate of %d KiB/s", verified>>10, took.Round(time.Millisecond), rate>>10)
}

// A node that stops answering is left alone while the others are
// scrubbed; when it comes back with a stale shard (its blob's row moved
// elsewhere while it was away) and its pass is restarted, it is scrubbed
// first and the stale shard is deleted.
func TestScrubReturningNode(t *testing.T) {
	e := newEnv(t, 6)
	a := e.put(1)
	e.put(2)
	s := e.scrubber(time.Hour)
	e.pass(s)

	nodeX := a.Placement[0]
	if !e.has(a, 0) {
		t.Fatalf("shard 0 of blob %s is not on node %s", a.ID, nodeX.ID)
	}
	e.tr.SetFault(nodeX.Addr, blob.Fault{Down: true})
	if err := e.meta.RestartScrub(e.ctx, nodeX.ID); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Step(e.ctx); err == nil || st.NodeID != nodeX.ID {
		t.Fatalf("step over the dead node: %+v, %v; want node %s failing", st, err, nodeX.ID)
	}
	if st, err := s.Step(e.ctx); err != nil || st.NodeID == nodeX.ID || st.NodeID == "" {
		t.Fatalf("step after the failure: %+v, %v; want another node", st, err)
	}

	// While it was away, repair moved its shard; the old copy is stale.
	if _, err := e.meta.Pool().Exec(e.ctx, `UPDATE shards SET node_id = 'elsewhere' WHERE blob_id = $1 AND idx = 0`, a.ID[:]); err != nil {
		t.Fatal(err)
	}
	e.aged.age(nodeX.Addr, a.ID, 0, 2*time.Hour)
	e.tr.SetFault(nodeX.Addr, blob.Fault{})
	// It was down long enough for the failed claim's lease to run out.
	if _, err := e.meta.Pool().Exec(e.ctx, `UPDATE scrub_progress SET claimed_until = NULL WHERE node_id = $1`, nodeX.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.meta.RestartScrub(e.ctx, nodeX.ID); err != nil {
		t.Fatal(err)
	}
	st, err := s.Step(e.ctx)
	if err != nil || st.NodeID != nodeX.ID || !st.PassDone || st.Orphans != 1 || st.Missing+st.Corrupt != 0 {
		t.Fatalf("step after the node's return: %+v, %v; want node %s's full pass deleting 1 orphan", st, err, nodeX.ID)
	}
	if e.has(a, 0) {
		t.Fatal("stale shard still on the node")
	}
}
