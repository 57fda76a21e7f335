//go:build unix && !linux

package pgrun

import "syscall"

// sysProcAttr runs a child as cred (nil: as this process). Only Linux can
// tie a child's life to its parent's.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	if cred == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: cred}
}
