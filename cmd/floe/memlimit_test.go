package main

import (
	"flag"
	"math"
	"runtime/debug"
	"testing"
)

func TestApplyMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	tests := []struct {
		name      string
		args      []string
		gomemlim  string
		want      int64 // the limit afterwards; -1: left as it was
		wantUsage bool
	}{
		{name: "default", want: 192 << 20},
		{name: "explicit", args: []string{"--memory-limit", "1GiB"}, want: 1 << 30},
		{name: "none", args: []string{"--memory-limit", "0"}, want: -1},
		{name: "GOMEMLIMIT wins over the default", gomemlim: "300MiB", want: -1},
		{name: "explicit wins over GOMEMLIMIT", args: []string{"--memory-limit", "100MiB"}, gomemlim: "300MiB", want: 100 << 20},
		{name: "bad size", args: []string{"--memory-limit", "lots"}, wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			fs := flag.NewFlagSet("server", flag.ContinueOnError)
			v := fs.String("memory-limit", defaultMemoryLimit, "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			env := &environ{getenv: func(k string) string {
				if k == "GOMEMLIMIT" {
					return tt.gomemlim
				}
				return ""
			}}
			err := applyMemoryLimit(fs, env, *v)
			if tt.wantUsage {
				if err == nil {
					t.Fatal("no error for a bad size")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == -1 {
				want = math.MaxInt64
			}
			if got := debug.SetMemoryLimit(-1); got != want {
				t.Fatalf("limit %d, want %d", got, want)
			}
		})
	}
}
