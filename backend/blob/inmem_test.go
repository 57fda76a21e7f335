package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

// inmemParams make 16-byte blocks, so a small blob has many.
var inmemParams = blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 64}

// inmemFixture is a fake node "a" holding shards 0..2 of b, and an empty
// healthy node "b".
func inmemFixture(t *testing.T) (*blob.InmemTransport, *blobtest.Blob) {
	t.Helper()
	tr := blob.NewInmemTransport("a", "b")
	b := blobtest.Encode(t, inmemParams, 1, 10*64+20) // 11 blocks per shard
	for idx := range 3 {
		putInmem(t, tr, "a", b, idx)
	}
	return tr, b
}

func putInmem(t *testing.T, tr *blob.InmemTransport, addr string, b *blobtest.Blob, idx int) {
	t.Helper()
	id, err := tr.PutShard(context.Background(), addr, idx, b.BlockSize, bytes.NewReader(b.Shards[idx]), func() []byte { return b.Manifest.Marshal() })
	if err != nil || id != b.ID {
		t.Fatalf("put shard %d on %s: %s, %v", idx, addr, id, err)
	}
}

// readShard reads a whole range of a shard from the fake.
func readShard(ctx context.Context, tr *blob.InmemTransport, addr string, id blobmeta.ID, idx int, off, length int64) ([]byte, error) {
	sr, err := tr.GetShard(ctx, addr, id, idx, off, length, node.GetOptions{})
	if err != nil {
		return nil, err
	}
	defer sr.Body.Close()
	return io.ReadAll(sr.Body)
}

// countingReader counts the reads of a shard body.
type countingReader struct {
	r     io.Reader
	mu    sync.Mutex
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.r.Read(p)
}

// inmemCall is one method of the fake, called on the shard fixture.
type inmemCall struct {
	name string
	call func(ctx context.Context, tr *blob.InmemTransport, addr string, b *blobtest.Blob) error
}

// everyCall calls each method once; on a healthy node each succeeds, in
// this order (the put stores a shard again, the delete comes last).
var everyCall = []inmemCall{
	{"GetShard", func(ctx context.Context, tr *blob.InmemTransport, addr string, b *blobtest.Blob) error {
		_, err := readShard(ctx, tr, addr, b.ID, 0, 0, -1)
		return err
	}},
	{"StatShard", func(ctx context.Context, tr *blob.InmemTransport, addr string, b *blobtest.Blob) error {
		_, err := tr.StatShard(ctx, addr, b.ID, 0)
		return err
	}},
	{"ShardInfo", func(ctx context.Context, tr *blob.InmemTransport, addr string, b *blobtest.Blob) error {
		_, err := tr.ShardInfo(ctx, addr, b.ID, 0, true)
		return err
	}},
	{"ListShards", func(ctx context.Context, tr *blob.InmemTransport, addr string, b *blobtest.Blob) error {
		_, err := tr.ListShards(ctx, addr, "", 0)
		return err
	}},
	{"Health", func(ctx context.Context, tr *blob.InmemTransport, addr string, b *blobtest.Blob) error {
		_, err := tr.Health(ctx, addr)
		return err
	}},
	{"PutShard", func(ctx context.Context, tr *blob.InmemTransport, addr string, b *blobtest.Blob) error {
		_, err := tr.PutShard(ctx, addr, 1, b.BlockSize, bytes.NewReader(b.Shards[1]), func() []byte { return b.Manifest.Marshal() })
		return err
	}},
	{"DeleteShard", func(ctx context.Context, tr *blob.InmemTransport, addr string, b *blobtest.Blob) error {
		return tr.DeleteShard(ctx, addr, b.ID, 2)
	}},
}

