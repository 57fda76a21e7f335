package metadata

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata/pgtest"
)

// BenchmarkListObjects lists a page of 1000 entries from the middle of
// buckets of 1,000 and 1,000,000 keys, without and with a delimiter. Keys
// are "DDDDD/FFFFF.dat" in min(keys, 2000) directories, so with delimiter
// "/" the 1M-key page is 1000 common prefixes that each hide 500 keys: a
// page must cost the same whatever the bucket's size. "folder" lists one
// directory in the middle with the delimiter (500 keys of 1M, 1 of 1K).
func BenchmarkListObjects(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	sizes := []int{1000, 1000000}
	for _, n := range sizes {
		start := time.Now()
		bucket := fmt.Sprintf("keys%d", n)
		mustCreateBucket(b, s, bucket)
		dirs := min(n, 2000)
		exec(b, s, `INSERT INTO objects (bucket, key, size, etag)
			SELECT $1, lpad((i / $3)::text, 5, '0') || '/' || lpad((i % $3)::text, 5, '0') || '.dat',
				1024, '"0123456789abcdef0123456789abcdef"'
			FROM generate_series(0, $2 - 1) i`, bucket, n, n/dirs)
		exec(b, s, `VACUUM ANALYZE objects`)
		b.Logf("loaded %d keys in %v", n, time.Since(start).Round(time.Millisecond))
	}

	for _, n := range sizes {
		bucket := fmt.Sprintf("keys%d", n)
		dirs := min(n, 2000)
		perDir := n / dirs
		key := func(i int) string { return fmt.Sprintf("%05d/%05d.dat", i/perDir, i%perDir) }
		// Start so that the page of 1000 is centred in the bucket.
		flatAfter, dirAfter := "", ""
		if i := n/2 - 500; i > 0 {
			flatAfter = key(i - 1)
		}
		if d := dirs/2 - 500; d > 0 {
			dirAfter = fmt.Sprintf("%05d/", d-1)
		}
		for _, c := range []struct {
			name string
			p    ListParams
		}{
			{"flat", ListParams{Bucket: bucket, StartAfter: flatAfter, MaxKeys: 1000}},
			{"delimiter", ListParams{Bucket: bucket, Delimiter: "/", StartAfter: dirAfter, MaxKeys: 1000}},
			{"folder", ListParams{Bucket: bucket, Prefix: fmt.Sprintf("%05d/", dirs/2), Delimiter: "/", MaxKeys: 1000}},
		} {
			b.Run(fmt.Sprintf("keys=%d/%s", n, c.name), func(b *testing.B) {
				var entries int
				for b.Loop() {
					res, err := s.ListObjects(ctx, c.p)
					if err != nil {
						b.Fatal(err)
					}
					entries = len(res.Objects) + len(res.CommonPrefixes)
				}
				if want := min(1000, perDir); c.name == "folder" && entries != want || c.name != "folder" && entries != 1000 {
					b.Fatalf("page of %d entries", entries)
				}
				b.ReportMetric(float64(entries), "entries/page")
			})
		}
	}
}

// BenchmarkSmallPutCommit measures the PostgreSQL side of small PUTs from
// 32 concurrent writers: "blob" commits an object whose bytes are in a
// blob on nodes (what every PUT commits: object, part, blob and shard
// rows, in one transaction), "inline" inserts a row holding the 4 KiB
// itself, the ceiling of keeping small objects in PostgreSQL. Both are
// durable commits, on a cluster that syncs them (pgtest.DurableDSN);
// reported in commits per second.
func BenchmarkSmallPutCommit(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.DurableDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	mustCreateBucket(b, s, "small")
	exec(b, s, `CREATE TABLE bench_inline (key text PRIMARY KEY, data bytea NOT NULL)`)
	data := make([]byte, 4<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	const writers = 32
	run := func(b *testing.B, commit func(i int) error) {
		var next atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(b.N) {
						return
					}
					if err := commit(int(i)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
	}
	b.Run("blob", func(b *testing.B) {
		objs := make([]Object, b.N+1)
		for i := range objs {
			objs[i] = newObject(b, "small", fmt.Sprintf("blob/%d", i), int64(len(data)))
		}
		run(b, func(i int) error {
			_, err := s.PutObject(ctx, objs[i], nil, Precondition{})
			return err
		})
	})
	b.Run("inline", func(b *testing.B) {
		run(b, func(i int) error {
			_, err := s.Pool().Exec(ctx, `INSERT INTO bench_inline (key, data) VALUES ($1, $2)`, fmt.Sprintf("inline/%d/%d", b.N, i), data)
			return err
		})
	})
}
