package nodetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// errExited reports a node process that exited before accepting connections.
var errExited = errors.New("node exited while starting")

// readyTimeout bounds how long a node may take to accept connections.
const readyTimeout = 10 * time.Second

// Node is one storage node process. Its methods are safe for concurrent use.
type Node struct {
	ID   string // placement ID; equal to Addr
	Addr string // host:port of the node's HTTP API
	Dir  string // the node's data directory (--data)

	home   string   // holds the log; Dir unless Options.DataDir moved the data
	args   []string // extra flags
	bin    string
	secret []byte

	mu     sync.Mutex
	cmd    *exec.Cmd     // the current process; nil before the first start
	done   chan struct{} // closed when cmd has exited
	killed bool          // the harness ended cmd on purpose
	err    error         // cmd's exit status, once done
}

// Kill sends SIGKILL to the node and waits for it to exit. Killing a node
// that is not running does nothing.
func (n *Node) Kill(t testing.TB) {
	t.Helper()
	n.kill()
}

// Stop sends SIGSTOP and waits until the node is stopped: it keeps its
// connections open, and the kernel still accepts new ones, but it answers
// nothing, like a hung machine. Cont resumes it.
func (n *Node) Stop(t testing.TB) {
	t.Helper()
	if err := n.signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("nodetest: stopping node %s: %v", n.ID, err)
	}
	n.mu.Lock()
	pid := n.cmd.Process.Pid
	n.mu.Unlock()
	if err := waitStopped(pid); err != nil {
		t.Fatalf("nodetest: stopping node %s: %v", n.ID, err)
	}
}

// Cont sends SIGCONT, resuming a node paused by Stop.
func (n *Node) Cont(t testing.TB) {
	t.Helper()
	if err := n.signal(syscall.SIGCONT); err != nil {
		t.Fatalf("nodetest: continuing node %s: %v", n.ID, err)
	}
}

// Restart starts the node again on the same address and data directory,
// killing it first if it is still running, and waits until it accepts
// connections.
func (n *Node) Restart(t testing.TB) {
	t.Helper()
	n.kill()
	if err := n.start(); err != nil {
		t.Fatalf("nodetest: restarting node %s: %v\n%s", n.ID, err, n.logTail())
	}
}

// ShardFiles returns the paths of all files under the node's Dir/shards,
// sorted, for tests that corrupt or delete shards behind the node's back.
func (n *Node) ShardFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(n.Dir, "shards"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // no shards yet, or a file removed while walking
			}
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("nodetest: listing shards of node %s: %v", n.ID, err)
	}
	sort.Strings(files)
	return files
}

// start launches the node process and waits until it accepts connections.
func (n *Node) start() error {
	logf, err := os.OpenFile(n.logPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening log: %w", err)
	}
	fmt.Fprintf(logf, "--- nodetest: starting node on %s at %s\n", n.Addr, time.Now().Format(time.RFC3339Nano))
	args := append([]string{"node", "--listen", n.Addr, "--data", n.Dir, "--log-level", "debug"}, n.args...)
	cmd := exec.Command(n.bin, args...)
	cmd.Env = append(withoutSecret(os.Environ()), "FLOE_CLUSTER_SECRET="+string(n.secret))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", n.bin, err)
	}
	logf.Close() // the child holds its own descriptor
	done := make(chan struct{})
	n.mu.Lock()
	n.cmd, n.done, n.killed, n.err = cmd, done, false, nil
	n.mu.Unlock()
	go func() {
		err := cmd.Wait()
		n.mu.Lock()
		n.err = err
		n.mu.Unlock()
		close(done)
	}()
	return n.waitReady(done)
}

// waitReady polls the node's port until it accepts a connection, the
// process exits or readyTimeout passes.
func (n *Node) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		conn, err := net.DialTimeout("tcp", n.Addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-done:
			n.mu.Lock()
			defer n.mu.Unlock()
			return fmt.Errorf("%w: %v", errExited, n.err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.kill()
			return fmt.Errorf("node did not accept connections on %s within %v: %w", n.Addr, readyTimeout, err)
		}
	}
}

// kill sends SIGKILL to the current process, if any, and waits for it.
func (n *Node) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	if cmd == nil {
		n.mu.Unlock()
		return
	}
	select {
	case <-done:
	default:
		n.killed = true
		_ = cmd.Process.Kill() // fails only if it already exited
	}
	n.mu.Unlock()
	<-done
}

// signal sends sig to the running process.
func (n *Node) signal(sig syscall.Signal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return errors.New("node was never started")
	}
	select {
	case <-n.done:
		return fmt.Errorf("node is not running (%v)", n.err)
	default:
	}
	return n.cmd.Process.Signal(sig)
}

// unexpectedExit returns an error if the last process exited without the
// harness killing it: a crash the test may otherwise not notice.
func (n *Node) unexpectedExit() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.killed {
		return nil
	}
	return fmt.Errorf("exited on its own: %v", n.err)
}

// logPath is the file receiving the node's stdout and stderr, across restarts.
func (n *Node) logPath() string { return filepath.Join(n.home, "node.log") }

// raced reports whether the race detector flagged the node.
func (n *Node) raced() bool {
	b, err := os.ReadFile(n.logPath())
	return err == nil && bytes.Contains(b, []byte("WARNING: DATA RACE"))
}

// logTailSize is how much of a node's log a failing test prints.
const logTailSize = 8 << 10

// logTail returns the last lines of the node's log.
func (n *Node) logTail() string {
	f, err := os.Open(n.logPath())
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > logTailSize {
		if _, err := f.Seek(-logTailSize, io.SeekEnd); err != nil {
			return fmt.Sprintf("(reading log: %v)", err)
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(reading log: %v)", err)
	}
	if i := bytes.IndexByte(b, '\n'); len(b) == logTailSize && i >= 0 {
		b = b[i+1:] // drop the partial first line
	}
	return string(b)
}

// withoutSecret drops any inherited cluster secret from env.
func withoutSecret(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "FLOE_CLUSTER_SECRET=") {
			out = append(out, kv)
		}
	}
	return out
}
