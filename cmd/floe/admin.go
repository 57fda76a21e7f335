package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api"
)

var adminCommand = &command{
	name:    "admin",
	summary: "manage a cluster: users, S3 access keys, storage nodes, rebalancing, repair",
	usage:   "admin user create|list|delete | key create|list|delete | node list|add|drain|undrain|remove | rebalance | repair status [flags]",
	run:     runAdmin,
}

// keyCommands are the subcommands of `floe admin key`. Their names are the
// full command line, for their usage messages.
var keyCommands = []*command{
	{
		name:    "admin key create",
		summary: "create an S3 access key pair and print it",
		usage:   "admin key create [--user NAME] [--description TEXT] [--access-key ID --secret-key SECRET] [--database-url URL | --data DIR]",
		run:     runKeyCreate,
	},
	{
		name:    "admin key list",
		summary: "list the access keys (IDs, users, creation times, descriptions; never secrets)",
		usage:   "admin key list [--database-url URL | --data DIR]",
		run:     runKeyList,
	},
	{
		name:    "admin key delete",
		summary: "delete an access key",
		usage:   "admin key delete [--database-url URL | --data DIR] ID",
		run:     runKeyDelete,
	},
}

// runAdmin dispatches `floe admin key <verb>`.
func runAdmin(ctx context.Context, c *command, env *environ, args []string) error {
	if len(args) == 0 || isHelpArg(args[0]) {
		return adminUsage(c, env, len(args) > 0)
	}
	switch args[0] {
	case "key":
	case "user":
		return runUserAdmin(ctx, c, env, args[1:])
	case "node":
		return runNodeAdmin(ctx, c, env, args[1:])
	case "repair":
		return runAdminRepair(ctx, env, args[1:])
	case "rebalance":
		return runRebalance(ctx, rebalanceCommand, env, args[1:])
	case "status":
		return runStatus(ctx, statusCommand, env, args[1:])
	default:
		return usageErrorf("unknown admin command %q (want: status, user, key, node, rebalance or repair)", args[0])
	}
	if len(args) == 1 || isHelpArg(args[1]) {
		return adminUsage(c, env, len(args) > 1)
	}
	for _, kc := range keyCommands {
		if kc.name == "admin key "+args[1] {
			return kc.run(ctx, kc, env, args[2:])
		}
	}
	return usageErrorf("unknown command \"admin key %s\" (want create, list or delete)", args[1])
}

