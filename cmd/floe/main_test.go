package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runFloe runs floe in-process with the given environment variables.
func runFloe(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &environ{stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code = run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

// cliCase is one floe invocation and what it should produce.
type cliCase struct {
	name       string
	vars       map[string]string
	args       []string
	code       int
	wantStdout string // substring; "" checks nothing
	wantStderr string // substring; "" checks nothing
}

// runCLICases runs each case as a subtest and checks its exit status and
// output.
func runCLICases(t *testing.T, tests []cliCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runFloe(t, tt.vars, tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := map[string]string{secretEnv: "0123456789abcdef0123456789abcdef"}
	runCLICases(t, []cliCase{
		{"no command", nil, nil, 2, "", "Commands:"},
		{"help", nil, []string{"help"}, 0, "node ", ""},
		{"--help", nil, []string{"--help"}, 0, "Commands:", ""},
		{"-h", nil, []string{"-h"}, 0, "Commands:", ""},
		{"unknown command", nil, []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"help node", nil, []string{"help", "node"}, 0, "-secret-file", ""},
		{"node -h", nil, []string{"node", "-h"}, 0, "Usage: floe node", ""},
		{"help unknown", nil, []string{"help", "frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"help help", nil, []string{"help", "help"}, 0, "Commands:", ""},
		{"help too many", nil, []string{"help", "node", "node"}, 2, "", "at most one"},
		{"node without --data", secret, []string{"node"}, 2, "", "--data is required"},
		{"node bad flag", secret, []string{"node", "--data", dir, "--bogus"}, 2, "", "-bogus"},
		{"node positional", secret, []string{"node", "--data", dir, "extra"}, 2, "", `unexpected argument "extra"`},
		{"node empty listen", secret, []string{"node", "--data", dir, "--listen", ""}, 2, "", "--listen"},
		{"node bad reserve", secret, []string{"node", "--data", dir, "--reserve", "lots"}, 2, "", "--reserve"},
		{"help node reserve", nil, []string{"help", "node"}, 0, "-reserve size", ""},
		{"node bad level", secret, []string{"node", "--data", dir, "--log-level", "loud"}, 2, "", `"loud"`},
		{"node no secret", nil, []string{"node", "--data", dir}, 2, "", "FLOE_CLUSTER_SECRET"},
		{"node empty secret file", nil, []string{"node", "--data", dir, "--secret-file", empty}, 2, "", "is empty"},
		{"node missing secret file", secret, []string{"node", "--data", dir, "--secret-file", filepath.Join(dir, "nope")}, 1, "", "reading cluster secret"},
	})
}

func TestClusterSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		env  string
		file string
		want string
	}{
		{"env", "from-env", "", "from-env"},
		{"file wins over env", "from-env", write("a", "from-file"), "from-file"},
		{"trailing newline dropped", "", write("b", "s3cret\n"), "s3cret"},
		{"trailing CRLF dropped", "", write("c", "s3cret\r\n"), "s3cret"},
		{"inner whitespace kept", "", write("d", " a b \n"), " a b "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &environ{getenv: func(k string) string {
				if k == secretEnv {
					return tt.env
				}
				return ""
			}}
			got, err := clusterSecret(env, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("secret = %q, want %q", got, tt.want)
			}
		})
	}
}
