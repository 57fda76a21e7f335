package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/floe-s3/floe/backend/gc"
	"github.com/floe-s3/floe/backend/repair"
	"github.com/floe-s3/floe/backend/scrub"
	"github.com/prometheus/client_golang/prometheus"
)

// latencyBuckets are the S3 request and blob latency buckets, in seconds:
// from a cached HEAD to a large multipart part.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Gateway holds a gateway's own metrics: what its S3 server, blob store,
// repairer, scrubber and garbage collector did. Its methods are the hooks
// those parts call; all are safe for concurrent use.
type Gateway struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	in, out  *prometheus.CounterVec
	// series caches the labelled children of one operation and status, so
	// the per-request hook does no label hashing after the first time.
	series sync.Map // seriesKey → *s3Series

	blobWrites    *prometheus.HistogramVec
	blobWritten   prometheus.Counter
	blobSegments  *prometheus.HistogramVec
	degraded      prometheus.Counter
	hedged        prometheus.Counter
	writeOK       prometheus.Observer
	writeErr      prometheus.Observer
	segmentOK     prometheus.Observer
	segmentErr    prometheus.Observer
	repairBlobs   prometheus.Counter
	repairShards  prometheus.Counter
	repairFailed  prometheus.Counter
	repairRead    prometheus.Counter
	repairWritten prometheus.Counter
	scrubShards   prometheus.Counter
	scrubBytes    prometheus.Counter
	scrubCorrupt  prometheus.Counter
	scrubMissing  prometheus.Counter
	scrubOrphans  prometheus.Counter
	scrubPasses   prometheus.Counter
	gcBlobs       prometheus.Counter
	gcIntents     prometheus.Counter
	gcUploads     prometheus.Counter
	gcFailed      prometheus.Counter
}

// seriesKey is an operation and status code.
type seriesKey struct {
	op     string
	status int
}

// s3Series are the children of one seriesKey.
type s3Series struct {
	requests prometheus.Counter
	duration prometheus.Observer
	in, out  prometheus.Counter
}

// NewGateway registers a gateway's metrics with reg.
func NewGateway(reg prometheus.Registerer) *Gateway {
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		reg.MustRegister(c)
		return c
	}
	g := &Gateway{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "floe_s3_requests_total",
			Help: "S3 requests answered, by operation and HTTP status code.",
		}, []string{"operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "floe_s3_request_duration_seconds",
			Help:    "Time from receiving an S3 request to its last response byte, by operation and status class (2xx, 4xx, ...).",
			Buckets: latencyBuckets,
		}, []string{"operation", "status_class"}),
		in: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "floe_s3_received_bytes_total",
			Help: "Request body bytes read from S3 clients, by operation.",
		}, []string{"operation"}),
		out: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "floe_s3_sent_bytes_total",
			Help: "Response body bytes sent to S3 clients, by operation.",
		}, []string{"operation"}),
		blobWrites: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "floe_blob_write_duration_seconds",
			Help:    "Time a blob write took, from its first byte to the write quorum's acknowledgements, by result (ok, error).",
			Buckets: latencyBuckets,
		}, []string{"result"}),
		blobSegments: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "floe_blob_read_segment_duration_seconds",
			Help:    "Time to fetch, verify and decode one read segment (up to 4 stripes) of a blob, by result (ok, error).",
			Buckets: latencyBuckets,
		}, []string{"result"}),
	}
	reg.MustRegister(g.requests, g.duration, g.in, g.out, g.blobWrites, g.blobSegments)
	g.writeOK, g.writeErr = g.blobWrites.WithLabelValues("ok"), g.blobWrites.WithLabelValues("error")
	g.segmentOK, g.segmentErr = g.blobSegments.WithLabelValues("ok"), g.blobSegments.WithLabelValues("error")
	g.blobWritten = counter("floe_blob_written_bytes_total", "Data bytes of blobs written (before erasure coding).")
	g.degraded = counter("floe_blob_degraded_reads_total", "Read segments decoded from parity because data shards were missing, corrupt or slow.")
	g.hedged = counter("floe_blob_hedged_fetches_total", "Shard fetches that outlived the hedge delay, so another shard was asked in their place.")
	g.repairBlobs = counter("floe_repair_blobs_total", "Blobs this gateway repaired.")
	g.repairShards = counter("floe_repair_shards_total", "Shards this gateway's repairs wrote anew.")
	g.repairFailed = counter("floe_repair_failures_total", "Repair attempts that failed (the blob stays queued).")
	g.repairRead = counter("floe_repair_read_bytes_total", "Shard bytes repairs read from nodes.")
	g.repairWritten = counter("floe_repair_written_bytes_total", "Shard bytes repairs wrote to nodes.")
	g.scrubShards = counter("floe_scrub_verified_shards_total", "Shards this gateway's scrubber verified.")
	g.scrubBytes = counter("floe_scrub_verified_bytes_total", "Shard bytes this gateway's scrubber verified.")
	g.scrubCorrupt = counter("floe_scrub_corrupt_shards_total", "Shards the scrubber found corrupt and marked for repair.")
	g.scrubMissing = counter("floe_scrub_missing_shards_total", "Shards the scrubber found missing on their node and marked for repair.")
	g.scrubOrphans = counter("floe_scrub_orphans_deleted_total", "Unreferenced shard files the scrubber deleted.")
	g.scrubPasses = counter("floe_scrub_passes_total", "Full passes over a node's shards the scrubber finished.")
	g.gcBlobs = counter("floe_gc_deleted_blobs_total", "Blobs whose shards garbage collection deleted.")
	g.gcIntents = counter("floe_gc_intents_collected_total", "Stale write intents garbage collection collected.")
	g.gcUploads = counter("floe_gc_uploads_aborted_total", "Expired multipart uploads garbage collection aborted.")
	g.gcFailed = counter("floe_gc_failures_total", "Blobs garbage collection could not delete yet (left for a later round).")
	return g
}

