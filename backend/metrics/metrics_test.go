package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/gc"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/repair"
	"github.com/floe-s3/floe/backend/scrub"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The hooks the other packages declare are what these types implement.
var (
	_ blob.Observer = (*Gateway)(nil)
	_ node.Observer = (*Node)(nil)
)

// TestGatewayHooks: every hook lands in its series, with the labels the
// documentation names.
func TestGatewayHooks(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := NewGateway(reg)
	g.Request("", "s3:GetObject", http.MethodGet, 200, 0, 1000, 5*time.Millisecond)
	g.Request("GetObject", "s3:GetObject", http.MethodGet, 200, 0, 24, time.Millisecond)
	g.Request("HeadObject", "s3:GetObject", http.MethodHead, 404, 0, 0, time.Millisecond)
	g.Request("", "s3:PutObject", http.MethodPut, 200, 4096, 0, 20*time.Millisecond)
	g.BlobWritten(10*time.Millisecond, 4096, nil)
	g.BlobWritten(10*time.Millisecond, 0, errors.New("quorum"))
	g.SegmentRead(time.Millisecond, true, nil)
	g.SegmentRead(time.Millisecond, false, nil)
	g.Hedged()
	g.Repaired(repair.Stats{Blobs: 1, Shards: 2, BytesRead: 300, BytesWritten: 100})
	g.Scrubbed(scrub.Stats{ScrubCounts: metadata.ScrubCounts{Checked: 5, Corrupt: 1}, Bytes: 500, PassDone: true})
	g.Collected(gc.Stats{Blobs: 3, Intents: 1})

	for _, tc := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{g.requests.WithLabelValues("GetObject", "200"), 2},
		{g.requests.WithLabelValues("HeadObject", "404"), 1},
		{g.out.WithLabelValues("GetObject"), 1024},
		{g.in.WithLabelValues("PutObject"), 4096},
		{g.blobWritten, 4096},
		{g.degraded, 1},
		{g.hedged, 1},
		{g.repairBlobs, 1},
		{g.repairShards, 2},
		{g.repairRead, 300},
		{g.scrubShards, 5},
		{g.scrubCorrupt, 1},
		{g.scrubBytes, 500},
		{g.scrubPasses, 1},
		{g.gcBlobs, 3},
		{g.gcIntents, 1},
	} {
		if got := testutil.ToFloat64(tc.c); got != tc.want {
			desc := make(chan *prometheus.Desc, 1)
			tc.c.Describe(desc)
			t.Errorf("%v = %v, want %v", <-desc, got, tc.want)
		}
	}
	if n := testutil.CollectAndCount(g.duration, "floe_s3_request_duration_seconds"); n != 3 {
		t.Errorf("%d latency histograms, want 3 (GetObject 2xx, HeadObject 4xx, PutObject 2xx)", n)
	}
	if n := testutil.CollectAndCount(g.blobWrites); n != 2 {
		t.Errorf("%d blob write histograms, want ok and error", n)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestNodeHooks: a node's requests, commits and space reach their series.
func TestNodeHooks(t *testing.T) {
	reg, n := ForNode()
	n.RequestDone("get", 200, 1000, time.Millisecond)
	n.RequestDone("put", 201, 50, time.Millisecond)
	n.ShardCommitted(4096, 3*time.Millisecond)
	n.Space(1<<30, 1<<29, 7)
	for _, tc := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{n.requests.WithLabelValues("get", "200"), 1},
		{n.requests.WithLabelValues("put", "201"), 1},
		{n.read, 1000}, // a put's response is no shard read
		{n.written, 4096},
		{n.capacity, 1 << 30},
		{n.free, 1 << 29},
		{n.shards, 7},
	} {
		if got := testutil.ToFloat64(tc.c); got != tc.want {
			t.Errorf("got %v, want %v", got, tc.want)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, want := range []string{"go_goroutines", "floe_node_shard_commit_duration_seconds", "floe_node_disk_free_bytes"} {
		if !names[want] {
			t.Errorf("no %s in a node's registry", want)
		}
	}
}

// fakeReady is a ReadyStore with given answers.
type fakeReady struct {
	pingErr error
	live    int
}

func (f fakeReady) Ping(context.Context) error { return f.pingErr }

func (f fakeReady) LiveNodes(context.Context, time.Duration) ([]blobmeta.Node, error) {
	return make([]blobmeta.Node, f.live), nil
}

// TestHandler: /healthz always, /readyz by the readiness rule, /metrics
// in the text format.
func TestHandler(t *testing.T) {
	reg, _ := ForNode()
	var store fakeReady
	ready := &Readiness{MinLive: 5}
	h := Handler(reg, pingerFunc(func(ctx context.Context) error {
		ready.Meta = store
		return ready.Ping(ctx)
	}), zerolog.Nop())
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		b, _ := io.ReadAll(w.Body)
		return w.Code, string(b)
	}
	store = fakeReady{live: 5}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("readyz with 5 of 5 live nodes: %d", code)
	}
	store = fakeReady{live: 4}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "4 live, writes need 5") {
		t.Errorf("readyz with 4 of 5 live nodes: %d %q", code, body)
	}
	store = fakeReady{live: 6, pingErr: metadata.ErrUnavailable}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "metadata store unavailable") {
		t.Errorf("readyz with PostgreSQL down: %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics: %d, %d bytes", code, len(body))
	}
}

