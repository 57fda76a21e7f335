package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestWritesWithANodeDownOnSixNodes: a 4+2 cluster of exactly six nodes
// keeps taking writes while one node is down, each blob placing its last
// shard on the down node as missing; with two down, writes are refused
// (503) rather than stored without redundancy. When the node returns,
// repair writes its shards and the cluster survives two other nodes dying.
func TestWritesWithANodeDownOnSixNodes(t *testing.T) {
	// Not parallel: with --suspect-after 1s a node slowed by other tests turns suspect.
	c := startCluster(t, "--suspect-after", "1s", "--dead-after", "1h", "--repair-workers", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	_, err := c.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("six")})
	must(t, err, "create bucket")

	victim := c.nodes.Nodes[5]
	victim.Kill(t)
	c.waitNodeState(t, victim.Addr, "suspect", 30*time.Second)

	sums := map[string][32]byte{}
	putRandomObjects(t, c, "six", "obj", 8, 6, sums)
	if n := c.missingShardsOn(t, victim.Addr); n != len(sums) {
		t.Fatalf("%d shards recorded missing on the down node, want one per object (%d)", n, len(sums))
	}
	if files := victim.ShardFiles(t); len(files) != 0 {
		t.Fatalf("the down node has shard files: %v", files)
	}
	readAllSums(t, c, "six", sums) // one node down

	// A second node down leaves four: a write would have no redundancy.
	second := c.nodes.Nodes[4]
	second.Kill(t)
	c.waitNodeState(t, second.Addr, "suspect", 30*time.Second)
	noRetry := func(o *s3.Options) { o.RetryMaxAttempts = 1 }
	_, err = c.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("six"), Key: aws.String("refused"),
		Body: bytes.NewReader(make([]byte, 1<<20))}, noRetry)
	if code := httpStatus(err); code != http.StatusServiceUnavailable {
		t.Fatalf("PUT with 4 of 6 nodes up: status %d (%v), want 503", code, err)
	}
	readAllSums(t, c, "six", sums)

	second.Restart(t)
	c.waitNodeState(t, second.Addr, "alive", 30*time.Second)
	victim.Restart(t)
	c.waitNodeState(t, victim.Addr, "alive", 30*time.Second)
	waitFor(t, 2*time.Minute, "the shards are repaired after the nodes returned", func() (bool, error) {
		n := c.badShards(t)
		return n == 0, lazyErr(func() string { return fmt.Sprintf("%d shards not repaired\n%s", n, c.repairState(t)) })
	})
	if files := victim.ShardFiles(t); len(files) != len(sums) {
		t.Fatalf("the returned node holds %d shard files, want %d", len(files), len(sums))
	}
	// Full redundancy again: any two nodes may go.
	c.nodes.Nodes[0].Kill(t)
	c.nodes.Nodes[1].Kill(t)
	readAllSums(t, c, "six", sums)
}

// TestReturnedNodeIsReconciled: a node declared dead has its shards
// rebuilt elsewhere, and objects deleted meanwhile are collected without
// it. When it comes back, everything it still holds is stale — copies
// repair replaced, shards of deleted blobs — and the scrubber deletes it
// all, while every object stays whole.
func TestReturnedNodeIsReconciled(t *testing.T) {
	// Not parallel: with --suspect-after 1s and --dead-after 2s a node slowed by other tests is declared dead.
	c := startClusterN(t, 7, "--suspect-after", "1s", "--dead-after", "2s", "--repair-workers", "2",
		"--scrub-rate", fmt.Sprint(64<<20), "--orphan-grace", "1s", "--scrub-interval", "500ms", "--gc-interval", "500ms")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	_, err := c.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("back")})
	must(t, err, "create bucket")
	sums := map[string][32]byte{}
	putRandomObjects(t, c, "back", "obj", 12, 7, sums)
	victim := c.nodes.Nodes[0]
	held := len(victim.ShardFiles(t))
	if held == 0 {
		t.Fatal("the victim holds no shards")
	}
	victim.Kill(t)
	c.waitNodeState(t, victim.Addr, "dead", 30*time.Second)
	waitFor(t, 30*time.Second, "repair of the dead node's shards", func() (bool, error) {
		return c.shardsOn(t, victim.Addr) == 0 && c.badShards(t) == 0, nil
	})
	for i := range 4 {
		key := fmt.Sprintf("obj-%02d", i)
		_, err := c.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("back"), Key: aws.String(key)})
		must(t, err, "delete %s", key)
		delete(sums, key)
	}
	waitFor(t, 30*time.Second, "deletions collected while the node is dead", func() (bool, error) { return c.queuedDeletions(t) == 0, nil })
	if got := len(victim.ShardFiles(t)); got != held {
		t.Fatalf("the dead node's files changed: %d, had %d", got, held)
	}

	victim.Restart(t)
	c.waitNodeState(t, victim.Addr, "alive", 30*time.Second)
	waitFor(t, 30*time.Second, "the returned node's stale shards deleted", func() (bool, error) { return len(victim.ShardFiles(t)) == 0, nil })
	readAllSums(t, c, "back", sums)
	if n := c.badShards(t); n != 0 {
		t.Fatalf("%d shards not ok after the node returned", n)
	}
}
