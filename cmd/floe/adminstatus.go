package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/floe-s3/floe/metadata"
)

// statusCommand is `floe admin status`.
var statusCommand = &command{
	name:    "admin status",
	summary: "one screen of the cluster: nodes and capacity, repair queue, scrub, and the gateways with their versions",
	usage:   "admin status [--database-url URL | --data DIR]",
	run:     runStatus,
}

// gatewaySeen is how far back status lists gateways; gatewayGone is how
// long unseen makes one "gone" (three missed records).
const (
	gatewaySeen = 24 * time.Hour
	gatewayGone = 3 * 10 * time.Second
)

// clusterStatus is what status shows, read from the metadata store.
type clusterStatus struct {
	nodes    []metadata.NodeUsage
	repair   metadata.RepairStatus
	scrub    []metadata.ScrubProgress
	gateways []metadata.GatewayInfo
}

func runStatus(ctx context.Context, c *command, env *environ, args []string) error {
	meta, err := storeCommand(ctx, c, env, args)
	if err != nil {
		return err
	}
	defer meta.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var st clusterStatus
	if st.nodes, err = meta.NodeUsage(ctx); err != nil {
		return err
	}
	if st.repair, err = meta.RepairStatus(ctx); err != nil {
		return err
	}
	if st.scrub, err = meta.ListScrubProgress(ctx); err != nil {
		return err
	}
	if st.gateways, err = meta.ListGateways(ctx, gatewaySeen); err != nil {
		return err
	}
	printStatus(env.stdout, st, time.Now())
	return nil
}

// printStatus writes st as one screen; ages are relative to now.
func printStatus(w io.Writer, st clusterStatus, now time.Time) {
	states := map[string]int{}
	var capacity, free, shards int64
	for _, n := range st.nodes {
		states[n.State]++
		capacity += n.CapacityBytes
		free += n.FreeBytes
		shards += n.Shards
	}
	var parts []string
	for _, s := range []string{metadata.NodeAlive, metadata.NodeSuspect, metadata.NodeDead, metadata.NodeDraining} {
		parts = append(parts, fmt.Sprintf("%d %s", states[s], s))
		delete(states, s)
	}
	for _, s := range sortedKeys(states) {
		parts = append(parts, fmt.Sprintf("%d %s", states[s], s))
	}
	used := ""
	if capacity > 0 {
		used = fmt.Sprintf(" (%.0f%% used)", 100*float64(capacity-free)/float64(capacity))
	}
	fmt.Fprintf(w, "Nodes: %d (%s), %d shards; free %s of %s%s\n", len(st.nodes), strings.Join(parts, ", "),
		shards, sizeString(free), sizeString(capacity), used)
	printNodes(w, st.nodes, now)

	r := st.repair
	oldest := "-"
	if !r.Oldest.IsZero() {
		oldest = ago(now, r.Oldest)
	}
	fmt.Fprintf(w, "\nRepair: %d queued, %d in progress, %d retrying; oldest %s\n", r.Queued, r.InProgress, r.Retrying, oldest)

	var checked, corrupt, missing int64
	for _, p := range st.scrub {
		checked += p.Checked
		corrupt += p.Corrupt
		missing += p.Missing
	}
	fmt.Fprintf(w, "\nScrub: %d shards verified, %d found corrupt, %d missing\n", checked, corrupt, missing)
	if len(st.scrub) > 0 {
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "NODE\tADDRESS\tPASS\tLAST FULL PASS\tVERIFIED\tCORRUPT")
		for _, p := range st.scrub {
			pass := "not started"
			switch {
			case p.Cursor == metadata.ScrubPassDone:
				pass = "done"
			case !p.PassStartedAt.IsZero():
				pass = "running since " + ago(now, p.PassStartedAt)
			}
			last := "never"
			if !p.LastPassAt.IsZero() {
				last = ago(now, p.LastPassAt)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", p.NodeID, p.Addr, pass, last, p.Checked, p.Corrupt)
		}
		tw.Flush()
	}

	fmt.Fprintf(w, "\nGateways: %d seen in the last %s\n", len(st.gateways), gatewaySeen)
	if len(st.gateways) > 0 {
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tENDPOINT\tVERSION\tSTATE\tSTARTED\tLAST SEEN")
		for _, g := range st.gateways {
			state := "serving"
			switch {
			case !g.StoppedAt.IsZero():
				state = "stopped"
			case now.Sub(g.LastSeen) > gatewayGone:
				state = "gone"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.Address, g.Version, state,
				g.StartedAt.UTC().Format(time.RFC3339), ago(now, g.LastSeen))
		}
		tw.Flush()
	}
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
