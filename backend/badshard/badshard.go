// Package badshard records shards found bad in the metadata store, which
// queues their blob for repair. Three finders report them: a write that
// acknowledged an object without one of its shards, a read that found a
// shard corrupt or gone, and the scrubber. All go through Mark, so the
// state recorded, the timeout and the log line do not depend on who found
// the shard.
package badshard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

// Timeout bounds one Mark.
const Timeout = 10 * time.Second

// Store records a shard's health; *metadata.Postgres implements it.
type Store interface {
	SetShardState(ctx context.Context, id blobmeta.ID, idx int, nodeID, state, reason string) (bool, error)
}

// Report is one bad shard.
type Report struct {
	Blob  blobmeta.ID
	Index int
	Node  blobmeta.Node
	// State is metadata.ShardMissing or metadata.ShardCorrupt.
	State string
	// Reason is kept with the blob's repair queue entry: who found the
	// shard ("scrub", "read: …", "write: …").
	Reason string
	// Cause is what the finder saw, for the log; it may be nil.
	Cause error
}

// StateOf returns the state a failed read or check of a shard means:
// missing when its node says it does not have it, corrupt otherwise.
func StateOf(err error) string {
	if errors.Is(err, node.ErrNotFound) {
		return metadata.ShardMissing
	}
	return metadata.ShardCorrupt
}

// Mark records rep, waiting at most Timeout. It keeps ctx's values but not
// its cancellation: a bad shard is worth recording even when the request
// that found it has gone. It returns whether the shard's state changed (a
// shard already marked is not news) and logs a change. A failure is
// logged and returned; the shard then waits for the next scrub to find it.
func Mark(ctx context.Context, st Store, log zerolog.Logger, rep Report) (bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
	defer cancel()
	changed, err := st.SetShardState(ctx, rep.Blob, rep.Index, rep.Node.ID, rep.State, rep.Reason)
	if err != nil {
		log.Warn().Err(err).Str("blob", rep.Blob.String()).Int("shard", rep.Index).Str("node", rep.Node.ID).
			Str("state", rep.State).Str("reason", rep.Reason).Msg("could not queue a bad shard for repair")
		return false, fmt.Errorf("mark shard %d of blob %s %s: %w", rep.Index, rep.Blob, rep.State, err)
	}
	if changed {
		ev := log.Warn().Str("blob", rep.Blob.String()).Int("shard", rep.Index).Str("node", rep.Node.ID).
			Str("addr", rep.Node.Addr).Str("state", rep.State).Str("reason", rep.Reason)
		if rep.Cause != nil {
			ev = ev.Err(rep.Cause)
		}
		ev.Msg("bad shard found; blob queued for repair")
	}
	return changed, nil
}
