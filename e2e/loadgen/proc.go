package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of CPU times in /proc/PID/stat;
// it is 100 on every architecture Go supports.
const clockTicks = 100

// procUsage is what /proc tells of a set of processes at one moment.
type procUsage struct {
	rss int64         // resident bytes, summed
	cpu time.Duration // user and system time since each started, summed
}

// readUsage reads the resident size and CPU time of pids from /proc.
func readUsage(pids []int) (procUsage, error) {
	var u procUsage
	for _, pid := range pids {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return procUsage{}, fmt.Errorf("loadgen: server process %d: %w", pid, err)
		}
		rss, err := statusKiB(status, "VmRSS:")
		if err != nil {
			return procUsage{}, fmt.Errorf("loadgen: /proc/%d/status: %w", pid, err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return procUsage{}, fmt.Errorf("loadgen: server process %d: %w", pid, err)
		}
		ticks, err := statTicks(stat)
		if err != nil {
			return procUsage{}, fmt.Errorf("loadgen: /proc/%d/stat: %w", pid, err)
		}
		u.rss += rss << 10
		u.cpu += time.Duration(ticks) * time.Second / clockTicks
	}
	return u, nil
}

// statusKiB returns the kB figure of field in a /proc/PID/status file.
func statusKiB(status []byte, field string) (int64, error) {
	i := bytes.Index(status, []byte(field))
	if i < 0 {
		return 0, fmt.Errorf("no %s line", field)
	}
	rest := status[i+len(field):]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	f := bytes.Fields(rest)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0, fmt.Errorf("%s line %q", field, rest)
	}
	return strconv.ParseInt(string(f[0]), 10, 64)
}

// statTicks returns utime+stime of a /proc/PID/stat line. The command
// name, in parentheses, may hold spaces and parentheses itself, so fields
// are counted from the last ')'.
func statTicks(stat []byte) (int64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name")
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is the state (field 3); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name", len(f))
	}
	utime, err := strconv.ParseInt(string(f[11]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime: %w", err)
	}
	stime, err := strconv.ParseInt(string(f[12]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime: %w", err)
	}
	return utime + stime, nil
}

// sampler follows a server's resident size while a shape runs, and its
// CPU time from start to stop.
type sampler struct {
	pids  []int
	start procUsage
	stopc chan struct{}
	done  sync.WaitGroup

	mu   sync.Mutex
	peak int64
	err  error
}

// sampleEvery is how often the sampler reads /proc.
const sampleEvery = 50 * time.Millisecond

// startSampler starts sampling pids; nil if there are none.
func startSampler(pids []int) (*sampler, error) {
	if len(pids) == 0 {
		return nil, nil
	}
	u, err := readUsage(pids)
	if err != nil {
		return nil, err
	}
	s := &sampler{pids: pids, start: u, peak: u.rss, stopc: make(chan struct{})}
	s.done.Add(1)
	go s.loop()
	return s, nil
}

func (s *sampler) loop() {
	defer s.done.Done()
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stopc:
			return
		case <-t.C:
			s.sample()
		}
	}
}

// sample reads the resident size once and keeps the peak.
func (s *sampler) sample() procUsage {
	u, err := readUsage(s.pids)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return procUsage{}
	}
	s.peak = max(s.peak, u.rss)
	return u
}

// stop ends sampling and returns the peak resident size and the CPU time
// spent since start.
func (s *sampler) stop() (peak int64, cpu time.Duration, err error) {
	close(s.stopc)
	s.done.Wait()
	end := s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, 0, s.err
	}
	return s.peak, end.cpu - s.start.cpu, nil
}
