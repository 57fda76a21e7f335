package blob_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// rebuildSetup writes a blob on the first 6 of 8 nodes, leaving 2 spares.
func rebuildSetup(t *testing.T, seed uint64) (*cluster, *blob.Store, *blob.Result, []byte) {
	c := newCluster(8)
	s := newStore(t, c, blob.Options{})
	data := blobtest.RandBytes(seed, 5*stripe+123)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Put(ctx, bytes.NewReader(data), c.Nodes[:6], nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, s, res, data
}

func TestRebuild(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lost   []int
		killed bool // take the holders down; otherwise lose the shards behind their backs
	}{
		{"one shard, node killed", []int{1}, true},
		{"M shards dropped", []int{0, 4}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s, res, data := rebuildSetup(t, 11)
			for _, i := range tc.lost {
				if tc.killed {
					c.down(res, i)
				} else if err := c.Drop(res.Placement[i].Addr, res.ID, i); err != nil {
					t.Fatal(err)
				}
			}
			spares := c.Nodes[6:]
			targets := map[int]blobmeta.Node{}
			for j, i := range tc.lost {
				targets[i] = spares[j]
			}
			var sources []int
			for i := range 6 {
				if !slices.Contains(tc.lost, i) {
					sources = append(sources, i)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			st, err := s.Rebuild(ctx, blob.RebuildRequest{Manifest: res.Manifest, Placement: res.Placement, Sources: sources, Targets: targets})
			if err != nil {
				t.Fatal(err)
			}
			shardLen := res.Manifest.Size / 4
			if st.Rebuilt != len(tc.lost) || st.Copied != 0 {
				t.Fatalf("stats %+v, want %d rebuilt", st, len(tc.lost))
			}
			// K shards' worth of bytes read, whatever the number rebuilt.
			if st.BytesRead < 4*shardLen || st.BytesRead > 6*shardLen+1024 {
				t.Fatalf("read %d bytes to rebuild shards of %d bytes", st.BytesRead, shardLen)
			}
			newPlace := slices.Clone(res.Placement)
			for i, nd := range targets {
				info, err := c.ShardInfo(ctx, nd.Addr, res.ID, i, true)
				if err != nil || !info.Verified || info.Root != res.Manifest.ShardRoots[i] {
					t.Fatalf("rebuilt shard %d on %s: %+v, %v", i, nd.Addr, info, err)
				}
				newPlace[i] = nd
			}
			// Take down M nodes that still hold original shards, so the
			// rebuilt ones are needed to read.
			down := 0
			for i := range 6 {
				if down == 2 || slices.Contains(tc.lost, i) {
					continue
				}
				c.down(res, i)
				down++
			}
			moved := *res
			moved.Placement = newPlace
			mustRead(t, s, &moved, data, 0, -1)
		})
	}
}

func TestRebuildCopiesReadableShard(t *testing.T) {
	c, s, res, data := rebuildSetup(t, 12)
	spare := c.Nodes[6]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := s.Rebuild(ctx, blob.RebuildRequest{Manifest: res.Manifest, Placement: res.Placement,
		Sources: []int{0, 1, 2, 3, 4, 5}, Targets: map[int]blobmeta.Node{3: spare}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.ShardInfo(ctx, spare.Addr, res.ID, 3, true)
	if err != nil || !info.Verified {
		t.Fatalf("copied shard: %+v, %v", info, err)
	}
	if st.Copied != 1 || st.Rebuilt != 0 || st.BytesRead != info.Size || st.BytesWritten != info.Size {
		t.Fatalf("stats %+v, want one copy of %d bytes", st, info.Size)
	}
	c.down(res, 3, 0, 1)
	moved := *res
	moved.Placement = slices.Clone(res.Placement)
	moved.Placement[3] = spare
	mustRead(t, s, &moved, data, 0, -1)
}

func TestRebuildTooFewSources(t *testing.T) {
	c, s, res, _ := rebuildSetup(t, 13)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	spare := c.Nodes[6]
	_, err := s.Rebuild(ctx, blob.RebuildRequest{Manifest: res.Manifest, Placement: res.Placement,
		Sources: []int{0, 1, 2}, Targets: map[int]blobmeta.Node{5: spare}})
	if !errors.Is(err, blob.ErrNotEnoughShards) {
		t.Fatalf("rebuild from 3 shards: %v, want ErrNotEnoughShards", err)
	}
	if _, err := c.StatShard(ctx, spare.Addr, res.ID, 5); !errors.Is(err, node.ErrNotFound) {
		t.Fatalf("failed rebuild left a shard on the target: %v", err)
	}
}

func TestReadReportsBadShard(t *testing.T) {
	type report struct {
		index int
		err   error
	}
	var mu sync.Mutex
	var got []report
	seen := make(chan struct{}, 1)
	c := newCluster(6)
	s := newStore(t, c, blob.Options{OnBadShard: func(id blobmeta.ID, index int, nd blobmeta.Node, err error) {
		mu.Lock()
		got = append(got, report{index, err})
		mu.Unlock()
		seen <- struct{}{}
	}})
	data := blobtest.RandBytes(14, 2*stripe)
	res := put(t, s, c.Nodes, data)
	if err := c.Drop(res.Placement[2].Addr, res.ID, 2); err != nil {
		t.Fatal(err)
	}
	mustRead(t, s, res, data, 0, -1)
	select {
	case <-seen:
	case <-time.After(10 * time.Second):
		t.Fatal("OnBadShard not called")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].index != 2 || !errors.Is(got[0].err, node.ErrNotFound) {
		t.Fatalf("reports %+v, want shard 2 not found", got)
	}
}
