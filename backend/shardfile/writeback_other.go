//go:build !linux

package shardfile

import "os"

// startWriteback is a no-op where sync_file_range is not available.
func startWriteback(*os.File, int64, int64) {}
