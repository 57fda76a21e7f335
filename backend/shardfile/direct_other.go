//go:build !linux

package shardfile

import (
	"errors"
	"os"
)

// setDirect is unsupported here: shard writes stay buffered.
func setDirect(*os.File, bool) error { return errors.ErrUnsupported }

func isDirectRefusal(error) bool { return false }

// startWriteback is a no-op where sync_file_range is not available.
func startWriteback(*os.File, int64, int64) {}

// haveSyncFS says syncfs(2) is available, which GroupSync needs.
const haveSyncFS = false

func syncFS(*os.File) error { return errors.ErrUnsupported }