type pingerFunc func(context.Context) error

func (f pingerFunc) Ping(ctx context.Context) error { return f(ctx) }

// TestClusterCollectorCaches: scrapes within the TTL reuse one read, a
// failed read is served as the last good one with up 0, and a load that
// hangs is cut at the timeout.
func TestClusterCollectorCaches(t *testing.T) {
	var calls atomic.Int32
	var fail, hang atomic.Bool
	load := func(ctx context.Context) (metadata.ClusterStats, error) {
		calls.Add(1)
		if hang.Load() {
			<-ctx.Done()
			return metadata.ClusterStats{}, ctx.Err()
		}
		if fail.Load() {
			return metadata.ClusterStats{}, metadata.ErrUnavailable
		}
		return metadata.ClusterStats{Repair: metadata.RepairQueueStats{Queued: 7},
			Nodes: []metadata.NodeStats{{ID: "n1", State: metadata.NodeDead}}}, nil
	}
	c := NewClusterCollector(load, time.Hour, 50*time.Millisecond, zerolog.Nop())
	now := time.Now()
	c.now = func() time.Time { return now }
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)

	expect := func(what string, wantCalls int32, up, queued float64) {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				if len(m.GetLabel()) == 0 {
					got[mf.GetName()] = m.GetGauge().GetValue()
				}
			}
		}
		if calls.Load() != wantCalls || got["floe_cluster_stats_up"] != up || got["floe_cluster_repair_queue_blobs"] != queued {
			t.Errorf("%s: %d loads, up %v, queued %v; want %d, %v, %v", what, calls.Load(),
				got["floe_cluster_stats_up"], got["floe_cluster_repair_queue_blobs"], wantCalls, up, queued)
		}
	}
	expect("first scrape", 1, 1, 7)
	expect("scrape within the TTL", 1, 1, 7)
	now = now.Add(2 * time.Hour)
	fail.Store(true)
	expect("scrape with the database down", 2, 0, 7)
	expect("again within the TTL", 2, 0, 7)
	now = now.Add(2 * time.Hour)
	hang.Store(true)
	start := time.Now()
	expect("scrape with the database hung", 3, 0, 7)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a hung database held the scrape %v", d)
	}
	if got := testutil.ToFloat64(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, c.now().Sub(c.lastAt).Seconds())
	})); got < 3600 {
		t.Errorf("age of stale figures %v, want hours", got)
	}
}

// TestClusterCollectorPostgres: the collector over a real database
// serves node states, shards and queues, and the pool collector its
// statistics.
func TestClusterCollectorPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	meta, err := metadata.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	for _, n := range []metadata.NodeInfo{
		{ID: "a", Addr: "127.0.0.2:1", State: metadata.NodeAlive, CapacityBytes: 1000, FreeBytes: 600},
		{ID: "b", Addr: "127.0.0.3:1", State: metadata.NodeDead},
	} {
		if err := meta.UpsertNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	reg, _ := ForGateway(meta, zerolog.Nop())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	type series struct{ name, labels string }
	got := map[series]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			got[series{mf.GetName(), strings.Join(labels, ",")}] = v
		}
	}
	for s, want := range map[series]float64{
		{"floe_cluster_stats_up", ""}:                         1,
		{"floe_cluster_nodes", "state=alive"}:                 1,
		{"floe_cluster_nodes", "state=dead"}:                  1,
		{"floe_cluster_nodes", "state=suspect"}:               0,
		{"floe_cluster_node_state", "node=b,state=dead"}:      1,
		{"floe_cluster_node_free_bytes", "node=a"}:            600,
		{"floe_cluster_node_capacity_bytes", "node=a"}:        1000,
		{"floe_cluster_repair_queue_blobs", ""}:               0,
		{"floe_cluster_gc_backlog_blobs", ""}:                 0,
		{"floe_pg_pool_max_conns", ""}:                        float64(meta.Pool().Stat().MaxConns()),
		{"floe_pg_pool_acquires_total", ""}:                   float64(meta.Pool().Stat().AcquireCount()),
		{"floe_s3_requests_total", "operation=x,code=200"}:    0, // absent until a request
		{"floe_cluster_scrub_pass_progress_ratio", "node=a"}:  0, // no scrub row yet
		{"floe_cluster_repair_queue_oldest_age_seconds", ""}:  0,
		{"floe_cluster_repair_queue_in_progress_blobs", ""}:   0,
		{"floe_cluster_write_intents", ""}:                    0,
		{"floe_cluster_node_heartbeat_age_seconds", "node=b"}: -1,
	} {
		v, ok := got[s]
		switch {
		case s.name == "floe_s3_requests_total" || s.name == "floe_cluster_scrub_pass_progress_ratio":
			if ok {
				t.Errorf("%v present: %v", s, v)
			}
		case s.name == "floe_pg_pool_acquires_total":
			if !ok || v <= 0 {
				t.Errorf("%v = %v (present %v), want > 0", s, v, ok)
			}
		case s.name == "floe_cluster_node_heartbeat_age_seconds":
			if !ok || v < 0 || v > 60 {
				t.Errorf("%v = %v (present %v), want a few seconds", s, v, ok)
			}
		case !ok || v != want:
			t.Errorf("%v = %v (present %v), want %v", s, v, ok, want)
		}
	}
	if _, ok := got[series{"go_goroutines", ""}]; !ok {
		t.Error("no go_goroutines")
	}
}
