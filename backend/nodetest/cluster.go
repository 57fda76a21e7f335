// Package nodetest runs real storage node processes (`floe node`) for tests
// of the code that talks to them: the blob store, repair and end-to-end tests.
//
// Nodes are separate processes so tests can do to them what happens to
// machines: kill them mid-write (Kill), hang them (Stop), bring them back
// (Restart) and damage their files (ShardFiles).
//
//	c := nodetest.Start(t, 6)
//	store := blob.New(client, c.PlacementNodes(), ...)
//	c.Nodes[2].Kill(t)
package nodetest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Cluster is a set of running storage nodes sharing a secret.
type Cluster struct {
	Nodes  []*Node
	Secret []byte // the cluster secret, as the nodes received it

	bin, root string
}

// startAttempts bounds how often Start tries a fresh port for a node that
// exits while starting: another process may take the port between freePort
// closing it and the node binding it.
const startAttempts = 3

// Start starts n storage nodes, each on its own loopback address
// 127.0.0.(2+i) (127.0.0.1 where that cannot be bound) with a free port and
// its own data directory under t.TempDir(), and waits until every node
// accepts connections. The nodes are killed when the test ends; if it
// failed, the tail of each node's log is logged.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	return StartWith(t, n, Options{})
}

// Options adjust single nodes of the cluster StartWith launches.
type Options struct {
	// DataDir, if set, returns node i's data directory (--data), or "" for
	// the default, say a small file system the test mounted to fill up.
	// The node's log stays in its default directory, off that disk.
	DataDir func(i int) string
	// Args, if set, returns extra `floe node` flags for node i.
	Args func(i int) []string
}

// StartWith is Start with per-node options.
func StartWith(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	if n < 1 || n > 250 {
		t.Fatalf("nodetest: Start(%d): want 1 to 250 nodes", n)
	}
	bin := Binary(t)
	root := t.TempDir() // before Cleanup below, so nodes die before it is removed
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		t.Fatalf("nodetest: generating secret: %v", err)
	}
	// Hex keeps the secret printable: it travels in an environment variable.
	c := &Cluster{Secret: []byte(hex.EncodeToString(key[:])), bin: bin, root: root}
	t.Cleanup(func() { c.shutdown(t) })
	for range n {
		c.add(t, opts)
	}
	return c
}

// Add starts one more node, as Start starts each of its nodes (the next
// loopback address, the cluster's secret), appends it to Nodes and returns
// it: a machine joining the cluster. It is killed when the test ends.
func (c *Cluster) Add(t testing.TB) *Node {
	t.Helper()
	return c.add(t, Options{})
}

// add starts node len(c.Nodes) with opts applied to it.
func (c *Cluster) add(t testing.TB, opts Options) *Node {
	t.Helper()
	i := len(c.Nodes)
	home := filepath.Join(c.root, fmt.Sprintf("node%d", i))
	nd := &Node{
		Dir:    home,
		home:   home,
		bin:    c.bin,
		secret: c.Secret,
	}
	if opts.DataDir != nil {
		if d := opts.DataDir(i); d != "" {
			nd.Dir = d
		}
	}
	if opts.Args != nil {
		nd.args = opts.Args(i)
	}
	for _, dir := range []string{home, nd.Dir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("nodetest: %v", err)
		}
	}
	c.Nodes = append(c.Nodes, nd)
	var err error
	for range startAttempts {
		if nd.Addr, err = freePort(fmt.Sprintf("127.0.0.%d", 2+i)); err != nil {
			t.Fatalf("nodetest: node %d: %v", i, err)
		}
		nd.ID = nd.Addr
		if err = nd.start(); !errors.Is(err, errExited) {
			break
		}
	}
	if err != nil {
		t.Fatalf("nodetest: node %d: %v\n%s", i, err, nd.logTail())
	}
	return nd
}

// ByAddr returns the node listening on addr (its ID too), failing t if
// there is none.
func (c *Cluster) ByAddr(t testing.TB, addr string) *Node {
	t.Helper()
	for _, nd := range c.Nodes {
		if nd.Addr == addr {
			return nd
		}
	}
	t.Fatalf("nodetest: no node at %q", addr)
	return nil
}

// PlacementNodes returns the nodes as placement sees them.
func (c *Cluster) PlacementNodes() []blobmeta.Node {
	out := make([]blobmeta.Node, len(c.Nodes))
	for i, nd := range c.Nodes {
		out[i] = blobmeta.Node{ID: nd.ID, Addr: nd.Addr}
	}
	return out
}

// shutdown kills every node and reports what the nodes did wrong: exiting
// on their own or detecting a data race.
func (c *Cluster) shutdown(t testing.TB) {
	for _, nd := range c.Nodes {
		nd.kill()
	}
	for _, nd := range c.Nodes {
		if nd.Addr == "" {
			continue
		}
		if err := nd.unexpectedExit(); err != nil {
			t.Errorf("nodetest: node %s %v", nd.ID, err)
		}
		if nd.raced() {
			t.Errorf("nodetest: node %s reported a data race; see %s", nd.ID, nd.logPath())
		}
		if t.Failed() {
			t.Logf("nodetest: log of node %s (%s), last lines:\n%s", nd.ID, nd.logPath(), nd.logTail())
		}
	}
}

// freePort returns host:port for a port that was free on host, or on
// 127.0.0.1 if host cannot be bound.
func freePort(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return "", fmt.Errorf("finding a free port: %w", err)
		}
	}
	defer l.Close()
	a := l.Addr().(*net.TCPAddr)
	return net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port)), nil
}
