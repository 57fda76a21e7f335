// Package membership keeps the metadata store's view of the storage nodes
// current: the gateway polls each node's health and records a heartbeat, so
// that placement only picks nodes that answered recently, and runs the node
// state machine (alive, suspect, dead; see metadata.Postgres.UpdateNodeStates)
// on those heartbeats.
package membership

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata"
	"github.com/rs/zerolog"
)

// Store is what a Monitor needs of the metadata store; *metadata.Postgres
// implements it.
type Store interface {
	UpsertNode(ctx context.Context, n metadata.NodeInfo) error
	RecordHeartbeat(ctx context.Context, n metadata.NodeInfo) (bool, error)
	ListNodes(ctx context.Context) ([]metadata.NodeInfo, error)
	UpdateNodeStates(ctx context.Context, suspectAfter, deadAfter, watched time.Duration) ([]metadata.NodeTransition, error)
}

// NodeClient is what a Monitor needs of the storage nodes; *node.Client
// implements it.
type NodeClient interface {
	Health(ctx context.Context, addr string) (node.Health, error)
}

// Monitor polls storage nodes and records their heartbeats.
type Monitor struct {
	Meta   Store
	Client NodeClient
	// Seeds are addresses to register: each is polled until it has
	// answered once, then only as a registered node, so that removing a
	// node (floe admin node remove) is not undone by the next poll.
	Seeds []string
	// Interval is the time between polls; default 2s, or SuspectAfter/4
	// if that is shorter, so a healthy node is never seen as silent.
	Interval time.Duration
	// SuspectAfter is how long a node may go without a heartbeat before
	// it is suspect (no new shards, read last); default DefaultSuspectAfter.
	SuspectAfter time.Duration
	// DeadAfter is how long a node stays suspect before it is declared
	// dead and its blobs are queued for repair; default DefaultDeadAfter.
	DeadAfter time.Duration
	Log       zerolog.Logger

	mu       sync.Mutex
	seeded   map[string]bool // seeds that have registered
	watching time.Time       // when this monitor first polled
}

// dbTimeout bounds each metadata call of a poll, so a stalled database
// delays the next poll by a few seconds, not indefinitely.
const dbTimeout = 5 * time.Second

// Defaults of Monitor's state machine.
const (
	DefaultSuspectAfter = 10 * time.Second
	DefaultDeadAfter    = 5 * time.Minute
)

// PollOnce checks every known node once, registering nodes that answer
// (under the ID they report) and refreshing their heartbeat, then updates
// the nodes' states. A heartbeat never sets a state itself: a draining node
// stays draining, and suspect or dead nodes turn alive through the state
// machine.
func (m *Monitor) PollOnce(ctx context.Context) error {
	addrs := map[string]bool{}
	m.mu.Lock()
	if m.watching.IsZero() {
		m.watching = time.Now()
	}
	for _, a := range m.Seeds {
		if !m.seeded[a] {
			addrs[a] = true
		}
	}
	m.mu.Unlock()
	lctx, cancel := context.WithTimeout(ctx, dbTimeout)
	known, err := m.Meta.ListNodes(lctx)
	cancel()
	if err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	knownID := map[string]bool{}
	for _, n := range known {
		addrs[n.Addr] = true
		knownID[n.ID] = true
	}
	var wg sync.WaitGroup
	for addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx, cancel := context.WithTimeout(ctx, m.pollTimeout())
			defer cancel()
			h, err := m.Client.Health(hctx, addr)
			if err != nil {
				m.Log.Debug().Err(err).Str("node", addr).Msg("node did not answer its health check")
				return
			}
			info := metadata.NodeInfo{ID: h.NodeID, Addr: addr, CapacityBytes: h.CapacityBytes, FreeBytes: h.FreeBytes}
			dctx, cancel := context.WithTimeout(ctx, dbTimeout)
			defer cancel()
			if knownID[h.NodeID] {
				// Only refresh: a node removed since ListNodes stays removed.
				ok, err := m.Meta.RecordHeartbeat(dctx, info)
				if err != nil {
					m.Log.Warn().Err(err).Str("node", addr).Msg("could not record heartbeat")
				} else if !ok {
					m.Log.Info().Str("node", addr).Str("id", h.NodeID).Msg("node was removed during the poll; not registering it again")
				}
				return
			}
			// A seed, or a new identity at a known address: register it.
			// No State: a new node registers alive, a known one keeps its state.
			err = m.Meta.UpsertNode(dctx, info)
			if err != nil {
				m.Log.Warn().Err(err).Str("node", addr).Msg("could not record heartbeat")
				return
			}
			m.mu.Lock()
			if m.seeded == nil {
				m.seeded = map[string]bool{}
			}
			m.seeded[addr] = true
			m.mu.Unlock()
		}()
	}
	wg.Wait()
	return m.UpdateStates(ctx)
}

// suspectAfter returns SuspectAfter or its default.
func (m *Monitor) suspectAfter() time.Duration {
	if m.SuspectAfter > 0 {
		return m.SuspectAfter
	}
	return DefaultSuspectAfter
}

// pollTimeout bounds one health check: 2s, or SuspectAfter/4 if shorter.
// A poll lasts as long as its slowest node, and the heartbeats it records
// must not be stale by the time it updates the states.
func (m *Monitor) pollTimeout() time.Duration {
	return min(2*time.Second, m.suspectAfter()/4)
}

// UpdateStates runs the node state machine once and logs (and acts on) the
// transitions it made. A node's silence counts from its last heartbeat,
// not from the poll that noticed it, but only as far back as this monitor
// has been watching: a gateway that was down did not hear nodes either.
func (m *Monitor) UpdateStates(ctx context.Context) error {
	suspect, dead := m.suspectAfter(), m.DeadAfter
	if dead <= 0 {
		dead = DefaultDeadAfter
	}
	m.mu.Lock()
	if m.watching.IsZero() {
		m.watching = time.Now()
	}
	watched := time.Since(m.watching)
	m.mu.Unlock()
	uctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	trs, err := m.Meta.UpdateNodeStates(uctx, suspect, dead, watched)
	if err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	for _, tr := range trs {
		ev := m.Log.Info()
		if tr.To != metadata.NodeAlive {
			ev = m.Log.Warn()
		}
		ev = ev.Str("node", tr.ID).Str("addr", tr.Addr).Str("from", tr.From).Str("to", tr.To)
		switch {
		case tr.To == metadata.NodeDead:
			ev.Int("blobs_queued", tr.Queued).Msg("node is dead: its blobs are queued for repair")
		case tr.Returned():
			ev.Msg("dead node returned: its unrepaired shards count again and its scrub pass restarts")
		default:
			ev.Msg("node state changed")
		}
	}
	return nil
}

// Run polls every Interval until ctx is done. Its first poll comes after
// one Interval: callers that need nodes at once call PollOnce first.
func (m *Monitor) Run(ctx context.Context) {
	iv := m.Interval
	if iv <= 0 {
		iv = m.pollTimeout()
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := m.PollOnce(ctx); err != nil && ctx.Err() == nil {
			m.Log.Warn().Err(err).Msg("node poll failed")
		}
	}
}
