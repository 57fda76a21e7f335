package shardfile

import (
	"fmt"
	"os"
	"sync"
)

// groupSync makes many shard commits durable with few syncs: a commit
// asks for a round and waits; one syncfs(2) of the store's file system
// covers every commit that asked before that round began. A commit asking
// while a round runs waits for the next one (its writes may have missed
// the running one), which its fellow latecomers share. This is the group
// commit of a database log, applied to files.
type groupSync struct {
	f      *os.File             // any file on the store's file system, for syncfs
	syncfs func(*os.File) error // syncFS; tests count and stall rounds

	mu      sync.Mutex
	running bool
	waiting []chan error // asked for the next round
}

func newGroupSync(dir string) (*groupSync, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("shardfile: open %s for syncs: %w", dir, err)
	}
	return &groupSync{f: f, syncfs: syncFS}, nil
}

// sync returns once everything written to the file system before the
// call is durable.
func (g *groupSync) sync() error {
	done := make(chan error, 1)
	g.mu.Lock()
	g.waiting = append(g.waiting, done)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		g.round()
	}
	return <-done
}

// round syncs for everyone waiting. Whoever arrived meanwhile gets a round
// of their own, led by a new goroutine so this round's callers return now.
func (g *groupSync) round() {
	g.mu.Lock()
	batch := g.waiting
	g.waiting = nil
	g.mu.Unlock()
	err := g.syncfs(g.f)
	g.mu.Lock()
	if len(g.waiting) > 0 {
		go g.round()
	} else {
		g.running = false
	}
	g.mu.Unlock()
	for _, ch := range batch {
		ch <- err
	}
}

func (g *groupSync) close() error { return g.f.Close() }
