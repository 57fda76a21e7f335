package loadgen

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Reference is one shape with the figure MinIO (6 drives, EC 3+3, driven
// by warp) reached on the 2-core machine Floe is measured on; the goal is
// to beat it on the same machine.
type Reference struct {
	Shape
	// MinIO is MiB/s for large objects, ops/s for 4 KiB, keys/s for LIST.
	MinIO float64
}

// ReferenceShapes are the shapes Floe is compared with MinIO by, each
// running for d.
func ReferenceShapes(d time.Duration) []Reference {
	const mib = 1 << 20
	return []Reference{
		{Shape{Op: Put, Size: 64 * mib, Concurrency: 4, Duration: d}, 242},
		{Shape{Op: Get, Size: 64 * mib, Concurrency: 4, Duration: d}, 1561},
		{Shape{Op: Put, Size: mib, Concurrency: 16, Duration: d}, 102},
		{Shape{Op: Get, Size: mib, Concurrency: 16, Duration: d}, 693},
		{Shape{Op: Put, Size: 4 << 10, Concurrency: 32, Duration: d}, 262},
		{Shape{Op: Get, Size: 4 << 10, Concurrency: 32, Duration: d}, 1839},
		{Shape{Op: List, Size: 1 << 10, Concurrency: 4, Duration: d, PageSize: 100}, 14139},
	}
}

// Figure returns the Result's headline number in the unit Reference
// uses for its shape: keys/s for LIST, ops/s for objects under 1 MiB,
// MiB/s otherwise.
func (r Result) Figure() (float64, string) {
	switch {
	case r.Shape.Op == List:
		return r.KeysPerSec(), "keys/s"
	case r.Shape.Size < 1<<20:
		return r.OpsPerSec(), "ops/s"
	default:
		return r.MiBps(), "MiB/s"
	}
}

// Table writes results as an aligned table; minio, if not nil, holds
// the reference figure of each result (0: none) for a ratio column.
func Table(w io.Writer, results []Result, minio []float64) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	head := "op\tsize\tclients\trequests\terrors\tMiB/s\tops/s\tp50\tp99\tserver RSS\tserver CPU\tfigure\t"
	if minio != nil {
		head += "MinIO\tratio\t"
	}
	fmt.Fprintln(tw, head)
	for i, r := range results {
		fig, unit := r.Figure()
		line := fmt.Sprintf("%s\t%s\t%d\t%d\t%d\t%.1f\t%.0f\t%s\t%s\t%s\t%s\t%.0f %s\t",
			r.Shape.Op, FormatSize(r.Shape.Size), r.Shape.Concurrency, r.Ops, r.Errors,
			r.MiBps(), r.OpsPerSec(), roundDuration(r.P50), roundDuration(r.P99),
			orDash(r.PeakRSS > 0, FormatSize(r.PeakRSS)), orDash(r.CPU > 0, fmt.Sprintf("%.1f s", r.CPU.Seconds())), fig, unit)
		if minio != nil {
			if i < len(minio) && minio[i] > 0 {
				line += fmt.Sprintf("%.0f\t%.2f×\t", minio[i], fig/minio[i])
			} else {
				line += "-\t-\t"
			}
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.FirstError != "" {
			if _, err := fmt.Fprintf(w, "%s %s: first error: %s\n", r.Shape.Op, FormatSize(r.Shape.Size), r.FirstError); err != nil {
				return err
			}
		}
	}
	return nil
}

func orDash(ok bool, s string) string {
	if ok {
		return s
	}
	return "-"
}

// roundDuration keeps three significant digits or so.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// FormatSize writes n bytes in the largest binary unit that divides it
// (4 KiB, 64 MiB), or with one decimal when none does.
func FormatSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i, v := 0, n
	for i < len(units)-1 && v >= 1024 && v%1024 == 0 {
		v /= 1024
		i++
	}
	if v < 1024 || i == len(units)-1 {
		return fmt.Sprintf("%d %s", v, units[i])
	}
	f := float64(n)
	i = 0
	for i < len(units)-1 && f >= 1024 {
		f /= 1024
		i++
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") + " " + units[i]
}