func TestInmemFaults(t *testing.T) {
	const delay = 60 * time.Millisecond
	for _, tc := range []struct {
		name  string
		fault blob.Fault
		check func(t *testing.T, tr *blob.InmemTransport, b *blobtest.Blob)
	}{
		{"healthy", blob.Fault{}, func(t *testing.T, tr *blob.InmemTransport, b *blobtest.Blob) {
			for _, c := range everyCall {
				if err := c.call(context.Background(), tr, "a", b); err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
			}
			if got, want := tr.Shards("a"), []string{shardfile.Name(b.ID, 0), shardfile.Name(b.ID, 1)}; !slices.Equal(got, want) {
				t.Errorf("Shards = %v, want %v", got, want)
			}
		}},
		{"down", blob.Fault{Down: true}, func(t *testing.T, tr *blob.InmemTransport, b *blobtest.Blob) {
			for _, c := range everyCall {
				err := c.call(context.Background(), tr, "a", b)
				var ne *node.Error
				if !errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &ne) {
					t.Errorf("%s on a down node: %v; want connection refused", c.name, err)
				}
			}
			body := &countingReader{r: bytes.NewReader(b.Shards[1])}
			if _, err := tr.PutShard(context.Background(), "a", 1, b.BlockSize, body, func() []byte { return b.Manifest.Marshal() }); err == nil || body.reads != 0 {
				t.Errorf("put on a down node: %v after %d reads of the body", err, body.reads)
			}
			if n := tr.Gets("a"); n != 0 {
				t.Errorf("Gets = %d; a down node is never reached", n)
			}
			if len(tr.Shards("a")) != 3 {
				t.Errorf("a down node lost its shards: %v", tr.Shards("a"))
			}
			// An address without a node is as good as down.
			if _, err := tr.Health(context.Background(), "nowhere"); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("health of no node: %v", err)
			}
		}},
		{"hang", blob.Fault{Hang: true}, func(t *testing.T, tr *blob.InmemTransport, b *blobtest.Blob) {
			for _, c := range everyCall {
				ctx, cancel := context.WithTimeout(context.Background(), delay)
				start := time.Now()
				err := c.call(ctx, tr, "a", b)
				took := time.Since(start)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) || took < delay || took > delay+5*time.Second {
					t.Errorf("%s on a hung node: %v after %v; want the deadline after %v", c.name, err, took, delay)
				}
			}
			if n := tr.Gets("a"); n != 1 {
				t.Errorf("Gets = %d; a hung node is reached", n)
			}
			tr.SetFault("a", blob.Fault{})
			if _, err := readShard(context.Background(), tr, "a", b.ID, 0, 0, -1); err != nil {
				t.Errorf("after the node recovered: %v", err)
			}
		}},
		{"delay", blob.Fault{Delay: delay}, func(t *testing.T, tr *blob.InmemTransport, b *blobtest.Blob) {
			for _, c := range everyCall {
				start := time.Now()
				if err := c.call(context.Background(), tr, "a", b); err != nil || time.Since(start) < delay {
					t.Errorf("%s on a slow node: %v after %v; want success after %v", c.name, err, time.Since(start), delay)
				}
			}
			// The delay gives way to the caller's deadline.
			ctx, cancel := context.WithTimeout(context.Background(), delay/4)
			defer cancel()
			if _, err := tr.GetShard(ctx, "a", b.ID, 0, 0, -1, node.GetOptions{}); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("slow node, short deadline: %v", err)
			}
			if n := tr.Gets("a"); n != 2 {
				t.Errorf("Gets = %d, want 2", n)
			}
			// Only the faulty node is slow.
			start := time.Now()
			if _, err := tr.Health(context.Background(), "b"); err != nil || time.Since(start) >= delay {
				t.Errorf("healthy node: %v after %v", err, time.Since(start))
			}
		}},
		{"full", blob.Fault{Full: true}, func(t *testing.T, tr *blob.InmemTransport, b *blobtest.Blob) {
			_, err := tr.PutShard(context.Background(), "a", 3, b.BlockSize, bytes.NewReader(b.Shards[3]), func() []byte { return b.Manifest.Marshal() })
			var ne *node.Error
			if !errors.Is(err, node.ErrFull) || !errors.As(err, &ne) || ne.Status != http.StatusInsufficientStorage || ne.Code != node.CodeInsufficientStorage {
				t.Fatalf("put on a full node: %v; want 507 ErrFull", err)
			}
			if len(tr.Shards("a")) != 3 {
				t.Errorf("a full node stored a shard: %v", tr.Shards("a"))
			}
			h, err := tr.Health(context.Background(), "a")
			if err != nil || h.FreeBytes != 0 || h.CapacityBytes != blob.InmemCapacity || h.ShardCount != 3 {
				t.Errorf("health of a full node: %+v, %v", h, err)
			}
			if got, err := readShard(context.Background(), tr, "a", b.ID, 0, 0, -1); err != nil || !bytes.Equal(got, b.Shards[0]) {
				t.Errorf("a full node still serves reads: %v", err)
			}
			if h, err := tr.Health(context.Background(), "b"); err != nil || h.FreeBytes <= 0 {
				t.Errorf("health of the other node: %+v, %v", h, err)
			}
		}},
		{"flip reads", blob.Fault{FlipReads: true}, func(t *testing.T, tr *blob.InmemTransport, b *blobtest.Blob) {
			for _, r := range []struct{ off, length int64 }{{0, -1}, {17, 40}, {int64(len(b.Shards[0])) - 1, 1}} {
				got, err := readShard(context.Background(), tr, "a", b.ID, 0, r.off, r.length)
				want := b.Shards[0][r.off:]
				if r.length >= 0 {
					want = want[:r.length]
				}
				if err != nil || len(got) != len(want) || bytes.Equal(got, want) || !bytes.Equal(got[1:], want[1:]) {
					t.Errorf("read [%d,+%d) from a node flipping reads: %v; want one byte changed", r.off, r.length, err)
				}
			}
			// The stored shard is intact: the node's own check passes.
			if _, err := tr.ShardInfo(context.Background(), "a", b.ID, 0, true); err != nil {
				t.Errorf("verify on a node flipping reads: %v", err)
			}
			sr, err := tr.GetShard(context.Background(), "a", b.ID, 0, 0, -1, node.GetOptions{Hashes: true})
			if err != nil || !slices.Equal(sr.Hashes, b.Hashes[0]) {
				t.Fatalf("hashes from a node flipping reads: %v", err)
			}
			sr.Body.Close()
			if n := tr.Gets("a"); n != 4 {
				t.Errorf("Gets = %d, want 4", n)
			}
		}},
		{"corrupt", blob.Fault{}, func(t *testing.T, tr *blob.InmemTransport, b *blobtest.Blob) {
			if err := tr.Corrupt("a", b.ID, 0, 2*16+3); err != nil { // block 2
				t.Fatal(err)
			}
			var ne *node.Error
			if _, err := readShard(context.Background(), tr, "a", b.ID, 0, 2*16, -1); !errors.Is(err, node.ErrCorrupt) || !errors.As(err, &ne) || ne.Status != http.StatusUnprocessableEntity {
				t.Errorf("read from the rotten block: %v; want 422 ErrCorrupt", err)
			}
			got, err := readShard(context.Background(), tr, "a", b.ID, 0, 0, -1)
			if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(got, b.Shards[0][:2*16]) {
				t.Errorf("read across the rotten block: %d bytes, %v; want the 32 good ones, then io.ErrUnexpectedEOF", len(got), err)
			}
			if got, err := readShard(context.Background(), tr, "a", b.ID, 0, 3*16, -1); err != nil || !bytes.Equal(got, b.Shards[0][3*16:]) {
				t.Errorf("read past the rotten block: %v", err)
			}
			if _, err := tr.ShardInfo(context.Background(), "a", b.ID, 0, false); err != nil {
				t.Errorf("info without verify: %v", err)
			}
			if _, err := tr.ShardInfo(context.Background(), "a", b.ID, 0, true); !errors.Is(err, node.ErrCorrupt) {
				t.Errorf("verify of a rotten shard: %v", err)
			}
			h, err := tr.Health(context.Background(), "a")
			if err != nil || h.CorruptDetected != 3 || !slices.Equal(h.CorruptShards, []string{shardfile.Name(b.ID, 0)}) {
				t.Errorf("health: %+v, %v", h, err)
			}
			// Writing a good copy repairs it.
			putInmem(t, tr, "a", b, 0)
			if _, err := tr.ShardInfo(context.Background(), "a", b.ID, 0, true); err != nil {
				t.Errorf("verify after repair: %v", err)
			}
			if h, _ := tr.Health(context.Background(), "a"); len(h.CorruptShards) != 0 {
				t.Errorf("health after repair: %+v", h)
			}
			if err := tr.Corrupt("a", b.ID, 0, int64(len(b.Shards[0]))); err == nil {
				t.Error("Corrupt past the data succeeded")
			}
			if err := tr.Corrupt("a", b.ID, 5, 0); !errors.Is(err, node.ErrNotFound) {
				t.Errorf("Corrupt of an absent shard: %v", err)
			}
		}},
		{"drop", blob.Fault{}, func(t *testing.T, tr *blob.InmemTransport, b *blobtest.Blob) {
			if err := tr.Drop("a", b.ID, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := readShard(context.Background(), tr, "a", b.ID, 1, 0, -1); !errors.Is(err, node.ErrNotFound) {
				t.Errorf("read of a dropped shard: %v", err)
			}
			if _, err := tr.StatShard(context.Background(), "a", b.ID, 1); !errors.Is(err, node.ErrNotFound) {
				t.Errorf("stat of a dropped shard: %v", err)
			}
			if got, want := tr.Shards("a"), []string{shardfile.Name(b.ID, 0), shardfile.Name(b.ID, 2)}; !slices.Equal(got, want) {
				t.Errorf("Shards = %v, want %v", got, want)
			}
			if h, err := tr.Health(context.Background(), "a"); err != nil || h.CorruptDetected != 0 || h.ShardCount != 2 {
				t.Errorf("health: %+v, %v", h, err)
			}
			if err := tr.Drop("a", b.ID, 1); !errors.Is(err, node.ErrNotFound) {
				t.Errorf("second drop: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, b := inmemFixture(t)
			tr.SetFault("a", tc.fault)
			tc.check(t, tr, b)
		})
	}
}

// TestInmemPutReturnsOnCancel: a PutShard whose body blocks returns once
// its context is done, and its reader goroutine ends once the body is
// closed, as with the real client.
func TestInmemPutReturnsOnCancel(t *testing.T) {
	tr := blob.NewInmemTransport("a")
	b := blobtest.Encode(t, inmemParams, 2, 500)
	before := runtime.NumGoroutine()
	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write(b.Shards[0][:10]) }() // then nothing more
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var manifestCalled atomic.Bool
	done := make(chan error, 1)
	go func() {
		_, err := tr.PutShard(ctx, "a", 0, b.BlockSize, pr, func() []byte { manifestCalled.Store(true); return b.Manifest.Marshal() })
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		pw.CloseWithError(errors.New("writer gave up"))
		t.Fatal("put with a stuck body did not return on cancel")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("put with a stuck body: %v", err)
	}
	// The body completing after the put gave up must not commit it.
	go func() {
		_, _ = pw.Write(b.Shards[0][10:])
		pw.Close()
	}()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if manifestCalled.Load() || len(tr.Shards("a")) != 0 {
		t.Fatalf("a cancelled put went on: manifest called %v, shards %v", manifestCalled.Load(), tr.Shards("a"))
	}
	// A body cut short by the writer fails the put, and nothing is kept.
	pr2, pw2 := io.Pipe()
	go func() {
		_, _ = pw2.Write(b.Shards[0][:10])
		pw2.CloseWithError(errors.New("writer gave up"))
	}()
	if _, err := tr.PutShard(context.Background(), "a", 0, b.BlockSize, pr2, func() []byte { return b.Manifest.Marshal() }); err == nil || len(tr.Shards("a")) != 0 {
		t.Fatalf("put of a broken body: %v, shards %v", err, tr.Shards("a"))
	}
}

