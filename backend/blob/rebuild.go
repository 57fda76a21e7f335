package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// RebuildRequest says which shards of a blob to write anew and where.
type RebuildRequest struct {
	Manifest *blobmeta.Manifest
	// Placement[i] is the node that holds (or held) shard i.
	Placement []blobmeta.Node
	// Sources are the shards that can be read. A target in Sources is
	// copied straight from its current node; the others are rebuilt
	// from K sources.
	Sources []int
	// Targets maps a shard index to the node that must receive it.
	Targets map[int]blobmeta.Node
}

// RebuildStats measures a Rebuild.
type RebuildStats struct {
	BytesRead    int64 // shard bytes received from nodes
	BytesWritten int64 // shard bytes sent to targets
	Copied       int   // shards copied from their current node
	Rebuilt      int   // shards reconstructed from other shards
	// FailedTargets are the shards whose target node failed to take
	// them; a retry should pick other nodes for them.
	FailedTargets []int
}

// Rebuild writes the target shards of a blob to their new nodes. Each is
// byte-identical to the lost one: the node checks it against the blob's
// manifest before keeping it. On error, targets already written are
// deleted again (best effort) and nothing is left half-done.
func (s *Store) Rebuild(ctx context.Context, req RebuildRequest) (st RebuildStats, err error) {
	m := req.Manifest
	if err := m.Validate(); err != nil {
		return st, fmt.Errorf("blob: rebuild: %w", err)
	}
	c, err := codec.New(m.Params)
	if err != nil {
		return st, fmt.Errorf("blob: rebuild: %w", err)
	}
	if len(req.Placement) != c.Shards() {
		return st, fmt.Errorf("blob: rebuild: placement names %d nodes for %d shards", len(req.Placement), c.Shards())
	}
	id := m.ID()
	mb := m.Marshal()
	layout := codec.NewLayout(c, m.Size)

	written := map[int]blobmeta.Node{} // targets stored so far
	defer func() {
		if err != nil {
			s.DeleteShards(ctx, id, written, "could not delete shard of failed rebuild; left for the orphan collector")
		}
	}()

	// Cheap path first: a target still readable where it is costs one
	// shard's bytes instead of K.
	var rebuild []int
	for _, i := range slices.Sorted(maps.Keys(req.Targets)) {
		if i < 0 || i >= c.Shards() {
			return st, fmt.Errorf("blob: rebuild: no shard %d", i)
		}
		if !slices.Contains(req.Sources, i) {
			rebuild = append(rebuild, i)
			continue
		}
		n, werr := s.copyShard(ctx, id, mb, layout, i, req.Placement[i], req.Targets[i], m.ShardRoots[i])
		st.BytesRead += n
		if werr != nil {
			s.log.Warn().Str("blob", id.String()).Int("shard", i).Str("from", req.Placement[i].Addr).
				Err(werr).Msg("shard copy failed; rebuilding it from the other shards")
			rebuild = append(rebuild, i)
			continue
		}
		st.Copied++
		st.BytesWritten += layout.ShardLen()
		written[i] = req.Targets[i]
	}
	if len(rebuild) == 0 {
		return st, nil
	}
	var skip []int
	for i := range c.Shards() {
		if !slices.Contains(req.Sources, i) || slices.Contains(rebuild, i) {
			skip = append(skip, i)
		}
	}
	n, err := s.reconstruct(ctx, c, m, mb, req.Placement, skip, rebuild, req.Targets, &st.FailedTargets)
	st.BytesRead += n
	if err != nil {
		return st, err
	}
	st.Rebuilt += len(rebuild)
	st.BytesWritten += int64(len(rebuild)) * layout.ShardLen()
	return st, nil
}

// copyShard streams shard i from its current node to its target, checking
// every block against the manifest on the way. It returns the bytes read.
func (s *Store) copyShard(ctx context.Context, id blobmeta.ID, mb []byte, layout codec.Layout,
	i int, from, to blobmeta.Node, root blobmeta.Hash) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, copyTimeout(layout.ShardLen()))
	defer cancel()
	sr, err := s.t.GetShard(ctx, from.Addr, id, i, 0, -1, node.GetOptions{Hashes: true})
	if err != nil {
		return 0, fmt.Errorf("copy shard %d from %s: %w", i, from.Addr, err)
	}
	defer sr.Body.Close()
	if int64(len(sr.Hashes)) != layout.Stripes() || integrity.ShardRoot(sr.Hashes) != root {
		return 0, fmt.Errorf("copy shard %d from %s: block hashes do not match the manifest", i, from.Addr)
	}
	vr := &verifyingReader{r: sr.Body, layout: layout, hashes: sr.Hashes, buf: make([]byte, layout.BlockSize())}
	got, err := s.t.PutShard(ctx, to.Addr, i, layout.BlockSize(), vr, func() []byte { return mb })
	if err != nil {
		return vr.read, fmt.Errorf("copy shard %d from %s to %s: %w", i, from.Addr, to.Addr, err)
	}
	if got != id {
		return vr.read, fmt.Errorf("copy shard %d to %s: node acknowledged blob %s, want %s", i, to.Addr, got, id)
	}
	return vr.read, nil
}

