package s3api

import (
	"context"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/metadata"
)

// markTimeout bounds recording a committed blob's failed shards.
const markTimeout = 5 * time.Second

// markFailed records the shards a committed write could not make durable
// as missing, which queues the blob for repair. The object is already
// stored, so a failure here only delays repair until a scrub finds the
// gap: it is logged, not returned.
func (s *Server) markFailed(ctx context.Context, part *metadata.Part, failed []blob.ShardFailure) {
	if part == nil || len(failed) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	for _, f := range failed {
		if _, err := s.cfg.Meta.SetShardState(ctx, part.Blob.ID, f.Index, f.Node.ID, metadata.ShardMissing, "write: shard not durable"); err != nil {
			s.log.Warn().Err(err).Str("blob", part.Blob.ID.String()).Int("shard", f.Index).
				Msg("could not queue a blob written without a shard for repair")
		}
	}
}
