package main

import (
	"context"
	"errors"
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
