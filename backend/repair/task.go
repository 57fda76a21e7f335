package repair

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Repair restores one claimed blob: every shard that NeedsRewrite is
// written to a new node and the moves are recorded. It does not touch the
// queue entry on error; the caller records the failure. A blob with no
// node free for some of its shards gets the others repaired, and the error
// wraps ErrNoTarget.
func (r *Repairer) Repair(ctx context.Context, t metadata.RepairTask) (Stats, error) {
	r.init()
	var st Stats
	start := time.Now()
	b := t.Blob
	m := b.Manifest
	c, err := codec.New(m.Params)
	if err != nil {
		return st, fmt.Errorf("repair blob %s: %w", b.ID, err)
	}
	var sources, rewrite []int
	holders := map[string]bool{}
	for _, sh := range t.Shards {
		holders[sh.NodeID] = true
		if sh.Readable() {
			sources = append(sources, sh.Index)
		}
		if sh.NeedsRewrite() {
			rewrite = append(rewrite, sh.Index)
		}
	}
	if len(rewrite) == 0 {
		// Queued, but healthy by now (say, a node came back).
		return st, r.finish(ctx, t, nil)
	}
	if len(sources) < c.MinShards() {
		return st, fmt.Errorf("%w: blob %s has %d readable shards, needs %d", ErrUnrecoverable, b.ID, len(sources), c.MinShards())
	}
	// Unreadable shards first: they are lost redundancy, while a draining
	// or misplaced shard still serves reads.
	var lost, movable []int
	for _, i := range rewrite {
		if t.Shards[i].Readable() {
			movable = append(movable, i)
		} else {
			lost = append(lost, i)
		}
	}
	rewrite = append(lost, movable...)
	shardLen := codec.NewLayout(c, m.Size).ShardLen()
	nodes, err := r.targets.pick(ctx, len(rewrite), holders, shardLen)
	if err != nil {
		return st, fmt.Errorf("repair blob %s: %w", b.ID, err)
	}
	targets := make(map[int]blobmeta.Node, len(rewrite))
	var placed, unplaced []int
	for j, i := range rewrite {
		switch sh := t.Shards[i]; {
		case j < len(nodes):
			targets[i] = nodes[j]
		case (sh.State == metadata.ShardMissing || sh.State == metadata.ShardCorrupt) &&
			sh.NodeState == metadata.NodeAlive && sh.Addr != "" && !r.targets.avoided(sh.NodeID):
			// No other node is free, but this one is healthy and merely
			// lacks a good copy (a failed write, a lost or damaged file):
			// write it back where it belongs. A node replaces a damaged
			// copy with a verified one (shardfile's install).
			targets[i] = blobmeta.Node{ID: sh.NodeID, Addr: sh.Addr}
		default:
			unplaced = append(unplaced, i)
			continue
		}
		placed = append(placed, i)
	}
	if len(placed) == 0 {
		return st, fmt.Errorf("%w: blob %s, %d shards to rewrite", ErrNoTarget, b.ID, len(rewrite))
	}
	short := len(unplaced)
	rewrite = placed
	reads := int64(0)
	rebuilds := false
	for _, i := range rewrite {
		if t.Shards[i].Readable() {
			reads += shardLen
		} else {
			rebuilds = true
		}
	}
	if rebuilds {
		reads += int64(c.MinShards()) * shardLen
	}
	if err := r.limit.wait(ctx, reads); err != nil {
		return st, fmt.Errorf("repair blob %s: %w", b.ID, err)
	}

	res, err := r.Blobs.Rebuild(ctx, blob.RebuildRequest{Manifest: m, Placement: b.Placement, Sources: sources, Targets: targets})
	st.BytesRead, st.BytesWritten = res.BytesRead, res.BytesWritten
	if err != nil {
		for _, i := range res.FailedTargets {
			r.targets.failed(targets[i].ID)
		}
		if errors.Is(err, blob.ErrNotEnoughShards) {
			err = fmt.Errorf("%w: %w", ErrUnrecoverable, err)
		}
		return st, fmt.Errorf("repair blob %s: %w", b.ID, err)
	}
	moves := make([]metadata.ShardMove, 0, len(rewrite))
	for _, i := range rewrite {
		moves = append(moves, metadata.ShardMove{Index: i, From: t.Shards[i].NodeID, To: targets[i].ID})
	}
	if err := r.finish(ctx, t, moves); err != nil {
		if errors.Is(err, metadata.ErrRepairConflict) {
			// Someone else changed the blob: what we wrote is
			// referenced by nothing, unless it is the same file.
			r.deleteShards(b, r.unreferenced(ctx, b, targets), rewrite)
		}
		return st, err
	}
	// The old copies that can still be reached are now orphans.
	old := make(map[int]blobmeta.Node)
	for _, i := range rewrite {
		if sh := t.Shards[i]; sh.Addr != "" && sh.NodeState != metadata.NodeDead && sh.NodeID != targets[i].ID {
			old[i] = blobmeta.Node{ID: sh.NodeID, Addr: sh.Addr}
		}
	}
	r.deleteShards(b, old, rewrite)
	st.Blobs, st.Shards = 1, len(rewrite)
	r.Log.Info().Str("blob", b.ID.String()).Int("shards", len(rewrite)).Int("copied", res.Copied).
		Int("rebuilt", res.Rebuilt).Int64("bytes_read", res.BytesRead).Int64("bytes_written", res.BytesWritten).
		Dur("took", time.Since(start)).Str("reason", t.Reason).Msg("blob repaired")
	if short > 0 {
		return st, fmt.Errorf("%w: blob %s, %d shards still to rewrite", ErrNoTarget, b.ID, short)
	}
	return st, nil
}

