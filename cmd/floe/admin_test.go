package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	createdID     = regexp.MustCompile(`(?m)^Access key ID:\s+(\S+)$`)
	createdSecret = regexp.MustCompile(`(?m)^Secret access key:\s+(\S+)$`)
)

func TestAdminKey(t *testing.T) {
	dsn := pgtest.DSN(t)
	db := map[string]string{"DATABASE_URL": dsn}
	ctx := context.Background()
	meta, err := metadata.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	floe := func(wantCode int, args ...string) (stdout string) {
		t.Helper()
		code, stdout, stderr := runFloe(t, db, args...)
		if code != wantCode {
			t.Fatalf("floe %s: status %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout
	}

	// A random key pair, printed and stored.
	out := floe(0, "admin", "key", "create", "--description", "first key")
	m1, m2 := createdID.FindStringSubmatch(out), createdSecret.FindStringSubmatch(out)
	if m1 == nil || m2 == nil {
		t.Fatalf("create printed %q, want the key ID and secret", out)
	}
	id, secret := m1[1], m2[1]
	if !regexp.MustCompile(`^FLOE[A-Z2-7]{16}$`).MatchString(id) || len(secret) != 40 {
		t.Errorf("generated %q / %q: want a 20-character ID and a 40-character secret", id, secret)
	}
	if k, err := meta.GetAccessKey(ctx, id); err != nil || k.Secret != secret || k.Description != "first key" {
		t.Fatalf("stored key: %+v, %v", k, err)
	}

	// A chosen key pair, the database named by flag rather than env.
	code, out, stderr := runFloe(t, nil, "admin", "key", "create", "--database-url", dsn, "--access-key", "AKIACHOSEN", "--secret-key", "chosen/secret+1")
	if code != 0 || !strings.Contains(out, "AKIACHOSEN") || !strings.Contains(out, "chosen/secret+1") {
		t.Fatalf("create chosen: %d %q %q", code, out, stderr)
	}
	if k, err := meta.GetAccessKey(ctx, "AKIACHOSEN"); err != nil || k.Secret != "chosen/secret+1" {
		t.Fatalf("stored chosen key: %+v, %v", k, err)
	}
	if _, _, stderr := runFloe(t, db, "admin", "key", "create", "--access-key", "AKIACHOSEN", "--secret-key", "x"); !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate create: stderr %q, want \"already exists\"", stderr)
	}
	floe(1, "admin", "key", "create", "--access-key", "AKIACHOSEN", "--secret-key", "x")

	// The list shows IDs and descriptions, never secrets.
	out = floe(0, "admin", "key", "list")
	for _, want := range []string{"ACCESS KEY ID", id, "first key", "AKIACHOSEN"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	for _, s := range []string{secret, "chosen/secret+1"} {
		if strings.Contains(out, s) {
			t.Errorf("list shows secret %q:\n%s", s, out)
		}
	}

	// Delete, with the ID before or after the flags.
	floe(0, "admin", "key", "delete", "AKIACHOSEN")
	if _, err := meta.GetAccessKey(ctx, "AKIACHOSEN"); !errors.Is(err, metadata.ErrNoSuchAccessKey) {
		t.Errorf("deleted key: %v, want it gone", err)
	}
	if code, _, stderr := runFloe(t, db, "admin", "key", "delete", "AKIACHOSEN"); code != 1 || !strings.Contains(stderr, "no access key AKIACHOSEN") {
		t.Errorf("delete again: %d %q, want 1 and \"no access key\"", code, stderr)
	}
	if code, _, stderr := runFloe(t, nil, "admin", "key", "delete", id, "--database-url", dsn); code != 0 {
		t.Fatalf("delete with a trailing flag: %d %q", code, stderr)
	}
	if out := floe(0, "admin", "key", "list"); strings.Contains(out, id) || strings.Contains(out, "AKIACHOSEN") {
		t.Errorf("list after deleting both keys:\n%s", out)
	}
	keys, err := meta.ListAccessKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Errorf("keys left: %+v, %v", keys, err)
	}
}

func TestAdminUsage(t *testing.T) {
	db := map[string]string{"DATABASE_URL": "postgres://nowhere.invalid/db"}
	runCLICases(t, []cliCase{
		{"help admin", nil, []string{"help", "admin"}, 0, "admin key delete", ""},
		{"admin -h", nil, []string{"admin", "-h"}, 0, "admin key create", ""},
		{"admin key -h", nil, []string{"admin", "key", "-h"}, 0, "admin key list", ""},
		{"create -h", nil, []string{"admin", "key", "create", "-h"}, 0, "-secret-key", ""},
		{"admin alone", nil, []string{"admin"}, 2, "", "missing command"},
		{"admin key alone", nil, []string{"admin", "key"}, 2, "", "missing command"},
		{"admin bogus", nil, []string{"admin", "bucket"}, 2, "", `unknown admin command "bucket"`},
		{"key bogus", nil, []string{"admin", "key", "rotate"}, 2, "", `"admin key rotate"`},
		{"no database", nil, []string{"admin", "key", "list"}, 2, "", "DATABASE_URL"},
		{"ID without secret", db, []string{"admin", "key", "create", "--access-key", "AKIAX"}, 2, "", "go together"},
		{"secret without ID", db, []string{"admin", "key", "create", "--secret-key", "s"}, 2, "", "go together"},
		{"bad ID", db, []string{"admin", "key", "create", "--access-key", "a/b", "--secret-key", "s"}, 2, "", "--access-key"},
		{"create positional", db, []string{"admin", "key", "create", "extra"}, 2, "", `unexpected argument "extra"`},
		{"delete without ID", db, []string{"admin", "key", "delete"}, 2, "", "exactly one"},
		{"delete two IDs", db, []string{"admin", "key", "delete", "A", "B"}, 2, "", "exactly one"},
		{"delete bad flag", db, []string{"admin", "key", "delete", "A", "--bogus"}, 2, "", "-bogus"},
	})
}

