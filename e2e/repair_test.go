package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestRepairAfterNodeLoss: with 7 nodes, a node killed -9 and found dead
// by the gateway has its shards rebuilt elsewhere by the repairer, after
// which the cluster survives M more node losses with every object intact,
// erasure-coded or (small ones) replicated.
func TestRepairAfterNodeLoss(t *testing.T) {
	// Not parallel: with --suspect-after 1s and --dead-after 2s a node slowed by other tests is declared dead.
	c := startClusterN(t, 7, "--repair-workers", "2", "--suspect-after", "1s", "--dead-after", "2s")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := c.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("rep")})
	must(t, err, "create bucket")
	rng := rand.New(rand.NewPCG(7, 7))
	sums := map[string][32]byte{}
	for i := range 16 {
		data := make([]byte, 1+rng.IntN(3<<20))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		key := fmt.Sprintf("obj-%02d", i)
		_, err := c.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("rep"), Key: aws.String(key), Body: bytes.NewReader(data)})
		must(t, err, "put %s", key)
		sums[key] = sha256.Sum256(data)
	}
	// Small objects are kept as M+1 = 3 whole copies: repair restores
	// those too.
	for i, size := range []int{1, 100, 4 << 10, 12 << 10, 16<<10 - 1, 5000} {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		key := fmt.Sprintf("small-%02d", i)
		putBytes(t, c.client, "rep", key, data)
		sums[key] = sha256.Sum256(data)
	}
	if n := c.count(t, `SELECT count(*) FROM (SELECT blob_id FROM shards GROUP BY blob_id HAVING count(*) = 3) r`); n < 6 {
		t.Fatalf("%d blobs of three copies, want the six small objects'", n)
	}

	victim := c.nodes.Nodes[0]
	held := c.shardsOn(t, victim.Addr)
	if held == 0 {
		t.Fatal("the victim holds no shards")
	}
	victim.Kill(t)
	c.waitNodeState(t, victim.Addr, "dead", 30*time.Second)
	waitFor(t, 3*time.Minute, "the repair queue is drained", func() (bool, error) {
		out := c.floe(t, "admin", "repair", "status")
		return strings.Contains(out, "queued: 0\n"), fmt.Errorf("repair status:\n%s", out)
	})
	if n := c.shardsOn(t, victim.Addr); n != 0 {
		t.Fatalf("%d shards still placed on the dead node", n)
	}
	t.Logf("%d shards repaired", held)

	c.nodes.Nodes[1].Kill(t)
	c.nodes.Nodes[2].Kill(t)
	readAllSums(t, c, "rep", sums) // after repair and 3 node losses
}

// TestDegradedWritesAndBadReadsAreRepaired: PUTs acknowledged while a node
// is down, and a GET that meets a shard file gone from its node, queue
// their blobs; the repairer restores every shard elsewhere.
func TestDegradedWritesAndBadReadsAreRepaired(t *testing.T) {
	t.Parallel()
	c := startClusterN(t, 7, "--repair-workers", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := c.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("rep")})
	must(t, err, "create bucket")
	// Node 0 down, not yet known dead: the shards of the blobs placed on
	// it fail, and the PUTs succeed without them.
	down := c.nodes.Nodes[0]
	down.Kill(t)
	sums := map[string][32]byte{}
	for i := range 6 {
		key := fmt.Sprintf("degraded-%d", i)
		rng := rand.New(rand.NewPCG(uint64(i), 9))
		data := make([]byte, 2<<20+i)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		_, err := c.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("rep"), Key: aws.String(key), Body: bytes.NewReader(data)})
		must(t, err, "put %s", key)
		sums[key] = sha256.Sum256(data)
	}
	// A data shard's file disappears from node 1; reads meet it (a lost
	// parity shard is the scrubber's to find: reads prefer data shards).
	lost := ""
	for _, f := range c.nodes.Nodes[1].ShardFiles(t) {
		if idx := f[strings.LastIndexByte(f, '.')+1:]; idx < "4" {
			lost = f
			break
		}
	}
	if lost == "" {
		t.Fatal("no data shard on node 1")
	}
	must(t, os.Remove(lost), "remove shard file")
	readAllSums(t, c, "rep", sums)

	waitFor(t, 2*time.Minute, "the repair queue is drained and no shard is bad", func() (bool, error) {
		out := c.floe(t, "admin", "repair", "status")
		n := c.badShards(t)
		return strings.Contains(out, "queued: 0\n") && n == 0, fmt.Errorf("%d bad shards left\n%s", n, out)
	})
	if n := c.shardsOn(t, down.Addr); n != 0 {
		t.Fatalf("%d shards still placed on the node that was down during the writes", n)
	}
	// Every blob has 6 good shards on the 6 running nodes: lose 2 more.
	c.nodes.Nodes[2].Kill(t)
	c.nodes.Nodes[3].Kill(t)
	readAllSums(t, c, "rep", sums)
}