// Request records one answered S3 request: the hook behind
// s3api.Config.Observe. The operation label is operation, the router's
// name for it (s3api.RequestDone.Operation), or, for a request that never
// reached a handler, what action and method say (see Operation).
func (g *Gateway) Request(operation, action, method string, status int, in, out int64, d time.Duration) {
	op := operation
	if op == "" || !isIdent(op) {
		op = Operation(action, method)
	}
	key := seriesKey{op: op, status: status}
	var s *s3Series
	if v, ok := g.series.Load(key); ok {
		s = v.(*s3Series)
	} else {
		s = &s3Series{
			requests: g.requests.WithLabelValues(key.op, strconv.Itoa(status)),
			duration: g.duration.WithLabelValues(key.op, statusClass(status)),
			in:       g.in.WithLabelValues(key.op),
			out:      g.out.WithLabelValues(key.op),
		}
		v, _ := g.series.LoadOrStore(key, s)
		s = v.(*s3Series)
	}
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
	if in > 0 {
		s.in.Add(float64(in))
	}
	if out > 0 {
		s.out.Add(float64(out))
	}
}

// BlobWritten implements blob.Observer.
func (g *Gateway) BlobWritten(d time.Duration, size int64, err error) {
	if err != nil {
		g.writeErr.Observe(d.Seconds())
		return
	}
	g.writeOK.Observe(d.Seconds())
	g.blobWritten.Add(float64(size))
}

// SegmentRead implements blob.Observer.
func (g *Gateway) SegmentRead(d time.Duration, degraded bool, err error) {
	if err != nil {
		g.segmentErr.Observe(d.Seconds())
	} else {
		g.segmentOK.Observe(d.Seconds())
	}
	if degraded {
		g.degraded.Inc()
	}
}

// Hedged implements blob.Observer.
func (g *Gateway) Hedged() { g.hedged.Inc() }

// Repaired is the repair.Repairer.OnRepair hook.
func (g *Gateway) Repaired(st repair.Stats) {
	g.repairBlobs.Add(float64(st.Blobs))
	g.repairShards.Add(float64(st.Shards))
	g.repairFailed.Add(float64(st.Failed))
	g.repairRead.Add(float64(st.BytesRead))
	g.repairWritten.Add(float64(st.BytesWritten))
}

// Scrubbed is the scrub.Scrubber.OnStep hook.
func (g *Gateway) Scrubbed(st scrub.Stats) {
	g.scrubShards.Add(float64(st.Checked))
	g.scrubBytes.Add(float64(st.Bytes))
	g.scrubCorrupt.Add(float64(st.Corrupt))
	g.scrubMissing.Add(float64(st.Missing))
	g.scrubOrphans.Add(float64(st.Orphans))
	if st.PassDone {
		g.scrubPasses.Inc()
	}
}

// Collected is the gc.Collector.OnRound hook.
func (g *Gateway) Collected(st gc.Stats) {
	g.gcBlobs.Add(float64(st.Blobs))
	g.gcIntents.Add(float64(st.Intents))
	g.gcUploads.Add(float64(st.Uploads))
	g.gcFailed.Add(float64(st.Failed))
}
