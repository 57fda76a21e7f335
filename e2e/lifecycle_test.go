package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/jackc/pgx/v5"
)

// Node lifecycle through a running gateway: drain, remove, add, rebalance,
// all with `floe admin` as an operator runs it, while clients read.

// readers GETs random objects of sums in a loop until stopped, recording
// every error and every wrong body.
type readers struct {
	gets   atomic.Int64
	mu     sync.Mutex
	errs   []error
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startReaders starts n readers of the objects of sums in bucket.
func startReaders(c *cluster, bucket string, sums map[string][32]byte, n int) *readers {
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ctx, cancel := context.WithCancel(context.Background())
	r := &readers{cancel: cancel}
	for w := range n {
		r.wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for ctx.Err() == nil {
				key := keys[rng.IntN(len(keys))]
				// Detached, so stopping the readers does not cut a GET
				// short and look like a failure.
				gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
				got, err := getSum(gctx, c.client, bucket, key)
				cancel()
				r.gets.Add(1)
				if err == nil && got != sums[key] {
					err = errors.New("wrong bytes (SHA-256 differs)")
				}
				if err != nil {
					r.mu.Lock()
					r.errs = append(r.errs, fmt.Errorf("get %s: %w", key, err))
					r.mu.Unlock()
				}
			}
		})
	}
	return r
}

// stop ends the readers and returns how many GETs they made and their
// errors.
func (r *readers) stop() (int64, []error) {
	r.cancel()
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gets.Load(), r.errs
}

// nodeIDAt returns the registered ID of the node at addr.
func nodeIDAt(t *testing.T, db *pgx.Conn, addr string) string {
	t.Helper()
	var id string
	must(t, db.QueryRow(ctxT(t), `SELECT id FROM nodes WHERE addr = $1`, addr).Scan(&id), "ID of node %s", addr)
	return id
}

// shardsPerNode counts shard rows per node ID, every registered node
// included.
func shardsPerNode(t *testing.T, db *pgx.Conn) map[string]int {
	t.Helper()
	rows, err := db.Query(ctxT(t), `SELECT n.id, count(s.node_id) FROM nodes n LEFT JOIN shards s ON s.node_id = n.id GROUP BY n.id`)
	must(t, err, "count shards per node")
	out := map[string]int{}
	var id string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	must(t, err, "count shards per node")
	return out
}

// placementSnapshot is every shard row and repair queue entry, as text, for
// comparing before and after a command that should change nothing.
func placementSnapshot(t *testing.T, db *pgx.Conn) string {
	t.Helper()
	var s string
	must(t, db.QueryRow(ctxT(t), `SELECT
		COALESCE((SELECT string_agg(encode(blob_id, 'hex') || '.' || idx || '@' || node_id || ':' || state, ',' ORDER BY blob_id, idx) FROM shards), '') || '|' ||
		COALESCE((SELECT string_agg(encode(blob_id, 'hex'), ',' ORDER BY blob_id) FROM repair_queue), '')`).Scan(&s), "snapshot placement")
	return s
}

