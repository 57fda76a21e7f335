package s3import

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stats are a run's counters, shared by lister, workers and reporter.
type stats struct {
	listed, listedBytes       atomic.Int64
	copied, copiedBytes       atomic.Int64
	skipped, landed, failed   atomic.Int64
	wouldCopy, wouldCopyBytes atomic.Int64
	// transferred counts body bytes as they stream, retries included.
	transferred atomic.Int64
	// out serialises writes to the output (bar, lines, dry-run lists).
	out sync.Mutex
	bar bool // a bar is on the current line and must be cleared first
}

func (s *stats) summary() Summary {
	return Summary{Copied: s.copied.Load(), CopiedBytes: s.copiedBytes.Load(), Skipped: s.skipped.Load(),
		Landed: s.landed.Load(), Failed: s.failed.Load(), WouldCopy: s.wouldCopy.Load(), WouldCopyBytes: s.wouldCopyBytes.Load()}
}

// println writes a line, clearing the progress bar first.
func (s *stats) println(w io.Writer, line string) {
	s.out.Lock()
	defer s.out.Unlock()
	if s.bar {
		fmt.Fprint(w, "\r\033[K")
		s.bar = false
	}
	fmt.Fprintln(w, line)
}

// reporter shows progress while a run goes: a bar redrawn in place on a
// terminal, a plain line every ProgressEvery otherwise.
type reporter struct {
	cfg   Config
	s     *stats
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

func newReporter(cfg Config, s *stats) *reporter {
	r := &reporter{cfg: cfg, s: s, start: time.Now(), done: make(chan struct{})}
	every := cfg.ProgressEvery
	if cfg.Bar {
		every = 200 * time.Millisecond
	}
	r.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-r.done:
				return
			case <-t.C:
				r.show()
			}
		}
	})
	return r
}

// stop ends the display, clearing the bar; it may be called again.
func (r *reporter) stop() {
	r.once.Do(func() {
		close(r.done)
		r.wg.Wait()
		r.s.out.Lock()
		if r.s.bar {
			fmt.Fprint(r.cfg.Out, "\r\033[K")
			r.s.bar = false
		}
		r.s.out.Unlock()
	})
}

// show draws the bar or writes a line.
func (r *reporter) show() {
	s := r.s
	listed, done := s.listed.Load(), s.copied.Load()+s.skipped.Load()+s.landed.Load()+s.failed.Load()
	if r.cfg.DryRun {
		done = listed
	}
	el := time.Since(r.start)
	rate := float64(s.transferred.Load()) / max(el.Seconds(), 0.001)
	counts := fmt.Sprintf("%d/%d objects, %s/%s, %s/s, %d failed", done, listed,
		FormatBytes(s.copiedBytes.Load()), FormatBytes(s.listedBytes.Load()), FormatBytes(int64(rate)), s.failed.Load())
	s.out.Lock()
	defer s.out.Unlock()
	if !r.cfg.Bar {
		fmt.Fprintf(r.cfg.Out, "import: %s, %s elapsed\n", counts, el.Round(time.Second))
		return
	}
	const width = 30
	fill := 0
	if listed > 0 {
		fill = int(min(done*width/listed, width))
	}
	fmt.Fprintf(r.cfg.Out, "\r\033[K[%s%s] %s", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), counts)
	s.bar = true
}

// printSummary writes the run's totals.
func (r *reporter) printSummary(sum Summary, dry bool) {
	el := time.Since(r.start).Round(time.Millisecond)
	if dry {
		r.s.println(r.cfg.Out, fmt.Sprintf("dry run: would copy %d objects (%s); %d unchanged; nothing was copied (%v)",
			sum.WouldCopy, FormatBytes(sum.WouldCopyBytes), sum.Skipped, el))
		return
	}
	line := fmt.Sprintf("import: copied %d objects (%s), skipped %d unchanged, failed %d", sum.Copied, FormatBytes(sum.CopiedBytes), sum.Skipped, sum.Failed)
	if sum.Landed > 0 {
		line += fmt.Sprintf(", %d found finished from an interrupted run", sum.Landed)
	}
	r.s.println(r.cfg.Out, fmt.Sprintf("%s in %v (%s/s)", line, el, FormatBytes(int64(float64(sum.CopiedBytes)/max(el.Seconds(), 0.001)))))
}

// FormatBytes writes n in binary units: 512 B, 1.5 KiB, 3.2 GiB.
func FormatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, unit := float64(n), 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	for f /= 1024; f >= 1024 && unit < len(units)-1; f /= 1024 {
		unit++
	}
	return fmt.Sprintf("%.1f %s", f, units[unit])
}