// TestInmemStore runs the blob store on the fake: a round trip, then
// reads around a down node, in-flight corruption and bitrot, and hedging
// around a slow node.
func TestInmemStore(t *testing.T) {
	addrs := []string{"n0:1", "n1:1", "n2:1", "n3:1", "n4:1", "n5:1"}
	tr := blob.NewInmemTransport(addrs...)
	nodes := make([]blobmeta.Node, len(addrs))
	for i, a := range addrs {
		nodes[i] = blobmeta.Node{ID: a, Addr: a}
	}
	var badMu sync.Mutex
	var bad []string
	s := blob.NewStore(tr, blob.Options{
		Params:     blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 4096},
		HedgeDelay: 20 * time.Millisecond,
		OnBadShard: func(id blobmeta.ID, index int, nd blobmeta.Node, err error) {
			badMu.Lock()
			defer badMu.Unlock()
			bad = append(bad, fmt.Sprintf("%d %v", index, errors.Is(err, node.ErrCorrupt)))
		},
	}, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	data := blobtest.RandBytes(3, 10*4096+123)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Put(ctx, bytes.NewReader(data), nodes, nil)
	if err != nil || len(res.Failed) != 0 {
		t.Fatalf("put: %v, failed %v", err, res)
	}
	for i, nd := range res.Placement {
		if got := tr.Shards(nd.Addr); !slices.Contains(got, shardfile.Name(res.ID, i)) {
			t.Fatalf("shard %d is not on %s: %v", i, nd.Addr, got)
		}
	}
	read := func(what string) {
		t.Helper()
		r, err := s.NewReader(ctx, res.Manifest, res.Placement, 0, -1)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: read %d bytes, %v", what, len(got), err)
		}
	}
	read("healthy")

	tr.SetFault(res.Placement[0].Addr, blob.Fault{Down: true})
	read("shard 0's node down")
	tr.SetFault(res.Placement[0].Addr, blob.Fault{})

	tr.SetFault(res.Placement[1].Addr, blob.Fault{FlipReads: true})
	read("shard 1 flipped in flight")
	tr.SetFault(res.Placement[1].Addr, blob.Fault{})

	if err := tr.Corrupt(res.Placement[2].Addr, res.ID, 2, 5); err != nil {
		t.Fatal(err)
	}
	read("shard 2 rotten")
	// OnBadShard runs in its own goroutine: the read may finish first.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		badMu.Lock()
		reported, calls := slices.Contains(bad, "2 true"), slices.Clone(bad)
		badMu.Unlock()
		if reported {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OnBadShard calls %v; want shard 2 reported corrupt", calls)
		}
	}

	// A slow data shard is hedged: parity is asked for instead.
	parityGets := func() int { return tr.Gets(res.Placement[4].Addr) + tr.Gets(res.Placement[5].Addr) }
	gets := parityGets()
	tr.SetFault(res.Placement[3].Addr, blob.Fault{Delay: time.Second})
	start := time.Now()
	read("shard 3's node slow")
	if took := time.Since(start); took >= time.Second {
		t.Errorf("read around a slow node took %v", took)
	}
	if parityGets() == gets {
		t.Error("no parity shard was fetched around the slow node")
	}
}

