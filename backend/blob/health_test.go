package blob_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// A hung node costs a read HedgeDelay per segment unless the placement says
// it is down: a dead node (no address, as the metadata store reports it) is
// skipped at once, a suspect one asked only if the others cannot serve.
func TestReadRoutesAroundDownNodes(t *testing.T) {
	const hedge = time.Second
	c := newCluster(6)
	s := newStore(t, c, blob.Options{HedgeDelay: hedge, FetchTimeout: time.Minute})
	data := blobtest.RandBytes(11, 4*stripe+3)
	res := put(t, s, c.Nodes, data)
	// Shard 0 is a data shard: the first a reader asks.
	c.SetFault(res.Placement[0].Addr, blob.Fault{Hang: true})

	tests := []struct {
		name   string
		mark   func(i int, place []blobmeta.Node)
		slower bool // waits on the hung node at least once
	}{
		{"no hint", func(int, []blobmeta.Node) {}, true},
		{"dead", func(i int, p []blobmeta.Node) { p[i].Addr = "" }, false},
		{"suspect", func(i int, p []blobmeta.Node) { p[i].Suspect = true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			place := slices.Clone(res.Placement)
			tt.mark(0, place)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			r, err := s.NewReader(ctx, res.Manifest, place, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			took := time.Since(start)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read: %d bytes, err %v", len(got), err)
			}
			if waited := took >= hedge; waited != tt.slower {
				t.Errorf("read took %v; want waiting HedgeDelay (%v) on the hung node: %v", took, hedge, tt.slower)
			}
			t.Logf("read took %v", took)
		})
	}
}
