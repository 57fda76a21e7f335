package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Defaults of ClusterCollector.
const (
	// DefaultClusterTTL is how long a scrape reuses the cluster figures:
	// counting shards scans a table, and several Prometheus servers (or a
	// dashboard's refresh) must not make every gateway do it each time.
	DefaultClusterTTL = 5 * time.Second
	// DefaultClusterTimeout bounds the queries behind a scrape, so one
	// never hangs on a slow or unreachable database.
	DefaultClusterTimeout = 2 * time.Second
)

// ClusterCollector collects the figures that live in PostgreSQL (repair
// queue, shards by state, GC backlog, node states and space, scrub
// progress) on scrape, at most once per TTL, each time within Timeout.
// When the database does not answer in time, the last figures it gave
// are served again, and floe_cluster_stats_up is 0 and
// floe_cluster_stats_age_seconds says how old they are.
type ClusterCollector struct {
	load    func(context.Context) (metadata.ClusterStats, error)
	ttl     time.Duration
	timeout time.Duration
	log     zerolog.Logger
	now     func() time.Time

	mu      sync.Mutex // one refresh at a time; guards the fields below
	last    metadata.ClusterStats
	lastAt  time.Time // when last was read; zero if never
	tried   time.Time // when a refresh was last attempted
	lastErr error

	up, age, repairQueued, repairInProgress, repairRetrying, repairOldest *prometheus.Desc
	shards, gcBlobs, gcBytes, intents                                     *prometheus.Desc
	nodes, nodeState, nodeCapacity, nodeFree, nodeHeartbeat               *prometheus.Desc
	scrubProgress, scrubLastPass, scrubChecked, scrubCorrupt              *prometheus.Desc
	scrubMissing, scrubOrphans                                            *prometheus.Desc
}

// NodeStates are the node states membership knows, each reported (0 when
// no node is in it) so that alerts on a state need no absent() dance.
var NodeStates = []string{metadata.NodeAlive, metadata.NodeSuspect, metadata.NodeDead, metadata.NodeDraining}

// NewClusterCollector returns a collector of what load reads (typically
// (*metadata.Postgres).ClusterStats); ttl and timeout of 0 mean
// DefaultClusterTTL and DefaultClusterTimeout.
func NewClusterCollector(load func(context.Context) (metadata.ClusterStats, error), ttl, timeout time.Duration, log zerolog.Logger) *ClusterCollector {
	if ttl <= 0 {
		ttl = DefaultClusterTTL
	}
	if timeout <= 0 {
		timeout = DefaultClusterTimeout
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &ClusterCollector{
		load: load, ttl: ttl, timeout: timeout, log: log, now: time.Now,
		up:               d("floe_cluster_stats_up", "1 if the last read of the cluster figures from PostgreSQL succeeded, else 0 (the figures served are older)."),
		age:              d("floe_cluster_stats_age_seconds", "Age of the cluster figures served."),
		repairQueued:     d("floe_cluster_repair_queue_blobs", "Blobs in the repair queue."),
		repairInProgress: d("floe_cluster_repair_queue_in_progress_blobs", "Queued blobs a repairer has leased now."),
		repairRetrying:   d("floe_cluster_repair_queue_retrying_blobs", "Queued blobs waiting out a backoff after a failed repair."),
		repairOldest:     d("floe_cluster_repair_queue_oldest_age_seconds", "How long the oldest repair queue entry has waited (0 when empty)."),
		shards:           d("floe_cluster_shards", "Shards by their own state (ok, corrupt, missing, misplaced) and their node's (alive, suspect, dead, draining, unregistered).", "state", "node_state"),
		gcBlobs:          d("floe_cluster_gc_backlog_blobs", "Blobs queued for deletion whose shards garbage collection has yet to delete."),
		gcBytes:          d("floe_cluster_gc_backlog_bytes", "Data bytes of the blobs queued for deletion."),
		intents:          d("floe_cluster_write_intents", "Write intents not yet committed or collected (writes in flight, and those of dead gateways)."),
		nodes:            d("floe_cluster_nodes", "Registered storage nodes by state.", "state"),
		nodeState:        d("floe_cluster_node_state", "1 for the state each registered node is in.", "node", "state"),
		nodeCapacity:     d("floe_cluster_node_capacity_bytes", "Disk capacity a node last reported.", "node"),
		nodeFree:         d("floe_cluster_node_free_bytes", "Space a node last reported it still accepts shards into (above its reserve).", "node"),
		nodeHeartbeat:    d("floe_cluster_node_heartbeat_age_seconds", "Time since a node's last heartbeat (-1: never).", "node"),
		scrubProgress:    d("floe_cluster_scrub_pass_progress_ratio", "How far the current scrub pass over a node is (0 to 1; shard names are uniform hashes, so the cursor's position is the share done).", "node"),
		scrubLastPass:    d("floe_cluster_scrub_last_pass_timestamp_seconds", "When the last full scrub pass over a node finished (0: never).", "node"),
		scrubChecked:     d("floe_cluster_scrub_checked_shards_total", "Shards of a node verified by scrubbing, all gateways and passes.", "node"),
		scrubCorrupt:     d("floe_cluster_scrub_corrupt_shards_total", "Shards of a node scrubbing found corrupt, all gateways and passes.", "node"),
		scrubMissing:     d("floe_cluster_scrub_missing_shards_total", "Shards of a node scrubbing found missing, all gateways and passes.", "node"),
		scrubOrphans:     d("floe_cluster_scrub_orphans_deleted_total", "Orphan shard files scrubbing deleted from a node, all gateways and passes.", "node"),
	}
}

// Describe implements prometheus.Collector.
func (c *ClusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.age, c.repairQueued, c.repairInProgress, c.repairRetrying, c.repairOldest,
		c.shards, c.gcBlobs, c.gcBytes, c.intents, c.nodes, c.nodeState, c.nodeCapacity, c.nodeFree, c.nodeHeartbeat,
		c.scrubProgress, c.scrubLastPass, c.scrubChecked, c.scrubCorrupt, c.scrubMissing, c.scrubOrphans} {
		ch <- d
	}
}

