package metadata

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// setNode registers node id with this state, heartbeat age (negative: none)
// and time since its state changed, by the database's clock.
func setNode(t *testing.T, s *Postgres, id, state string, heartbeat, changed time.Duration) {
	t.Helper()
	if err := s.UpsertNode(context.Background(), NodeInfo{ID: id, Addr: id + ":1", State: state}); err != nil {
		t.Fatal(err)
	}
	exec(t, s, `UPDATE nodes SET last_heartbeat = CASE WHEN $2::bigint < 0 THEN NULL ELSE now() - $2::bigint * interval '1 microsecond' END,
		state_changed_at = now() - $3::bigint * interval '1 microsecond' WHERE id = $1`, id, interval(heartbeat), interval(changed))
}

func TestUpdateNodeStates(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const suspectAfter, deadAfter = 10 * time.Second, 5 * time.Minute
	tests := []struct {
		name               string
		state              string
		heartbeat, changed time.Duration
		want               string
	}{
		{"alive and fresh", NodeAlive, time.Second, time.Hour, NodeAlive},
		{"alive and silent", NodeAlive, 11 * time.Second, time.Hour, NodeSuspect},
		{"alive never heard", NodeAlive, -time.Second, time.Hour, NodeSuspect},
		{"alive silent for long goes suspect first", NodeAlive, time.Hour, time.Hour, NodeSuspect},
		{"suspect not long enough", NodeSuspect, 6 * time.Minute, time.Minute, NodeSuspect},
		{"suspect long enough", NodeSuspect, 6 * time.Minute, 5*time.Minute + time.Second, NodeDead},
		{"suspect answers", NodeSuspect, time.Second, time.Hour, NodeAlive},
		{"dead stays dead", NodeDead, time.Hour, time.Hour, NodeDead},
		{"dead returns", NodeDead, time.Second, time.Hour, NodeAlive},
		{"draining silent", NodeDraining, time.Hour, time.Hour, NodeDraining},
		{"draining fresh", NodeDraining, time.Second, time.Hour, NodeDraining},
	}
	for i, tt := range tests {
		setNode(t, s, fmt.Sprintf("t%02d", i), tt.state, tt.heartbeat, tt.changed)
	}
	// The node that dies holds shards of two blobs; the one that returns
	// had a scrub pass half done.
	mustCreateBucket(t, s, "bkt")
	var dying []Blob
	for _, k := range []string{"a", "b"} {
		obj := newObject(t, "bkt", k, 10)
		obj.Parts[0].Blob.Placement[1].ID = "t05"
		mustPut(t, s, obj)
		dying = append(dying, obj.Parts[0].Blob)
	}
	// A blob whose repair is waiting out a backoff: nodes turning alive end it.
	waiting := newObject(t, "bkt", "elsewhere", 10)
	mustPut(t, s, waiting)
	exec(t, s, `INSERT INTO repair_queue (blob_id, reason, attempts, not_before) VALUES ($1, 'test', 3, now() + interval '1 hour')`,
		waiting.Parts[0].Blob.ID[:])
	exec(t, s, `INSERT INTO scrub_progress (node_id, cursor, pass_started_at, claimed_until)
		VALUES ('t08', 'halfway', now(), now() + interval '2 minutes')`)

	got, err := s.UpdateNodeStates(ctx, suspectAfter, deadAfter, 0)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]NodeTransition{}
	for _, tr := range got {
		byID[tr.ID] = tr
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("t%02d", i)
			var state string
			var sinceChange time.Duration
			err := s.pool.QueryRow(ctx, `SELECT state, (extract(epoch FROM now() - state_changed_at) * 1e6)::bigint * interval '1 microsecond'
				FROM nodes WHERE id = $1`, id).Scan(&state, &sinceChange)
			if err != nil {
				t.Fatal(err)
			}
			if state != tt.want {
				t.Errorf("state %s, want %s", state, tt.want)
			}
			tr, changed := byID[id]
			if changed != (tt.want != tt.state) {
				t.Errorf("transition %+v reported: %v, want %v", tr, changed, tt.want != tt.state)
			}
			if changed && (tr.From != tt.state || tr.To != tt.want || tr.Addr != id+":1") {
				t.Errorf("transition %+v, want %s → %s", tr, tt.state, tt.want)
			}
			if changed != (sinceChange < time.Minute) {
				t.Errorf("state_changed_at %v ago; changed %v", sinceChange, changed)
			}
		})
	}
	if tr := byID["t05"]; tr.Queued != 2 {
		t.Errorf("dead node queued %d blobs, want 2", tr.Queued)
	}
	for _, b := range dying {
		if n := count(t, s, `SELECT count(*) FROM repair_queue WHERE blob_id = $1 AND reason = $2`, b.ID[:], ReasonNodeDead); n != 1 {
			t.Errorf("blob %s on the dead node: %d queue entries", b.ID, n)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM repair_queue WHERE reason = $1`, ReasonNodeDead); n != 2 {
		t.Errorf("%d blobs queued, want the dead node's 2", n)
	}
	if n := count(t, s, `SELECT count(*) FROM repair_queue WHERE not_before IS NOT NULL`); n != 0 {
		t.Errorf("%d repairs still backing off after nodes returned", n)
	}
	if !byID["t08"].Returned() || byID["t06"].Returned() {
		t.Errorf("Returned: dead→alive %v, suspect→alive %v", byID["t08"].Returned(), byID["t06"].Returned())
	}
	if n := count(t, s, `SELECT count(*) FROM scrub_progress WHERE node_id = 't08' AND cursor = '' AND pass_started_at IS NULL AND claimed_until IS NULL`); n != 1 {
		t.Errorf("returned node's scrub pass not restarted")
	}
	if n := count(t, s, `SELECT count(*) FROM scrub_progress`); n != 1 {
		t.Errorf("%d scrub_progress rows, want only the returned node's", n)
	}

	// Nothing more to do: a second run changes nothing.
	if again, err := s.UpdateNodeStates(ctx, suspectAfter, deadAfter, 0); err != nil || len(again) != 0 {
		t.Errorf("second run: %+v, %v", again, err)
	}
}

// A node turns suspect as of when it fell silent (last heartbeat plus
// suspectAfter), never later because the poll was late and never before
// the caller began watching; the dead transition follows from that date.
func TestSuspectDatedFromSilence(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const suspectAfter, deadAfter = 3 * time.Second, 10 * time.Second
	tests := []struct {
		name               string
		heartbeat, watched time.Duration
		// suspectFor is how long ago the node turned suspect.
		suspectFor time.Duration
	}{
		// A poll 8 s late (Postgres was away): suspect as of 5 s ago.
		{"late poll", 8 * time.Second, time.Hour, 5 * time.Second},
		{"punctual poll", 3 * time.Second, time.Hour, 0},
		{"silent for long, watched long", 20 * time.Second, time.Hour, 17 * time.Second},
		// The caller started watching 2 s ago: not before that.
		{"silent for long, just started", 20 * time.Second, 2 * time.Second, 2 * time.Second},
		{"never heard, watched 1 min", -time.Second, time.Minute, time.Minute},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("s%02d", i)
			setNode(t, s, id, NodeAlive, tt.heartbeat, time.Hour)
			if _, err := s.UpdateNodeStates(ctx, suspectAfter, deadAfter, tt.watched); err != nil {
				t.Fatal(err)
			}
			var state string
			var ago time.Duration
			err := s.pool.QueryRow(ctx, `SELECT state, (extract(epoch FROM now() - state_changed_at) * 1e6)::bigint * interval '1 microsecond'
				FROM nodes WHERE id = $1`, id).Scan(&state, &ago)
			if err != nil {
				t.Fatal(err)
			}
			if state != NodeSuspect {
				t.Fatalf("state %s, want suspect", state)
			}
			if d := ago - tt.suspectFor; d < -time.Second || d > time.Second {
				t.Errorf("suspect since %v ago, want %v", ago, tt.suspectFor)
			}
			// Dead exactly when it has been suspect for deadAfter.
			wantDead := ago >= deadAfter
			got, err := s.UpdateNodeStates(ctx, suspectAfter, deadAfter, tt.watched)
			if err != nil {
				t.Fatal(err)
			}
			dead := false
			for _, tr := range got {
				dead = dead || (tr.ID == id && tr.To == NodeDead)
			}
			if dead != wantDead {
				t.Errorf("dead after a second run: %v, want %v (suspect %v ago)", dead, wantDead, ago)
			}
		})
	}
}

func TestHeartbeatsKeepOperatorStates(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	setNode(t, s, "n1", NodeDraining, time.Hour, time.Hour)
	setNode(t, s, "n2", NodeSuspect, time.Hour, time.Hour)
	for _, id := range []string{"n1", "n2"} {
		// A heartbeat as the membership monitor records it: no state.
		if err := s.UpsertNode(ctx, NodeInfo{ID: id, Addr: id + ":2"}); err != nil {
			t.Fatal(err)
		}
	}
	// RecordHeartbeat refreshes registered nodes only.
	setNode(t, s, "n3", NodeDraining, time.Hour, time.Hour)
	if ok, err := s.RecordHeartbeat(ctx, NodeInfo{ID: "n3", Addr: "n3:2", FreeBytes: 5}); err != nil || !ok {
		t.Fatalf("RecordHeartbeat n3: %v, %v", ok, err)
	}
	if ok, err := s.RecordHeartbeat(ctx, NodeInfo{ID: "gone", Addr: "gone:2"}); err != nil || ok {
		t.Fatalf("RecordHeartbeat of an unregistered node: %v, %v; want false", ok, err)
	}
	if _, err := s.UpdateNodeStates(ctx, 10*time.Second, time.Minute, time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM nodes WHERE id = 'n3' AND free_bytes = 5 AND last_heartbeat > now() - interval '1 minute'`); n != 1 {
		t.Error("RecordHeartbeat did not refresh n3")
	}
	want := map[string]string{"n1": NodeDraining, "n2": NodeAlive, "n3": NodeDraining}
	nodes, err := s.ListNodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.State != want[n.ID] || n.Addr != n.ID+":2" {
			t.Errorf("node %s: %s at %s, want %s", n.ID, n.State, n.Addr, want[n.ID])
		}
	}
}

