//go:build !linux

package nodetest

import "testing"

// MountTmpfs skips the test: tmpfs mounts are only tested on Linux.
func MountTmpfs(t testing.TB, size int64) string {
	t.Skip("tmpfs mounts are only tested on Linux")
	return ""
}
