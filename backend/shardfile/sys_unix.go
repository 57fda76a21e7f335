//go:build linux || darwin || freebsd

package shardfile

import (
	"errors"
	"fmt"
	"syscall"
)

// diskUsage reports the size of the file system holding dir and the bytes
// available to this (unprivileged) process.
func diskUsage(dir string) (capacity, free int64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("shardfile: statfs %s: %w", dir, err)
	}
	bsize := int64(st.Bsize)
	return int64(st.Blocks) * bsize, int64(st.Bavail) * bsize, nil
}

// isNoSpace reports whether err means the disk or the quota is full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
