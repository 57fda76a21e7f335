package loadgen

import (
	"os"
	"testing"
	"time"
)

// The parsers read /proc's formats, including a command name with spaces
// and parentheses.
func TestProcParsers(t *testing.T) {
	stat := []byte("4242 (floe (x) y) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 12 0 100 2000000 3000 18446744073709551615\n")
	if ticks, err := statTicks(stat); err != nil || ticks != 325 {
		t.Fatalf("statTicks = %d, %v; want 325", ticks, err)
	}
	if _, err := statTicks([]byte("4242 (floe) S 1 2")); err == nil {
		t.Fatal("statTicks of a short line: no error")
	}
	status := []byte("Name:\tfloe\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t9\n")
	if kib, err := statusKiB(status, "VmRSS:"); err != nil || kib != 12345 {
		t.Fatalf("statusKiB = %d, %v; want 12345", kib, err)
	}
	if _, err := statusKiB(status, "VmSwap:"); err == nil {
		t.Fatal("statusKiB of a missing field: no error")
	}
}

// The sampler reads this very process: a resident size, and the CPU time
// of a busy loop.
func TestSampler(t *testing.T) {
	s, err := startSampler([]int{os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
	}
	peak, cpu, err := s.stop()
	if err != nil {
		t.Fatal(err)
	}
	if peak < 1<<20 || cpu < 100*time.Millisecond {
		t.Fatalf("peak RSS %d bytes, CPU %s; want at least 1 MiB and 100ms", peak, cpu)
	}
	if _, err := startSampler([]int{1 << 30}); err == nil {
		t.Fatal("sampling a process that does not exist: no error")
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1000: "1000 B", 4096: "4 KiB", 64 << 20: "64 MiB", 1536: "1.5 KiB", 70_565_000: "67.3 MiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
