// Package scrub walks every storage node's shards in the background and
// reconciles them with the metadata store: shards that fail verification
// are marked corrupt, shards the store places on a node that does not have
// them are marked missing (both queue their blob for repair), and shard
// files no row references (left by repair, by a deletion that missed a
// node that was down, or by a gateway that crashed before committing) are
// deleted once they are old enough and no write may still commit them.
//
// Progress lives in the scrub_progress table, one row per node, so a pass
// resumes where it stopped and several gateways scrub different nodes.
package scrub

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

// Defaults of Scrubber's fields.
const (
	DefaultRate         = 16 << 20 // bytes per second
	DefaultOrphanGrace  = time.Hour
	DefaultPageSize     = 100
	DefaultSlice        = 30 * time.Second
	DefaultIdle         = 10 * time.Second
	DefaultPassInterval = time.Hour
	lease               = 2 * time.Minute
	callTimeout         = 30 * time.Second
	reason              = "scrub"
)

// Store is what a Scrubber needs of the metadata store: scrub leases, the
// rows to check a node's files against, and shard health. *metadata.Postgres
// implements it.
type Store interface {
	ClaimScrub(ctx context.Context, lease, rest time.Duration) (metadata.ScrubProgress, bool, error)
	SaveScrub(ctx context.Context, p *metadata.ScrubProgress, cursor string, add metadata.ScrubCounts, lease time.Duration) error
	ReleaseScrub(ctx context.Context, p metadata.ScrubProgress) error
	NodeShards(ctx context.Context, nodeID string, from blobmeta.ID, to *blobmeta.ID) ([]metadata.ScrubShard, error)
	OrphanDeletable(ctx context.Context, id blobmeta.ID, idx int, nodeID string, nonce []byte, written time.Time) (bool, error)
	SetShardState(ctx context.Context, id blobmeta.ID, idx int, nodeID, state, reason string) (bool, error)
}

// NodeClient is what a Scrubber needs of the storage nodes; *node.Client
// implements it, blob.InmemTransport fakes it.
type NodeClient interface {
	ListShards(ctx context.Context, addr string, after string, limit int) (node.ListPage, error)
	ShardInfo(ctx context.Context, addr string, id blobmeta.ID, index int, verify bool) (node.ShardInfo, error)
	StatShard(ctx context.Context, addr string, id blobmeta.ID, index int) (node.ShardStat, error)
	DeleteShard(ctx context.Context, addr string, id blobmeta.ID, index int) error
}

// Scrubber scrubs nodes, one at a time.
type Scrubber struct {
	Meta   Store
	Client NodeClient
	// Rate bounds the shard bytes verified per second (DefaultRate if 0;
	// negative: unlimited). A gateway started with rate 0 runs no
	// scrubber at all.
	Rate int64
	// OrphanGrace is how old an unreferenced shard file must be before it
	// is deleted (DefaultOrphanGrace if 0; negative: no wait): longer than
	// any write takes from its first shard to its commit.
	OrphanGrace time.Duration
	PageSize    int           // shards listed per request; DefaultPageSize if 0
	Slice       time.Duration // how long a node is worked before the next is chosen; DefaultSlice if 0
	// PassInterval is the least time between the end of a node's pass and
	// the start of its next (DefaultPassInterval if 0; negative: none), so
	// small nodes are not scrubbed over and over. A restarted pass
	// (RestartScrub) does not wait.
	PassInterval time.Duration
	Idle         time.Duration // wait when there is nothing to do or a node failed; DefaultIdle if 0
	Log          zerolog.Logger
	// OnStep, if set, is told what each Step of Run did (metrics): at
	// the end of a node's slice or pass, or when it failed.
	OnStep func(Stats)

	pace pacer
}

// Stats counts what Step did.
type Stats struct {
	NodeID string // the node scrubbed; "" if none was free
	metadata.ScrubCounts
	Bytes     int64 // shard bytes verified
	PassDone  bool  // the node's pass finished
	LeaseLost bool  // the node was taken away (its pass restarted)
}

