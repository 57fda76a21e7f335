package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

// badShardHook returns the blob store's OnBadShard: a shard a read found
// corrupt, or that its node no longer has, is marked so and its blob
// queued for repair. The reader already runs it off the read's path.
// shardMarker records a shard's health; *metadata.Postgres implements it.
type shardMarker interface {
	SetShardState(ctx context.Context, id blobmeta.ID, idx int, nodeID, state, reason string) (bool, error)
}

func badShardHook(meta shardMarker, log zerolog.Logger) func(blobmeta.ID, int, blobmeta.Node, error) {
	return func(id blobmeta.ID, index int, nd blobmeta.Node, cause error) {
		state := metadata.ShardCorrupt
		if errors.Is(cause, node.ErrNotFound) {
			state = metadata.ShardMissing
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		changed, err := meta.SetShardState(ctx, id, index, nd.ID, state, "read: "+state+" shard")
		if err != nil {
			log.Warn().Err(err).Str("blob", id.String()).Int("shard", index).Msg("could not queue a bad shard for repair")
			return
		}
		if changed {
			log.Warn().Str("blob", id.String()).Int("shard", index).Str("node", nd.Addr).Str("state", state).
				Err(cause).Msg("read found a bad shard; queued for repair")
		}
	}
}
