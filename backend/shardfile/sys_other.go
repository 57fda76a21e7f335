//go:build !(linux || darwin || freebsd)

package shardfile

import (
	"errors"
	"fmt"
)

func diskUsage(dir string) (capacity, free int64, err error) {
	return 0, 0, fmt.Errorf("shardfile: disk usage of %s: %w", dir, errors.ErrUnsupported)
}

func isNoSpace(err error) bool { return false }
