package main

import "testing"

// floe bench refuses bad invocations with status 2 before sending
// anything; running it against a cluster is e2e's TestBenchCommand.
func TestBenchUsage(t *testing.T) {
	keys := map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
	runCLICases(t, []cliCase{
		{name: "help", args: []string{"bench", "-h"}, code: 0, wantStdout: "Usage: floe bench"},
		{name: "bad op", vars: keys, args: []string{"bench", "--op", "delete"}, code: 2, wantStderr: `--op "delete"`},
		{name: "bad size", vars: keys, args: []string{"bench", "--size", "lots"}, code: 2, wantStderr: "--size"},
		{name: "bad suite", vars: keys, args: []string{"bench", "--suite", "warp"}, code: 2, wantStderr: `--suite "warp"`},
		{name: "no clients", vars: keys, args: []string{"bench", "--concurrency", "0"}, code: 2, wantStderr: "--concurrency"},
		{name: "bad pid", vars: keys, args: []string{"bench", "--server-pid", "1,x"}, code: 2, wantStderr: `"x" is not a process ID`},
		{name: "bad endpoint", vars: keys, args: []string{"bench", "--endpoint", "ftp://host"}, code: 2, wantStderr: "want http://host:port"},
		{name: "no key", args: []string{"bench", "--data", t.TempDir()}, code: 2, wantStderr: "no access key"},
	})
}