// checkEveryBlob checks that every blob has exactly K+M shard rows, all ok,
// on distinct nodes among allowed (node IDs), and that each of those nodes
// holds its shard and verifies every block of it against the manifest.
// It returns how many blobs it checked.
func checkEveryBlob(t *testing.T, c *cluster, db *pgx.Conn, allowed map[string]string) int {
	t.Helper()
	ctx := ctxT(t)
	rows, err := db.Query(ctx, `SELECT b.id, b.manifest,
			array_agg(s.idx ORDER BY s.idx), array_agg(s.node_id ORDER BY s.idx), array_agg(s.state ORDER BY s.idx)
		FROM blobs b JOIN shards s ON s.blob_id = b.id GROUP BY b.id, b.manifest`)
	must(t, err, "blobs and shards")
	var rawID, manifest []byte
	var idx []int
	var nodeIDs, states []string
	client := node.NewClient(c.nodes.Secret, nil)
	blobs := 0
	_, err = pgx.ForEachRow(rows, []any{&rawID, &manifest, &idx, &nodeIDs, &states}, func() error {
		blobs++
		m, err := blobmeta.UnmarshalManifest(manifest)
		if err != nil {
			return fmt.Errorf("blob %x: %w", rawID, err)
		}
		id := blobmeta.ID(rawID)
		want := m.Params.K + m.Params.M
		if len(idx) != want {
			t.Errorf("blob %s: %d shard rows, want %d", id, len(idx), want)
		}
		seen := map[string]bool{}
		for j, i := range idx {
			if i != j {
				t.Errorf("blob %s: shard indexes %v, want 0..%d", id, idx, want-1)
				break
			}
			addr, ok := allowed[nodeIDs[j]]
			switch {
			case states[j] != "ok":
				t.Errorf("blob %s shard %d is %s", id, i, states[j])
			case !ok:
				t.Errorf("blob %s shard %d on node %s, not one of the remaining nodes", id, i, nodeIDs[j])
			case seen[nodeIDs[j]]:
				t.Errorf("blob %s: two shards on node %s", id, nodeIDs[j])
			}
			seen[nodeIDs[j]] = true
			if ok {
				if _, err := client.ShardInfo(ctx, addr, id, i, true); err != nil {
					t.Errorf("blob %s shard %d on %s does not verify: %v", id, i, addr, err)
				}
			}
		}
		return nil
	})
	must(t, err, "check blobs")
	return blobs
}

