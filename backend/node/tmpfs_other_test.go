//go:build !linux

package node

import "testing"

func mountTmpfs(t *testing.T, size int64) string {
	t.Skip("tmpfs mounts are only tested on Linux")
	return ""
}