// stats returns the figures to serve, reading them anew when the cached
// ones are older than the TTL and no refresh was tried within it (so a
// database that is down is asked once per TTL, not once per scrape).
func (c *ClusterCollector) stats() (metadata.ClusterStats, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.tried) >= c.ttl {
		c.tried = now
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		st, err := c.load(ctx)
		cancel()
		if err == nil {
			c.last, c.lastAt, c.lastErr = st, c.now(), nil
		} else {
			c.lastErr = err
			c.log.Warn().Err(err).Msg("metrics: cluster figures not read; serving the last ones")
		}
	}
	return c.last, c.lastAt, c.lastErr
}

// Collect implements prometheus.Collector.
func (c *ClusterCollector) Collect(ch chan<- prometheus.Metric) {
	st, at, err := c.stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	up := 1.0
	if err != nil {
		up = 0
	}
	gauge(c.up, up)
	if at.IsZero() {
		return // nothing read yet: no figures rather than zeros that lie
	}
	gauge(c.age, c.now().Sub(at).Seconds())
	gauge(c.repairQueued, float64(st.Repair.Queued))
	gauge(c.repairInProgress, float64(st.Repair.InProgress))
	gauge(c.repairRetrying, float64(st.Repair.Retrying))
	gauge(c.repairOldest, st.Repair.OldestAge.Seconds())
	for _, s := range st.Shards {
		gauge(c.shards, float64(s.Count), s.State, s.NodeState)
	}
	gauge(c.gcBlobs, float64(st.GC.Blobs))
	gauge(c.gcBytes, float64(st.GC.Bytes))
	gauge(c.intents, float64(st.GC.Intents))
	byState := map[string]int{}
	for _, s := range NodeStates {
		byState[s] = 0
	}
	for _, n := range st.Nodes {
		byState[n.State]++
		gauge(c.nodeState, 1, n.ID, n.State)
		gauge(c.nodeCapacity, float64(n.CapacityBytes), n.ID)
		gauge(c.nodeFree, float64(n.FreeBytes), n.ID)
		gauge(c.nodeHeartbeat, n.HeartbeatAge.Seconds(), n.ID)
	}
	for s, n := range byState {
		gauge(c.nodes, float64(n), s)
	}
	for _, p := range st.Scrub {
		gauge(c.scrubProgress, p.PassFraction(), p.NodeID)
		last := 0.0
		if !p.LastPassAt.IsZero() {
			last = float64(p.LastPassAt.UnixNano()) / 1e9
		}
		gauge(c.scrubLastPass, last, p.NodeID)
		counter(c.scrubChecked, float64(p.Checked), p.NodeID)
		counter(c.scrubCorrupt, float64(p.Corrupt), p.NodeID)
		counter(c.scrubMissing, float64(p.Missing), p.NodeID)
		counter(c.scrubOrphans, float64(p.Orphans), p.NodeID)
	}
}
