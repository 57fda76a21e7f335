package repair_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/backend/repair"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/rs/zerolog"
)

// BenchmarkRepairNode measures repairing a lost node: blobs are written to
// 6 of 7 nodes until one holds FLOE_REPAIR_BENCH_BYTES of shards (default
// 2 GiB), that node is killed and declared dead, and the time to rebuild
// everything it held on the spare is reported, with the bytes read from
// nodes per byte repaired (K for RS K+M). Run it once:
//
//	go test ./backend/repair/ -run '^$' -bench RepairNode -benchtime 1x
func BenchmarkRepairNode(b *testing.B) {
	nodeBytes := int64(2 << 30)
	if v := os.Getenv("FLOE_REPAIR_BENCH_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		nodeBytes = n
	}
	const blobSize = 64 << 20
	ctx := context.Background()
	c := nodetest.Start(b, 7)
	meta, err := metadata.Open(ctx, pgtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer meta.Close()
	log := zerolog.New(io.Discard)
	client := node.NewClient(c.Secret, nil)
	blobs := blob.NewStore(client, blob.Options{}, log)
	for _, nd := range c.Nodes {
		if err := meta.UpsertNode(ctx, metadata.NodeInfo{ID: nd.ID, Addr: nd.Addr, State: metadata.NodeAlive}); err != nil {
			b.Fatal(err)
		}
	}
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		b.Fatal(err)
	}
	data := blobtest.RandBytes(1, blobSize)
	count := int(max(nodeBytes/(blobSize/4), 1))
	wstart := time.Now()
	for i := range count {
		res, err := blobs.Put(ctx, bytes.NewReader(data), c.PlacementNodes()[:6], nil)
		if err != nil {
			b.Fatal(err)
		}
		obj := metadata.Object{Bucket: "bkt", Key: fmt.Sprint(i), Size: blobSize, ETag: "e",
			Parts: []metadata.Part{{Number: 1, Size: blobSize,
				Blob: metadata.Blob{ID: res.ID, Manifest: res.Manifest, Placement: res.Placement}}}}
		if _, err := meta.PutObject(ctx, obj, nil, metadata.Precondition{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("wrote %d blobs of %d MiB in %v", count, blobSize>>20, time.Since(wstart).Round(time.Millisecond))

	dead := c.Nodes[0]
	dead.Kill(b)
	if err := meta.UpsertNode(ctx, metadata.NodeInfo{ID: dead.ID, Addr: dead.Addr, State: metadata.NodeDead}); err != nil {
		b.Fatal(err)
	}
	if _, err := meta.EnqueueNodeRepairs(ctx, dead.ID, "bench"); err != nil {
		b.Fatal(err)
	}
	// No membership monitor runs here to keep heartbeats fresh.
	r := &repair.Repairer{Meta: meta, Blobs: blobs, Client: client, Workers: 2, Rate: -1, NodeMaxAge: time.Hour, Log: log}
	b.ResetTimer()
	start := time.Now()
	st, err := r.RunOnce(ctx)
	took := time.Since(start)
	b.StopTimer()
	if err != nil || st.Blobs != count || st.Failed != 0 {
		b.Fatalf("repaired %+v of %d blobs: %v", st, count, err)
	}
	b.ReportMetric(took.Seconds(), "s/node")
	b.ReportMetric(float64(st.BytesWritten)/took.Seconds()/(1<<20), "MiB-repaired/s")
	b.ReportMetric(float64(st.BytesRead)/float64(st.BytesWritten), "read/repaired")
	b.Logf("repaired %d shards, %d MiB, in %v: read %d MiB from nodes (%.2f per byte repaired)",
		st.Shards, st.BytesWritten>>20, took.Round(time.Millisecond), st.BytesRead>>20, float64(st.BytesRead)/float64(st.BytesWritten))
}
