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
	c, err := codec.New(b.Manifest.Params)
	if err != nil {
		return st, fmt.Errorf("repair blob %s: %w", b.ID, err)
	}
	sources, rewrite, holders := survey(t)
	if len(rewrite) == 0 {
		// Queued, but healthy by now (say, a node came back).
		return st, r.finish(ctx, t, nil)
	}
	if len(sources) < c.MinShards() {
		return st, fmt.Errorf("%w: blob %s has %d readable shards, needs %d", ErrUnrecoverable, b.ID, len(sources), c.MinShards())
	}
	shardLen := codec.NewLayout(c, b.Manifest.Size).ShardLen()
	targets, placed, short, err := r.place(ctx, t, rewrite, holders, shardLen)
	if err != nil {
		return st, err
	}
	if err := r.limit.wait(ctx, readCost(t, placed, c.MinShards(), shardLen)); err != nil {
		return st, fmt.Errorf("repair blob %s: %w", b.ID, err)
	}

	res, err := r.Blobs.Rebuild(ctx, blob.RebuildRequest{Manifest: b.Manifest, Placement: b.Placement, Sources: sources, Targets: targets})
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
	if err := r.commit(ctx, t, targets, placed); err != nil {
		return st, err
	}
	r.deleteOldCopies(ctx, t, targets, placed)
	st.Blobs, st.Shards = 1, len(placed)
	r.Log.Info().Str("blob", b.ID.String()).Int("shards", len(placed)).Int("copied", res.Copied).
		Int("rebuilt", res.Rebuilt).Int64("bytes_read", res.BytesRead).Int64("bytes_written", res.BytesWritten).
		Dur("took", time.Since(start)).Str("reason", t.Reason).Msg("blob repaired")
	if short > 0 {
		return st, fmt.Errorf("%w: blob %s, %d shards still to rewrite", ErrNoTarget, b.ID, short)
	}
	return st, nil
}

// survey sorts a task's shards: sources can be read, rewrite must be
// written elsewhere, unreadable ones first (they are lost redundancy,
// while a draining or misplaced shard still serves reads), and holders are
// the nodes that hold any shard of the blob.
func survey(t metadata.RepairTask) (sources, rewrite []int, holders map[string]bool) {
	holders = map[string]bool{}
	var lost, movable []int
	for _, sh := range t.Shards {
		holders[sh.NodeID] = true
		if sh.Readable() {
			sources = append(sources, sh.Index)
		}
		if !sh.NeedsRewrite() {
			continue
		}
		if sh.Readable() {
			movable = append(movable, sh.Index)
		} else {
			lost = append(lost, sh.Index)
		}
	}
	return sources, append(lost, movable...), holders
}

// place chooses a target node for each shard to rewrite, in order, and
// returns the targets, the shards that got one and how many did not. When
// no other node is free, a missing or corrupt shard goes back to its own
// healthy node. It fails with ErrNoTarget when no shard can be placed.
func (r *Repairer) place(ctx context.Context, t metadata.RepairTask, rewrite []int, holders map[string]bool, shardLen int64) (map[int]blobmeta.Node, []int, int, error) {
	id := t.Blob.ID
	nodes, err := r.targets.pick(ctx, len(rewrite), holders, shardLen)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("repair blob %s: %w", id, err)
	}
	targets := make(map[int]blobmeta.Node, len(rewrite))
	var placed []int
	short := 0
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
			short++
			continue
		}
		placed = append(placed, i)
	}
	if len(placed) == 0 {
		return nil, nil, 0, fmt.Errorf("%w: blob %s, %d shards to rewrite", ErrNoTarget, id, len(rewrite))
	}
	return targets, placed, short, nil
}

// readCost is the bytes a rebuild of shards will read, for the rate
// limit: a readable shard is copied (one shard's bytes), and any number
// of lost ones are decoded together from K shards.
func readCost(t metadata.RepairTask, shards []int, k int, shardLen int64) int64 {
	reads := int64(0)
	rebuilds := false
	for _, i := range shards {
		if t.Shards[i].Readable() {
			reads += shardLen
		} else {
			rebuilds = true
		}
	}
	if rebuilds {
		reads += int64(k) * shardLen
	}
	return reads
}

// commit records the moves of the rewritten shards. When another repair
// changed the blob meanwhile, the copies this one wrote that the blob does
// not reference are deleted.
func (r *Repairer) commit(ctx context.Context, t metadata.RepairTask, targets map[int]blobmeta.Node, shards []int) error {
	moves := make([]metadata.ShardMove, 0, len(shards))
	for _, i := range shards {
		moves = append(moves, metadata.ShardMove{Index: i, From: t.Shards[i].NodeID, To: targets[i].ID})
	}
	err := r.finish(ctx, t, moves)
	if errors.Is(err, metadata.ErrRepairConflict) {
		// Someone else changed the blob: what we wrote is referenced by
		// nothing, unless it is the same file.
		r.deleteShards(ctx, t.Blob, r.unreferenced(ctx, t.Blob, targets), shards)
	}
	return err
}

// deleteOldCopies deletes the copies a recorded repair replaced that can
// still be reached: they are orphans now.
func (r *Repairer) deleteOldCopies(ctx context.Context, t metadata.RepairTask, targets map[int]blobmeta.Node, shards []int) {
	old := make(map[int]blobmeta.Node)
	for _, i := range shards {
		if sh := t.Shards[i]; sh.Addr != "" && sh.NodeState != metadata.NodeDead && sh.NodeID != targets[i].ID {
			old[i] = blobmeta.Node{ID: sh.NodeID, Addr: sh.Addr}
		}
	}
	r.deleteShards(ctx, t.Blob, old, shards)
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
func (r *Repairer) deleteShards(ctx context.Context, b metadata.Blob, nodes map[int]blobmeta.Node, idx []int) {
	sel := make(map[int]blobmeta.Node, len(idx))
	for _, i := range idx {
		if nd, ok := nodes[i]; ok {
			sel[i] = nd
		}
	}
	r.Blobs.DeleteShards(ctx, b.ID, sel, "repair: shard copy not deleted; left for the orphan collector")
}
