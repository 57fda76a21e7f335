package nodetest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// sysProcAttr makes the kernel kill a node if the test process dies without
// running its cleanups (a panic in another goroutine, a timeout, ^C), so no
// node outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// waitStopped waits until every thread of process pid is stopped. kill(2)
// only queues SIGSTOP; without waiting, a "hung" node could still answer a
// request sent right after Stop.
func waitStopped(pid int) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		stopped, err := allStopped(pid)
		if err != nil || stopped {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d not stopped after 5s", pid)
		}
		time.Sleep(time.Millisecond)
	}
}

// allStopped reports whether every thread of pid is in state T (stopped).
func allStopped(pid int) (bool, error) {
	stats, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(stats) == 0 {
		return false, fmt.Errorf("reading threads of process %d: %v", pid, err)
	}
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			return false, nil // thread exited while looking; look again
		}
		// The state follows the parenthesised command name, which may
		// itself contain spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			return false, fmt.Errorf("malformed %s", p)
		}
		if b[i+2] != 'T' {
			return false, nil
		}
	}
	return true, nil
}

// SysProcAttr returns the process attributes the harness gives its child
// processes: on Linux they are killed when the test process dies, so a
// failed or killed test run leaves nothing behind.
func SysProcAttr() *syscall.SysProcAttr { return sysProcAttr() }
