package metadata

import (
	"bytes"
	"context"
	"crypto/rand"
	"sort"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

func TestOrphanDeletable(t *testing.T) {
	s, blobs := repairFixture(t)
	ctx := context.Background()
	random := func() (id blobmeta.ID, nonce []byte) {
		rand.Read(id[:])
		nonce = make([]byte, blobmeta.NonceSize)
		rand.Read(nonce)
		return id, nonce
	}
	bound, boundNonce := random()
	if err := s.RecordIntent(ctx, boundNonce, []string{"n0"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetIntentBlob(ctx, boundNonce, bound); err != nil {
		t.Fatal(err)
	}
	unbound, unboundNonce := random()
	if err := s.RecordIntent(ctx, unboundNonce, []string{"n0"}); err != nil {
		t.Fatal(err)
	}
	stray, strayNonce := random()
	if _, err := s.DeleteObject(ctx, "bkt", "b", DeleteOptions{}); err != nil { // b's blob is queued for deletion
		t.Fatal(err)
	}
	if err := s.EnqueueRepair(ctx, "test", blobs["c"].ID); err != nil {
		t.Fatal(err)
	}
	now, old := time.Now(), time.Now().Add(-2*time.Hour)

	cases := []struct {
		name    string
		id      blobmeta.ID
		node    string
		nonce   []byte
		written time.Time
		want    bool
	}{
		{"its row is on this node", blobs["a"].ID, "n0", nil, old, false},
		{"its row is on another node", blobs["a"].ID, "n3", nil, old, true},
		{"no row, no intent", stray, "n0", strayNonce, old, true},
		{"intent bound to its blob", bound, "n0", nil, old, false},
		{"intent with its nonce", unbound, "n0", unboundNonce, old, false},
		{"unreadable manifest, an unbound write began before it", stray, "n0", nil, now, false},
		{"unreadable manifest, every unbound write began after it", stray, "n0", nil, old, true},
		{"blob queued for deletion", blobs["b"].ID, "n3", nil, old, false},
		{"blob queued for repair", blobs["c"].ID, "n3", nil, old, false},
	}
	for _, tc := range cases {
		got, err := s.OrphanDeletable(ctx, tc.id, 0, tc.node, tc.nonce, tc.written)
		if err != nil || got != tc.want {
			t.Errorf("%s: deletable %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestNodeShardsByRange(t *testing.T) {
	s, blobs := repairFixture(t)
	ctx := context.Background()
	var ids []blobmeta.ID
	for _, b := range blobs {
		ids = append(ids, b.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return bytes.Compare(ids[i][:], ids[j][:]) < 0 })
	all, err := s.NodeShards(ctx, "n1", blobmeta.ID{}, nil)
	if err != nil || len(all) != 3 {
		t.Fatalf("all of n1: %d rows, %v", len(all), err)
	}
	for i, sh := range all {
		if sh.ID != ids[i] || sh.Index != 1 || sh.State != ShardOK || sh.Manifest.ID() != sh.ID {
			t.Errorf("row %d: %+v, want blob %s shard 1", i, sh, ids[i])
		}
	}
	mid, err := s.NodeShards(ctx, "n1", ids[1], &ids[1])
	if err != nil || len(mid) != 1 || mid[0].ID != ids[1] {
		t.Fatalf("n1 in [%s, %s]: %+v, %v", ids[1], ids[1], mid, err)
	}
	if none, err := s.NodeShards(ctx, "n3", blobmeta.ID{}, nil); err != nil || len(none) != 0 {
		t.Fatalf("n3 holds nothing: %+v, %v", none, err)
	}
}
