package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// PoolCollector reports a pgxpool's statistics (pgxpool.Stat), read on
// scrape: it costs a lock of the pool, no database round trip.
type PoolCollector struct {
	stat func() *pgxpool.Stat

	acquired, idle, total, max, constructing   *prometheus.Desc
	acquires, emptyAcquires, canceled          *prometheus.Desc
	acquireSeconds, emptyWaitSeconds, newConns *prometheus.Desc
}

// NewPoolCollector returns a collector of pool's statistics
// ((*metadata.Postgres).Pool()).
func NewPoolCollector(pool *pgxpool.Pool) *PoolCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &PoolCollector{
		stat:             pool.Stat,
		acquired:         d("floe_pg_pool_acquired_conns", "PostgreSQL connections in use by the gateway now."),
		idle:             d("floe_pg_pool_idle_conns", "Idle PostgreSQL connections in the pool."),
		total:            d("floe_pg_pool_total_conns", "PostgreSQL connections in the pool (acquired, idle and being opened)."),
		max:              d("floe_pg_pool_max_conns", "Largest number of PostgreSQL connections the pool opens (pool_max_conns)."),
		constructing:     d("floe_pg_pool_constructing_conns", "PostgreSQL connections being opened now."),
		acquires:         d("floe_pg_pool_acquires_total", "Connections taken from the pool."),
		emptyAcquires:    d("floe_pg_pool_empty_acquires_total", "Acquires that had to wait, no idle connection being there."),
		canceled:         d("floe_pg_pool_canceled_acquires_total", "Acquires given up (deadline, cancelled request) before a connection came."),
		acquireSeconds:   d("floe_pg_pool_acquire_seconds_total", "Total time spent taking connections from the pool."),
		emptyWaitSeconds: d("floe_pg_pool_empty_acquire_wait_seconds_total", "Total time acquires waited for a connection because none was idle."),
		newConns:         d("floe_pg_pool_new_conns_total", "PostgreSQL connections opened."),
	}
}

// Describe implements prometheus.Collector.
func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.constructing,
		c.acquires, c.emptyAcquires, c.canceled, c.acquireSeconds, c.emptyWaitSeconds, c.newConns} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stat()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	n := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	g(c.acquired, float64(s.AcquiredConns()))
	g(c.idle, float64(s.IdleConns()))
	g(c.total, float64(s.TotalConns()))
	g(c.max, float64(s.MaxConns()))
	g(c.constructing, float64(s.ConstructingConns()))
	n(c.acquires, float64(s.AcquireCount()))
	n(c.emptyAcquires, float64(s.EmptyAcquireCount()))
	n(c.canceled, float64(s.CanceledAcquireCount()))
	n(c.acquireSeconds, s.AcquireDuration().Seconds())
	n(c.emptyWaitSeconds, s.EmptyAcquireWaitTime().Seconds())
	n(c.newConns, float64(s.NewConnsCount()))
}
