// Package membership keeps the metadata store's view of the storage nodes
// current: the gateway polls each node's health and records a heartbeat, so
// that placement only picks nodes that answered recently.
package membership

import (
	"context"
	"sync"
	"time"

	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata"
	"github.com/rs/zerolog"
)

// Monitor polls storage nodes and records their heartbeats.
type Monitor struct {
	Meta     metadata.Store
	Client   *node.Client
	Seeds    []string      // addresses to poll even before they are registered
	Interval time.Duration // between polls; default 2s
	Log      zerolog.Logger
}

// PollOnce checks every known node once, registering nodes that answer
// (under the ID they report) and refreshing their heartbeat.
func (m *Monitor) PollOnce(ctx context.Context) error {
	addrs := map[string]bool{}
	for _, a := range m.Seeds {
		addrs[a] = true
	}
	known, err := m.Meta.ListNodes(ctx)
	if err != nil {
		return err
	}
	for _, n := range known {
		addrs[n.Addr] = true
	}
	var wg sync.WaitGroup
	for addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			h, err := m.Client.Health(hctx, addr)
			if err != nil {
				m.Log.Debug().Err(err).Str("node", addr).Msg("node did not answer its health check")
				return
			}
			err = m.Meta.UpsertNode(ctx, metadata.NodeInfo{
				ID: h.NodeID, Addr: addr, State: metadata.NodeAlive,
				CapacityBytes: h.CapacityBytes, FreeBytes: h.FreeBytes,
			})
			if err != nil {
				m.Log.Warn().Err(err).Str("node", addr).Msg("could not record heartbeat")
			}
		}()
	}
	wg.Wait()
	return nil
}

// Run polls every Interval until ctx is done. Its first poll comes after
// one Interval: callers that need nodes at once call PollOnce first.
func (m *Monitor) Run(ctx context.Context) {
	iv := m.Interval
	if iv == 0 {
		iv = 2 * time.Second
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
