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
	e := newBenchEnv(b, nodeBytes, blobSize)
	count := len(e.written)
	e.killAndQueue(b, e.c.Nodes[0])
	// No membership monitor runs here to keep heartbeats fresh.
	r := &repair.Repairer{Meta: e.meta, Blobs: e.blobs, Workers: 2, Rate: -1, NodeMaxAge: time.Hour, Log: e.log}
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

// benchEnv is 7 local nodes, registered alive, and the blobs written to
// the first 6 (the 7th is the spare repair writes to).
type benchEnv struct {
	c       *nodetest.Cluster
	meta    *metadata.Postgres
	client  *node.Client
	blobs   *blob.Store
	log     zerolog.Logger
	written []metadata.Blob
}

// newBenchEnv writes blobs until the first node holds about nodeBytes of shards.
func newBenchEnv(b *testing.B, nodeBytes int64, blobSize int) *benchEnv {
	ctx := context.Background()
	c := nodetest.Start(b, 7)
	meta, err := metadata.Open(ctx, pgtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(meta.Close)
	e := &benchEnv{c: c, meta: meta, log: zerolog.New(io.Discard), client: node.NewClient(c.Secret, nil)}
	e.blobs = blob.NewStore(e.client, blob.Options{}, e.log)
	for _, nd := range c.Nodes {
		if err := meta.UpsertNode(ctx, metadata.NodeInfo{ID: nd.ID, Addr: nd.Addr, State: metadata.NodeAlive}); err != nil {
			b.Fatal(err)
		}
	}
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		b.Fatal(err)
	}
	data := blobtest.RandBytes(1, blobSize)
	count := int(max(nodeBytes/int64(blobSize/4), 1))
	wstart := time.Now()
	for i := range count {
		res, err := e.blobs.Put(ctx, bytes.NewReader(data), c.PlacementNodes()[:6], nil)
		if err != nil {
			b.Fatal(err)
		}
		bl := metadata.Blob{ID: res.ID, Manifest: res.Manifest, Placement: res.Placement}
		obj := metadata.Object{Bucket: "bkt", Key: fmt.Sprint(i), Size: int64(blobSize), ETag: "e",
			Parts: []metadata.Part{{Number: 1, Size: int64(blobSize), Blob: bl}}}
		if _, err := meta.PutObject(ctx, obj, nil, metadata.Precondition{}); err != nil {
			b.Fatal(err)
		}
		e.written = append(e.written, bl)
	}
	b.Logf("wrote %d blobs of %d MiB in %v", count, blobSize>>20, time.Since(wstart).Round(time.Millisecond))
	return e
}

// killAndQueue kills nd, declares it dead and queues its blobs for repair.
func (e *benchEnv) killAndQueue(b *testing.B, nd *nodetest.Node) {
	ctx := context.Background()
	nd.Kill(b)
	if err := e.meta.UpsertNode(ctx, metadata.NodeInfo{ID: nd.ID, Addr: nd.Addr, State: metadata.NodeDead}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.meta.EnqueueNodeRepairs(ctx, nd.ID, "bench"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReadsDuringRepair measures what repair costs client reads:
// blobs are read back to back for a while with a dead node and no repair,
// then as long again while a repairer rebuilds the dead node's shards at
// DefaultRate (or FLOE_REPAIR_BENCH_RATE bytes per second). It reports
// both read throughputs and their ratio. Run it once:
//
//	go test ./backend/repair/ -run '^$' -bench ReadsDuringRepair -benchtime 1x
func BenchmarkReadsDuringRepair(b *testing.B) {
	const blobSize = 16 << 20
	const window = 8 * time.Second
	rate := int64(repair.DefaultRate)
	if v := os.Getenv("FLOE_REPAIR_BENCH_RATE"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		rate = n
	}
	e := newBenchEnv(b, 512<<20, blobSize)
	e.killAndQueue(b, e.c.Nodes[0])
	// Dead nodes have no address for readers, as the metadata reports them.
	for i := range e.written {
		for j := range e.written[i].Placement {
			if e.written[i].Placement[j].ID == e.c.Nodes[0].ID {
				e.written[i].Placement[j].Addr = ""
			}
		}
	}
	read := func() float64 {
		var n int64
		start := time.Now()
		for i := 0; time.Since(start) < window; i++ {
			bl := e.written[i%len(e.written)]
			r, err := e.blobs.NewReader(context.Background(), bl.Manifest, bl.Placement, 0, -1)
			if err != nil {
				b.Fatal(err)
			}
			got, err := io.Copy(io.Discard, r)
			r.Close()
			if err != nil {
				b.Fatal(err)
			}
			n += got
		}
		return float64(n) / time.Since(start).Seconds() / (1 << 20)
	}
	b.ResetTimer()
	idle := read()
	ctx, cancel := context.WithCancel(context.Background())
	r := &repair.Repairer{Meta: e.meta, Blobs: e.blobs, Rate: rate, NodeMaxAge: time.Hour, Log: e.log}
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	busy := read()
	cancel()
	<-done
	b.StopTimer()
	st, err := e.meta.RepairStatus(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if st.Queued == 0 {
		b.Fatalf("repair finished within the window: the second read did not overlap it; write more blobs")
	}
	b.ReportMetric(idle, "MiB/s-idle")
	b.ReportMetric(busy, "MiB/s-repairing")
	b.ReportMetric(busy/idle, "ratio")
	b.Logf("reads with a dead node: %.0f MiB/s without repair, %.0f MiB/s while repair runs at %d MiB/s (%.2f×); %d blobs still queued",
		idle, busy, rate>>20, busy/idle, st.Queued)
}