func isHelpArg(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" }

// adminUsage lists the admin commands: on stdout with errHelp when asked
// for, else as a usage error.
func adminUsage(c *command, env *environ, asked bool) error {
	if !asked {
		return usageErrorf("missing command: floe %s", c.usage)
	}
	fmt.Fprintf(env.stdout, "Usage: floe %s\n\n%s.\n\nCommands:\n\n", c.usage, upperFirst(c.summary))
	var all []*command
	all = append(append(append(append(append(all, statusCommand), userCommands...), keyCommands...), nodeCommands...), rebalanceCommand)
	for _, kc := range all {
		fmt.Fprintf(env.stdout, "\tfloe %s\n\t\t%s\n", kc.usage, kc.summary)
	}
	fmt.Fprintf(env.stdout, "\nRun 'floe admin user|key|node <command> -h' or 'floe admin rebalance -h' for a command's flags.\n")
	return errHelp
}

// dbFlags are the flags that name an admin command's database.
type dbFlags struct {
	fs        *flag.FlagSet
	url, data *string
}

// databaseFlag adds --database-url, defaulting to $DATABASE_URL, and
// --data, the data directory of a running floe dev whose database to use
// instead. An explicit --data wins over $DATABASE_URL; $FLOE_DEV_DATA is
// the default for --data only when there is no URL, so that exporting it
// for floe dev never redirects commands meant for another cluster.
func databaseFlag(fs *flag.FlagSet, env *environ) *dbFlags {
	return &dbFlags{
		fs:  fs,
		url: fs.String("database-url", env.getenv("DATABASE_URL"), "PostgreSQL `url` of the cluster (default $DATABASE_URL)"),
		data: fs.String("data", env.getenv(devDataEnv),
			"data `directory` of a running floe dev, whose database to use instead of --database-url (default $"+devDataEnv+" unless --database-url or $DATABASE_URL is set)"),
	}
}

// dsn returns the database the flags name, after parsing, and the floe
// dev data directory it came from, if it did.
func (f *dbFlags) dsn() (dsn, devDir string, err error) {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	switch {
	case set["database-url"] && set["data"]:
		return "", "", usageErrorf("--database-url and --data both name a database: pass one")
	case set["data"] && *f.data == "":
		return "", "", usageErrorf("--data must not be empty")
	case set["data"] || *f.url == "" && *f.data != "":
		dsn, err := devDatabaseURL(*f.data)
		return dsn, *f.data, err
	case *f.url != "":
		return *f.url, "", nil
	}
	return "", "", usageErrorf("no database: set DATABASE_URL, pass --database-url, or pass --data DIR of a running floe dev")
}

// open opens the database the flags name, bringing its schema up to date
// as a gateway would.
func (f *dbFlags) open(ctx context.Context) (*metadata.Postgres, error) {
	dsn, devDir, err := f.dsn()
	if err != nil {
		return nil, err
	}
	what := "the database"
	if devDir != "" {
		// A floe dev killed without cleaning up leaves a stale URL.
		what = fmt.Sprintf("the database of floe dev in %s (is floe dev running?)", devDir)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	meta, err := metadata.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", what, err)
	}
	return meta, nil
}

// storeCommand parses the flags of a command that takes nothing but the
// database flags and opens the store.
func storeCommand(ctx context.Context, c *command, env *environ, args []string) (*metadata.Postgres, error) {
	fs := newFlagSet(c, env)
	db := databaseFlag(fs, env)
	if err := parseFlags(fs, env, args); err != nil {
		return nil, err
	}
	return db.open(ctx)
}

func runKeyCreate(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	db := databaseFlag(fs, env)
	desc := fs.String("description", "", "free `text` to tell the key apart later")
	user := fs.String("user", metadata.DefaultUser, "the `user` the key belongs to (see floe admin user)")
	id := fs.String("access-key", "", "use this access key `ID` instead of a random one")
	secret := fs.String("secret-key", "", "use this `secret` instead of a random one (with --access-key)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if (*id == "") != (*secret == "") {
		return usageErrorf("--access-key and --secret-key go together")
	}
	if *id == "" {
		var err error
		if *id, *secret, err = newKeyPair(); err != nil {
			return fmt.Errorf("generating a key pair: %w", err)
		}
	}
	if err := metadata.CheckAccessKeyID(*id); err != nil {
		return usageErrorf("--access-key: %v", err)
	}
	meta, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()
	err = meta.CreateAccessKey(ctx, metadata.AccessKey{ID: *id, Secret: *secret, Description: *desc, User: *user})
	if errors.Is(err, metadata.ErrAccessKeyExists) {
		return fmt.Errorf("access key %s already exists", *id)
	}
	if errors.Is(err, metadata.ErrNoSuchUser) {
		return fmt.Errorf("no user %s (floe admin user create makes one)", *user)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Access key ID:      %s\nSecret access key:  %s\n", *id, *secret)
	return nil
}

func runKeyList(ctx context.Context, c *command, env *environ, args []string) error {
	meta, err := storeCommand(ctx, c, env, args)
	if err != nil {
		return err
	}
	defer meta.Close()
	keys, err := meta.ListAccessKeys(ctx)
	if err != nil {
		return err
	}
	printKeys(env.stdout, keys)
	return nil
}

// printKeys writes keys as a table, without their secrets.
func printKeys(w io.Writer, keys []metadata.AccessKey) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCESS KEY ID\tUSER\tCREATED\tDESCRIPTION")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.User, k.CreatedAt.UTC().Format(time.RFC3339), k.Description)
	}
	tw.Flush()
}

func runKeyDelete(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	db := databaseFlag(fs, env)
	ids, err := parseFlagsArgs(fs, env, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return usageErrorf("want exactly one access key ID, got %d", len(ids))
	}
	meta, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()
	err = meta.DeleteAccessKey(ctx, ids[0])
	if errors.Is(err, metadata.ErrNoSuchAccessKey) {
		return fmt.Errorf("no access key %s", ids[0])
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Deleted access key %s. Gateways may go on accepting it for up to their --key-cache-ttl (default %v).\n",
		ids[0], s3api.DefaultKeyCacheTTL)
	return nil
}

// parseFlagsArgs is parseFlags for commands that take positional arguments,
// which may come before, between or after the flags. It returns them.
func parseFlagsArgs(fs *flag.FlagSet, env *environ, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlagsOnly(fs, env, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		// flag stops at the first argument that is not a flag.
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
