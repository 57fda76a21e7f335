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

func TestAdminUser(t *testing.T) {
	dsn := pgtest.DSN(t)
	db := map[string]string{"DATABASE_URL": dsn}
	ctx := context.Background()
	meta, err := metadata.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	floe := func(wantCode int, args ...string) (stdout, stderr string) {
		t.Helper()
		code, stdout, stderr := runFloe(t, db, args...)
		if code != wantCode {
			t.Fatalf("floe %s: status %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout, stderr
	}

	// A user comes with a first key, which acts as that user.
	out, _ := floe(0, "admin", "user", "create", "alice", "--description", "alice's laptop")
	m := createdID.FindStringSubmatch(out)
	cid := regexp.MustCompile(`(?m)^Canonical ID:\s+([0-9a-f]{64})$`).FindStringSubmatch(out)
	if m == nil || cid == nil || !strings.Contains(out, "arn:aws:iam:::user/alice") {
		t.Fatalf("create printed %q, want the key, the canonical ID and the principal ARN", out)
	}
	k, err := meta.GetAccessKey(ctx, m[1])
	if err != nil || k.User != "alice" || k.UserID != cid[1] || k.Description != "alice's laptop" {
		t.Fatalf("alice's key: %+v, %v", k, err)
	}
	if _, stderr := floe(1, "admin", "user", "create", "alice"); !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate user: %q", stderr)
	}

	// More keys for her; none for a user that does not exist.
	out, _ = floe(0, "admin", "key", "create", "--user", "alice")
	second := createdID.FindStringSubmatch(out)
	if second == nil {
		t.Fatalf("key create printed %q", out)
	}
	if k, err := meta.GetAccessKey(ctx, second[1]); err != nil || k.User != "alice" {
		t.Fatalf("second key: %+v, %v", k, err)
	}
	if _, stderr := floe(1, "admin", "key", "create", "--user", "bob"); !strings.Contains(stderr, "no user bob") {
		t.Errorf("key for a missing user: %q", stderr)
	}
	if out, _ := floe(0, "admin", "key", "list"); !regexp.MustCompile(second[1] + `\s+alice`).MatchString(out) {
		t.Errorf("key list does not show the key's user:\n%s", out)
	}

	// The list counts keys and buckets; a user owning a bucket stays.
	if err := meta.CreateBucketAs(ctx, "alices", "alice", false); err != nil {
		t.Fatal(err)
	}
	out, _ = floe(0, "admin", "user", "list")
	if !regexp.MustCompile(`(?m)^alice\s+2\s+1\s+\S+\s+`+cid[1]+`$`).MatchString(out) || !strings.Contains(out, metadata.DefaultUser) {
		t.Errorf("user list:\n%s", out)
	}
	if _, stderr := floe(1, "admin", "user", "delete", "alice"); !strings.Contains(stderr, "still owns buckets") {
		t.Errorf("delete while owning: %q", stderr)
	}
	if err := meta.DeleteBucket(ctx, "alices"); err != nil {
		t.Fatal(err)
	}
	floe(0, "admin", "user", "delete", "alice")
	if _, err := meta.GetAccessKey(ctx, m[1]); !errors.Is(err, metadata.ErrNoSuchAccessKey) {
		t.Errorf("alice's key outlived her: %v", err)
	}
	if _, stderr := floe(1, "admin", "user", "delete", "alice"); !strings.Contains(stderr, "no user alice") {
		t.Errorf("delete twice: %q", stderr)
	}
	runCLICases(t, []cliCase{
		{"admin user -h", nil, []string{"admin", "user", "-h"}, 0, "admin user create", ""},
		{"user bogus", nil, []string{"admin", "user", "rename"}, 2, "", `"admin user rename"`},
		{"create without name", db, []string{"admin", "user", "create"}, 2, "", "exactly one"},
		{"create bad name", db, []string{"admin", "user", "create", "a/b"}, 2, "", "only A-Z"},
	})
}
