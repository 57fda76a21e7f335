package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestDeadNodeTiming: on an 8-node cluster under write load, nodes killed
// -9 turn suspect and then dead on the schedule the flags give
// (--suspect-after 3s, --dead-after 10s), give or take one poll and some
// slack, even when a metadata outage delays the polls (an outside check
// once measured 50 s). Every object acknowledged reads back.
func TestDeadNodeTiming(t *testing.T) {
	// Not parallel: measures dead-node timing, and stops the shared PostgreSQL.
	const suspectAfter, deadAfter = 3 * time.Second, 10 * time.Second
	c := startClusterN(t, 8, "--suspect-after", suspectAfter.String(), "--dead-after", deadAfter.String(),
		"--repair-workers", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := c.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("dead")})
	must(t, err, "create bucket")
	written := map[string][32]byte{} // SHA-256 of each acknowledged object
	var mu sync.Mutex
	put := func(key string, data []byte) error {
		_, err := c.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("dead"), Key: aws.String(key),
			Body: bytes.NewReader(data)})
		if err == nil {
			mu.Lock()
			written[key] = sha256.Sum256(data)
			mu.Unlock()
		}
		return err
	}
	for i := range 20 {
		must(t, put(fmt.Sprintf("before-%02d", i), bytes.Repeat([]byte{byte(i)}, 300<<10)), "put before-%02d", i)
	}

	// Writers keep the gateway, its pool and the nodes busy throughout.
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; loadCtx.Err() == nil; i++ {
				_ = put(fmt.Sprintf("load-%d-%04d", w, i), bytes.Repeat([]byte{byte(w + i)}, 256<<10+i))
			}
		}()
	}

	// One poll is at most min(2s, suspectAfter/4); a health check of a
	// killed node fails at once (connection refused). Slack covers the
	// test's own sampling and a loaded two-core machine.
	poll := min(2*time.Second, suspectAfter/4)
	const slack = 1500 * time.Millisecond

	// A node killed while all else is well.
	first := c.nodes.Nodes[2]
	killed := time.Now()
	first.Kill(t)
	reached := waitDead(t, c, first.Addr, killed, 2*(suspectAfter+deadAfter))
	s, d := reached["suspect"], reached["dead"]
	t.Logf("node %s: suspect after %v, dead after %v (flags: %v, %v)", first.Addr, s.Round(time.Millisecond),
		d.Round(time.Millisecond), suspectAfter, deadAfter)
	if s == 0 || s > suspectAfter+poll+slack {
		t.Errorf("node %s suspect after %v, want within %v", first.Addr, s, suspectAfter+poll+slack)
	}
	if d > suspectAfter+deadAfter+2*poll+slack {
		t.Errorf("node %s dead after %v, want within %v", first.Addr, d, suspectAfter+deadAfter+2*poll+slack)
	}
	if d < suspectAfter+deadAfter-2*poll {
		t.Errorf("node %s dead after %v: sooner than the flags allow", first.Addr, d)
	}

	// A node killed just as PostgreSQL goes away for longer than
	// --suspect-after: no poll can record anything meanwhile, yet the node
	// is dead on the flags' schedule, not the outage's length later.
	second := c.nodes.Nodes[5]
	killed = time.Now()
	second.Kill(t)
	pgtest.Stop(t)
	time.Sleep(8 * time.Second) // not a wait: the outage's length is the test
	pgtest.Start(t)
	reached = waitDead(t, c, second.Addr, killed, 2*(suspectAfter+deadAfter))
	d = reached["dead"]
	t.Logf("node %s killed during an 8 s metadata outage: dead after %v", second.Addr, d.Round(time.Millisecond))
	if d > suspectAfter+deadAfter+2*poll+slack {
		t.Errorf("node %s dead after %v, want within %v", second.Addr, d, suspectAfter+deadAfter+2*poll+slack)
	}
	stopLoad()
	wg.Wait()

	for key, want := range written {
		got, err := getSum(ctx, c.client, "dead", key)
		must(t, err, "get %s", key)
		if got != want {
			t.Fatalf("%s reads back other bytes than were PUT", key)
		}
	}
	t.Logf("%d objects read back", len(written))
}

// waitDead samples the state of the node at addr until it is dead and
// returns when (after since) it was first seen in each state. Samples that
// fail (PostgreSQL restarting) are skipped.
func waitDead(t *testing.T, c *cluster, addr string, since time.Time, limit time.Duration) map[string]time.Duration {
	t.Helper()
	reached := map[string]time.Duration{}
	waitFor(t, limit-time.Since(since), fmt.Sprintf("node %s is dead, %v after the kill", addr, limit), func() (bool, error) {
		var state string
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		db, err := pgx.Connect(ctx, c.dsn)
		if err == nil {
			err = db.QueryRow(ctx, `SELECT state FROM nodes WHERE addr = $1`, addr).Scan(&state)
			db.Close(context.Background())
		}
		if err != nil {
			return false, fmt.Errorf("states seen %v; last sample failed: %w", reached, err)
		}
		if _, ok := reached[state]; !ok {
			reached[state] = time.Since(since)
		}
		return state == "dead", fmt.Errorf("states seen %v", reached)
	})
	return reached
}
