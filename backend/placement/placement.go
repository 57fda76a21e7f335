// Package placement decides which storage nodes hold a blob's shards.
//
// It uses rendezvous (highest random weight) hashing: every node gets a
// score derived from the blob's placement key and the node's ID, and shard i
// goes to the node with the i-th highest score. The choice is deterministic
// for a given node set, spreads blobs evenly, and when a node joins or leaves
// only the blobs that scored it among their top K+M move.
package placement

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/zeebo/blake3"
)

// ErrNotEnoughNodes is returned when fewer distinct nodes are usable than
// shards must be placed.
var ErrNotEnoughNodes = errors.New("placement: not enough usable nodes")

// Place returns n distinct nodes for the blob with placement key key, in
// shard order. nodes is the usable node set; its order does not matter.
func Place(key []byte, nodes []blobmeta.Node, n int) ([]blobmeta.Node, error) {
	if n < 0 {
		return nil, fmt.Errorf("placement: %d shards requested", n)
	}
	seen := make(map[string]bool, len(nodes))
	type scored struct {
		node  blobmeta.Node
		score uint64
	}
	all := make([]scored, 0, len(nodes))
	for _, nd := range nodes {
		if nd.ID == "" {
			return nil, fmt.Errorf("placement: node at %q has no ID", nd.Addr)
		}
		if seen[nd.ID] {
			return nil, fmt.Errorf("placement: node ID %q listed twice", nd.ID)
		}
		seen[nd.ID] = true
		all = append(all, scored{nd, Score(key, nd.ID)})
	}
	if len(all) < n {
		return nil, fmt.Errorf("%w: %d shards need %d distinct nodes, have %d", ErrNotEnoughNodes, n, n, len(all))
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].node.ID < all[j].node.ID
	})
	out := make([]blobmeta.Node, n)
	for i := range out {
		out[i] = all[i].node
	}
	return out, nil
}

// Score is node id's weight for placement key key.
func Score(key []byte, id string) uint64 {
	h := blake3.New()
	_, _ = h.Write(key)
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(id))
	var sum [32]byte
	h.Sum(sum[:0])
	return binary.BigEndian.Uint64(sum[:8])
}
