package blob_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// A blob below ReplicateBelow is planned as M+1 whole copies: a healthy
// read asks one node, any single copy serves it with M nodes down, and a
// write survives M nodes failing as an erasure-coded one does. Blobs of
// unknown size or at the threshold keep the store's code.
func TestReplicatedSmallBlobs(t *testing.T) {
	c := newCluster(6)
	params := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: blobmeta.DefaultStripeSize}
	s := newStore(t, c, blob.Options{Params: params, ReplicateBelow: 16 << 10})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	for _, tc := range []struct {
		size int64
		want blobmeta.Params
	}{
		{4 << 10, blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 1, M: 2, StripeSize: 4 << 10}},
		{100, blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 1, M: 2, StripeSize: 4 << 10}},
		{16<<10 - 1, blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 1, M: 2, StripeSize: 16<<10 - 1}},
		{16 << 10, params},
		{-1, params},
	} {
		pl, err := s.PlanFor(tc.size, c.Nodes, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Params != tc.want || len(pl.Placement) != tc.want.K+tc.want.M {
			t.Errorf("PlanFor(%d): %s on %d nodes, want %s", tc.size, pl.Params, len(pl.Placement), tc.want)
		}
	}

	data := blobtest.RandBytes(7, 4<<10)
	pl, err := s.PlanFor(int64(len(data)), c.Nodes, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Two of the three copies' nodes fail during the write: it still
	// succeeds, as a 4+2 write with two nodes down does.
	c.SetFault(pl.Placement[1].Addr, blob.Fault{Down: true})
	c.SetFault(pl.Placement[2].Addr, blob.Fault{Down: true})
	res, err := s.Write(ctx, pl, bytes.NewReader(data))
	if err != nil || len(res.Failed) != 2 {
		t.Fatalf("write with two copies' nodes down: %v, failed %v", err, res)
	}
	c.SetFault(pl.Placement[1].Addr, blob.Fault{})
	c.SetFault(pl.Placement[2].Addr, blob.Fault{})

	// Three healthy copies: a read asks the first copy's node only.
	res = put(t, s, c.Nodes, data) // Put plans with the store's code...
	if res.Manifest.Params != params {
		t.Fatalf("Put of unknown size coded %s, want %s", res.Manifest.Params, params)
	}
	pl, err = s.PlanFor(int64(len(data)), c.Nodes, nil) // ...PlanFor replicates
	if err != nil {
		t.Fatal(err)
	}
	if res, err = s.Write(ctx, pl, bytes.NewReader(data)); err != nil || len(res.Failed) != 0 {
		t.Fatalf("write: %v, %v", err, res)
	}
	gets := func() (n []int) {
		for _, nd := range res.Placement {
			n = append(n, c.Gets(nd.Addr))
		}
		return n
	}
	before := gets()
	mustRead(t, s, res, data, 0, -1)
	after := gets()
	if after[0] != before[0]+1 || after[1] != before[1] || after[2] != before[2] {
		t.Fatalf("GetShard calls per copy before %v, after %v: want one, to the first", before, after)
	}
	// Any one copy is enough.
	for i := range res.Placement {
		for j, nd := range res.Placement {
			c.SetFault(nd.Addr, blob.Fault{Down: j != i})
		}
		mustRead(t, s, res, data, 0, -1)
		mustRead(t, s, res, data, 100, 1000)
	}
}