// finish records the moves and takes the blob off the queue.
func (r *Repairer) finish(ctx context.Context, t metadata.RepairTask, moves []metadata.ShardMove) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.Meta.FinishRepair(ctx, t.Blob.ID, moves); err != nil {
		return fmt.Errorf("repair blob %s: %w", t.Blob.ID, err)
	}
	return nil
}

// unreferenced returns the targets of a repair that lost a race whose
// shards the blob's current rows do not place there. A repairer whose
// lease ran out and the one that took the blob over pick the same node for
// a shard (the most free one holding nothing of the blob), so the loser's
// file is often the winner's, by then recorded: deleting it would lose a
// shard the metadata calls healthy. If the rows cannot be read, nothing is
// deleted: the orphan collector checks the rows before it deletes.
func (r *Repairer) unreferenced(ctx context.Context, b metadata.Blob, targets map[int]blobmeta.Node) map[int]blobmeta.Node {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	cur, err := r.Meta.GetRepairTask(ctx, b.ID)
	if errors.Is(err, metadata.ErrNoSuchBlob) {
		return targets // deleted meanwhile: nothing references any of them
	}
	if err != nil {
		r.Log.Warn().Str("blob", b.ID.String()).Err(err).
			Msg("repair: shards written by a repair that lost a race not deleted; left for the orphan collector")
		return nil
	}
	out := maps.Clone(targets)
	for _, sh := range cur.Shards {
		if nd, ok := out[sh.Index]; ok && nd.ID == sh.NodeID {
			delete(out, sh.Index) // the winner's shard now
		}
	}
	return out
}

// deleteShards deletes shard i of b from nodes[i] for each i in idx that
// nodes names, best effort: what is left is found by the orphan collector.
func (r *Repairer) deleteShards(b metadata.Blob, nodes map[int]blobmeta.Node, idx []int) {
	sel := make(map[int]blobmeta.Node, len(idx))
	for _, i := range idx {
		if nd, ok := nodes[i]; ok {
			sel[i] = nd
		}
	}
	r.Blobs.DeleteShards(b.ID, sel, "repair: shard copy not deleted; left for the orphan collector")
}
