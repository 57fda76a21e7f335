package nodetest

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// MountTmpfs mounts a tmpfs of size bytes on a new directory and returns
// it, for a node data directory that fills up: the disk-full tests. It is
// unmounted when the test ends, after nodes started later by the test
// (cleanups run last first). The test is skipped where mounting is not
// possible (not root, or no permission), unless FLOE_TEST_REQUIRE_TMPFS=1
// (as CI sets it) makes that a failure.
func MountTmpfs(t testing.TB, size int64) string {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("FLOE_TEST_REQUIRE_TMPFS") == "1" {
		skip = t.Fatalf
	}
	if os.Geteuid() != 0 {
		skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.FormatInt(size, 10)); err != nil {
		skip("cannot mount a tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