// TestDatabaseFlag checks which database the admin commands' flags and
// environment name, without connecting to it.
func TestDatabaseFlag(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "dev") // a running floe dev's directory
	stopped := filepath.Join(dir, "stopped")
	other := filepath.Join(dir, "other") // not a floe dev's
	for _, d := range []string{dev, stopped, other} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(dev, devKeyFile), filepath.Join(stopped, devKeyFile)} {
		if err := os.WriteFile(f, []byte("AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const devDSN = "postgres://postgres@127.0.0.1:5999/postgres?sslmode=disable"
	if err := os.WriteFile(filepath.Join(dev, devDatabaseFile), []byte(devDSN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const envURL, flagURL = "postgres://env/db", "postgres://flag/db"
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		dsn     string
		devDir  string
		usage   bool   // a usageError
		wantErr string // substring of the error; "" for none
	}{
		{"flag url", nil, []string{"--database-url", flagURL}, flagURL, "", false, ""},
		{"env url", map[string]string{"DATABASE_URL": envURL}, nil, envURL, "", false, ""},
		{"flag url over env", map[string]string{"DATABASE_URL": envURL}, []string{"--database-url", flagURL}, flagURL, "", false, ""},
		{"data", nil, []string{"--data", dev}, devDSN, dev, false, ""},
		{"data over env url", map[string]string{"DATABASE_URL": envURL}, []string{"--data", dev}, devDSN, dev, false, ""},
		{"env data", map[string]string{devDataEnv: dev}, nil, devDSN, dev, false, ""},
		{"env url over env data", map[string]string{"DATABASE_URL": envURL, devDataEnv: dev}, nil, envURL, "", false, ""},
		{"flag url over env data", map[string]string{devDataEnv: dev}, []string{"--database-url", flagURL}, flagURL, "", false, ""},
		{"data over env data", map[string]string{devDataEnv: other}, []string{"--data", dev}, devDSN, dev, false, ""},
		{"both flags", nil, []string{"--data", dev, "--database-url", flagURL}, "", "", true, "pass one"},
		{"empty data", map[string]string{"DATABASE_URL": envURL}, []string{"--data", ""}, "", "", true, "--data must not be empty"},
		{"nothing", nil, nil, "", "", true, "--data DIR"},
		{"not a dev dir", nil, []string{"--data", other}, "", "", true, "not a floe dev data directory"},
		{"no such dir", nil, []string{"--data", filepath.Join(dir, "nope")}, "", "", true, "no such directory"},
		{"dev not running", nil, []string{"--data", stopped}, "", "", false, "is floe dev running?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &environ{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return tt.vars[k] }}
			fs := newFlagSet(&command{name: "admin key list"}, env)
			db := databaseFlag(fs, env)
			if err := parseFlags(fs, env, tt.args); err != nil {
				t.Fatal(err)
			}
			dsn, devDir, err := db.dsn()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || isUsage(err) != tt.usage {
					t.Fatalf("err = %v (usage error: %v), want one containing %q (usage error: %v)", err, isUsage(err), tt.wantErr, tt.usage)
				}
				return
			}
			if err != nil || dsn != tt.dsn || devDir != tt.devDir {
				t.Errorf("dsn() = %q, %q, %v; want %q, %q", dsn, devDir, err, tt.dsn, tt.devDir)
			}
		})
	}
}

// TestAdminDataUsage checks that every admin command takes --data and
// refuses it beside --database-url, before connecting to anything.
func TestAdminDataUsage(t *testing.T) {
	other := t.TempDir() // not a floe dev's
	var cases []cliCase
	for _, args := range [][]string{
		{"key", "create"}, {"key", "list"}, {"key", "delete", "ID"},
		{"node", "list"}, {"node", "add", "127.0.0.1:1"}, {"node", "drain", "n1"}, {"node", "undrain", "n1"}, {"node", "remove", "n1"},
		{"rebalance"}, {"repair", "status"},
	} {
		cmd := strings.Join(args, " ")
		cases = append(cases,
			cliCase{cmd + " both", map[string]string{secretEnv: "x"}, append(append([]string{"admin"}, args...), "--data", other, "--database-url", "postgres://x/y"), 2, "", "pass one"},
			cliCase{cmd + " not dev", map[string]string{secretEnv: "x"}, append(append([]string{"admin"}, args...), "--data", other), 2, "", "not a floe dev data directory"},
		)
	}
	cases = append(cases, cliCase{"help mentions --data", nil, []string{"admin", "key", "create", "-h"}, 0, "$" + devDataEnv, ""})
	runCLICases(t, cases)
}