// TestInmemConcurrent exercises the fake from many goroutines; run with
// -race it checks the locking.
func TestInmemConcurrent(t *testing.T) {
	tr := blob.NewInmemTransport("a", "b")
	blobs := make([]*blobtest.Blob, 4)
	for i := range blobs {
		blobs[i] = blobtest.Encode(t, inmemParams, uint64(10+i), 1000+i*100)
	}
	var wg sync.WaitGroup
	for i, b := range blobs {
		wg.Go(func() {
			ctx := context.Background()
			addr := []string{"a", "b"}[i%2]
			for idx := range b.Shards {
				id, err := tr.PutShard(ctx, addr, idx, b.BlockSize, bytes.NewReader(b.Shards[idx]), func() []byte { return b.Manifest.Marshal() })
				if err != nil || id != b.ID {
					t.Errorf("put: %v", err)
					return
				}
			}
			for range 20 {
				for idx := range b.Shards {
					sr, err := tr.GetShard(ctx, addr, b.ID, idx, 0, -1, node.GetOptions{Hashes: true})
					if err != nil {
						continue // a concurrent Corrupt may hit the first block
					}
					_, _ = io.Copy(io.Discard, sr.Body)
					sr.Body.Close()
				}
				_ = tr.Corrupt(addr, b.ID, i%len(b.Shards), 7)
				_, _ = tr.ListShards(ctx, addr, "", 3)
				_, _ = tr.Health(ctx, addr)
				_, _ = tr.ShardInfo(ctx, addr, b.ID, 0, true)
				tr.SetFault(addr, blob.Fault{Delay: time.Microsecond})
				_ = tr.Shards(addr)
				_ = tr.Gets(addr)
			}
		})
	}
	wg.Wait()
	for _, addr := range []string{"a", "b"} {
		if n := len(tr.Shards(addr)); n != 12 {
			t.Errorf("%s holds %d shards, want 12", addr, n)
		}
	}
}