// Several gateways run the state machine at once: each transition happens
// once, and the dead node's blobs are queued once.
func TestUpdateNodeStatesConcurrently(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for i := range 20 {
		setNode(t, s, fmt.Sprintf("n%02d", i), NodeSuspect, time.Hour, time.Hour)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.UpdateNodeStates(ctx, time.Second, time.Second, time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, tr := range got {
				seen[tr.ID]++
				if tr.From != NodeSuspect || tr.To != NodeDead {
					t.Errorf("transition %+v", tr)
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Errorf("%d nodes transitioned, want 20", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("node %s transitioned %d times", id, n)
		}
	}
}

func TestSetNodeState(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	setNode(t, s, "n1", NodeAlive, 0, time.Hour)
	if err := s.SetNodeState(ctx, "n1", NodeDraining); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM nodes WHERE id = 'n1' AND state = 'draining' AND state_changed_at > now() - interval '1 minute'`); n != 1 {
		t.Error("state or state_changed_at not recorded")
	}
	if err := s.SetNodeState(ctx, "nope", NodeDraining); !errors.Is(err, ErrNoSuchNode) {
		t.Errorf("unknown node: %v", err)
	}
	if err := s.SetNodeState(ctx, "n1", "sleepy"); err == nil {
		t.Error("unknown state accepted")
	}
}

// Readers learn node health from the placement: no address for dead or
// unregistered nodes, a Suspect flag for suspect ones.
func TestPlacementReflectsNodeHealth(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	setNode(t, s, "n0", NodeDead, time.Hour, time.Hour)
	setNode(t, s, "n1", NodeSuspect, time.Hour, time.Hour)
	// n2 is not registered.
	mustCreateBucket(t, s, "bkt")
	obj := newObject(t, "bkt", "k", 10)
	mustPut(t, s, obj)
	got, err := s.GetObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	p := got.Parts[0].Blob.Placement
	if p[0].Addr != "" || p[0].Suspect || p[1].Addr != "n1:1" || !p[1].Suspect || p[2].Addr != "" || p[2].Suspect {
		t.Errorf("placement %+v: want n0 (dead) without address, n1 suspect with its address, n2 without", p)
	}
	if err := s.SetNodeState(ctx, "n0", NodeAlive); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNodeState(ctx, "n1", NodeDraining); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	p = got.Parts[0].Blob.Placement
	if p[0].Addr != "n0:1" || p[1].Addr != "n1:1" || p[1].Suspect {
		t.Errorf("placement %+v: want alive n0 and draining n1 with addresses, not suspect", p)
	}
}
