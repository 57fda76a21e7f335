package scrub

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/floe-s3/floe/backend/badshard"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// verifyTimeout bounds one verification: the node reads the whole shard.
const verifyTimeout = 2 * time.Minute

// walk is one claim's work on one node.
type walk struct {
	s   *Scrubber
	p   *metadata.ScrubProgress // as last saved; its cursor and lease are the claim's token
	st  Stats
	end time.Time // when the slice runs out

	cursor   string               // last shard name dealt with
	pending  metadata.ScrubCounts // not saved yet
	lastSave time.Time
}

// row is a shards row with its shard name, the order the node lists in.
type row struct {
	metadata.ScrubShard
	name string
}

func (w *walk) run(ctx context.Context) error {
	w.cursor, w.lastSave = w.p.Cursor, time.Now()
	for {
		next, err := w.page(ctx)
		if err != nil {
			// Keep what was done; the error that matters is the first.
			if serr := w.save(context.WithoutCancel(ctx)); serr != nil && errors.Is(serr, metadata.ErrScrubLeaseLost) {
				return serr
			}
			return err
		}
		if next == "" {
			w.cursor = metadata.ScrubPassDone
			if err := w.save(ctx); err != nil {
				return err
			}
			w.st.PassDone = true
			w.s.Log.Info().Str("node", w.p.NodeID).Dur("took", time.Since(w.p.PassStartedAt)).
				Int64("checked", w.p.Checked).Int64("corrupt", w.p.Corrupt).
				Int64("missing", w.p.Missing).Int64("orphans", w.p.Orphans).
				Msg("scrub: pass finished (counts are totals over all passes)")
			return nil
		}
		if err := w.save(ctx); err != nil {
			return err
		}
		if time.Now().After(w.end) || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// page deals with the node's next page of shards and the rows that fall in
// its range of names. It returns "" after the last page.
func (w *walk) page(ctx context.Context) (string, error) {
	nodeID, addr := w.p.NodeID, w.p.Addr
	lctx, cancel := context.WithTimeout(ctx, callTimeout)
	pg, err := w.s.Client.ListShards(lctx, addr, w.cursor, w.s.pageSize())
	cancel()
	if err != nil {
		return "", errf(nodeID, "list shards after %q: %w", w.cursor, err)
	}
	if len(pg.Shards) == 0 {
		pg.Next = "" // nothing after the cursor, whatever the node says
	}
	// Rows in (cursor, last listed name], or (cursor, end) on the last
	// page. Blob IDs sort as their hex, so a blob ID range covers them.
	var from blobmeta.ID
	if id, _, err := shardfile.ParseName(w.cursor); err == nil {
		from = id
	}
	var to *blobmeta.ID
	last := ""
	if pg.Next != "" {
		e := pg.Shards[len(pg.Shards)-1]
		to, last = &e.ID, shardfile.Name(e.ID, e.Index)
	}
	qctx, cancel := context.WithTimeout(ctx, callTimeout)
	shards, err := w.s.Meta.NodeShards(qctx, nodeID, from, to)
	cancel()
	if err != nil {
		return "", errf(nodeID, "%w", err)
	}
	var rows []row
	for _, sh := range shards {
		name := shardfile.Name(sh.ID, sh.Index)
		if name > w.cursor && (last == "" || name <= last) {
			rows = append(rows, row{sh, name})
		}
	}
	// Index 10 sorts before index 2 by name, not by number.
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })

	j := 0
	for _, e := range pg.Shards {
		name := shardfile.Name(e.ID, e.Index)
		for ; j < len(rows) && rows[j].name < name; j++ {
			if err := w.missing(ctx, rows[j]); err != nil {
				return "", err
			}
		}
		if j < len(rows) && rows[j].name == name {
			if err := w.check(ctx, e, rows[j]); err != nil {
				return "", err
			}
			j++
		} else if err := w.orphan(ctx, e); err != nil {
			return "", err
		}
		w.cursor = name
		if err := w.maybeSave(ctx); err != nil {
			return "", err
		}
	}
	if pg.Next == "" {
		for ; j < len(rows); j++ {
			if err := w.missing(ctx, rows[j]); err != nil {
				return "", err
			}
		}
	}
	return pg.Next, nil
}

// check verifies a shard its row places on this node: the node hashes
// every block, and its root must be the one the blob's manifest commits to.
func (w *walk) check(ctx context.Context, e node.ListEntry, r row) error {
	if r.State == metadata.ShardCorrupt {
		return nil // already queued for repair
	}
	if err := w.s.pace.wait(ctx, max(e.Size, 0), w.s.rate()); err != nil {
		return err
	}
	vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	info, err := w.s.Client.ShardInfo(vctx, w.p.Addr, r.ID, r.Index, true)
	cancel()
	switch {
	case errors.Is(err, node.ErrNotFound):
		return w.missing(ctx, r) // deleted since the listing
	case errors.Is(err, node.ErrCorrupt):
		return w.mark(ctx, r, metadata.ShardCorrupt, err.Error())
	case err != nil:
		return errf(w.p.NodeID, "verify %s: %w", r.name, err)
	}
	w.st.Checked++
	w.pending.Checked++
	w.st.Bytes += info.Size
	if r.Index >= len(r.Manifest.ShardRoots) || info.Root != r.Manifest.ShardRoots[r.Index] || info.Manifest.ID() != r.ID {
		// Intact as the node sees it, but not the shard the blob commits to.
		return w.mark(ctx, r, metadata.ShardCorrupt, "shard root or manifest differs from the blob's")
	}
	if r.State == metadata.ShardMissing {
		// Back (its node returned) and intact: readable again.
		return w.set(ctx, r, metadata.ShardOK)
	}
	return nil
}