// TestDrainUnderReadsThenRemove: with 7 nodes, removing a node that holds
// shards is refused; draining it moves every shard off it while readers
// keep getting the right bytes; then it is removed, killed, and every
// object still reads back with every blob whole on the 6 others.
func TestDrainUnderReadsThenRemove(t *testing.T) {
	// Not parallel: with --suspect-after 2s a node slowed by other tests turns suspect.
	c := startClusterN(t, 7, "--suspect-after", "2s", "--scrub-rate", "0")
	db := c.db(t)
	_, err := c.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("life")})
	must(t, err, "create bucket")
	sums := map[string][32]byte{}
	putRandomObjects(t, c, "life", "obj", 40, 1, sums)

	victim := c.nodes.Nodes[3]
	id := nodeIDAt(t, db, victim.Addr)
	held := shardsPerNode(t, db)[id]
	if held == 0 {
		t.Fatal("the node to drain holds no shards")
	}
	filesBefore := len(victim.ShardFiles(t))
	if filesBefore != held {
		t.Fatalf("node holds %d shard files for %d shard rows", filesBefore, held)
	}
	t.Logf("node %s (%s) holds %d shards", id, victim.Addr, held)

	r := startReaders(c, "life", sums, 3)
	readersStopped := false
	defer func() {
		if !readersStopped {
			r.stop()
		}
	}()

	// Not drained: remove is refused, and says why.
	out, err := c.floeCmd(t, "admin", "node", "remove", id).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("remove of a node holding %d shards: %v, want a non-zero exit\n%s", held, err, out)
	}
	for _, why := range []string{"refusing to remove node " + id, "shard rows still name it", "drain it", fmt.Sprintf("%d shards", held)} {
		if !strings.Contains(string(out), why) {
			t.Errorf("refused remove says %q, want it to mention %q", out, why)
		}
	}
	if got := shardsPerNode(t, db)[id]; got != held {
		t.Fatalf("refused remove changed the node's shards: %d, was %d", got, held)
	}

	start := time.Now()
	out2 := c.floe(t, "admin", "node", "drain", id)
	if !strings.Contains(out2, fmt.Sprintf("%d blobs newly queued", held)) {
		t.Errorf("drain says %q, want %d blobs queued (one shard of each on the node)", out2, held)
	}
	c.waitNodeState(t, victim.Addr, "draining", 5*time.Second)
	c.waitRepairsDone(t, 90*time.Second, func() bool { return shardsPerNode(t, db)[id] == 0 })
	t.Logf("drained %d shards in %v", held, time.Since(start))

	// Repair deletes the old copy of each shard it moved from a node it
	// can reach; a draining node is reachable, so its files go at once
	// (best effort: one a delete missed would be left to the scrubber's
	// orphan collection, which is off here).
	waitFor(t, 30*time.Second, "the drained node's shard files are deleted", func() (bool, error) { return len(victim.ShardFiles(t)) == 0, nil })

	gets, errs := r.stop()
	readersStopped = true
	if len(errs) > 0 {
		t.Errorf("%d of %d GETs during the drain failed, first: %v", len(errs), gets, errs[0])
	}
	if gets < 10 {
		t.Errorf("only %d GETs ran during the drain", gets)
	}
	t.Logf("%d GETs during the drain, all with the right bytes", gets)

	out3 := c.floe(t, "admin", "node", "remove", id)
	if !strings.Contains(out3, "Removed node "+id) {
		t.Errorf("remove says %q", out3)
	}
	victim.Kill(t)
	if list := c.floe(t, "admin", "node", "list"); strings.Contains(list, id) || strings.Contains(list, victim.Addr) {
		t.Errorf("node list still shows the removed node %s:\n%s", id, list)
	}

	remaining := map[string]string{}
	for _, nd := range c.nodes.Nodes {
		if nd != victim {
			remaining[nodeIDAt(t, db, nd.Addr)] = nd.Addr
		}
	}
	readAllSums(t, c, "life", sums)
	if n := checkEveryBlob(t, c, db, remaining); n != len(sums) {
		t.Errorf("%d blobs, want one per object (%d)", n, len(sums))
	}
	// The removed node stays removed: the gateway's polls do not bring it
	// back, and nothing queued repair for it. Not a wait: three seconds
	// (health polls every 500 ms at --suspect-after 2s) pass in which
	// nothing may happen.
	time.Sleep(3 * time.Second)
	if list := c.floe(t, "admin", "node", "list"); strings.Contains(list, id) {
		t.Errorf("removed node registered again:\n%s", list)
	}
	var queued int
	must(t, db.QueryRow(ctxT(t), `SELECT count(*) FROM repair_queue`).Scan(&queued), "repair queue")
	if queued != 0 {
		t.Errorf("%d blobs queued for repair after the removal", queued)
	}
}

// rebalanceLine is the summary line of `floe admin rebalance`.
var rebalanceLine = regexp.MustCompile(`Balancing shards over (\d+) alive nodes: average (\d+), limit (\d+)\.`)

