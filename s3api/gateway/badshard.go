package gateway

import (
	"context"

	"github.com/floe-s3/floe/backend/badshard"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

// badShardHook returns the blob store's OnBadShard: a shard a read found
// corrupt, or that its node no longer has, is marked so and its blob
// queued for repair. The reader already runs it off the read's path.
func badShardHook(meta badshard.Store, log zerolog.Logger) func(blobmeta.ID, int, blobmeta.Node, error) {
	return func(id blobmeta.ID, index int, nd blobmeta.Node, cause error) {
		state := badshard.StateOf(cause)
		_, _ = badshard.Mark(context.Background(), meta, log, badshard.Report{Blob: id, Index: index, Node: nd,
			State: state, Reason: "read: " + state + " shard", Cause: cause})
	}
}