// missing marks a row's shard missing once the node confirms it does not
// have it: the row may have been written after the listing, by a write or
// a repair that stored the file since.
func (w *walk) missing(ctx context.Context, r row) error {
	if r.State == metadata.ShardMissing {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, callTimeout)
	_, err := w.s.Client.StatShard(sctx, w.p.Addr, r.ID, r.Index)
	cancel()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, node.ErrNotFound):
		return w.mark(ctx, r, metadata.ShardMissing, "not on the node")
	case errors.Is(err, node.ErrCorrupt):
		return w.mark(ctx, r, metadata.ShardCorrupt, err.Error())
	}
	return errf(w.p.NodeID, "stat %s: %w", r.name, err)
}

// mark records a bad shard (which queues its blob for repair) and counts it.
func (w *walk) mark(ctx context.Context, r row, state, why string) error {
	changed, err := badshard.Mark(ctx, w.s.Meta, w.s.Log, badshard.Report{Blob: r.ID, Index: r.Index,
		Node: blobmeta.Node{ID: w.p.NodeID, Addr: w.p.Addr}, State: state, Reason: reason, Cause: errors.New(why)})
	if err != nil {
		return errf(w.p.NodeID, "%w", err)
	}
	if !changed {
		return nil
	}
	if state == metadata.ShardCorrupt {
		w.st.Corrupt++
		w.pending.Corrupt++
	} else {
		w.st.Missing++
		w.pending.Missing++
	}
	return nil
}

func (w *walk) set(ctx context.Context, r row, state string) error {
	_, err := w.setChanged(ctx, r, state)
	return err
}

func (w *walk) setChanged(ctx context.Context, r row, state string) (bool, error) {
	mctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	changed, err := w.s.Meta.SetShardState(mctx, r.ID, r.Index, w.p.NodeID, state, reason)
	if err != nil {
		return false, errf(w.p.NodeID, "%w", err)
	}
	return changed, nil
}

// orphan deletes a shard file no row places on this node, if it is older
// than the grace and no write, deletion or repair may still need it.
func (w *walk) orphan(ctx context.Context, e node.ListEntry) error {
	grace := w.s.grace()
	if time.Since(e.ModTime) < grace {
		return nil
	}
	name := shardfile.Name(e.ID, e.Index)
	ictx, cancel := context.WithTimeout(ctx, callTimeout)
	info, err := w.s.Client.ShardInfo(ictx, w.p.Addr, e.ID, e.Index, false)
	cancel()
	var nonce []byte
	written := e.ModTime
	switch {
	case err == nil:
		if time.Since(info.ModTime) < grace {
			return nil // rewritten since the listing
		}
		nonce, written = info.Manifest.Nonce[:], info.ModTime
	case errors.Is(err, node.ErrNotFound):
		return nil
	case errors.Is(err, node.ErrCorrupt):
		// Its manifest is unreadable: OrphanDeletable falls back on times.
	default:
		return errf(w.p.NodeID, "info of %s: %w", name, err)
	}
	mctx, cancel := context.WithTimeout(ctx, callTimeout)
	ok, err := w.s.Meta.OrphanDeletable(mctx, e.ID, e.Index, w.p.NodeID, nonce, written)
	cancel()
	if err != nil {
		return errf(w.p.NodeID, "%w", err)
	}
	if !ok {
		return nil
	}
	dctx, cancel := context.WithTimeout(ctx, callTimeout)
	err = w.s.Client.DeleteShard(dctx, w.p.Addr, e.ID, e.Index)
	cancel()
	if err != nil && !errors.Is(err, node.ErrNotFound) {
		return errf(w.p.NodeID, "delete orphan %s: %w", name, err)
	}
	w.st.Orphans++
	w.pending.Orphans++
	w.s.Log.Info().Str("node", w.p.NodeID).Str("shard", name).Time("written", written).
		Msg("scrub: orphan shard deleted")
	return nil
}

// maybeSave saves progress when the lease is a quarter gone, so it never
// runs out while the node is worked.
func (w *walk) maybeSave(ctx context.Context) error {
	if time.Since(w.lastSave) < lease/4 {
		return nil
	}
	return w.save(ctx)
}

func (w *walk) save(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := w.s.Meta.SaveScrub(sctx, w.p, w.cursor, w.pending, lease); err != nil {
		return err
	}
	w.pending, w.lastSave = metadata.ScrubCounts{}, time.Now()
	return nil
}
