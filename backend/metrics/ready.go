package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// ReadyStore is what Readiness asks of the metadata store;
// *metadata.Postgres implements it.
type ReadyStore interface {
	Ping(ctx context.Context) error
	LiveNodes(ctx context.Context, maxAge time.Duration) ([]blobmeta.Node, error)
}

// Readiness is a gateway's readiness rule: PostgreSQL answers, and at
// least MinLive nodes take new shards, the number a write of a new blob
// needs (blob.Store.MinLiveNodes: K+1 for the default quorum, so a
// cluster short of K+M live nodes still writes, with shards left for
// repair, as placement does). Both the metrics listener's /readyz and the
// S3 port's /_floe/readyz use it.
type Readiness struct {
	Meta ReadyStore
	// MinLive is how many live nodes writes need; 0 checks PostgreSQL
	// only.
	MinLive int
	// MaxAge is how fresh a node's heartbeat must be for it to count as
	// live: the gateway's --suspect-after, as for placing writes.
	MaxAge time.Duration
}

// ErrNotEnoughNodes is why a gateway whose writes would be refused is not
// ready.
var ErrNotEnoughNodes = errors.New("not enough live storage nodes for writes")

// Ping implements Pinger: nil when ready, else why not.
func (r Readiness) Ping(ctx context.Context) error {
	if err := r.Meta.Ping(ctx); err != nil {
		return fmt.Errorf("metadata store unavailable: %w", err)
	}
	if r.MinLive <= 0 {
		return nil
	}
	live, err := r.Meta.LiveNodes(ctx, r.MaxAge)
	if err != nil {
		return fmt.Errorf("metadata store unavailable: %w", err)
	}
	if len(live) < r.MinLive {
		return fmt.Errorf("%w: %d live, writes need %d", ErrNotEnoughNodes, len(live), r.MinLive)
	}
	return nil
}
