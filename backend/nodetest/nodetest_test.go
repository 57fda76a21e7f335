package nodetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/node"
)

// dial reports whether addr accepts a TCP connection.
func dial(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err
}

// isTimeout reports whether err is a deadline expiring.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestCluster(t *testing.T) {
	c := Start(t, 2)
	if len(c.Nodes) != 2 || len(c.Secret) == 0 {
		t.Fatalf("Start(2) = %d nodes, %d-byte secret", len(c.Nodes), len(c.Secret))
	}
	a, b := c.Nodes[0], c.Nodes[1]
	if a.Addr == b.Addr || a.Dir == b.Dir {
		t.Fatalf("nodes share an address or directory: %+v %+v", a, b)
	}
	for _, nd := range c.Nodes {
		if err := dial(nd.Addr); err != nil {
			t.Fatalf("node %s: %v", nd.ID, err)
		}
	}
	pn := c.PlacementNodes()
	if len(pn) != 2 || pn[0].ID != a.ID || pn[1].Addr != b.Addr {
		t.Errorf("PlacementNodes() = %v", pn)
	}

	a.Kill(t)
	if err := dial(a.Addr); err == nil {
		t.Fatalf("killed node %s still accepts connections", a.ID)
	}
	a.Kill(t) // killing a dead node is a no-op
	if err := dial(b.Addr); err != nil {
		t.Fatalf("node %s died with its neighbour: %v", b.ID, err)
	}

	a.Restart(t)
	if err := dial(a.Addr); err != nil {
		t.Fatalf("restarted node %s: %v", a.ID, err)
	}
}

func TestStopCont(t *testing.T) {
	c := Start(t, 1)
	nd := c.Nodes[0]
	nd.Stop(t)
	// A stopped process's socket still completes handshakes (the kernel
	// does that), so a hang shows only as unanswered requests.
	conn, err := net.DialTimeout("tcp", nd.Addr, time.Second)
	if err != nil {
		t.Fatalf("dialling stopped node: %v", err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := conn.Write([]byte("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatalf("writing to stopped node: %v", err)
	}
	if _, err := conn.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("stopped node answered: %v", err)
	}
	nd.Cont(t)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	// Any answer will do, even a reset: the node is running again.
	if _, err := conn.Read(make([]byte, 1)); isTimeout(err) {
		t.Fatalf("node did not answer after Cont: %v", err)
	}
	// Killing a stopped node must work too: cleanup relies on it.
	nd.Stop(t)
	nd.Kill(t)
}

func TestShardFiles(t *testing.T) {
	c := Start(t, 1)
	nd := c.Nodes[0]
	want := []string{
		filepath.Join(nd.Dir, "shards", "ab", "abcd.0"),
		filepath.Join(nd.Dir, "shards", "cd", "cdef.3"),
	}
	for _, p := range want {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := nd.ShardFiles(t)
	for _, p := range want {
		if !slices.Contains(got, p) {
			t.Errorf("ShardFiles() = %v, missing %s", got, p)
		}
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "floe")); err != nil {
		t.Errorf("module root %s has no cmd/floe: %v", root, err)
	}
}

// recorder is a testing.TB that collects failures and cleanups instead of
// acting on them, to test what the harness reports.
type recorder struct {
	*testing.T
	errors   []string
	logs     []string
	cleanups []func()
}

func (r *recorder) Helper()                 {}
func (r *recorder) Cleanup(f func())        { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Failed() bool            { return len(r.errors) > 0 }
func (r *recorder) Logf(f string, a ...any) { r.logs = append(r.logs, fmt.Sprintf(f, a...)) }
func (r *recorder) Errorf(f string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(f, a...))
}
func (r *recorder) Fatalf(f string, a ...any) {
	r.T.Fatalf("unexpected fatal: "+f, a...)
}

// runCleanups runs the recorded cleanups, last registered first, like testing.
func (r *recorder) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestReportsCrash(t *testing.T) {
	r := &recorder{T: t}
	c := Start(r, 1)
	nd := c.Nodes[0]
	// Kill the process behind the harness's back, as a crash would.
	nd.mu.Lock()
	pid, done := nd.cmd.Process.Pid, nd.done
	nd.mu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	r.runCleanups()
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "exited on its own") {
		t.Errorf("errors = %q, want one about the node exiting on its own", r.errors)
	}
	if len(r.logs) != 1 || !strings.Contains(r.logs[0], "starting node on "+nd.Addr) {
		t.Errorf("logs = %q, want the node's log tail", r.logs)
	}
}

func TestClusterAdd(t *testing.T) {
	c := Start(t, 1)
	nd := c.Add(t)
	if len(c.Nodes) != 2 || c.Nodes[1] != nd {
		t.Fatalf("after Add: %d nodes, the new one not last", len(c.Nodes))
	}
	if nd.Addr == c.Nodes[0].Addr || nd.Dir == c.Nodes[0].Dir {
		t.Fatalf("added node shares an address or directory: %+v %+v", c.Nodes[0], nd)
	}
	if err := dial(nd.Addr); err != nil {
		t.Fatalf("added node %s: %v", nd.ID, err)
	}
	if _, err := os.Stat(filepath.Join(nd.Dir, "node-id")); err != nil {
		t.Errorf("added node has no node-id: %v", err)
	}
}

// StartWith gives a node its own data directory and extra flags; its log
// stays out of that directory.
func TestStartWith(t *testing.T) {
	data := filepath.Join(t.TempDir(), "elsewhere")
	c := StartWith(t, 2, Options{
		DataDir: func(i int) string { return map[int]string{1: data}[i] },
		Args: func(i int) []string {
			if i == 1 {
				return []string{"--reserve", "5MiB"}
			}
			return nil
		},
	})
	nd := c.Nodes[1]
	if nd.Dir != data || c.Nodes[0].Dir == data {
		t.Fatalf("data directories %q, %q; want node 1 in %q", c.Nodes[0].Dir, nd.Dir, data)
	}
	if _, err := os.Stat(filepath.Join(data, "shards")); err != nil {
		t.Fatalf("node 1 did not open its store in %s: %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(data, "node.log")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("node log in the data directory: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl := node.NewClient(c.Secret, nil)
	for i, want := range []int64{-1, 5 << 20} {
		h, err := cl.Health(ctx, c.Nodes[i].Addr)
		if err != nil {
			t.Fatal(err)
		}
		if (want < 0 && h.ReserveBytes == 5<<20) || (want >= 0 && h.ReserveBytes != want) {
			t.Errorf("node %d reserves %d bytes, want %d (-1: the default)", i, h.ReserveBytes, want)
		}
	}
	if !strings.Contains(nd.logTail(), "node listening") {
		t.Errorf("node 1's log lacks its start:\n%s", nd.logTail())
	}
}
