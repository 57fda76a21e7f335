package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
)

// repairLog is what a gateway's log says its repairer did.
type repairLog struct {
	shards      map[string]int // blob ID (hex) → shards written, per "blob repaired" line
	failed      []string       // "repair failed" and undeleted-copy lines, raw
	first, last time.Time      // of the "blob repaired" lines
}

// readRepairLog parses the JSON lines of a gateway log. A blob repaired
// twice by the same gateway fails t: that is double work too.
func readRepairLog(t *testing.T, path string) repairLog {
	t.Helper()
	f, err := os.Open(path)
	must(t, err, "open gateway log")
	defer f.Close()
	out := repairLog{shards: map[string]int{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct {
			Message string    `json:"message"`
			Blob    string    `json:"blob"`
			Shards  int       `json:"shards"`
			Time    time.Time `json:"time"`
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue // not a log event (say, a panic's trace)
		}
		switch {
		case e.Message == "blob repaired":
			if _, dup := out.shards[e.Blob]; dup {
				t.Errorf("%s: blob %s repaired twice by this gateway", filepath.Base(path), e.Blob)
			}
			out.shards[e.Blob] = e.Shards
			if out.first.IsZero() {
				out.first = e.Time
			}
			out.last = e.Time
		case e.Message == "repair failed" || strings.HasPrefix(e.Message, "repair: "):
			out.failed = append(out.failed, sc.Text())
		}
	}
	must(t, sc.Err(), "read gateway log")
	return out
}

// blobsOn returns the IDs (hex) of the blobs with a shard on the node at
// addr.
func blobsOn(t *testing.T, db *pgx.Conn, addr string) map[string]bool {
	t.Helper()
	rows, err := db.Query(ctxT(t), `SELECT encode(s.blob_id, 'hex') FROM shards s JOIN nodes n ON n.id = s.node_id WHERE n.addr = $1`, addr)
	must(t, err, "blobs on %s", addr)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err, "blobs on %s", addr)
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// shardRowsByAddr returns, per node address, the file names (<blob hex>.<idx>)
// of the shards the metadata places on it.
func shardRowsByAddr(t *testing.T, db *pgx.Conn) map[string][]string {
	t.Helper()
	rows, err := db.Query(ctxT(t), `SELECT n.addr, encode(s.blob_id, 'hex') || '.' || s.idx FROM shards s JOIN nodes n ON n.id = s.node_id`)
	must(t, err, "shard rows")
	out := map[string][]string{}
	var addr, name string
	_, err = pgx.ForEachRow(rows, []any{&addr, &name}, func() error { out[addr] = append(out[addr], name); return nil })
	must(t, err, "shard rows")
	return out
}

// TestTwoGatewaysRepairTogether: two `floe server` processes on one
// database and one set of 7 nodes both repair a killed node's shards, at a
// rate slow enough that they work at the same time, and no blob is
// repaired twice: the queue's leases (FOR UPDATE SKIP LOCKED) give each
// blob to one of them. The logs of the two gateways together name every
// blob the dead node held exactly once, every live node holds exactly the
// shard files the metadata places on it, and every object survives two
// more node losses, read through the second gateway.
func TestTwoGatewaysRepairTogether(t *testing.T) {
	// Not parallel: relies on repair rates and timing to make both gateways work at once.
	// 8 MiB/s per gateway: the ~100 MiB the rebuilds read take several
	// seconds even with both gateways at it, longer than a repair
	// worker's idle wait (5s), so both gateways' workers join in.
	const rate = 8 << 20
	c := startClusterN(t, 7, "--repair-workers", "2", "--repair-rate", strconv.Itoa(rate),
		"--suspect-after", "1s", "--dead-after", "2s", "--log-level", "info")
	g2 := c.startSecondGateway(t)
	db := c.db(t)

	_, err := c.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("twogw")})
	must(t, err, "create bucket")
	sums := map[string][32]byte{}
	putRandomObjects(t, c, "twogw", "obj", 40, 5, sums)
	// Reads through the second gateway see what the first wrote.
	some := map[string][32]byte{}
	for k, v := range sums {
		if len(some) == 10 {
			break
		}
		some[k] = v
	}
	readAllSums(t, g2, "twogw", some)

	victim := c.nodes.Nodes[0]
	held := blobsOn(t, db, victim.Addr)
	if len(held) == 0 {
		t.Fatal("the victim holds no shards")
	}
	start := time.Now()
	victim.Kill(t)
	c.waitNodeState(t, victim.Addr, "dead", 30*time.Second)
	c.waitRepairsDone(t, 90*time.Second, func() bool { return c.shardsOn(t, victim.Addr) == 0 })
	took := time.Since(start)

	// (a) Both gateways repaired, (b) each blob the victim held by
	// exactly one of them, one shard each, and nothing else.
	l1, l2 := readRepairLog(t, c.logPath), readRepairLog(t, g2.logPath)
	t.Logf("victim held shards of %d blobs; repaired in %v: gateway 1 %d blobs (%s..%s), gateway 2 %d blobs (%s..%s)",
		len(held), took.Round(100*time.Millisecond), len(l1.shards), l1.first.Format(time.TimeOnly), l1.last.Format(time.TimeOnly),
		len(l2.shards), l2.first.Format(time.TimeOnly), l2.last.Format(time.TimeOnly))
	if len(l1.shards) == 0 || len(l2.shards) == 0 {
		t.Errorf("one gateway did all the repairs: gateway 1 %d blobs, gateway 2 %d", len(l1.shards), len(l2.shards))
	}
	for _, l := range []repairLog{l1, l2} {
		for _, line := range l.failed {
			t.Errorf("repair trouble logged: %s", line)
		}
	}
	for id, n := range l1.shards {
		if _, both := l2.shards[id]; both {
			t.Errorf("blob %s repaired by both gateways", id)
		}
		if n != 1 {
			t.Errorf("gateway 1 wrote %d shards of blob %s, want 1 (the victim held one)", n, id)
		}
	}
	for id, n := range l2.shards {
		if n != 1 {
			t.Errorf("gateway 2 wrote %d shards of blob %s, want 1 (the victim held one)", n, id)
		}
	}
	for id := range held {
		if _, ok1 := l1.shards[id]; !ok1 {
			if _, ok2 := l2.shards[id]; !ok2 {
				t.Errorf("blob %s lost a shard on the victim but no gateway logs its repair", id)
			}
		}
	}
	for _, l := range []repairLog{l1, l2} {
		for id := range l.shards {
			if !held[id] {
				t.Errorf("blob %s repaired but held nothing on the victim", id)
			}
		}
	}

	// (c) On disk: each live node holds exactly the shard files its rows
	// name, no extra rebuilt copy and no file in progress.
	rows := shardRowsByAddr(t, db)
	files, want := 0, 0
	for _, nd := range c.nodes.Nodes[1:] {
		var got []string
		for _, f := range nd.ShardFiles(t) {
			got = append(got, filepath.Base(f))
		}
		exp := rows[nd.Addr]
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			t.Errorf("node %s holds %d shard files, its rows name %d; files not named: %v, rows without a file: %v",
				nd.Addr, len(got), len(exp), minus(got, exp), minus(exp, got))
		}
		if n := tmpFilesOn(t, nd); n != 0 {
			t.Errorf("node %s has %d files in tmp", nd.Addr, n)
		}
		files += len(got)
		want += len(exp)
	}
	t.Logf("live nodes hold %d shard files for %d shard rows", files, want)
	if t.Failed() {
		t.FailNow()
	}

	// Every blob has its 6 shards on the 6 live nodes: lose 2 more.
	c.nodes.Nodes[1].Kill(t)
	c.nodes.Nodes[2].Kill(t)
	readAllSums(t, g2, "twogw", sums)
}

// minus returns the elements of a not in b.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