// copyTimeout allows a shard copy at least 1 MiB/s, and a minute at least.
func copyTimeout(n int64) time.Duration {
	return time.Minute + time.Duration(n>>20)*time.Second
}

// verifyingReader passes a shard's blocks through once each matches its hash.
type verifyingReader struct {
	r      io.Reader
	layout codec.Layout
	hashes []blobmeta.Hash
	buf    []byte
	cur    []byte
	next   int64 // next block to read
	read   int64 // bytes read from r
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	for len(v.cur) == 0 {
		if v.next >= v.layout.Stripes() {
			return 0, io.EOF
		}
		b := v.buf[:v.layout.BlockLen(v.next)]
		n, err := io.ReadFull(v.r, b)
		v.read += int64(n)
		if err != nil {
			return 0, fmt.Errorf("block %d: %w", v.next, err)
		}
		if integrity.BlockHash(b) != v.hashes[v.next] {
			return 0, fmt.Errorf("block %d fails its hash", v.next)
		}
		v.cur = b
		v.next++
	}
	n := copy(p, v.cur)
	v.cur = v.cur[n:]
	return n, nil
}

// reconstruct reads the blob from the shards not in skip (verified, hedged
// and degraded, as any read), re-encodes every stripe and streams the
// pieces of the shards in rebuild to their targets. It returns the bytes
// read from nodes.
func (s *Store) reconstruct(ctx context.Context, c codec.Codec, m *blobmeta.Manifest, mb []byte,
	place []blobmeta.Node, skip, rebuild []int, targets map[int]blobmeta.Node, failed *[]int) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	id := m.ID()
	r, err := s.newReader(ctx, m, place, 0, m.Size, skip)
	if err != nil {
		return 0, fmt.Errorf("blob: rebuild: %w", err)
	}
	defer r.Close()

	// One stripe of data and its pieces, out of the write memory budget.
	ss := m.Params.StripeSize
	bs := c.PieceSize(ss)
	cost := min(int64(ss+c.Shards()*bs), s.opts.WriteMemory)
	if err := s.writeMem.Acquire(ctx, cost); err != nil {
		return 0, fmt.Errorf("blob: rebuild: %w", err)
	}
	defer s.writeMem.Release(cost)
	data := make([]byte, ss)
	pieces := make([][]byte, c.Shards())
	for i := range pieces {
		pieces[i] = make([]byte, bs)
	}

	type out struct {
		i    int
		pw   *io.PipeWriter
		ctx  context.Context
		stop context.CancelCauseFunc
		done chan error
	}
	outs := make([]*out, 0, len(rebuild))
	for _, i := range rebuild {
		pr, pw := io.Pipe()
		octx, stop := context.WithCancelCause(ctx)
		o := &out{i: i, pw: pw, ctx: octx, stop: stop, done: make(chan error, 1)}
		addr := targets[i].Addr
		go func() {
			got, err := s.t.PutShard(octx, addr, i, bs, pr, func() []byte { return mb })
			if err == nil && got != id {
				err = fmt.Errorf("node acknowledged blob %s, want %s", got, id)
			}
			if err != nil {
				pr.CloseWithError(err)
				err = fmt.Errorf("write shard %d to %s: %w", i, addr, err)
			}
			o.done <- err
		}()
		outs = append(outs, o)
	}
	finish := func(cause error) error {
		var errs []error
		for _, o := range outs {
			if cause != nil {
				o.pw.CloseWithError(cause)
				o.stop(cause)
			} else {
				o.pw.Close()
			}
			if err := <-o.done; err != nil && cause == nil {
				errs = append(errs, err)
				*failed = append(*failed, o.i)
			}
			o.stop(nil)
		}
		if cause != nil {
			return cause
		}
		return errors.Join(errs...)
	}

	layout := codec.NewLayout(c, m.Size)
	for st := range layout.Stripes() {
		n := layout.StripeLen(st)
		if _, err := io.ReadFull(r, data[:n]); err != nil {
			return r.fetched.Load(), finish(fmt.Errorf("blob %s: rebuild: read stripe %d: %w", id, st, err))
		}
		ps := c.PieceSize(n)
		for i := range pieces {
			pieces[i] = pieces[i][:ps]
		}
		if err := c.Encode(data[:n], pieces); err != nil {
			return r.fetched.Load(), finish(fmt.Errorf("blob %s: rebuild: %w", id, err))
		}
		for _, o := range outs {
			if err := s.writePiece(o.pw, o.stop, pieces[o.i]); err != nil {
				*failed = append(*failed, o.i)
				return r.fetched.Load(), finish(fmt.Errorf("blob %s: rebuild shard %d: %w", id, o.i, err))
			}
		}
	}
	return r.fetched.Load(), finish(nil)
}

// writePiece sends one piece down a target's pipe, giving up if the node
// takes nothing for StallTimeout.
func (s *Store) writePiece(pw *io.PipeWriter, stop context.CancelCauseFunc, piece []byte) error {
	timer := time.AfterFunc(s.opts.StallTimeout, func() {
		stop(errStalled)
		pw.CloseWithError(errStalled)
	})
	_, err := pw.Write(piece)
	if !timer.Stop() && err == nil {
		err = errStalled
	}
	return err
}
