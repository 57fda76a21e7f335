package repair

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// nodeSource lists the nodes a targetPicker chooses among.
type nodeSource interface {
	ListNodes(ctx context.Context) ([]metadata.NodeInfo, error)
	LiveNodes(ctx context.Context, maxAge time.Duration) ([]blobmeta.Node, error)
}

// targetPicker chooses nodes for rebuilt shards: live nodes, most free
// space first. It keeps the node list for a short while and charges the
// shards it hands out against it, so concurrent repairs spread out.
type targetPicker struct {
	meta   nodeSource
	maxAge time.Duration

	mu      sync.Mutex
	fetched time.Time
	nodes   []blobmeta.Node
	free    map[string]int64     // node ID → free bytes, less what was handed out
	avoid   map[string]time.Time // node ID → until when not to pick it
}

// avoidFor is how long a node that failed to take a shard is passed over.
const avoidFor = time.Minute

// failed records that nd could not take a shard: a node that is down but
// not yet known dead would otherwise be picked again and again.
func (p *targetPicker) failed(nodeID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.avoid == nil {
		p.avoid = make(map[string]time.Time)
	}
	p.avoid[nodeID] = time.Now().Add(avoidFor)
}

// refreshEvery is how long the node list is reused.
const refreshEvery = 2 * time.Second

// pick returns up to n distinct live nodes not in exclude (node IDs), most
// free bytes first, and charges each shardLen bytes.
func (p *targetPicker) pick(ctx context.Context, n int, exclude map[string]bool, shardLen int64) ([]blobmeta.Node, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.fetched) > refreshEvery {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		live, err := p.meta.LiveNodes(ctx, p.maxAge)
		if err != nil {
			return nil, fmt.Errorf("live nodes: %w", err)
		}
		all, err := p.meta.ListNodes(ctx)
		if err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		p.nodes, p.free, p.fetched = live, make(map[string]int64, len(all)), time.Now()
		for _, ni := range all {
			p.free[ni.ID] = ni.FreeBytes
		}
	}
	var cand []blobmeta.Node
	now := time.Now()
	for _, nd := range p.nodes {
		if !exclude[nd.ID] && now.After(p.avoid[nd.ID]) {
			cand = append(cand, nd)
		}
	}
	// Most free first; the ID breaks ties so equal nodes are used in a
	// stable order.
	slices.SortFunc(cand, func(a, b blobmeta.Node) int {
		if fa, fb := p.free[a.ID], p.free[b.ID]; fa != fb {
			if fa > fb {
				return -1
			}
			return 1
		}
		return compareStrings(a.ID, b.ID)
	})
	cand = cand[:min(n, len(cand))]
	for _, nd := range cand {
		p.free[nd.ID] -= shardLen
	}
	return cand, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// avoided reports whether a node recently failed to take a shard.
func (p *targetPicker) avoided(nodeID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Now().Before(p.avoid[nodeID])
}
