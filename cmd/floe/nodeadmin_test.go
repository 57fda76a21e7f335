package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
)

// putBlobObject stores object key (size bytes) in one RS(2+1) blob whose
// shards are on nodes, and returns the blob's ID.
func putBlobObject(t *testing.T, meta *metadata.Postgres, key string, size int64, nodes ...string) blobmeta.ID {
	t.Helper()
	m := &blobmeta.Manifest{
		Params:     blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 2, M: 1, StripeSize: 1 << 20},
		Size:       size,
		ShardRoots: make([]blobmeta.Hash, 3),
	}
	rand.Read(m.Nonce[:])
	b := metadata.Blob{ID: m.ID(), Manifest: m}
	for _, n := range nodes {
		b.Placement = append(b.Placement, blobmeta.Node{ID: n})
	}
	obj := metadata.Object{Bucket: "bkt", Key: key, Size: size, ETag: `"e"`,
		Parts: []metadata.Part{{Number: 1, Size: size, Blob: b}}}
	if _, err := meta.PutObject(context.Background(), obj, nil, metadata.Precondition{}); err != nil {
		t.Fatal(err)
	}
	return b.ID
}

// adminFixture registers alive nodes n0..n3 in a fresh database with a
// bucket "bkt".
func adminFixture(t *testing.T) (*metadata.Postgres, string) {
	t.Helper()
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	meta, err := metadata.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	for i := range 4 {
		id := fmt.Sprintf("n%d", i)
		if err := meta.UpsertNode(ctx, metadata.NodeInfo{ID: id, Addr: id + ":9100", CapacityBytes: 10 << 30, FreeBytes: 4 << 30}); err != nil {
			t.Fatal(err)
		}
	}
	if err := meta.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	return meta, dsn
}

// usageOf returns each node's shard count and state.
func usageOf(t *testing.T, meta *metadata.Postgres) map[string]metadata.NodeUsage {
	t.Helper()
	us, err := meta.NodeUsage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]metadata.NodeUsage{}
	for _, u := range us {
		out[u.ID] = u
	}
	return out
}

