package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/nodetest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetrics drives a cluster whose gateway serves --metrics-listen and
// one of whose nodes does too: a load of PUT, GET, HEAD, LIST and DELETE,
// then reads with a node killed (degraded reads), then scrapes both and
// checks the series the load must have moved, the dead node's state and
// the probes: /readyz turns 503 once too few nodes are left for writes.
func TestMetrics(t *testing.T) {
	// Not parallel: with --suspect-after 2s a node slowed by other tests
	// turns suspect, and /readyz with it.
	gwMetrics := freeAddr(t)
	nodeMetrics := freeAddr(t)
	opts := nodetest.Options{Args: func(i int) []string {
		if i == 0 {
			return []string{"--metrics-listen", nodeMetrics}
		}
		return nil
	}}
	c := startClusterWith(t, 6, opts, "--metrics-listen", gwMetrics, "--suspect-after", "2s", "--dead-after", "2s",
		"--repair-workers", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if st := metricsProbe(t, gwMetrics, "/healthz"); st != http.StatusOK {
		t.Fatalf("healthz %d, want 200", st)
	}
	if st := metricsProbe(t, gwMetrics, "/readyz"); st != http.StatusOK {
		t.Fatalf("readyz %d with six nodes, want 200", st)
	}

	_, err := c.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("metrics")})
	must(t, err, "create bucket")
	objects := map[string][]byte{}
	for i := range 8 {
		data := make([]byte, 256<<10+i) // erasure-coded: every blob has a shard on every node
		for j := range data {
			data[j] = byte(rand.Uint32())
		}
		key := fmt.Sprintf("obj-%d", i)
		putBytes(t, c.client, "metrics", key, data)
		objects[key] = data
	}
	for key, data := range objects {
		eq(t, getBytes(t, c.client, "metrics", key, ""), data, key)
		_, err := c.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("metrics"), Key: aws.String(key)})
		must(t, err, "head %s", key)
	}
	_, err = c.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("metrics")})
	must(t, err, "list")
	for _, key := range []string{"obj-0", "obj-1"} {
		_, err := c.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("metrics"), Key: aws.String(key)})
		must(t, err, "delete %s", key)
		delete(objects, key)
	}
	_, err = c.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("metrics"), Key: aws.String("obj-0")})
	if httpStatus(err) != http.StatusNotFound {
		t.Fatalf("GET of a deleted key: %v, want 404", err)
	}

	// Kill -9 a node: every blob loses a shard, a data shard for most, so
	// reads decode from parity.
	victim := c.nodes.Nodes[5]
	var victimID string
	must(t, c.db(t).QueryRow(ctx, `SELECT id FROM nodes WHERE addr = $1`, victim.Addr).Scan(&victimID), "victim's ID")
	victim.Kill(t)
	for key, data := range objects {
		eq(t, getBytes(t, c.client, "metrics", key, ""), data, key+" with a node down")
	}

	// The cluster figures are cached for a few seconds: wait until they
	// show the node suspect or dead.
	var fams map[string]*dto.MetricFamily
	waitFor(t, 20*time.Second, "the gateway's metrics show the killed node suspect or dead", func() (bool, error) {
		fams = scrape(t, gwMetrics)
		for _, state := range []string{"suspect", "dead"} {
			if value(fams, "floe_cluster_node_state", "node", victimID, "state", state) == 1 {
				return true, nil
			}
		}
		return false, fmt.Errorf("floe_cluster_node_state of %s: %v", victimID, series(fams, "floe_cluster_node_state"))
	})
	for _, s := range []struct {
		name   string
		labels []string
	}{
		{"floe_s3_requests_total", []string{"operation", "PutObject", "code", "200"}},
		{"floe_s3_requests_total", []string{"operation", "GetObject", "code", "200"}},
		{"floe_s3_requests_total", []string{"operation", "GetObject", "code", "404"}},
		{"floe_s3_requests_total", []string{"operation", "HeadObject", "code", "200"}},
		{"floe_s3_requests_total", []string{"operation", "ListObjectsV2", "code", "200"}},
		{"floe_s3_requests_total", []string{"operation", "DeleteObject", "code", "204"}},
		{"floe_s3_requests_total", []string{"operation", "CreateBucket", "code", "200"}},
		{"floe_s3_request_duration_seconds", []string{"operation", "GetObject", "status_class", "2xx"}},
		{"floe_s3_received_bytes_total", []string{"operation", "PutObject"}},
		{"floe_s3_sent_bytes_total", []string{"operation", "GetObject"}},
		{"floe_blob_write_duration_seconds", []string{"result", "ok"}},
		{"floe_blob_read_segment_duration_seconds", []string{"result", "ok"}},
		{"floe_blob_written_bytes_total", nil},
		{"floe_blob_degraded_reads_total", nil},
		{"floe_cluster_nodes", []string{"state", "alive"}},
		{"floe_cluster_shards", []string{"state", "ok", "node_state", "alive"}},
		{"floe_cluster_node_capacity_bytes", []string{"node", victimID}},
		{"floe_cluster_stats_up", nil},
		{"floe_pg_pool_total_conns", nil},
		{"floe_pg_pool_max_conns", nil},
		{"floe_pg_pool_acquires_total", nil},
		{"floe_pg_pool_acquire_seconds_total", nil},
		{"go_goroutines", nil},
		{"process_resident_memory_bytes", nil},
	} {
		if v := value(fams, s.name, s.labels...); v <= 0 {
			t.Errorf("%s%v = %v, want > 0 (have %v)", s.name, s.labels, v, series(fams, s.name))
		}
	}
	for _, name := range []string{"floe_blob_hedged_fetches_total", "floe_cluster_repair_queue_blobs",
		"floe_cluster_gc_backlog_blobs", "floe_pg_pool_acquired_conns", "floe_pg_pool_idle_conns",
		"floe_pg_pool_empty_acquire_wait_seconds_total", "floe_repair_blobs_total", "floe_scrub_verified_shards_total",
		"floe_gc_deleted_blobs_total"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no series %s", name)
		}
	}
	if in, put := value(fams, "floe_s3_received_bytes_total", "operation", "PutObject"), int64(8*(256<<10)); int64(in) < put {
		t.Errorf("received %v bytes of PutObject, want at least the %d sent", in, put)
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "obj-") || l.GetValue() == "metrics" {
					t.Errorf("%s has a key or bucket label: %v", name, m.GetLabel())
				}
			}
		}
	}

	// The node's own metrics.
	nfams := scrape(t, nodeMetrics)
	for _, s := range []struct {
		name   string
		labels []string
	}{
		{"floe_node_requests_total", []string{"kind", "put", "code", "201"}},
		{"floe_node_requests_total", []string{"kind", "health", "code", "200"}},
		{"floe_node_request_duration_seconds", []string{"kind", "get"}},
		{"floe_node_written_bytes_total", nil},
		{"floe_node_read_bytes_total", nil},
		{"floe_node_shard_commit_duration_seconds", nil},
		{"floe_node_disk_capacity_bytes", nil},
		{"floe_node_shards", nil},
		{"go_goroutines", nil},
	} {
		if v := value(nfams, s.name, s.labels...); v <= 0 {
			t.Errorf("node: %s%v = %v, want > 0 (have %v)", s.name, s.labels, v, series(nfams, s.name))
		}
	}
	if st := metricsProbe(t, nodeMetrics, "/healthz"); st != http.StatusOK {
		t.Errorf("node healthz %d", st)
	}

	// Five live nodes still take writes (K+1 for 4+2); four do not.
	if st := metricsProbe(t, gwMetrics, "/readyz"); st != http.StatusOK {
		t.Fatalf("readyz %d with five of six nodes, want 200", st)
	}
	c.nodes.Nodes[4].Kill(t)
	waitFor(t, 15*time.Second, "readyz answers 503 with four nodes left", func() (bool, error) {
		st := metricsProbe(t, gwMetrics, "/readyz")
		return st == http.StatusServiceUnavailable, fmt.Errorf("readyz %d", st)
	})
	if st := c.probe(t, "/_floe/readyz"); st != http.StatusServiceUnavailable {
		t.Errorf("S3 port's /_floe/readyz %d with four nodes left, want 503 as the metrics /readyz", st)
	}
	if st := metricsProbe(t, gwMetrics, "/healthz"); st != http.StatusOK {
		t.Errorf("healthz %d while not ready, want 200", st)
	}
}

// metricsProbe GETs path from a metrics listener and returns the status,
// 0 if it did not answer.
func metricsProbe(t *testing.T, addr, path string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	must(t, err, "probe request")
	resp, err := rawClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// scrape GETs /metrics from addr and parses it.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	must(t, err, "scrape request")
	resp, err := rawClient.Do(req)
	must(t, err, "scrape %s", addr)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err, "read scrape")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %d %s", addr, resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	must(t, err, "parse scrape")
	return fams
}

// value is the value of the series of family name with the given label
// pairs (name, value, ...): a counter's or gauge's value, a histogram's
// count; summed over the series that match. 0 if none does.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f, ok := fams[name]
	if !ok {
		return 0
	}
	sum := 0.0
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && have[labels[i]] == labels[i+1]
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

// series describes the series of family name, for failure messages.
func series(fams map[string]*dto.MetricFamily, name string) string {
	f, ok := fams[name]
	if !ok {
		return "absent"
	}
	var out []string
	for _, m := range f.GetMetric() {
		out = append(out, fmt.Sprintf("%v=%v", m.GetLabel(), value(map[string]*dto.MetricFamily{name: {Metric: []*dto.Metric{m}}}, name)))
	}
	return strings.Join(out, "; ")
}
