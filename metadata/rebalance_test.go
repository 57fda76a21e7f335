package metadata

import (
	"context"
	"fmt"
	"testing"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// blobOn returns a new RS(2+1) blob placed on nodes whose ID's first byte
// is below 0x80 if low, else at or above it: tests order blobs by ID.
func blobOn(t *testing.T, low bool, nodes ...string) Blob {
	t.Helper()
	for {
		b := newBlob(t, 3000)
		if (b.ID[0] < 0x80) != low {
			continue
		}
		b.Placement = b.Placement[:0]
		for _, n := range nodes {
			b.Placement = append(b.Placement, blobmeta.Node{ID: n})
		}
		return b
	}
}

// A node joins a cluster whose blobs span every old node (K+M = nodes-1,
// like RS 4+2 on 6 nodes then 7): a shard is only worth marking if its
// blob holds nothing on some node below the average; a shard of a blob
// already on the new node could only move to another loaded node.
func TestRebalanceMarksOnlyShardsThatCanReachAnUnderloadedNode(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	mustAliveNodes(t, s, "n0", "n1", "n2", "n3")
	mustCreateBucket(t, s, "bkt")
	put := func(key string, b Blob) {
		mustPut(t, s, Object{Bucket: "bkt", Key: key, Size: 3000, ETag: `"e"`,
			Parts: []Part{{Number: 1, Size: 3000, Blob: b}}})
	}
	// Written before n3 joined: on n0, n1, n2, sorting after the others.
	for i := range 6 {
		put(fmt.Sprint("old", i), blobOn(t, false, "n0", "n1", "n2"))
	}
	// Written after: each on n3 and two old nodes, sorting first, so a
	// planner that ignores where a shard can go marks these.
	for i, nodes := range [][]string{{"n0", "n1", "n3"}, {"n0", "n2", "n3"}, {"n1", "n2", "n3"}} {
		put(fmt.Sprint("new", i), blobOn(t, true, nodes...))
	}
	// Loads 8, 8, 8, 3: average 6.75, limit 7.4; each old node sheds 1.
	for _, tt := range []struct {
		name string
		dry  bool
	}{{"dry run", true}, {"for real", false}} {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := s.Rebalance(ctx, false, 0.1, tt.dry)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Marked() != 3 || plan.Average != 6.75 {
				t.Fatalf("plan marks %d shards, average %v; want 3 and 6.75: %+v", plan.Marked(), plan.Average, plan.Nodes)
			}
			for _, nd := range plan.Nodes {
				if want := map[bool]int{true: 1, false: 0}[nd.ID != "n3"]; nd.Marked != want {
					t.Errorf("node %s: %d marked, want %d", nd.ID, nd.Marked, want)
				}
			}
			marked := count(t, s, `SELECT count(*) FROM shards WHERE state = 'misplaced'`)
			// Every marked shard's blob has no shard on n3, where repair
			// can move it.
			useless := count(t, s, `SELECT count(*) FROM shards s WHERE s.state = 'misplaced'
				AND EXISTS (SELECT 1 FROM shards o WHERE o.blob_id = s.blob_id AND o.node_id = 'n3')`)
			queued := count(t, s, `SELECT count(*) FROM repair_queue`)
			want := map[bool]int{true: 0, false: 3}[tt.dry]
			if marked != want || queued != want || useless != 0 {
				t.Errorf("%d shards misplaced (%d of blobs already on n3), %d blobs queued; want %d, 0, %d",
					marked, useless, queued, want, want)
			}
		})
	}
}

// A node added to eleven equal ones leaves each only 9% above the new
// average, under a 10% threshold: the empty node is more than 10% below
// it, so every node above the average sheds its excess anyway.
func TestRebalanceFillsANodeFarBelowTheAverage(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const old = 11
	for i := range old + 1 {
		if err := s.UpsertNode(ctx, NodeInfo{ID: fmt.Sprintf("n%02d", i), Addr: "a:1", State: NodeAlive}); err != nil {
			t.Fatal(err)
		}
	}
	mustCreateBucket(t, s, "bkt")
	// 44 blobs of 3 shards on consecutive old nodes: 12 shards each.
	for i := range 4 * old {
		b := newBlob(t, 3000)
		for j := range b.Placement {
			b.Placement[j].ID = fmt.Sprintf("n%02d", (i+j)%old)
		}
		mustPut(t, s, Object{Bucket: "bkt", Key: fmt.Sprint("k", i), Size: 3000, ETag: `"e"`,
			Parts: []Part{{Number: 1, Size: 3000, Blob: b}}})
	}
	tests := []struct {
		name      string
		tolerance float64
		filling   bool
		marked    int
	}{
		// Average 11, limit 12.1, floor 9.9: n11 (0) is below it.
		{"10%", 0.1, true, old},
		// Floor 0: nothing is below it, and 12 is under the limit 22.
		{"100%", 1, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := s.Rebalance(ctx, false, tt.tolerance, true)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Average != 11 || plan.Filling != tt.filling || plan.Marked() != tt.marked {
				t.Fatalf("average %v, filling %v, %d marked; want 11, %v, %d: %+v",
					plan.Average, plan.Filling, plan.Marked(), tt.filling, tt.marked, plan.Nodes)
			}
		})
	}
	plan, err := s.Rebalance(ctx, false, 0.1, false)
	if err != nil || plan.Marked() != old {
		t.Fatalf("rebalance: %d marked, %v", plan.Marked(), err)
	}
	if n := count(t, s, `SELECT count(DISTINCT node_id) FROM shards WHERE state = 'misplaced'`); n != old {
		t.Errorf("misplaced shards on %d nodes, want one on each of the %d old ones", n, old)
	}
	// Run again: the marked shards count as gone; nothing more to do.
	if plan, err := s.Rebalance(ctx, false, 0.1, false); err != nil || plan.Marked() != 0 {
		t.Errorf("second rebalance: %d marked, %v; want 0", plan.Marked(), err)
	}
}