func TestAdminNodeListDrainRemove(t *testing.T) {
	meta, dsn := adminFixture(t)
	ctx := context.Background()
	db := map[string]string{"DATABASE_URL": dsn}
	floe := func(wantCode int, args ...string) (stdout, stderr string) {
		t.Helper()
		code, stdout, stderr := runFloe(t, db, args...)
		if code != wantCode {
			t.Fatalf("floe %s: status %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout, stderr
	}
	a := putBlobObject(t, meta, "a", 1000, "n0", "n1", "n2")
	b := putBlobObject(t, meta, "b", 1000, "n0", "n1", "n3")
	putBlobObject(t, meta, "c", 1000, "n1", "n2", "n3")

	out, _ := floe(0, "admin", "node", "list")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^ID\s+ADDRESS\s+STATE\s+SINCE\s+LAST HEARTBEAT\s+SHARDS\s+FREE / CAPACITY$`),
		regexp.MustCompile(`(?m)^n0\s+n0:9100\s+alive\s+\S+Z\s+\d+s ago\s+2\s+4\.0 GiB / 10\.0 GiB$`),
		regexp.MustCompile(`(?m)^n1\s+n1:9100\s+alive\s+.*\s+3\s+4\.0 GiB`),
	} {
		if !want.MatchString(out) {
			t.Errorf("list does not match %s:\n%s", want, out)
		}
	}

	// Drain n0: it takes no new shards and its blobs are queued.
	out, _ = floe(0, "admin", "node", "drain", "n0")
	if !strings.Contains(out, "2 blobs newly queued") {
		t.Errorf("drain said %q", out)
	}
	if u := usageOf(t, meta)["n0"]; u.State != metadata.NodeDraining {
		t.Errorf("n0 is %s after drain", u.State)
	}
	for _, id := range []blobmeta.ID{a, b} {
		task, err := meta.GetRepairTask(ctx, id)
		if err != nil || !task.Shards[0].NeedsRewrite() || !task.Shards[0].Readable() {
			t.Errorf("blob on the drained node: %+v, %v; want shard 0 readable and to be moved", task.Shards, err)
		}
	}
	if st, err := meta.RepairStatus(ctx); err != nil || st.Queued != 2 {
		t.Errorf("repair queue after drain: %+v, %v", st, err)
	}
	live, err := meta.LiveNodes(ctx, time.Minute)
	if err != nil || len(live) != 3 {
		t.Errorf("live nodes after drain: %v, %v", live, err)
	}
	// Heartbeats do not end the drain; undrain does.
	if err := meta.UpsertNode(ctx, metadata.NodeInfo{ID: "n0", Addr: "n0:9100"}); err != nil {
		t.Fatal(err)
	}
	if u := usageOf(t, meta)["n0"]; u.State != metadata.NodeDraining {
		t.Errorf("n0 is %s after a heartbeat", u.State)
	}

	tests := []struct {
		name       string
		args       []string
		code       int
		wantStderr string
	}{
		{"remove with shards", []string{"admin", "node", "remove", "n0"}, 1, "refusing to remove node n0: shard rows still name it; drain it"},
		{"remove unknown", []string{"admin", "node", "remove", "n9"}, 1, "no node n9"},
		{"drain unknown", []string{"admin", "node", "drain", "n9"}, 1, "no node n9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runFloe(t, db, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("status %d, want %d; stderr %q, want %q (stdout %q)", code, tt.code, stderr, tt.wantStderr, stdout)
			}
		})
	}

	// --force is refused while a blob cannot spare the node: with n1 dead,
	// blob a keeps only n2 readable without n0 (K = 2).
	if err := meta.SetNodeState(ctx, "n1", metadata.NodeDead); err != nil {
		t.Fatal(err)
	}
	_, stderr := floe(1, "admin", "node", "remove", "--force", "n0")
	if !strings.Contains(stderr, "even with --force") || !strings.Contains(stderr, "2 blobs would fall below K") {
		t.Errorf("forced removal with n1 dead: %q", stderr)
	}
	if u, ok := usageOf(t, meta)["n0"]; !ok || u.Shards != 2 {
		t.Errorf("refused removal changed n0: %+v", u)
	}
	// With n1 back, every blob keeps K readable shards: n0 goes, its
	// shards are marked missing and their blobs stay queued.
	if err := meta.SetNodeState(ctx, "n1", metadata.NodeAlive); err != nil {
		t.Fatal(err)
	}
	out, _ = floe(0, "admin", "node", "remove", "n0", "--force")
	if !strings.Contains(out, "2 shards are marked missing") {
		t.Errorf("forced removal said %q", out)
	}
	if _, ok := usageOf(t, meta)["n0"]; ok {
		t.Error("n0 still registered")
	}
	for _, id := range []blobmeta.ID{a, b} {
		task, err := meta.GetRepairTask(ctx, id)
		if err != nil || task.Shards[0].State != metadata.ShardMissing || task.Shards[0].Readable() || task.Shards[1].State != metadata.ShardOK {
			t.Errorf("blob that was on n0: %+v, %v", task.Shards, err)
		}
	}
	if st, err := meta.RepairStatus(ctx); err != nil || st.Queued != 2 {
		t.Errorf("repair queue after removal: %+v, %v", st, err)
	}
	// A node without shards goes without --force.
	if err := meta.UpsertNode(ctx, metadata.NodeInfo{ID: "spare", Addr: "spare:1"}); err != nil {
		t.Fatal(err)
	}
	floe(0, "admin", "node", "remove", "spare")
	if _, ok := usageOf(t, meta)["spare"]; ok {
		t.Error("spare still registered")
	}
}

func TestAdminNodeAdd(t *testing.T) {
	_, dsn := adminFixture(t)
	c := nodetest.Start(t, 1)
	addr := c.Nodes[0].Addr
	code, out, stderr := runFloe(t, map[string]string{"DATABASE_URL": dsn, secretEnv: string(c.Secret)}, "admin", "node", "add", addr)
	if code != 0 {
		t.Fatalf("add: %d %q %q", code, out, stderr)
	}
	m := regexp.MustCompile(`Registered node ([0-9a-f]+) at ` + regexp.QuoteMeta(addr)).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("add said %q", out)
	}
	meta, err := metadata.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	live, err := meta.LiveNodes(context.Background(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, n := range live {
		found = found || (n.ID == m[1] && n.Addr == addr)
	}
	if !found {
		t.Errorf("node %s at %s not among the live nodes %v", m[1], addr, live)
	}

	// A wrong secret or no node at all: refused, with the reason.
	for _, tt := range []struct {
		name, addr, secret, want string
	}{
		{"wrong secret", addr, "not-the-cluster-secret-0123456789", "same cluster secret"},
		{"nothing there", "127.0.0.1:1", string(c.Secret), "is it running"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runFloe(t, map[string]string{"DATABASE_URL": dsn, secretEnv: tt.secret}, "admin", "node", "add", tt.addr)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("status %d, stderr %q; want 1 and %q", code, stderr, tt.want)
			}
		})
	}
}

func TestAdminRebalance(t *testing.T) {
	meta, dsn := adminFixture(t)
	db := map[string]string{"DATABASE_URL": dsn}
	// n0, n1, n2 hold 6 shards each, n3 none: average 4.5, so each of the
	// three sheds one shard.
	for i := range 6 {
		putBlobObject(t, meta, fmt.Sprintf("k%d", i), 3000, "n0", "n1", "n2")
	}
	misplaced := func() int {
		t.Helper()
		n := 0
		for i := range 6 {
			obj, err := meta.GetObject(context.Background(), "bkt", fmt.Sprintf("k%d", i))
			if err != nil {
				t.Fatal(err)
			}
			task, err := meta.GetRepairTask(context.Background(), obj.Parts[0].Blob.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range task.Shards {
				if s.State == metadata.ShardMisplaced {
					n++
				}
			}
		}
		return n
	}
	tests := []struct {
		name      string
		args      []string
		want      []string
		misplaced int // after the command
	}{
		{"dry run", []string{"--dry-run"}, []string{"average 4, limit 4.", "Would mark (dry run) 3 shards misplaced", "n3 ", "n0 "}, 0},
		{"bytes dry run", []string{"--dry-run", "--by", "bytes"}, []string{"Balancing bytes over 4 alive nodes", "Would mark (dry run) 3 shards"}, 0},
		// n3 is empty: any threshold under 100% sees it as needing shards.
		{"threshold 50", []string{"--dry-run", "--threshold", "50"}, []string{"limit 6.", "A node is below 2", "Would mark (dry run) 3 shards"}, 0},
		{"high threshold", []string{"--threshold", "100"}, []string{"Marked 0 shards misplaced"}, 0},
		{"for real", nil, []string{"Marked 3 shards misplaced"}, 3},
		{"again: already marked", nil, []string{"Marked 0 shards"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runFloe(t, db, append([]string{"admin", "rebalance"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("status %d: %q %q", code, out, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if n := misplaced(); n != tt.misplaced {
				t.Errorf("%d shards misplaced, want %d", n, tt.misplaced)
			}
		})
	}
	if st, err := meta.RepairStatus(context.Background()); err != nil || st.Queued != 3 {
		t.Errorf("repair queue: %+v, %v; want the 3 blobs with a misplaced shard", st, err)
	}
}

func TestAdminNodeUsage(t *testing.T) {
	db := map[string]string{"DATABASE_URL": "postgres://nowhere.invalid/db"}
	runCLICases(t, []cliCase{
		{"admin -h lists node commands", nil, []string{"admin", "-h"}, 0, "admin node remove [--force]", ""},
		{"node -h", nil, []string{"admin", "node", "-h"}, 0, "admin rebalance", ""},
		{"node alone", nil, []string{"admin", "node"}, 2, "", "missing command"},
		{"node bogus", nil, []string{"admin", "node", "reboot"}, 2, "", `"admin node reboot"`},
		{"drain without ID", db, []string{"admin", "node", "drain"}, 2, "", "exactly one node ID"},
		{"remove two IDs", db, []string{"admin", "node", "remove", "a", "b"}, 2, "", "exactly one node ID"},
		{"add without address", db, []string{"admin", "node", "add"}, 2, "", "exactly one node address"},
		{"remove -h", nil, []string{"admin", "node", "remove", "-h"}, 0, "-force", ""},
		{"list without database", nil, []string{"admin", "node", "list"}, 2, "", "DATABASE_URL"},
		{"rebalance by what", db, []string{"admin", "rebalance", "--by", "weight"}, 2, "", "--by"},
		{"rebalance negative", db, []string{"admin", "rebalance", "--threshold", "-1"}, 2, "", "--threshold"},
	})
}
