// Command floe is Floe's single binary. Each role is a subcommand:
//
//	floe dev [--data DIR]                          run a whole Floe for development
//	floe server --nodes ADDR,... ...               run an S3 gateway
//	floe node --listen 127.0.0.1:9001 --data DIR   run a storage node
//	floe admin key create|list|delete              manage S3 access keys
//	floe admin node list|add|drain|undrain|remove  manage storage nodes
//	floe admin rebalance                           move shards off loaded nodes
//	floe admin repair status                       summarize the repair queue
//	floe admin status                              one screen of the cluster
//	floe import --source-endpoint URL --bucket B   copy buckets from another S3 server
//	floe bench [--endpoint URL] [--suite reference] measure an S3 endpoint under load
//	floe help [command]                            show usage
//
// Subcommands parse their own flags and hand a config to the package that
// implements them; this package holds no storage logic.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand of floe.
type command struct {
	name    string
	summary string // one line for the command list
	usage   string // synopsis line, without the leading "floe "
	// run executes the command c (passed in so it can print its own usage).
	// args exclude the command name. A usageError exits with status 2,
	// errHelp with 0.
	run func(ctx context.Context, c *command, env *environ, args []string) error
}

// environ is what a command may use from the process, so tests can run
// commands in-process without touching the real environment.
type environ struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// usageError is an error in how floe was invoked (exit status 2), as
// opposed to a failure while running (exit status 1).
type usageError string

func (e usageError) Error() string { return string(e) }

// errLogged reports a failure the command has already logged; floe exits 1
// without printing it again.
var errLogged = errors.New("failure already logged")

// usageErrorf formats a usageError.
func usageErrorf(format string, args ...any) error {
	return usageError(fmt.Sprintf(format, args...))
}

// isUsage reports whether err is, or wraps, a usageError.
func isUsage(err error) bool {
	var ue usageError
	return errors.As(err, &ue)
}

// commands lists the subcommands in the order help shows them. It is filled
// in init to break the reference cycle through the help command.
var commands []*command

func init() {
	commands = []*command{devCommand, serverCommand, nodeCommand, adminCommand, benchCommand, importCommand, helpCommand}
}

var helpCommand = &command{
	name:    "help",
	summary: "show usage of floe or of one command",
	usage:   "help [command]",
	run: func(_ context.Context, _ *command, env *environ, args []string) error {
		switch len(args) {
		case 0:
			printUsage(env.stdout)
			return nil
		case 1:
			c := lookup(args[0])
			if c == nil {
				return usageErrorf("unknown command %q", args[0])
			}
			if c.name == "help" {
				printUsage(env.stdout)
				return nil
			}
			// Subcommands print their usage, with flags, on -h.
			err := c.run(context.Background(), c, env, []string{"-h"})
			if errors.Is(err, errHelp) {
				return nil
			}
			return err
		default:
			return usageErrorf("help takes at most one command")
		}
	},
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// printUsage writes the top-level usage, listing every command.
func printUsage(w io.Writer) {
	fmt.Fprintf(w, "Floe is an S3-compatible object store.\n\nUsage:\n\n\tfloe <command> [flags]\n\nCommands:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'floe help <command>' for a command's flags.\n")
}

// run executes floe with args (without the program name) and returns the
// process exit status.
func run(ctx context.Context, env *environ, args []string) int {
	if len(args) == 0 {
		printUsage(env.stderr)
		return 2
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" {
		printUsage(env.stdout)
		return 0
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(env.stderr, "floe: unknown command %q\n\n", name)
		printUsage(env.stderr)
		return 2
	}
	err := c.run(ctx, c, env, args[1:])
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errLogged):
		return 1
	case isUsage(err):
		fmt.Fprintf(env.stderr, "floe %s: %v\nRun 'floe help %s' for usage.\n", c.name, err, c.name)
		return 2
	default:
		fmt.Fprintf(env.stderr, "floe %s: %v\n", c.name, err)
		return 1
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal starts a graceful shutdown, restore the
		// default handling so a second one kills a stuck process.
		<-ctx.Done()
		stop()
	}()
	env := &environ{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}
