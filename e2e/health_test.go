package e2e

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/metadata"
)

// A gateway with short --suspect-after/--dead-after: a hung node turns
// suspect, then dead (its blobs queued for repair), objects stay readable
// throughout, and the node is alive again once it answers.
func TestNodeHealthThroughGateway(t *testing.T) {
	// Not parallel: with --suspect-after 1s and --dead-after 2s a node slowed by other tests changes state.
	c := startCluster(t, "--suspect-after", "1s", "--dead-after", "2s")
	if _, err := c.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("health")}); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("floe health "), 300_000) // 3.6 MB: four stripes
	putBytes(t, c.client, "health", "obj", data)

	ctx := context.Background()
	meta, err := metadata.Open(ctx, c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	obj, err := meta.GetObject(ctx, "health", "obj")
	if err != nil {
		t.Fatal(err)
	}
	// Hang the node of shard 0, the first one a read asks.
	hung := c.nodes.ByAddr(t, obj.Parts[0].Blob.Placement[0].Addr)
	hung.Stop(t)
	stopped := true
	defer func() {
		if stopped {
			hung.Cont(t)
		}
	}()
	c.waitNodeState(t, hung.Addr, "suspect", 15*time.Second)
	if got := getBytes(t, c.client, "health", "obj", ""); !bytes.Equal(got, data) {
		t.Fatal("object read with a suspect node differs")
	}
	c.waitNodeState(t, hung.Addr, "dead", 15*time.Second)
	start := time.Now()
	if got := getBytes(t, c.client, "health", "obj", ""); !bytes.Equal(got, data) {
		t.Fatal("object read with a dead node differs")
	}
	t.Logf("GET with the node of shard 0 dead: %v", time.Since(start))
	if st, err := meta.RepairStatus(ctx); err != nil || st.Queued != 1 {
		t.Errorf("repair queue: %+v, %v; want the object's blob", st, err)
	}

	hung.Cont(t)
	stopped = false
	c.waitNodeState(t, hung.Addr, "alive", 15*time.Second)
	if got := getBytes(t, c.client, "health", "obj", ""); !bytes.Equal(got, data) {
		t.Fatal("object read after the node returned differs")
	}
}
