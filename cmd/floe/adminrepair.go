package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/floe-s3/floe/metadata"
)

// repairStatusCommand is `floe admin repair status`.
var repairStatusCommand = &command{
	name:    "admin repair status",
	summary: "show the repair queue: queued, in progress and retrying blobs, the oldest entry, and blobs by shards still readable",
	usage:   "admin repair status [--database-url URL | --data DIR]",
	run:     runRepairStatus,
}

// runAdminRepair dispatches `floe admin repair <verb>`.
func runAdminRepair(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 || args[0] != "status" {
		return usageErrorf("want: floe %s", repairStatusCommand.usage)
	}
	return repairStatusCommand.run(ctx, repairStatusCommand, env, args[1:])
}

func runRepairStatus(ctx context.Context, c *command, env *environ, args []string) error {
	meta, err := storeCommand(ctx, c, env, args)
	if err != nil {
		return err
	}
	defer meta.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := meta.RepairStatus(ctx)
	if err != nil {
		return err
	}
	printRepairStatus(env.stdout, st, time.Now())
	return nil
}

// printRepairStatus writes st in a stable key: value form scripts can read.
func printRepairStatus(w io.Writer, st metadata.RepairStatus, now time.Time) {
	fmt.Fprintf(w, "queued: %d\nin progress: %d\nretrying: %d\n", st.Queued, st.InProgress, st.Retrying)
	if st.Oldest.IsZero() {
		fmt.Fprintln(w, "oldest: -")
	} else {
		fmt.Fprintf(w, "oldest: %s (%s ago)\n", st.Oldest.UTC().Format(time.RFC3339), now.Sub(st.Oldest).Round(time.Second))
	}
	for _, k := range slices.Sorted(maps.Keys(st.ByReadable)) {
		fmt.Fprintf(w, "readable shards %d: %d blobs\n", k, st.ByReadable[k])
	}
}
