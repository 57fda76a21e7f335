// Package repair restores the redundancy of blobs that lost shards: it
// claims blobs from the metadata store's repair queue, writes each shard
// that must move (its node dead or draining, the shard corrupt, missing or
// misplaced) to a node holding nothing of the blob, records the moves in
// one compare-and-set transaction and deletes the old copies it can reach.
//
// Several workers and several gateways may repair at once: the queue's
// leases give each blob to one repairer at a time, and a repair that lost a
// race (metadata.ErrRepairConflict) deletes what it wrote, except files the
// winner recorded as its own. Reads are rate-limited so repair cannot
// starve clients.
package repair

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

// Defaults of the Repairer fields.
const (
	DefaultWorkers = 2
	DefaultRate    = 64 << 20 // bytes read per second
)

// Store is what a Repairer needs of the metadata store: the repair queue
// and the nodes to rebuild on. *metadata.Postgres implements it.
type Store interface {
	ClaimRepairs(ctx context.Context, limit int, lease time.Duration) ([]metadata.RepairTask, error)
	GetRepairTask(ctx context.Context, id blobmeta.ID) (metadata.RepairTask, error)
	FinishRepair(ctx context.Context, id blobmeta.ID, moves []metadata.ShardMove) error
	FailRepair(ctx context.Context, id blobmeta.ID, cause error, retryAfter time.Duration) error
	ReleaseRepair(ctx context.Context, id blobmeta.ID) error
	EnqueueRepair(ctx context.Context, reason string, ids ...blobmeta.ID) error
	RepairStatus(ctx context.Context) (metadata.RepairStatus, error)
	nodeSource
}

// Repairer works through the repair queue.
type Repairer struct {
	Meta  Store
	Blobs *blob.Store
	// Workers is how many blobs are repaired at once (default 2).
	Workers int
	// Rate bounds the bytes per second read from nodes, all workers
	// together; 0 means DefaultRate, negative means unlimited.
	Rate int64
	// Lease is how long a claimed blob stays with this repairer before
	// another may take it (default 10m); a repair is abandoned when it
	// runs out.
	Lease time.Duration
	// Interval is how long an idle worker waits before looking at the
	// queue again (default 5s).
	Interval time.Duration
	// SummaryEvery is how often Run logs a progress summary (default 1m).
	SummaryEvery time.Duration
	// NodeMaxAge is how fresh a node's heartbeat must be for it to take
	// rebuilt shards (default 30s).
	NodeMaxAge time.Duration
	// MaxBackoff caps the wait before a failed blob is retried (default
	// 1h); blobs that cannot be recovered at all always wait this long.
	MaxBackoff time.Duration
	Log        zerolog.Logger
	// OnRepair, if set, is told what each repair attempt of Run and
	// RunOnce did (metrics), on the worker's goroutine: keep it cheap.
	OnRepair func(Stats)

	once    sync.Once
	limit   *bucket
	targets *targetPicker
	total   Stats
	mu      sync.Mutex // guards total
}

// Stats counts what repairs did.
type Stats struct {
	Blobs        int   // blobs whose repair finished
	Shards       int   // shards written anew
	Failed       int   // attempts that failed (blob kept in the queue)
	BytesRead    int64 // from nodes
	BytesWritten int64 // to nodes
}

func (s *Stats) add(o Stats) {
	s.Blobs += o.Blobs
	s.Shards += o.Shards
	s.Failed += o.Failed
	s.BytesRead += o.BytesRead
	s.BytesWritten += o.BytesWritten
}

// ErrUnrecoverable marks a blob with fewer than K readable shards: its data
// cannot be rebuilt until nodes come back.
var ErrUnrecoverable = errors.New("repair: fewer readable shards than the code needs")

// ErrNoTarget marks a blob for which no node can take a shard: every live
// node already holds one of its shards.
var ErrNoTarget = errors.New("repair: no live node free to take the shard")

func (r *Repairer) init() {
	r.once.Do(func() {
		if r.Workers == 0 {
			r.Workers = DefaultWorkers
		}
		if r.Rate == 0 {
			r.Rate = DefaultRate
		}
		if r.Lease == 0 {
			r.Lease = 10 * time.Minute
		}
		if r.Interval == 0 {
			r.Interval = 5 * time.Second
		}
		if r.SummaryEvery == 0 {
			r.SummaryEvery = time.Minute
		}
		if r.NodeMaxAge == 0 {
			r.NodeMaxAge = 30 * time.Second
		}
		if r.MaxBackoff == 0 {
			r.MaxBackoff = time.Hour
		}
		r.limit = newBucket(r.Rate)
		r.targets = &targetPicker{meta: r.Meta, maxAge: r.NodeMaxAge}
	})
}

// Totals returns what this repairer has done since it started.
func (r *Repairer) Totals() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

