package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/floe-s3/floe/metadata"
)

// userCommands are the subcommands of `floe admin user`.
var userCommands = []*command{
	{
		name:    "admin user create",
		summary: "create a user (an S3 account: it owns its keys and buckets) with a first access key, and print the key",
		usage:   "admin user create [--description TEXT] [--database-url URL | --data DIR] NAME",
		run:     runUserCreate,
	},
	{
		name:    "admin user list",
		summary: "list the users with their canonical IDs and how many keys and buckets each owns",
		usage:   "admin user list [--database-url URL | --data DIR]",
		run:     runUserList,
	},
	{
		name:    "admin user delete",
		summary: "delete a user and its access keys (it must own no buckets)",
		usage:   "admin user delete [--database-url URL | --data DIR] NAME",
		run:     runUserDelete,
	},
}

// runUserAdmin dispatches `floe admin user <verb>`.
func runUserAdmin(ctx context.Context, c *command, env *environ, args []string) error {
	if len(args) == 0 || isHelpArg(args[0]) {
		return adminUsage(c, env, len(args) > 0)
	}
	for _, uc := range userCommands {
		if uc.name == "admin user "+args[0] {
			return uc.run(ctx, uc, env, args[1:])
		}
	}
	return usageErrorf("unknown command \"admin user %s\" (want create, list or delete)", args[0])
}

func runUserCreate(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	db := databaseFlag(fs, env)
	desc := fs.String("description", "", "free `text` for the user's first access key")
	names, err := parseFlagsArgs(fs, env, args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return usageErrorf("want exactly one user name, got %d", len(names))
	}
	if err := metadata.CheckUserName(names[0]); err != nil {
		return usageErrorf("%v", err)
	}
	id, secret, err := newKeyPair()
	if err != nil {
		return fmt.Errorf("generating a key pair: %w", err)
	}
	meta, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()
	u, err := meta.CreateUser(ctx, names[0])
	if errors.Is(err, metadata.ErrUserExists) {
		return fmt.Errorf("user %s already exists (floe admin key create --user %s adds a key)", names[0], names[0])
	}
	if err != nil {
		return err
	}
	if err := meta.CreateAccessKey(ctx, metadata.AccessKey{ID: id, Secret: secret, Description: *desc, User: u.Name}); err != nil {
		return fmt.Errorf("user %s created, but not its key: %w", u.Name, err)
	}
	fmt.Fprintf(env.stdout, "User:               %s\nCanonical ID:       %s\nPolicy principal:   arn:aws:iam:::user/%s\nAccess key ID:      %s\nSecret access key:  %s\n",
		u.Name, u.CanonicalID, u.Name, id, secret)
	return nil
}

func runUserList(ctx context.Context, c *command, env *environ, args []string) error {
	meta, err := storeCommand(ctx, c, env, args)
	if err != nil {
		return err
	}
	defer meta.Close()
	users, err := meta.ListUsers(ctx)
	if err != nil {
		return err
	}
	printUsers(env.stdout, users)
	return nil
}

// printUsers writes users as a table.
func printUsers(w io.Writer, users []metadata.User) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tKEYS\tBUCKETS\tCREATED\tCANONICAL ID")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", u.Name, u.Keys, u.Buckets, u.CreatedAt.UTC().Format(time.RFC3339), u.CanonicalID)
	}
	tw.Flush()
}

func runUserDelete(ctx context.Context, c *command, env *environ, args []string) error {
	fs := newFlagSet(c, env)
	db := databaseFlag(fs, env)
	names, err := parseFlagsArgs(fs, env, args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return usageErrorf("want exactly one user name, got %d", len(names))
	}
	meta, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()
	switch err := meta.DeleteUser(ctx, names[0]); {
	case errors.Is(err, metadata.ErrNoSuchUser):
		return fmt.Errorf("no user %s", names[0])
	case errors.Is(err, metadata.ErrUserOwnsBuckets):
		return fmt.Errorf("user %s still owns buckets: delete them first", names[0])
	case err != nil:
		return err
	}
	fmt.Fprintf(env.stdout, "Deleted user %s and its access keys.\n", names[0])
	return nil
}
