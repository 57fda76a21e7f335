package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata"
)

// nodeCommands are the subcommands of `floe admin node`.
var nodeCommands = []*command{
	{
		name:    "admin node list",
		summary: "list the storage nodes: state and since when, last heartbeat, shards, free space",
		usage:   "admin node list [--database-url URL | --data DIR]",
		run:     runNodeList,
	},
	{
		name:    "admin node add",
		summary: "register the node at ADDR (asking it for its ID); it takes new shards at once",
		usage:   "admin node add [--database-url URL | --data DIR] [--secret-file PATH] ADDR",
		run:     runNodeAdd,
	},
	{
		name:    "admin node drain",
		summary: "stop placing shards on a node and queue repair to move all of its shards away; it keeps serving reads",
		usage:   "admin node drain [--database-url URL | --data DIR] ID",
		run:     runNodeDrain,
	},
	{
		name:    "admin node undrain",
		summary: "let a draining node take new shards again (shards already moved stay moved)",
		usage:   "admin node undrain [--database-url URL | --data DIR] ID",
		run:     runNodeUndrain,
	},
	{
		name:    "admin node remove",
		summary: "unregister a node that holds no shards; --force: one whose shards every blob can spare",
		usage:   "admin node remove [--force] [--database-url URL | --data DIR] ID",
		run:     runNodeRemove,
	},
}

// rebalanceCommand is `floe admin rebalance`.
var rebalanceCommand = &command{
	name:    "admin rebalance",
	summary: "mark shards on overloaded alive nodes misplaced, for repair to move to less loaded ones",
	usage:   "admin rebalance [--by shards|bytes] [--threshold PERCENT] [--dry-run] [--database-url URL | --data DIR]",
	run:     runRebalance,
}

// runNodeAdmin dispatches `floe admin node <verb>`.
func runNodeAdmin(ctx context.Context, admin *command, env *environ, args []string) error {
	if len(args) == 0 || isHelpArg(args[0]) {
		return adminUsage(admin, env, len(args) > 0)
	}
	for _, nc := range nodeCommands {
		if nc.name == "admin node "+args[0] {
			return nc.run(ctx, nc, env, args[1:])
		}
	}
	return usageErrorf("unknown command \"admin node %s\" (want list, add, drain, undrain or remove)", args[0])
}

func runNodeList(ctx context.Context, c *command, env *environ, args []string) error {
	meta, err := storeCommand(ctx, c, env, args)
	if err != nil {
		return err
	}
	defer meta.Close()
	nodes, err := meta.NodeUsage(ctx)
	if err != nil {
		return err
	}
	printNodes(env.stdout, nodes, time.Now())
	return nil
}

// printNodes writes nodes as a table; ages are relative to now.
func printNodes(w io.Writer, nodes []metadata.NodeUsage, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDRESS\tSTATE\tSINCE\tLAST HEARTBEAT\tSHARDS\tFREE / CAPACITY")
	for _, n := range nodes {
		hb := "never"
		if n.LastHeartbeat.Unix() > 0 {
			hb = ago(now, n.LastHeartbeat)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s / %s\n", n.ID, n.Addr, n.State,
			n.StateChangedAt.UTC().Format(time.RFC3339), hb, n.Shards, sizeString(n.FreeBytes), sizeString(n.CapacityBytes))
	}
	tw.Flush()
}

// ago formats how long before now t was, to the second.
func ago(now, t time.Time) string {
	d := max(now.Sub(t).Round(time.Second), 0)
	return d.String() + " ago"
}

// sizeString formats a byte count with a binary unit.
func sizeString(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func runNodeAdd(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	db := databaseFlag(fs, env)
	secretFile := fs.String("secret-file", "", "read the cluster secret from `path` instead of $"+secretEnv)
	pos, err := parseFlagsArgs(fs, env, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("want exactly one node address, got %d", len(pos))
	}
	addr := pos[0]
	secret, err := clusterSecret(env, *secretFile)
	if err != nil {
		return err
	}
	meta, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, err := node.NewClient(secret, nil).Health(hctx, addr)
	if err != nil {
		return fmt.Errorf("asking the node at %s for its ID (is it running, with the same cluster secret?): %w", addr, err)
	}
	// No state: a new node registers alive; a known one (moved to a new
	// address) keeps its state.
	err = meta.UpsertNode(ctx, metadata.NodeInfo{ID: h.NodeID, Addr: addr, CapacityBytes: h.CapacityBytes, FreeBytes: h.FreeBytes})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Registered node %s at %s (%s free of %s). Gateways place new shards on it from their next poll.\n",
		h.NodeID, addr, sizeString(h.FreeBytes), sizeString(h.CapacityBytes))
	return nil
}

// nodeIDCommand parses the flags of a command that takes one node ID,
// with extra flags added by flags (may be nil), and opens the store.
func nodeIDCommand(ctx context.Context, c *command, env *environ, args []string, flags func(*flag.FlagSet)) (*metadata.Postgres, string, error) {
	fs := newFlagSet(c, env)
	db := databaseFlag(fs, env)
	if flags != nil {
		flags(fs)
	}
	pos, err := parseFlagsArgs(fs, env, args)
	if err != nil {
		return nil, "", err
	}
	if len(pos) != 1 {
		return nil, "", usageErrorf("want exactly one node ID, got %d", len(pos))
	}
	meta, err := db.open(ctx)
	if err != nil {
		return nil, "", err
	}
	return meta, pos[0], nil
}

