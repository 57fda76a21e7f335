package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// commitBuckets are the buckets of shard commit latency, in seconds: an
// fsync on a fast SSD to a slow or busy disk.
var commitBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// Node holds a storage node's metrics; it implements node.Observer.
type Node struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	series   sync.Map // nodeKey → *nodeSeries
	written  prometheus.Counter
	read     prometheus.Counter
	commits  prometheus.Histogram

	capacity, free, shards prometheus.Gauge
}

type nodeKey struct {
	kind   string
	status int
}

type nodeSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// NewNode registers a node's metrics with reg.
func NewNode(reg prometheus.Registerer) *Node {
	n := &Node{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "floe_node_requests_total",
			Help: "Shard API requests answered, by kind (put, get, head, delete, info, list, health, other) and HTTP status code.",
		}, []string{"kind", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "floe_node_request_duration_seconds",
			Help:    "Time to answer a shard API request, by kind.",
			Buckets: latencyBuckets,
		}, []string{"kind"}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "floe_node_written_bytes_total",
			Help: "Shard bytes made durable.",
		}),
		read: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "floe_node_read_bytes_total",
			Help: "Shard bytes sent in answer to reads (GET of a shard, with its hashes and CRCs).",
		}),
		commits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "floe_node_shard_commit_duration_seconds",
			Help:    "Time to make a received shard durable: fsync, rename, directory sync.",
			Buckets: commitBuckets,
		}),
		capacity: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "floe_node_disk_capacity_bytes",
			Help: "Capacity of the data file system, as last measured (start-up, health polls).",
		}),
		free: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "floe_node_disk_free_bytes",
			Help: "Space the node still accepts shards into (available above its reserve), as last measured.",
		}),
		shards: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "floe_node_shards",
			Help: "Shards the node holds, as last counted.",
		}),
	}
	reg.MustRegister(n.requests, n.duration, n.written, n.read, n.commits, n.capacity, n.free, n.shards)
	return n
}

// RequestDone implements node.Observer.
func (n *Node) RequestDone(kind string, status int, bytesOut int64, d time.Duration) {
	key := nodeKey{kind, status}
	v, ok := n.series.Load(key)
	if !ok {
		v, _ = n.series.LoadOrStore(key, &nodeSeries{
			requests: n.requests.WithLabelValues(kind, strconv.Itoa(status)),
			duration: n.duration.WithLabelValues(kind),
		})
	}
	s := v.(*nodeSeries)
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
	if kind == "get" && bytesOut > 0 {
		n.read.Add(float64(bytesOut))
	}
}

// ShardCommitted implements node.Observer.
func (n *Node) ShardCommitted(size int64, d time.Duration) {
	n.written.Add(float64(size))
	n.commits.Observe(d.Seconds())
}

// Space implements node.Observer.
func (n *Node) Space(capacity, free, shards int64) {
	n.capacity.Set(float64(capacity))
	n.free.Set(float64(free))
	n.shards.Set(float64(shards))
}