func (r *Repairer) record(st Stats) {
	r.mu.Lock()
	r.total.add(st)
	r.mu.Unlock()
	if r.OnRepair != nil {
		r.OnRepair(st)
	}
}

// Run repairs queued blobs with Workers goroutines until ctx is done.
func (r *Repairer) Run(ctx context.Context) {
	r.init()
	if r.Workers < 0 {
		return
	}
	var wg sync.WaitGroup
	for range r.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n, err := r.work(ctx)
				if err != nil && ctx.Err() == nil {
					r.Log.Warn().Err(err).Msg("repair: queue unavailable; will retry")
				}
				if n == 0 || err != nil {
					sleep(ctx, r.Interval)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.summaries(ctx)
	}()
	wg.Wait()
}

// summaries logs progress every SummaryEvery while there is any.
func (r *Repairer) summaries(ctx context.Context) {
	t := time.NewTicker(r.SummaryEvery)
	defer t.Stop()
	var last Stats
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := r.Totals()
		if now == last {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		qs, err := r.Meta.RepairStatus(sctx)
		cancel()
		ev := r.Log.Info().Int("blobs", now.Blobs-last.Blobs).Int("shards", now.Shards-last.Shards).
			Int("failed", now.Failed-last.Failed).Int64("bytes_read", now.BytesRead-last.BytesRead).
			Int64("bytes_written", now.BytesWritten-last.BytesWritten).Dur("period", r.SummaryEvery)
		if err == nil {
			ev = ev.Int("queued", qs.Queued).Int("retrying", qs.Retrying)
		}
		ev.Msg("repair progress")
		last = now
	}
}

// RunOnce repairs what it can claim now, Workers blobs at a time, until the
// queue has nothing claimable left, and returns what it did.
func (r *Repairer) RunOnce(ctx context.Context) (Stats, error) {
	r.init()
	before := r.Totals()
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	for range max(r.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n, err := r.work(ctx)
				if err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	after := r.Totals()
	after.Blobs -= before.Blobs
	after.Shards -= before.Shards
	after.Failed -= before.Failed
	after.BytesRead -= before.BytesRead
	after.BytesWritten -= before.BytesWritten
	if p := firstErr.Load(); p != nil {
		return after, *p
	}
	return after, ctx.Err()
}

// work claims one blob and repairs it; it returns how many it claimed.
func (r *Repairer) work(ctx context.Context) (int, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	tasks, err := r.Meta.ClaimRepairs(cctx, 1, r.Lease)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("repair: claim: %w", err)
	}
	for _, t := range tasks {
		// The lease is the repair's deadline: after it another repairer
		// may start on the same blob.
		tctx, cancel := context.WithTimeout(ctx, r.Lease)
		st, err := r.Repair(tctx, t)
		cancel()
		switch {
		case err != nil && ctx.Err() != nil:
			// Stopping: hand the blob back for another repairer now,
			// not after a failure's backoff.
			r.release(ctx, t)
		case err != nil:
			st.Failed++
			r.fail(ctx, t, err)
		}
		r.record(st)
	}
	return len(tasks), nil
}

// fail records a failed attempt; the blob is retried after a backoff that
// doubles with each attempt.
func (r *Repairer) fail(ctx context.Context, t metadata.RepairTask, cause error) {
	backoff := r.MaxBackoff
	if !errors.Is(cause, ErrUnrecoverable) {
		backoff = min(r.MaxBackoff, 10*time.Second<<min(t.Attempts-1, 16))
	}
	ev := r.Log.Warn()
	if errors.Is(cause, ErrUnrecoverable) {
		// Data at risk of loss: make it impossible to miss.
		ev = r.Log.Error()
	}
	ev.Str("blob", t.Blob.ID.String()).Int("attempt", t.Attempts).Dur("retry_in", backoff).
		Err(cause).Msg("repair failed")
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if errors.Is(cause, ErrNoTarget) {
		// A partial repair finished and dequeued the blob: queue it
		// again for the shards still to move.
		if err := r.Meta.EnqueueRepair(fctx, "repair: shards left without a target", t.Blob.ID); err != nil {
			r.Log.Warn().Err(err).Str("blob", t.Blob.ID.String()).Msg("repair: blob not queued again")
		}
	}
	if err := r.Meta.FailRepair(fctx, t.Blob.ID, cause, backoff); err != nil {
		r.Log.Warn().Err(err).Str("blob", t.Blob.ID.String()).Msg("repair: failure not recorded; the lease will expire")
	}
}

// release returns t's claim untouched (see metadata's ReleaseRepair),
// even though ctx is done.
func (r *Repairer) release(ctx context.Context, t metadata.RepairTask) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.Meta.ReleaseRepair(rctx, t.Blob.ID); err != nil {
		r.Log.Warn().Err(err).Str("blob", t.Blob.ID.String()).Msg("repair: claim not released; the lease will expire")
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
