package metadata

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
)

// queueBlobs stores n one-part objects and deletes them, queueing n blobs.
func queueBlobs(t *testing.T, s *Postgres, n int) map[blobmeta.ID]Blob {
	t.Helper()
	ctx := context.Background()
	mustCreateBucket(t, s, "gc")
	blobs := make(map[blobmeta.ID]Blob, n)
	for i := range n {
		obj := newObject(t, "gc", string(rune('a'+i%26))+string(rune('0'+i/26)), 1)
		mustPut(t, s, obj)
		if _, err := s.DeleteObject(ctx, "gc", obj.Key, DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		blobs[obj.Parts[0].Blob.ID] = obj.Parts[0].Blob
	}
	return blobs
}

func TestClaimDeletionsConcurrentlyDisjoint(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	// Two stores: two pools, as two gateways would have.
	var stores [2]*Postgres
	for i := range stores {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		stores[i] = s
	}
	const n = 120
	queued := queueBlobs(t, stores[0], n)

	var (
		mu      sync.Mutex
		claimed = map[blobmeta.ID]int{}
		wg      sync.WaitGroup
		start   = make(chan struct{})
		errs    = make(chan error, 2)
	)
	for _, s := range stores {
		wg.Go(func() {
			<-start
			for {
				blobs, err := s.ClaimDeletions(ctx, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(blobs) == 0 {
					return
				}
				mu.Lock()
				for _, b := range blobs {
					claimed[b.ID]++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(claimed) != n {
		t.Fatalf("%d blobs claimed, want %d", len(claimed), n)
	}
	for id, times := range claimed {
		if times != 1 {
			t.Errorf("blob %s claimed %d times", id, times)
		}
		if _, ok := queued[id]; !ok {
			t.Errorf("claimed blob %s was never queued", id)
		}
	}
}

func TestClaimDeletionLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.UpsertNode(ctx, NodeInfo{ID: "n1", Addr: "10.0.0.1:9001"}); err != nil {
		t.Fatal(err)
	}
	queued := queueBlobs(t, s, 3)

	s.lease = 300 * time.Millisecond
	blobs, err := s.ClaimDeletions(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(blobs) != 2 {
		t.Fatalf("claimed %d blobs, want 2", len(blobs))
	}
	for _, b := range blobs {
		want := queued[b.ID]
		if b.Manifest == nil || b.Manifest.Nonce != want.Manifest.Nonce || len(b.Placement) != 3 ||
			b.Placement[1].ID != "n1" || b.Placement[1].Addr != "10.0.0.1:9001" {
			t.Fatalf("claimed blob = %+v, want its manifest and placement", b)
		}
	}
	// Leased blobs are not handed out again; the third is.
	more, err := s.ClaimDeletions(ctx, 10)
	if err != nil || len(more) != 1 {
		t.Fatalf("second claim = %d blobs, %v; want the 1 unclaimed", len(more), err)
	}

	// Finish one. Its rows go; finishing again is harmless.
	done := blobs[0].ID
	for range 2 {
		if err := s.FinishDeletion(ctx, done); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []string{"blobs WHERE id", "shards WHERE blob_id", "deletion_queue WHERE blob_id"} {
		if n := count(t, s, `SELECT count(*) FROM `+table+` = $1`, done[:]); n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}

	// The lease of the unfinished one runs out, as if its claimer died,
	// and it comes back with a second attempt counted.
	time.Sleep(400 * time.Millisecond)
	again, err := s.ClaimDeletions(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []blobmeta.ID
	for _, b := range again {
		ids = append(ids, b.ID)
	}
	if len(ids) != 2 || !slices.Contains(ids, blobs[1].ID) || !slices.Contains(ids, more[0].ID) {
		t.Fatalf("after the lease: claimed %v, want %s and %s", ids, blobs[1].ID, more[0].ID)
	}
	if n := count(t, s, `SELECT attempts FROM deletion_queue WHERE blob_id = $1`, blobs[1].ID[:]); n != 2 {
		t.Fatalf("attempts = %d, want 2", n)
	}
}

func TestFinishDeletionKeepsLiveBlobs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	obj := newObject(t, "b", "k", 1)
	mustPut(t, s, obj)
	if err := s.FinishDeletion(ctx, obj.Parts[0].Blob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetObject(ctx, "b", "k"); err != nil {
		t.Fatalf("FinishDeletion of an unqueued blob broke its object: %v", err)
	}
}

func TestStaleIntents(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	s.lease = 300 * time.Millisecond
	mustCreateBucket(t, s, "b")
	obj := newObject(t, "b", "k", 2)
	nonce := obj.Parts[0].Blob.Manifest.Nonce[:]
	tests := []struct {
		nonce string
		nodes []string
		blob  *blobmeta.ID
		age   time.Duration
	}{
		{"old with blob", []string{"n0", "n1", "n2"}, &obj.Parts[0].Blob.ID, time.Hour},
		{"old without blob", []string{"n3"}, nil, 2 * time.Hour},
		{"fresh", []string{"n0"}, nil, 0},
	}
	for _, tt := range tests {
		if err := s.RecordIntent(ctx, []byte(tt.nonce), tt.nodes); err != nil {
			t.Fatal(err)
		}
		if tt.blob != nil {
			if err := s.SetIntentBlob(ctx, []byte(tt.nonce), *tt.blob); err != nil {
				t.Fatal(err)
			}
		}
		exec(t, s, `UPDATE write_intents SET created_at = now() - $2::bigint * interval '1 microsecond' WHERE nonce = $1`,
			[]byte(tt.nonce), interval(tt.age))
	}
	if err := s.RecordIntent(ctx, nonce, []string{"n0", "n1", "n2"}); err != nil {
		t.Fatal(err)
	}
	exec(t, s, `UPDATE write_intents SET created_at = now() - interval '3 hours' WHERE nonce = $1`, nonce)

	stale, err := s.StaleIntents(ctx, 30*time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) != 3 {
		t.Fatalf("%d stale intents, want 3", len(stale))
	}
	// Oldest first: the object's, then "old without blob", then "old with blob".
	if string(stale[0].Nonce) != string(nonce) || string(stale[1].Nonce) != "old without blob" || string(stale[2].Nonce) != "old with blob" {
		t.Fatalf("stale intents in wrong order: %q %q %q", stale[0].Nonce, stale[1].Nonce, stale[2].Nonce)
	}
	if stale[1].BlobID != nil || !slices.Equal(stale[1].NodeIDs, []string{"n3"}) {
		t.Errorf("intent without blob = %+v", stale[1])
	}
	if stale[2].BlobID == nil || *stale[2].BlobID != obj.Parts[0].Blob.ID || len(stale[2].NodeIDs) != 3 || stale[2].CreatedAt.IsZero() {
		t.Errorf("intent with blob = %+v", stale[2])
	}
	// Claimed intents are leased, not handed out twice...
	if again, err := s.StaleIntents(ctx, 30*time.Minute, 10); err != nil || len(again) != 0 {
		t.Fatalf("second StaleIntents = %d, %v; want none while leased", len(again), err)
	}
	// ...and their writes can no longer commit.
	if _, err := s.PutObject(ctx, obj, [][]byte{nonce}, Precondition{}); !errors.Is(err, ErrIntentExpired) {
		t.Fatalf("PutObject with a claimed intent: %v, want ErrIntentExpired", err)
	}
	if err := s.SetIntentBlob(ctx, nonce, obj.Parts[0].Blob.ID); !errors.Is(err, ErrIntentExpired) {
		t.Fatalf("SetIntentBlob of a claimed intent: %v, want ErrIntentExpired", err)
	}
	// A collector that died leaves the intent to another after the lease.
	time.Sleep(400 * time.Millisecond)
	again, err := s.StaleIntents(ctx, 30*time.Minute, 1)
	if err != nil || len(again) != 1 || string(again[0].Nonce) != string(nonce) {
		t.Fatalf("StaleIntents after the lease = %v, %v", again, err)
	}
	for _, in := range stale {
		if err := s.DeleteIntent(ctx, in.Nonce); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteIntent(ctx, nonce); err != nil {
		t.Fatalf("deleting a deleted intent: %v", err)
	}
	if n := count(t, s, `SELECT count(*) FROM write_intents`); n != 1 {
		t.Fatalf("%d intents left, want only the fresh one", n)
	}
}

// A commit racing a collector: exactly one of them wins the intent.
func TestIntentCommitRacesCollector(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	for i := range 20 {
		obj := newObject(t, "b", "k", 1)
		nonce := obj.Parts[0].Blob.Manifest.Nonce[:]
		if err := s.RecordIntent(ctx, nonce, []string{"n0", "n1", "n2"}); err != nil {
			t.Fatal(err)
		}
		var (
			putErr   error
			stale    []Intent
			staleErr error
			wg       sync.WaitGroup
		)
		wg.Go(func() { _, putErr = s.PutObject(ctx, obj, [][]byte{nonce}, Precondition{}) })
		wg.Go(func() { stale, staleErr = s.StaleIntents(ctx, -time.Hour, 10) })
		wg.Wait()
		if staleErr != nil || (putErr != nil && !errors.Is(putErr, ErrIntentExpired)) {
			t.Fatalf("round %d: put %v, stale %v", i, putErr, staleErr)
		}
		if committed, collected := putErr == nil, len(stale) == 1; committed == collected {
			t.Fatalf("round %d: committed %v, collected %v: want exactly one", i, committed, collected)
		}
		exec(t, s, `DELETE FROM write_intents`)
	}
}