func runNodeDrain(ctx context.Context, c *command, env *environ, args []string) error {
	meta, id, err := nodeIDCommand(ctx, c, env, args, nil)
	if err != nil {
		return err
	}
	defer meta.Close()
	if err := meta.SetNodeState(ctx, id, metadata.NodeDraining); err != nil {
		return noSuchNode(id, err)
	}
	// Queued after the state change: repair then sees the node draining.
	// Running drain again re-queues whatever is left.
	n, err := meta.EnqueueNodeRepairs(ctx, id, "drain")
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Node %s is draining: it takes no new shards and keeps serving reads; %d blobs newly queued for repair to move its shards. Remove it once 'floe admin node list' shows 0 shards.\n", id, n)
	return nil
}

func runNodeUndrain(ctx context.Context, c *command, env *environ, args []string) error {
	meta, id, err := nodeIDCommand(ctx, c, env, args, nil)
	if err != nil {
		return err
	}
	defer meta.Close()
	if err := meta.SetNodeState(ctx, id, metadata.NodeAlive); err != nil {
		return noSuchNode(id, err)
	}
	fmt.Fprintf(env.stdout, "Node %s is alive again: it takes new shards once its heartbeat is fresh.\n", id)
	return nil
}

func runNodeRemove(ctx context.Context, c *command, env *environ, args []string) error {
	var force *bool
	meta, id, err := nodeIDCommand(ctx, c, env, args, func(fs *flag.FlagSet) {
		force = fs.Bool("force", false, "remove it although shards are still on it, if every blob keeps K readable shards elsewhere (its shards are marked missing and repaired)")
	})
	if err != nil {
		return err
	}
	defer meta.Close()
	n, err := meta.DeleteNode(ctx, id, *force)
	switch {
	case errors.Is(err, metadata.ErrNodeInUse):
		return fmt.Errorf("refusing to remove node %s: shard rows still name it; drain it ('floe admin node drain %s') and wait for repair to move them, or use --force: %w", id, id, err)
	case errors.Is(err, metadata.ErrNodeNeeded):
		return fmt.Errorf("refusing to remove node %s even with --force: its shards are needed to keep blobs readable: %w", id, err)
	case err != nil:
		return noSuchNode(id, err)
	}
	if n > 0 {
		fmt.Fprintf(env.stdout, "Removed node %s; its %d shards are marked missing and queued for repair.\n", id, n)
	} else {
		fmt.Fprintf(env.stdout, "Removed node %s.\n", id)
	}
	return nil
}

// noSuchNode turns ErrNoSuchNode into a plain message.
func noSuchNode(id string, err error) error {
	if errors.Is(err, metadata.ErrNoSuchNode) {
		return fmt.Errorf("no node %s (see 'floe admin node list')", id)
	}
	return err
}

func runRebalance(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	db := databaseFlag(fs, env)
	by := fs.String("by", "shards", "balance shard `counts` (shards) or bytes (bytes)")
	threshold := fs.Float64("threshold", 10, "only nodes more than this `percent` above the average shed shards")
	dry := fs.Bool("dry-run", false, "print the plan, change nothing")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *by != "shards" && *by != "bytes" {
		return usageErrorf("--by %q: want shards or bytes", *by)
	}
	if *threshold < 0 {
		return usageErrorf("--threshold %v: want a percentage of 0 or more", *threshold)
	}
	meta, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()
	plan, err := meta.Rebalance(ctx, *by == "bytes", *threshold/100, *dry)
	if err != nil {
		return err
	}
	printPlan(env.stdout, plan, *dry)
	return nil
}

// printPlan writes a rebalance plan as a table.
func printPlan(w io.Writer, p metadata.RebalancePlan, dry bool) {
	unit, format := "shards", func(n int64) string { return fmt.Sprint(n) }
	if p.ByBytes {
		unit, format = "bytes", sizeString
	}
	verb := "Marked"
	if dry {
		verb = "Would mark (dry run)"
	}
	if len(p.Nodes) == 0 {
		fmt.Fprintln(w, "No alive nodes: nothing to balance.")
		return
	}
	fmt.Fprintf(w, "Balancing %s over %d alive nodes: average %s, limit %s.\n",
		unit, len(p.Nodes), format(int64(p.Average)), format(int64(p.Limit)))
	if p.Filling {
		fmt.Fprintf(w, "A node is below %s (the average less the threshold): every node above the average sheds its excess.\n",
			format(int64(p.Floor)))
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tLOAD\tMISPLACED SHARDS\tTHEIR LOAD")
	for _, n := range p.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", n.ID, format(n.Load), n.Marked, format(n.MarkedLoad))
	}
	tw.Flush()
	fmt.Fprintf(w, "%s %d shards misplaced; repair moves them to nodes holding nothing of their blob.\n", verb, p.Marked())
}
