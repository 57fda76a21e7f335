package shardfile

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// BenchmarkCommit commits small shards from many writers at once, as a
// node does under small PUTs, with each shard synced on its own
// (fsync of the file, then of its directory) and with group syncs, to
// measure what grouping buys on this disk. The store lives in a temp
// directory: run it where that is a real disk, not tmpfs.
//
//	go test -run '^$' -bench Commit -benchtime 3s ./backend/shardfile/
func BenchmarkCommit(b *testing.B) {
	params := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 1, M: 3, StripeSize: 4096}
	for _, group := range []bool{false, true} {
		for _, writers := range []int{1, 8, 32} {
			mode := "per-shard"
			if group {
				mode = "grouped"
			}
			b.Run(fmt.Sprintf("%s/writers=%d", mode, writers), func(b *testing.B) {
				s, err := OpenWith(b.TempDir(), Options{GroupSync: group})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				// Blobs are encoded ahead, so only the commits are timed.
				blobs := make([]*blobtest.Blob, b.N)
				for i := range blobs {
					blobs[i] = blobtest.Encode(b, params, uint64(i), 4096)
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				b.SetBytes(4096)
				b.ResetTimer()
				for range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := int(next.Add(1)) - 1
							if i >= len(blobs) {
								return
							}
							if _, err := tryPut(s, blobs[i], 0, blobs[i].Manifest); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "shards/s")
			})
		}
	}
}
