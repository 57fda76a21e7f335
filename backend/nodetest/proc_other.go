//go:build !linux

package nodetest

import (
	"syscall"
	"time"
)

// sysProcAttr returns nil: only Linux can tie a child's life to its parent.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// waitStopped gives SIGSTOP time to land; only Linux lets us check.
func waitStopped(pid int) error {
	time.Sleep(50 * time.Millisecond)
	return nil
}

// SysProcAttr returns the process attributes the harness gives its child
// processes (none on this platform).
func SysProcAttr() *syscall.SysProcAttr { return sysProcAttr() }
