package pgrun

import "syscall"

// sysProcAttr runs a child as cred (nil: as this process) and makes the
// kernel kill it if this process dies without stopping it (a panic, a test
// timeout, ^C), so no server outlives its owner. Go sets the death signal
// after switching user, which would otherwise clear it.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
}
