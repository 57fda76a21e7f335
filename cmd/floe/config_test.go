package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSettingsPrecedence: a flag beats its FLOE_ variable, which beats
// the --config file's command table, which beats the file's top level,
// which beats the default; --print-config shows the result in a form
// --config reads back to the same settings.
func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "floe.toml")
	// The top level holds what both commands have; each table its own.
	writeConfig(t, cfg, `
listen = "127.0.0.1:7000"
log-level = "warn"

[server]
log-level = "error"
region = "eu-central-1"
gc-interval = "9s"
repair-workers = 3
domain = ["s3.example.com", "s3.example.net"]

[node]
listen = "127.0.0.1:7001"
`)
	vars := map[string]string{"FLOE_GC_INTERVAL": "2s", "DATABASE_URL": "postgres://floe:hunter2@db/floe"}
	code, out, errOut := runFloe(t, vars, "server", "--config", cfg, "--repair-workers", "5", "--print-config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`listen = "127.0.0.1:7000"`,                      // file, top level ([node] is not the server's)
		`region = "eu-central-1"`,                        // [server] beats the top level
		`gc-interval = "2s"`,                             // FLOE_ variable beats the file
		`repair-workers = "5"`,                           // flag beats the file
		`domain = "s3.example.com,s3.example.net"`,       // a repeatable flag from an array
		`database-url = "postgres://floe:xxxxx@db/floe"`, // no password printed
		`ec = "4+2"`,                                     // default
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("--print-config lacks %s:\n%s", want, out)
		}
	}

	// The printed settings, read back, are the same settings.
	again := filepath.Join(dir, "again.toml")
	writeConfig(t, again, strings.Replace(out, "xxxxx", "hunter2", 1))
	code, out2, errOut := runFloe(t, nil, "server", "--config", again, "--print-config")
	if code != 0 || out2 != out {
		t.Fatalf("round trip: exit %d %s\n%s\nwant\n%s", code, errOut, out2, out)
	}

	// FLOE_CONFIG names the file too; a node reads its own table.
	code, out, errOut = runFloe(t, map[string]string{"FLOE_CONFIG": cfg}, "node", "--data", dir, "--print-config")
	if code != 0 || !strings.Contains(out, `listen = "127.0.0.1:7001"`) || !strings.Contains(out, `log-level = "warn"`) ||
		!strings.HasPrefix(out, "[node]\n") {
		t.Fatalf("node: exit %d %s\n%s", code, errOut, out)
	}
}

func TestSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		writeConfig(t, p, body)
		return p
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"missing file", nil, []string{"server", "--config", filepath.Join(dir, "nope.toml"), "--print-config"}, "no such file"},
		{"not toml", nil, []string{"server", "--config", file("bad.toml", "listen = "), "--print-config"}, "bad.toml"},
		{"unknown key", nil, []string{"server", "--config", file("typo.toml", `lsiten = "x"`), "--print-config"}, `"lsiten" is not a setting of floe server`},
		{"unknown key in own table", nil, []string{"server", "--config", file("typo2.toml", "[server]\nnodez = \"x\""), "--print-config"}, `[server] "nodez"`},
		{"unknown table", nil, []string{"server", "--config", file("table.toml", "[gateway]\nlisten = \"x\""), "--print-config"}, "[gateway] is not a command's table"},
		{"bad value in file", nil, []string{"server", "--config", file("val.toml", `gc-interval = "soon"`), "--print-config"}, "gc-interval"},
		{"bad value in env", map[string]string{"FLOE_REPAIR_WORKERS": "many"}, []string{"server", "--print-config"}, "FLOE_REPAIR_WORKERS"},
		{"bad domain in list", nil, []string{"server", "--config", file("dom.toml", `domain = ["ok.example", "s3.example.com:9000"]`), "--print-config"}, "domain"},
		{"admin is not configurable", nil, []string{"admin", "key", "list", "--config", "x"}, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runFloe(t, tc.vars, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

func writeConfig(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}
