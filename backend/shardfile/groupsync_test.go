package shardfile

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// TestGroupSyncRounds checks the group-commit rule: a caller that asks
// while a round runs is not released by that round, and one round serves
// every caller that was waiting when it began.
func TestGroupSyncRounds(t *testing.T) {
	g, err := newGroupSync(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	started := make(chan int, 10)
	release := make(chan error)
	var mu sync.Mutex
	rounds := 0
	g.syncfs = func(*os.File) error {
		mu.Lock()
		rounds++
		n := rounds
		mu.Unlock()
		started <- n
		return <-release
	}

	first := make(chan error, 1)
	go func() { first <- g.sync() }()
	if n := <-started; n != 1 {
		t.Fatalf("round %d started, want 1", n)
	}
	// Three callers arrive while round 1 runs.
	late := make(chan error, 3)
	for range 3 {
		go func() { late <- g.sync() }()
	}
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.waiting) == 3 })
	release <- nil
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-late:
		t.Fatalf("a caller that came during round 1 returned (%v) with it", err)
	default:
	}
	// One more round serves all three, and its error reaches each.
	if n := <-started; n != 2 {
		t.Fatalf("round %d started, want 2", n)
	}
	boom := errors.New("disk gone")
	release <- boom
	for range 3 {
		if err := <-late; !errors.Is(err, boom) {
			t.Fatalf("late caller: %v, want the round's error", err)
		}
	}
	if rounds != 2 {
		t.Fatalf("%d rounds for 4 callers in 2 waves, want 2", rounds)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupSyncCommits commits shards from many writers to a store with
// group syncs and reads every one back.
func TestGroupSyncCommits(t *testing.T) {
	if !haveSyncFS {
		t.Skip("no syncfs(2) here")
	}
	s, err := OpenWith(t.TempDir(), Options{GroupSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	params := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 1, M: 3, StripeSize: 4096}
	var wg sync.WaitGroup
	blobs := make([]*blobtest.Blob, 40)
	for i := range blobs {
		blobs[i] = blobtest.Encode(t, params, uint64(i), 1000+i)
	}
	for _, b := range blobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tryPut(s, b, 2, b.Manifest); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, b := range blobs {
		sh, err := s.OpenShard(b.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := sh.Verify(); err != nil {
			t.Fatal(err)
		}
		sh.Close()
	}
	if s.Count() != int64(len(blobs)) {
		t.Fatalf("count %d, want %d", s.Count(), len(blobs))
	}
	tmpEmpty(t, s)
}
