package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/pgtest"
)

// TestAdminStatus: `floe admin status` shows what PostgreSQL holds about
// nodes, capacity, the repair queue and the gateways.
func TestAdminStatus(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	meta, err := metadata.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	for i, n := range []metadata.NodeInfo{
		{ID: "n1", Addr: "10.0.0.1:9001", CapacityBytes: 4 << 40, FreeBytes: 3 << 40},
		{ID: "n2", Addr: "10.0.0.2:9001", CapacityBytes: 4 << 40, FreeBytes: 1 << 40},
	} {
		if err := meta.UpsertNode(ctx, n); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	if err := meta.SetNodeState(ctx, "n2", metadata.NodeDraining); err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-time.Hour)
	for _, g := range []metadata.GatewayInfo{
		{ID: "gw1/0.0.0.0:9000", Address: "http://gw1:9000", Version: "v1.2.0", StartedAt: started},
		{ID: "gw2/0.0.0.0:9000", Address: "http://gw2:9000", Version: "devel-abc", StartedAt: started},
	} {
		if err := meta.RecordGateway(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := meta.GatewayStopped(ctx, "gw2/0.0.0.0:9000"); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runFloe(t, map[string]string{"DATABASE_URL": dsn}, "admin", "status")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`(?m)^Nodes: 2 \(1 alive, 0 suspect, 0 dead, 1 draining\), 0 shards; free 4\.0 TiB of 8\.0 TiB \(50% used\)$`,
		`(?m)^n1\s+10\.0\.0\.1:9001\s+alive\s`,
		`(?m)^n2\s+10\.0\.0\.2:9001\s+draining\s`,
		`(?m)^Repair: 0 queued, 0 in progress, 0 retrying; oldest -$`,
		`(?m)^Scrub: 0 shards verified, 0 found corrupt, 0 missing$`,
		`(?m)^Gateways: 2 seen`,
		`(?m)^gw1/0\.0\.0\.0:9000\s+http://gw1:9000\s+v1\.2\.0\s+serving\s`,
		`(?m)^gw2/0\.0\.0\.0:9000\s+http://gw2:9000\s+devel-abc\s+stopped\s`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("status lacks %s:\n%s", want, out)
		}
	}
	if code, _, errOut := runFloe(t, nil, "admin", "status", "extra"); code != 2 || !strings.Contains(errOut, "unexpected argument") {
		t.Errorf("status with an argument: exit %d, %s", code, errOut)
	}
}
