package s3api

import (
	"context"

	"github.com/floe-s3/floe/backend/badshard"
	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/metadata"
)

// markFailed records the shards a committed write could not make durable
// as missing, which queues the blob for repair. The object is already
// stored, so a failure here only delays repair until a scrub finds the
// gap: badshard.Mark logs it and the write goes on.
func (s *Server) markFailed(ctx context.Context, part *metadata.Part, failed []blob.ShardFailure) {
	if part == nil {
		return
	}
	for _, f := range failed {
		_, _ = badshard.Mark(ctx, s.cfg.Meta, s.log, badshard.Report{Blob: part.Blob.ID, Index: f.Index, Node: f.Node,
			State: metadata.ShardMissing, Reason: "write: shard not durable", Cause: f.Err})
	}
}
