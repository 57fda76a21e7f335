package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/jackc/pgx/v5"
)

// Bytes flipped in random shard files behind the nodes' backs are found by
// the gateway's background scrubber, which records them in scrub_progress
// and queues their blobs for repair (with repair off, and no reads, so the
// scrubber is what finds them); then, with repair on, every damaged shard
// is rewritten, every shard of every blob verifies, and every object reads
// back intact.
func TestScrubFindsCorruptionOnDisk(t *testing.T) {
	t.Parallel()
	c := startCluster(t, "--scrub-rate", fmt.Sprint(64<<20), "--orphan-grace", "1h", "--scrub-interval", "500ms",
		"--repair-workers", "0")
	ctx := ctxT(t)
	_, err := c.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("scrub")})
	must(t, err, "create bucket")
	const objects = 8
	sums := map[string][32]byte{}
	for i := range objects {
		data := make([]byte, 2<<20+i*1000)
		for j := range data {
			data[j] = byte(rand.Uint32())
		}
		key := fmt.Sprint("obj", i)
		putBytes(t, c.client, "scrub", key, data)
		sums[key] = sha256.Sum256(data)
	}

	// One shard of each of four blobs: every blob stays readable.
	var files []string
	for _, n := range c.nodes.Nodes {
		files = append(files, n.ShardFiles(t)...)
	}
	rand.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
	damaged := map[string]bool{} // blob ID hex
	for _, f := range files {
		id, _, _ := strings.Cut(filepath.Base(f), ".")
		if damaged[id] || len(damaged) == 4 {
			continue
		}
		b, err := os.ReadFile(f)
		must(t, err, "read shard file")
		b[len(b)/3] ^= 0xff
		must(t, os.WriteFile(f, b, 0o644), "write shard file")
		damaged[id] = true
	}

	db := c.db(t)
	var corrupt int64
	var queued []string
	waitFor(t, 60*time.Second, "the scrubber finds the 4 damaged blobs and queues them for repair", func() (bool, error) {
		must(t, db.QueryRow(ctx, `SELECT COALESCE(sum(corrupt), 0) FROM scrub_progress`).Scan(&corrupt), "scrub progress")
		rows, err := db.Query(ctx, `SELECT encode(blob_id, 'hex') FROM repair_queue WHERE reason = 'scrub'`)
		must(t, err, "repair queue")
		queued, err = pgx.CollectRows(rows, pgx.RowTo[string])
		must(t, err, "repair queue")
		return corrupt >= 4 && len(queued) >= 4, lazyErr(func() string {
			return fmt.Sprintf("scrub_progress counts %d corrupt, repair queue %v\n%s", corrupt, queued, scrubProgress(ctx, db))
		})
	})
	for _, id := range queued {
		if !damaged[id] {
			t.Errorf("blob %s queued for repair but not damaged", id)
		}
	}
	var marked int
	must(t, db.QueryRow(ctx, `SELECT count(*) FROM shards WHERE state = 'corrupt'`).Scan(&marked), "corrupt shards")
	if corrupt != 4 || len(queued) != 4 || marked != 4 {
		t.Errorf("scrub counted %d corrupt, queued %d blobs, marked %d shards; want 4 each", corrupt, len(queued), marked)
	}
	readAllSums(t, c, "scrub", sums)

	// Repair on: a gateway with the default repair settings.
	c.stopGateway()
	i := slices.Index(c.args, "--repair-workers")
	c.args = slices.Delete(c.args, i, i+2)
	c.startGateway(t)
	c.waitRepairsDone(t, 90*time.Second, nil)
	rows, err := db.Query(ctx, `SELECT s.blob_id, s.idx, n.addr FROM shards s JOIN nodes n ON n.id = s.node_id`)
	must(t, err, "shards")
	type shard struct {
		id   []byte
		idx  int
		addr string
	}
	shards, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (shard, error) {
		var sh shard
		err := r.Scan(&sh.id, &sh.idx, &sh.addr)
		return sh, err
	})
	must(t, err, "shards")
	client := node.NewClient(c.nodes.Secret, nil)
	for _, sh := range shards {
		if _, err := client.ShardInfo(ctx, sh.addr, blobmeta.ID(sh.id), sh.idx, true); err != nil {
			t.Errorf("shard %x.%d on %s does not verify after repair: %v", sh.id, sh.idx, sh.addr, err)
		}
	}
	if len(shards) != objects*6 {
		t.Errorf("%d shard rows, want %d", len(shards), objects*6)
	}
	readAllSums(t, c, "scrub", sums)
}

// scrubProgress shows every node's row of scrub_progress, one a line, for
// a failure message; a failed query is shown, not fatal.
func scrubProgress(ctx context.Context, db *pgx.Conn) string {
	rows, err := db.Query(ctx, `SELECT node_id, cursor, COALESCE(last_pass_at::text, ''), COALESCE(claimed_until::text, ''), checked, corrupt FROM scrub_progress`)
	if err != nil {
		return "scrub progress: " + err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, cur, last, until string
		var checked, bad int64
		if err := rows.Scan(&id, &cur, &last, &until, &checked, &bad); err != nil {
			return b.String() + "scan: " + err.Error()
		}
		fmt.Fprintf(&b, "node %s: cursor %q, last pass %s, claimed until %s, %d checked, %d corrupt\n", id, cur, last, until, checked, bad)
	}
	return b.String()
}
