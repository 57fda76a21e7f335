package main

import (
	"flag"
	"runtime/debug"
)

// defaultMemoryLimit is the gateway's soft memory limit. Its live memory
// is bounded by design (a shared write budget, bounded read-ahead), but
// with the garbage collector's default pacing the heap grows to twice the
// live size after a spike, and 64 MiB GETs peaked at 257 MiB of RSS.
const defaultMemoryLimit = "192MiB"

// applyMemoryLimit sets the Go runtime's soft memory limit from
// --memory-limit (0: none). GOMEMLIMIT, when set, wins over the default,
// not over an explicit flag. Near the limit the collector works harder;
// nothing fails when live memory exceeds it.
func applyMemoryLimit(fs *flag.FlagSet, env *environ, value string) error {
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "memory-limit" })
	if !explicit && env.getenv("GOMEMLIMIT") != "" {
		return nil
	}
	n, err := parseSize(value)
	if err != nil || n < 0 {
		return usageErrorf("--memory-limit %q: want a size such as 192MiB, or 0 for none", value)
	}
	if n > 0 {
		debug.SetMemoryLimit(n)
	}
	return nil
}