// noCRCs is a transport whose nodes predate per-block CRCs in GetShard
// answers.
type noCRCs struct{ *blob.InmemTransport }

func (t noCRCs) GetShard(ctx context.Context, addr string, id blobmeta.ID, index int, off, length int64, opts node.GetOptions) (*node.ShardReader, error) {
	sr, err := t.InmemTransport.GetShard(ctx, addr, id, index, off, length, opts)
	if sr != nil {
		sr.CRCs = nil
	}
	return sr, err
}

// A block damaged in flight is caught whether the node sends its stored
// CRC32Cs (checked then) or not (BLAKE3 then): the read still returns the
// right bytes, rebuilt from parity, and the shard is reported corrupt.
func TestReadVerifiesBlocks(t *testing.T) {
	for _, withCRCs := range []bool{true, false} {
		t.Run(fmt.Sprintf("crcs=%v", withCRCs), func(t *testing.T) {
			addrs := []string{"n0:1", "n1:1", "n2:1", "n3:1", "n4:1", "n5:1"}
			fake := blob.NewInmemTransport(addrs...)
			var tr blob.Transport = fake
			if !withCRCs {
				tr = noCRCs{fake}
			}
			nodes := make([]blobmeta.Node, len(addrs))
			for i, a := range addrs {
				nodes[i] = blobmeta.Node{ID: a, Addr: a}
			}
			reported := make(chan string, 16)
			s := blob.NewStore(tr, blob.Options{
				Params: blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 4096},
				OnBadShard: func(id blobmeta.ID, index int, nd blobmeta.Node, err error) {
					reported <- fmt.Sprintf("%d %v", index, errors.Is(err, node.ErrCorrupt))
				},
			}, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
			data := blobtest.RandBytes(4, 6*4096+5)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := s.Put(ctx, bytes.NewReader(data), nodes, nil)
			if err != nil {
				t.Fatal(err)
			}
			fake.SetFault(res.Placement[1].Addr, blob.Fault{FlipReads: true})
			r, err := s.NewReader(ctx, res.Manifest, res.Placement, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read %d bytes, %v; want the %d written", len(got), err, len(data))
			}
			select {
			case rep := <-reported:
				if rep != "1 true" {
					t.Fatalf("OnBadShard: %s, want shard 1 corrupt", rep)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the flipped shard was not reported")
			}
		})
	}
}