// Run scrubs until ctx is done.
func (s *Scrubber) Run(ctx context.Context) {
	for ctx.Err() == nil {
		st, err := s.Step(ctx)
		if s.OnStep != nil {
			s.OnStep(st)
		}
		if err != nil && ctx.Err() == nil {
			s.Log.Warn().Err(err).Str("node", st.NodeID).Msg("scrub: node not scrubbed; will retry")
		}
		if err != nil || st.NodeID == "" {
			select {
			case <-ctx.Done():
			case <-time.After(s.idle()):
			}
		}
	}
}

// Step claims the node due next and scrubs it until its pass ends, the
// slice runs out or ctx is done, saving progress as it goes.
func (s *Scrubber) Step(ctx context.Context) (Stats, error) {
	p, ok, err := s.meta(ctx, func(ctx context.Context) (metadata.ScrubProgress, bool, error) {
		return s.Meta.ClaimScrub(ctx, lease, s.passInterval())
	})
	if err != nil || !ok {
		return Stats{}, err
	}
	w := &walk{s: s, p: &p, st: Stats{NodeID: p.NodeID}, end: time.Now().Add(s.slice())}
	err = w.run(ctx)
	if errors.Is(err, metadata.ErrScrubLeaseLost) {
		w.st.LeaseLost, err = true, nil
	}
	if err != nil && ctx.Err() == nil {
		// Keep the lease on a node that failed (unreachable, say): it is
		// left alone until the lease runs out, and others are scrubbed
		// meanwhile instead of retrying it first again and again.
		return w.st, err
	}
	// Release even when ctx is done, so the node is not held for the
	// rest of the lease; a claim another took is left alone.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	defer cancel()
	if rerr := s.Meta.ReleaseScrub(rctx, p); rerr != nil && err == nil {
		err = rerr
	}
	return w.st, err
}

// meta runs a metadata call with a deadline.
func (s *Scrubber) meta(ctx context.Context, f func(context.Context) (metadata.ScrubProgress, bool, error)) (metadata.ScrubProgress, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return f(ctx)
}

func (s *Scrubber) slice() time.Duration {
	if s.Slice > 0 {
		return s.Slice
	}
	return DefaultSlice
}

// idle is at most the pass interval, so a node is scrubbed again soon
// after it is due.
func (s *Scrubber) idle() time.Duration {
	d := DefaultIdle
	if s.Idle > 0 {
		d = s.Idle
	}
	if pi := s.passInterval(); pi > 0 {
		d = min(d, pi)
	}
	return max(d, 10*time.Millisecond)
}

func (s *Scrubber) passInterval() time.Duration {
	return durationOption(s.PassInterval, DefaultPassInterval)
}

// durationOption reads a duration field: 0 selects def, a negative value
// means none.
func durationOption(v, def time.Duration) time.Duration {
	switch {
	case v > 0:
		return v
	case v < 0:
		return 0
	}
	return def
}

func (s *Scrubber) pageSize() int {
	if s.PageSize > 0 {
		return s.PageSize
	}
	return DefaultPageSize
}

func (s *Scrubber) grace() time.Duration {
	return durationOption(s.OrphanGrace, DefaultOrphanGrace)
}

func (s *Scrubber) rate() int64 {
	if s.Rate == 0 {
		return DefaultRate
	}
	return s.Rate
}

// pacer spaces out verification so that, over any stretch, no more than
// rate bytes per second are verified (after a burst of one second's worth).
type pacer struct {
	next time.Time // when the budget is back to zero
}

// wait blocks until n more bytes may be verified at rate.
func (p *pacer) wait(ctx context.Context, n, rate int64) error {
	if rate < 0 || n <= 0 {
		return nil
	}
	now := time.Now()
	if p.next.Before(now.Add(-time.Second)) {
		p.next = now.Add(-time.Second) // allow a one-second burst, no more
	}
	p.next = p.next.Add(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
	d := p.next.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errf wraps an error with the node it concerns.
func errf(nodeID, format string, args ...any) error {
	return fmt.Errorf("scrub: node %s: "+format, append([]any{nodeID}, args...)...)
}
