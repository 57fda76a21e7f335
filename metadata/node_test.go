package metadata

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

func TestNodes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if nodes, err := s.LiveNodes(ctx, time.Minute); err != nil || len(nodes) != 0 {
		t.Fatalf("LiveNodes of an empty table = %v, %v", nodes, err)
	}
	for _, n := range []NodeInfo{
		{ID: "n2", Addr: "10.0.0.2:9001", CapacityBytes: 100, FreeBytes: 50},
		{ID: "n1", Addr: "10.0.0.1:9001"},
		{ID: "n3", Addr: "10.0.0.3:9001", State: NodeDraining},
		{ID: "n4", Addr: "10.0.0.4:9001", State: NodeSuspect},
		{ID: "old", Addr: "10.0.0.5:9001"},
		{ID: "full", Addr: "10.0.0.6:9001", CapacityBytes: 100, FreeBytes: 0},
	} {
		if err := s.UpsertNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, s, `UPDATE nodes SET last_heartbeat = now() - interval '2 minutes' WHERE id = 'old'`)

	// A heartbeat with a new address and no state keeps the state.
	if err := s.UpsertNode(ctx, NodeInfo{ID: "n3", Addr: "10.0.0.33:9001", CapacityBytes: 7, FreeBytes: 6}); err != nil {
		t.Fatal(err)
	}
	nodes, err := s.ListNodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID, Addr, State string
		Cap, Free       int64
	}
	var got []row
	for _, n := range nodes {
		got = append(got, row{n.ID, n.Addr, n.State, n.CapacityBytes, n.FreeBytes})
		if time.Since(n.LastHeartbeat) > time.Hour {
			t.Errorf("node %s: heartbeat %v", n.ID, n.LastHeartbeat)
		}
	}
	want := []row{
		{"full", "10.0.0.6:9001", NodeAlive, 100, 0},
		{"n1", "10.0.0.1:9001", NodeAlive, 0, 0},
		{"n2", "10.0.0.2:9001", NodeAlive, 100, 50},
		{"n3", "10.0.0.33:9001", NodeDraining, 7, 6},
		{"n4", "10.0.0.4:9001", NodeSuspect, 0, 0},
		{"old", "10.0.0.5:9001", NodeAlive, 0, 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ListNodes =\n%v\nwant\n%v", got, want)
	}

	// Live and down split the nodes that are not draining.
	var (
		n1   = blobmeta.Node{ID: "n1", Addr: "10.0.0.1:9001"}
		n2   = blobmeta.Node{ID: "n2", Addr: "10.0.0.2:9001"}
		n4   = blobmeta.Node{ID: "n4", Addr: "10.0.0.4:9001"}
		old  = blobmeta.Node{ID: "old", Addr: "10.0.0.5:9001"}
		full = blobmeta.Node{ID: "full", Addr: "10.0.0.6:9001"}
	)
	tests := []struct {
		maxAge     time.Duration
		live, down []blobmeta.Node
	}{
		{time.Minute, []blobmeta.Node{n1, n2}, []blobmeta.Node{full, n4, old}},
		{time.Hour, []blobmeta.Node{n1, n2, old}, []blobmeta.Node{full, n4}},
	}
	for _, tt := range tests {
		live, err := s.LiveNodes(ctx, tt.maxAge)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(live, tt.live) {
			t.Errorf("LiveNodes(%v) = %v, want %v", tt.maxAge, live, tt.live)
		}
		down, err := s.DownNodes(ctx, tt.maxAge)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(down, tt.down) {
			t.Errorf("DownNodes(%v) = %v, want %v", tt.maxAge, down, tt.down)
		}
	}

	// A heartbeat brings the old node back; an explicit state is applied.
	if err := s.UpsertNode(ctx, NodeInfo{ID: "old", Addr: "10.0.0.5:9001"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertNode(ctx, NodeInfo{ID: "n2", Addr: "10.0.0.2:9001", State: NodeDead}); err != nil {
		t.Fatal(err)
	}
	live, err := s.LiveNodes(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if want := []blobmeta.Node{{ID: "n1", Addr: "10.0.0.1:9001"}, {ID: "old", Addr: "10.0.0.5:9001"}}; !reflect.DeepEqual(live, want) {
		t.Fatalf("LiveNodes after heartbeat = %v, want %v", live, want)
	}

	for _, bad := range []NodeInfo{{Addr: "x"}, {ID: "n9", Addr: "x", State: "sleepy"}} {
		if err := s.UpsertNode(ctx, bad); err == nil {
			t.Errorf("UpsertNode(%+v) succeeded", bad)
		}
	}
}
