package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata"
)

// Sizes of TestDiskFullNode: the small node's disk, its reserve, and the
// data written, far more than that disk's share.
const (
	smallDisk    = 40 << 20
	smallReserve = 1 << 20
	fillBytes    = 400 << 20
	fillWorkers  = 4
)

// TestDiskFullNode fills one node's (real, 40 MiB tmpfs) disk in a 7-node
// cluster. Every PUT succeeds: shards the full node refuses (507 at its
// reserve, or ENOSPC mid-stream) go elsewhere, first through the write
// quorum and repair, then because the node reports no free space and
// placement leaves it out. Nothing is corrupt or half-written on the full
// disk, every object reads back intact, and once repair settles every blob
// has all its shards.
func TestDiskFullNode(t *testing.T) {
	// Not parallel: its --suspect-after is tuned against the heartbeats of busy nodes.
	const smallIdx = 3
	disk := nodetest.MountTmpfs(t, smallDisk)
	c := startClusterWith(t, 7, nodetest.Options{
		DataDir: func(i int) string { return map[int]string{smallIdx: disk}[i] },
		Args: func(i int) []string {
			if i == smallIdx {
				return []string{"--reserve", "1MiB"}
			}
			return nil
		},
	}, "--suspect-after", "6s") // heartbeats every 1.5s: the full node drops out fast, busy nodes stay alive
	small := c.nodes.Nodes[smallIdx]
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := c.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("full")})
	must(t, err, "create bucket")

	// PUT objects of 1–8 MiB from a few workers until fillBytes are sent.
	type object struct {
		key string
		sum [32]byte
	}
	var (
		mu      sync.Mutex
		objects []object
		sent    int64
		wg      sync.WaitGroup
		errs    = make(chan error, fillWorkers)
	)
	start := time.Now()
	for w := range fillWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for i := 0; ; i++ {
				mu.Lock()
				if sent >= fillBytes {
					mu.Unlock()
					return
				}
				size := 1<<20 + rng.IntN(7<<20+1)
				sent += int64(size)
				mu.Unlock()
				data := blobtest.RandBytes(uint64(w)<<32|uint64(i), size)
				key := fmt.Sprintf("w%d/obj-%03d", w, i)
				_, err := c.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String(key), Body: bytes.NewReader(data)})
				if err != nil {
					errs <- fmt.Errorf("put %s (%d bytes): %w", key, size, err)
					return
				}
				mu.Lock()
				objects = append(objects, object{key, sha256.Sum256(data)})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d objects, %d MiB written in %v", len(objects), sent>>20, time.Since(start).Round(time.Millisecond))
	// No PUT leaned on the SDK's retries: the gateway answered no 5xx, and
	// the shards the full node refused were written without.
	glog, err := os.ReadFile(c.logPath)
	must(t, err, "read the gateway log")
	var refused int
	for _, line := range strings.Split(string(glog), "\n") {
		if strings.Contains(line, `"message":"s3"`) && strings.Contains(line, `"status":5`) {
			t.Errorf("gateway answered a 5xx: %s", line)
		}
		if strings.Contains(line, "blob written without this shard") && strings.Contains(line, node.CodeInsufficientStorage) {
			refused++
		}
	}
	t.Logf("%d shards refused by the full node went to repair", refused)

	// The small node is full: no free space above its reserve, and out of
	// the nodes placement picks from.
	client := node.NewClient(c.nodes.Secret, nil)
	h, err := client.Health(ctx, small.Addr)
	must(t, err, "health of the small node")
	t.Logf("small node: capacity %d, free above reserve %d, reserve %d, %d shards", h.CapacityBytes, h.FreeBytes, h.ReserveBytes, h.ShardCount)
	if h.CapacityBytes != smallDisk || h.ReserveBytes != smallReserve {
		t.Errorf("small node reports capacity %d and reserve %d; want %d and %d", h.CapacityBytes, h.ReserveBytes, smallDisk, smallReserve)
	}
	if h.FreeBytes != 0 {
		t.Errorf("small node reports %d bytes free after %d MiB written; want 0", h.FreeBytes, sent>>20)
	}
	meta, err := metadata.Open(ctx, c.dsn)
	must(t, err, "open metadata")
	defer meta.Close()
	waitFor(t, 10*time.Second, "the full node leaves the live nodes", func() (bool, error) {
		live, err := meta.LiveNodes(ctx, time.Minute)
		must(t, err, "live nodes")
		for _, n := range live {
			if n.ID == h.NodeID {
				return false, nil
			}
		}
		return len(live) == 6, nil
	})

	// Every object reads back intact.
	start = time.Now()
	todo := make(chan object, len(objects))
	for _, o := range objects {
		todo <- o
	}
	close(todo)
	for range fillWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range todo {
				got, err := getSum(ctx, c.client, "full", o.key)
				if err != nil {
					t.Errorf("get %s: %v", o.key, err)
					continue
				}
				if got != o.sum {
					t.Errorf("%s reads back with a different SHA-256", o.key)
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	t.Logf("every object read back in %v", time.Since(start).Round(time.Millisecond))

	// Nothing partial on the full disk: no temp files, and every shard file
	// is a whole shard that verifies.
	tmp, err := os.ReadDir(filepath.Join(disk, "tmp"))
	must(t, err, "read the small node's tmp")
	if len(tmp) != 0 {
		t.Errorf("%d temp files left on the full node", len(tmp))
	}
	files := small.ShardFiles(t)
	if len(files) == 0 {
		t.Fatal("no shard landed on the small node")
	}
	for _, f := range files {
		id, idx, err := shardfile.ParseName(filepath.Base(f))
		must(t, err, "shard file name %s", f)
		if _, err := client.ShardInfo(ctx, small.Addr, id, idx, true); err != nil {
			t.Errorf("shard file %s on the full node does not verify: %v", filepath.Base(f), err)
		}
	}
	t.Logf("%d shard files on the full node verify", len(files))

	// Repair settles: every blob has K+M ok shards on distinct nodes.
	db := c.db(t)
	start = time.Now()
	c.waitRepairsDone(t, 90*time.Second, nil)
	t.Logf("repair settled %v later", time.Since(start).Round(time.Millisecond))
	var blobs, short int
	must(t, db.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE ok <> 6 OR nodes <> 6) FROM (
		SELECT blob_id, count(*) FILTER (WHERE state = 'ok') AS ok, count(DISTINCT node_id) AS nodes
		FROM shards GROUP BY blob_id) b`).Scan(&blobs, &short), "count shards per blob")
	if blobs != len(objects) || short != 0 {
		t.Errorf("%d blobs, %d without 6 ok shards on 6 nodes; want %d blobs, all whole", blobs, short, len(objects))
	}
}
