//go:build !linux

package e2e

import "testing"

func mountTmpfs(t *testing.T, size int64) string {
	t.Skip("tmpfs mounts are only tested on Linux")
	return ""
}
