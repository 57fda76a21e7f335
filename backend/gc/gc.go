// Package gc deletes the shards of blobs nothing references any more: blobs
// of overwritten and deleted objects, which the metadata store queues in the
// same transaction that drops them, and blobs whose write was never
// committed (found through their stale write intents). Shards are deleted
// only after the transaction that orphaned them has committed. It also
// aborts multipart uploads left unfinished for too long.
package gc

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

// Store is what a Collector needs of the metadata store; *metadata.Postgres
// implements it.
type Store interface {
	ClaimDeletions(ctx context.Context, limit int) ([]metadata.Blob, error)
	FinishDeletion(ctx context.Context, id blobmeta.ID) error
	StaleIntents(ctx context.Context, olderThan time.Duration, limit int) ([]metadata.Intent, error)
	DeleteIntent(ctx context.Context, nonce []byte) error
	AbortStaleUploads(ctx context.Context, olderThan time.Duration, limit int) (int, error)
	ListNodes(ctx context.Context) ([]metadata.NodeInfo, error)
}

// NodeClient is what a Collector needs of the storage nodes; *node.Client
// implements it, blob.InmemTransport fakes it.
type NodeClient interface {
	DeleteShard(ctx context.Context, addr string, id blobmeta.ID, index int) error
}

// Collector runs garbage collection rounds.
type Collector struct {
	Meta   Store
	Client NodeClient
	// IntentGrace is how old an uncommitted write intent must be before
	// its blob is collected (default 1h): longer than any write takes.
	IntentGrace time.Duration
	Interval    time.Duration // between rounds; default 5s
	// UploadExpiry aborts multipart uploads initiated longer ago than
	// this, queueing their parts' blobs; 0 never aborts them.
	UploadExpiry time.Duration
	Log          zerolog.Logger
	// OnRound, if set, is told what each round of Run did (metrics).
	OnRound func(Stats)

	nextExpiry time.Time // when rounds next look for stale uploads
}

// Stats counts what a round did.
type Stats struct {
	Blobs   int // queued blobs whose shards were deleted
	Intents int // stale intents collected
	Failed  int // blobs left for a later round
	Uploads int // stale multipart uploads aborted
}

// RunOnce collects what is queued now and returns what it did.
func (c *Collector) RunOnce(ctx context.Context) (Stats, error) {
	var st Stats
	// Stale uploads first, so this round already deletes their shards. A
	// failure here must not hold up the deletions.
	if err := c.expireUploads(ctx, &st); err != nil && ctx.Err() == nil {
		c.Log.Warn().Err(err).Msg("gc: stale uploads not aborted; will retry")
	}
	for {
		blobs, err := c.Meta.ClaimDeletions(ctx, 100)
		if err != nil {
			return st, fmt.Errorf("gc: claim deletions: %w", err)
		}
		if len(blobs) == 0 {
			break
		}
		progress := false
		for _, b := range blobs {
			if err := c.deleteShards(ctx, b.ID, b.Placement); err != nil {
				st.Failed++
				c.Log.Warn().Err(err).Str("blob", b.ID.String()).Msg("gc: shards not deleted; will retry")
				continue
			}
			if err := c.Meta.FinishDeletion(ctx, b.ID); err != nil {
				return st, fmt.Errorf("gc: finish deletion of %s: %w", b.ID, err)
			}
			st.Blobs++
			progress = true
		}
		if !progress {
			break
		}
	}
	grace := c.IntentGrace
	if grace == 0 {
		grace = time.Hour
	}
	intents, err := c.Meta.StaleIntents(ctx, grace, 100)
	if err != nil {
		return st, fmt.Errorf("gc: stale intents: %w", err)
	}
	if len(intents) > 0 {
		nodes, err := c.Meta.ListNodes(ctx)
		if err != nil {
			return st, fmt.Errorf("gc: list nodes: %w", err)
		}
		addr := map[string]string{}
		for _, n := range nodes {
			if n.State != metadata.NodeDead {
				addr[n.ID] = n.Addr
			}
		}
		for _, in := range intents {
			if in.BlobID != nil {
				place := make([]nodeRef, len(in.NodeIDs))
				for i, id := range in.NodeIDs {
					place[i] = nodeRef{ID: id, Addr: addr[id]}
				}
				if err := c.deleteRefs(ctx, *in.BlobID, place); err != nil {
					st.Failed++
					c.Log.Warn().Err(err).Msg("gc: shards of an uncommitted write not deleted; will retry")
					continue
				}
			}
			// Without a blob ID the write never finished: nodes dropped
			// its partial shards when the stream broke.
			if err := c.Meta.DeleteIntent(ctx, in.Nonce); err != nil {
				return st, fmt.Errorf("gc: delete intent: %w", err)
			}
			st.Intents++
		}
	}
	return st, nil
}

// expireUploads aborts the uploads older than UploadExpiry, 100 per
// transaction. The query scans every upload, so it runs only every tenth
// of the expiry, at most once a minute, not every round.
func (c *Collector) expireUploads(ctx context.Context, st *Stats) error {
	if c.UploadExpiry <= 0 || time.Now().Before(c.nextExpiry) {
		return nil
	}
	c.nextExpiry = time.Now().Add(min(c.UploadExpiry/10, time.Minute))
	for {
		n, err := c.Meta.AbortStaleUploads(ctx, c.UploadExpiry, 100)
		if err != nil {
			return fmt.Errorf("gc: abort stale uploads: %w", err)
		}
		st.Uploads += n
		if n < 100 {
			return nil
		}
	}
}

type nodeRef struct{ ID, Addr string }

func (c *Collector) deleteShards(ctx context.Context, id blobmeta.ID, place []blobmeta.Node) error {
	refs := make([]nodeRef, len(place))
	for i, p := range place {
		refs[i] = nodeRef{ID: p.ID, Addr: p.Addr}
	}
	return c.deleteRefs(ctx, id, refs)
}

// deleteRefs deletes every shard of blob id; a shard already gone counts
// as deleted. A node without an address (dead, or removed from the
// cluster) is skipped rather than waited for, possibly for ever: should it
// come back, the scrubber deletes the shard as an orphan, since no blob
// refers to it any more.
func (c *Collector) deleteRefs(ctx context.Context, id blobmeta.ID, place []nodeRef) error {
	var errs []error
	for i, n := range place {
		if n.Addr == "" {
			c.Log.Debug().Str("blob", id.String()).Int("shard", i).Str("node", n.ID).
				Msg("gc: shard on a dead or removed node left for the orphan scrubber")
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.Client.DeleteShard(dctx, n.Addr, id, i)
		cancel()
		if err != nil && !errors.Is(err, node.ErrNotFound) {
			errs = append(errs, fmt.Errorf("shard %d on %s: %w", i, n.Addr, err))
		}
	}
	return errors.Join(errs...)
}

// Run collects every Interval until ctx is done.
func (c *Collector) Run(ctx context.Context) {
	iv := c.Interval
	if iv == 0 {
		iv = 5 * time.Second
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		st, err := c.RunOnce(ctx)
		if c.OnRound != nil {
			c.OnRound(st)
		}
		if err != nil && ctx.Err() == nil {
			c.Log.Warn().Err(err).Msg("gc round failed")
		}
		if st.Blobs+st.Intents+st.Uploads > 0 {
			c.Log.Info().Int("blobs", st.Blobs).Int("intents", st.Intents).Int("uploads", st.Uploads).Int("failed", st.Failed).Msg("gc round")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
