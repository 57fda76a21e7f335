package repair_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata"
)

// TestLateRepairKeepsTheWinnersShard: a repairer whose lease ran out while
// another repaired the blob loses at FinishRepair; cleaning up what it
// wrote must not delete the winner's shard when both chose the same node
// (they do: both pick the most free node holding nothing of the blob).
func TestLateRepairKeepsTheWinnersShard(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	b := f.blob(t, "obj0")
	dead := f.node(t, b.Placement[2].ID)
	f.kill(dead)
	f.setNode(t, dead, metadata.NodeDead)
	if err := f.meta.EnqueueRepair(ctx, "node dead", b.ID); err != nil {
		t.Fatal(err)
	}
	// The late repairer claims first, with a lease that runs out at once.
	late, err := f.meta.ClaimRepairs(ctx, 1, time.Millisecond)
	if err != nil || len(late) != 1 {
		t.Fatalf("claim: %v, %v", late, err)
	}
	time.Sleep(20 * time.Millisecond)
	if st := runOnce(t, f.repairer(t)); st.Blobs != 1 || st.Shards != 1 {
		t.Fatalf("winner's stats %+v", st)
	}
	won := f.blob(t, "obj0")
	f.checkMoved(t, won, 2, dead.ID)

	_, err = f.repairer(t).Repair(ctx, late[0])
	if !errors.Is(err, metadata.ErrRepairConflict) {
		t.Fatalf("late repair: %v, want ErrRepairConflict", err)
	}
	if got := f.blob(t, "obj0"); got.Placement[2].ID != won.Placement[2].ID {
		t.Fatalf("shard 2 moved again, to %s", got.Placement[2].ID)
	}
	// The winner's copy is still there and whole.
	f.checkMoved(t, won, 2, dead.ID)
	// And needed: with M more nodes down every read uses it.
	f.kill(f.node(t, b.Placement[0].ID))
	f.kill(f.node(t, b.Placement[1].ID))
	f.mustRead(t)
}
