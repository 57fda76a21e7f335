package s3api

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// liveTTL is how long the gateway places new blobs on the live nodes it
// last read. Membership moves in heartbeats of seconds and a node that
// fails meanwhile only fails its shards of a write, which the write
// survives and repair restores; reading the list for every PUT cost a
// PostgreSQL round trip each.
const liveTTL = time.Second

// liveCache holds the last list of live nodes.
type liveCache struct {
	mu    sync.Mutex
	at    time.Time
	nodes []blobmeta.Node
}

// get returns the live nodes, from load when the list is older than
// liveTTL. Callers may reorder the slice they get.
func (c *liveCache) get(ctx context.Context, load func(context.Context) ([]blobmeta.Node, error)) ([]blobmeta.Node, error) {
	c.mu.Lock()
	if c.nodes != nil && time.Since(c.at) < liveTTL {
		nodes := slices.Clone(c.nodes)
		c.mu.Unlock()
		return nodes, nil
	}
	c.mu.Unlock()
	nodes, err := load(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.at, c.nodes = time.Now(), slices.Clone(nodes)
	c.mu.Unlock()
	return nodes, nil
}
