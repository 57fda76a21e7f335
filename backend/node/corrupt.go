package node

import (
	"slices"
	"sync"

	"github.com/floe-s3/floe/backend/shardfile"
)

// maxCorruptShards bounds the corrupt shards remembered for health.
const maxCorruptShards = 1000

// corruptSet counts detected corruptions and remembers the most recently
// found corrupt shards ("<id>.<idx>"), oldest first.
type corruptSet struct {
	mu       sync.Mutex
	detected int64
	names    []string
}

// add records one detection of corruption in shard name.
func (c *corruptSet) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.detected++
	if i := slices.Index(c.names, name); i >= 0 {
		c.names = slices.Delete(c.names, i, i+1)
	}
	if len(c.names) == maxCorruptShards {
		c.names = slices.Delete(c.names, 0, 1)
	}
	c.names = append(c.names, name)
}

// forget drops name, once the shard was replaced or deleted.
func (c *corruptSet) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.names, name); i >= 0 {
		c.names = slices.Delete(c.names, i, i+1)
	}
}

// snapshot returns the detection count and a copy of the remembered names.
func (c *corruptSet) snapshot() (int64, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.detected, slices.Clone(c.names)
}

// recordCorrupt logs and counts a detected corruption.
func (s *Server) recordCorrupt(ce *shardfile.CorruptError) {
	s.corrupt.add(shardfile.Name(ce.ID, ce.Index))
	s.log.Error().
		Str("id", ce.ID.String()).
		Int("index", ce.Index).
		Int64("block", ce.Block).
		Str("reason", ce.Reason).
		Msg("corrupt shard detected")
}
