package metrics

import (
	"github.com/floe-s3/floe/metadata"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// ForGateway returns a gateway's registry: the Go runtime and process
// collectors, the gateway's own metrics (returned, for its hooks), its
// PostgreSQL pool's statistics and the cluster figures read from meta on
// scrape (see ClusterCollector).
func ForGateway(meta *metadata.Postgres, log zerolog.Logger) (*prometheus.Registry, *Gateway) {
	reg := NewRegistry()
	g := NewGateway(reg)
	reg.MustRegister(NewPoolCollector(meta.Pool()),
		NewClusterCollector(meta.ClusterStats, DefaultClusterTTL, DefaultClusterTimeout, log))
	return reg, g
}

// ForNode returns a storage node's registry: the Go runtime and process
// collectors and the node's own metrics (returned, as node.Config.Metrics).
func ForNode() (*prometheus.Registry, *Node) {
	reg := NewRegistry()
	return reg, NewNode(reg)
}
