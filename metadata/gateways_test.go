package metadata

import (
	"context"
	"testing"
	"time"
)

func TestGatewaysRecordThemselves(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	start := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	a := GatewayInfo{ID: "host-a/0.0.0.0:9000", Address: "http://host-a:9000", Version: "v1", StartedAt: start}
	b := GatewayInfo{ID: "host-b/0.0.0.0:9000", Address: "http://host-b:9000", Version: "v1", StartedAt: start}
	for _, g := range []GatewayInfo{a, b, a} { // a twice: a heartbeat
		if err := s.RecordGateway(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.GatewayStopped(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	// a restarts on a new version.
	a.Version, a.StartedAt = "v2", start.Add(30*time.Second)
	if err := s.RecordGateway(ctx, a); err != nil {
		t.Fatal(err)
	}
	gs, err := s.ListGateways(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].ID != a.ID || gs[0].Version != "v2" || !gs[0].StartedAt.Equal(a.StartedAt) || !gs[0].StoppedAt.IsZero() {
		t.Fatalf("gateways = %+v; want a (v2, serving) first", gs)
	}
	if gs[1].ID != b.ID || gs[1].StoppedAt.IsZero() || gs[1].Address != b.Address {
		t.Fatalf("gateway b = %+v; want stopped", gs[1])
	}
	if _, err := s.db.Exec(ctx, `UPDATE gateways SET last_seen = now() - interval '2 hours' WHERE id = $1`, b.ID); err != nil {
		t.Fatal(err)
	}
	if gs, err = s.ListGateways(ctx, time.Hour); err != nil || len(gs) != 1 {
		t.Fatalf("gateways seen in the last hour = %+v, %v; want only a", gs, err)
	}
}