// TestNewNodeTakesWritesAndRebalance: a node started and registered with
// `floe admin node add` takes shards of new writes at once; a rebalance dry
// run changes nothing; a rebalance moves shards onto it until it holds a
// fair share, with every object intact.
func TestNewNodeTakesWritesAndRebalance(t *testing.T) {
	// Not parallel: with --suspect-after 2s a node slowed by other tests leaves the rebalance plan.
	c := startClusterN(t, 6, "--suspect-after", "2s", "--scrub-rate", "0")
	db := c.db(t)
	_, err := c.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("grow")})
	must(t, err, "create bucket")
	sums := map[string][32]byte{}
	putRandomObjects(t, c, "grow", "old", 40, 2, sums)

	nd := c.nodes.Add(t)
	out := c.floeWithSecret(t, "admin", "node", "add", nd.Addr)
	if !strings.Contains(out, "Registered node") {
		t.Fatalf("node add says %q", out)
	}
	id := nodeIDAt(t, db, nd.Addr)
	c.waitNodeState(t, nd.Addr, "alive", 5*time.Second)
	if n := shardsPerNode(t, db)[id]; n != 0 {
		t.Fatalf("new node holds %d shards before any write", n)
	}

	// At once: no wait for a poll between the add and the writes.
	putRandomObjects(t, c, "grow", "new", 12, 3, sums)
	onNew := shardsPerNode(t, db)[id]
	if onNew == 0 {
		t.Fatal("no shard of 12 new objects landed on the new node")
	}
	if files := len(nd.ShardFiles(t)); files != onNew {
		t.Errorf("new node holds %d shard files for %d shard rows", files, onNew)
	}
	t.Logf("new node took %d shards of 12 new blobs", onNew)

	before := placementSnapshot(t, db)
	dry := c.floe(t, "admin", "rebalance", "--dry-run")
	if !strings.Contains(dry, "Would mark (dry run)") {
		t.Errorf("dry run says %q", dry)
	}
	if after := placementSnapshot(t, db); after != before {
		t.Fatalf("rebalance --dry-run changed shard placement or the repair queue:\n%s", dry)
	}

	reb := c.floe(t, "admin", "rebalance")
	t.Logf("rebalance:\n%s", reb)
	m := rebalanceLine.FindStringSubmatch(reb)
	if m == nil || m[1] != "7" {
		t.Fatalf("rebalance output %q: want a plan over 7 alive nodes", reb)
	}
	if !strings.Contains(reb, "Marked ") || strings.Contains(reb, "Marked 0 shards") {
		t.Fatalf("rebalance marked nothing with the new node nearly empty:\n%s", reb)
	}
	c.waitRepairsDone(t, 90*time.Second, nil)

	// A fair share, by the command's own measure (--threshold 10%): no
	// node is above the limit (a second run has nothing to do), and the
	// new node is within 10% of the average, less one shard for each node
	// that shed (a node sheds whole shards, never more than its excess).
	shed := len(regexp.MustCompile(`(?m)^\S+\s+\d+\s+[1-9]\d*\s`).FindAllString(reb, -1))
	counts := shardsPerNode(t, db)
	total := 0
	for _, n := range counts {
		total += n
	}
	avg := float64(total) / float64(len(counts))
	t.Logf("after rebalance: %v (average %.1f)", counts, avg)
	for nid, n := range counts {
		if float64(n) > avg*1.1 {
			t.Errorf("node %s holds %d shards, more than 10%% above the average %.1f", nid, n, avg)
		}
	}
	if float64(counts[id]) < avg*0.9-float64(shed) {
		t.Errorf("new node holds %d shards, more than 10%% (and %d shards of rounding) below the average %.1f", counts[id], shed, avg)
	}
	again := c.floe(t, "admin", "rebalance", "--dry-run")
	if !strings.Contains(again, "Would mark (dry run) 0 shards") {
		t.Errorf("a second rebalance would still move shards:\n%s", again)
	}
	if list := c.floe(t, "admin", "node", "list"); !strings.Contains(list, nd.Addr) ||
		!regexp.MustCompile(regexp.QuoteMeta(nd.Addr)+`\s+alive\s.*\s`+strconv.Itoa(counts[id])+`\s`).MatchString(list) {
		t.Errorf("node list does not show the new node alive with %d shards:\n%s", counts[id], list)
	}

	all := map[string]string{}
	for _, n := range c.nodes.Nodes {
		all[nodeIDAt(t, db, n.Addr)] = n.Addr
	}
	readAllSums(t, c, "grow", sums)
	if n := checkEveryBlob(t, c, db, all); n != len(sums) {
		t.Errorf("%d blobs, want one per object (%d)", n, len(sums))
	}
	// The shards moved off the old nodes were deleted there: each node
	// holds exactly the files its rows name.
	for _, n := range c.nodes.Nodes {
		if files, rows := len(n.ShardFiles(t)), counts[nodeIDAt(t, db, n.Addr)]; files != rows {
			t.Errorf("node %s holds %d shard files for %d shard rows", n.Addr, files, rows)
		}
	}
}
