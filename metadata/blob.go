package metadata

import (
	"fmt"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// shardsOfBlob is a lateral subquery giving blob b's shards in index order
// as arrays: idx, node_ids, addrs (empty for unknown and dead nodes, so
// readers skip them at once instead of waiting on them) and suspects
// (whether the node is suspect, for readers to ask it last).
const shardsOfBlob = `
	SELECT array_agg(s.idx ORDER BY s.idx) AS idx,
		array_agg(s.node_id ORDER BY s.idx) AS node_ids,
		array_agg(CASE WHEN n.state = 'dead' THEN '' ELSE COALESCE(n.addr, '') END ORDER BY s.idx) AS addrs,
		array_agg(COALESCE(n.state = 'suspect', false) ORDER BY s.idx) AS suspects
	FROM shards s LEFT JOIN nodes n ON n.id = s.node_id
	WHERE s.blob_id = b.id`

// blobRow is a blob as a query returns it: blobs.id, blobs.manifest and
// the arrays of shardsOfBlob.
type blobRow struct {
	id       []byte
	manifest []byte
	idx      []int32
	nodeIDs  []string
	addrs    []string
	suspects []bool // nil when the query did not select them
}

// decode checks the row and turns it into a Blob: the manifest must hash
// to the ID and every shard must have a node.
func (r *blobRow) decode() (Blob, error) {
	var b Blob
	if len(r.id) != len(b.ID) {
		return Blob{}, fmt.Errorf("blob ID of %d bytes", len(r.id))
	}
	copy(b.ID[:], r.id)
	m, err := blobmeta.UnmarshalManifest(r.manifest)
	if err != nil {
		return Blob{}, fmt.Errorf("blob %s: %w", b.ID, err)
	}
	if id := m.ID(); id != b.ID {
		return Blob{}, fmt.Errorf("blob %s: stored manifest hashes to %s", b.ID, id)
	}
	b.Manifest = m
	n := m.Params.K + m.Params.M
	if len(r.idx) != n || len(r.nodeIDs) != n || len(r.addrs) != n || (r.suspects != nil && len(r.suspects) != n) {
		return Blob{}, fmt.Errorf("blob %s: %d shard rows for %d shards", b.ID, len(r.idx), n)
	}
	b.Placement = make([]blobmeta.Node, n)
	for i := range b.Placement {
		if int(r.idx[i]) != i {
			return Blob{}, fmt.Errorf("blob %s: shard %d missing", b.ID, i)
		}
		b.Placement[i] = blobmeta.Node{ID: r.nodeIDs[i], Addr: r.addrs[i]}
		if r.suspects != nil {
			b.Placement[i].Suspect = r.suspects[i]
		}
	}
	return b, nil
}
