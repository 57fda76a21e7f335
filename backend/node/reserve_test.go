package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

func TestDefaultReserve(t *testing.T) {
	for _, tc := range []struct{ capacity, want int64 }{
		{-1, 0},
		{0, 0},
		{99, 0},
		{100, 1},
		{4 << 20, 41943},
		{100 << 30, 1 << 30},
		{50 << 30, 512 << 20},
		{10 << 40, 1 << 30},
	} {
		if got := DefaultReserve(tc.capacity); got != tc.want {
			t.Errorf("DefaultReserve(%d) = %d, want %d", tc.capacity, got, tc.want)
		}
	}
}

func TestReserveFor(t *testing.T) {
	const capacity = 200 << 20
	for _, tc := range []struct{ reserve, want int64 }{
		{0, DefaultReserve(capacity)},
		{-1, 0},
		{5 << 20, 5 << 20},
		{1 << 40, 1 << 40}, // larger than the disk: the node takes nothing
	} {
		if got := (&Server{reserve: tc.reserve}).reserveFor(capacity); got != tc.want {
			t.Errorf("reserve %d: reserveFor = %d, want %d", tc.reserve, got, tc.want)
		}
	}
}

func TestUsableBytes(t *testing.T) {
	for _, tc := range []struct{ available, reserve, want int64 }{
		{100, 0, 100},
		{100, 30, 70},
		{100, 100, 0},
		{100, 200, 0},
		{0, 0, 0},
	} {
		if got := usableBytes(tc.available, tc.reserve); got != tc.want {
			t.Errorf("usableBytes(%d, %d) = %d, want %d", tc.available, tc.reserve, got, tc.want)
		}
	}
}

// TestHealthReportsReserve: free_bytes is the available space less the
// reserve, and reserve_bytes the reserve in force.
func TestHealthReportsReserve(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reserve int64
		want    func(capacity int64) int64
	}{
		{"default", 0, DefaultReserve},
		{"none", -1, func(int64) int64 { return 0 }},
		{"fixed", 3 << 20, func(int64) int64 { return 3 << 20 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startNodeWith(t, Config{Dir: t.TempDir(), Reserve: tc.reserve})
			capacity, before, err := n.srv.store.Usage()
			if err != nil {
				t.Skip("no free-space figures here:", err)
			}
			h, err := n.client.Health(ctx(t), n.addr)
			if err != nil {
				t.Fatal(err)
			}
			_, after, _ := n.srv.store.Usage()
			reserve := tc.want(capacity)
			if h.CapacityBytes != capacity || h.ReserveBytes != reserve {
				t.Fatalf("health %+v; want capacity %d, reserve %d", h, capacity, reserve)
			}
			// Other processes share the disk: allow for what changed.
			lo, hi := min(before, after)-reserve, max(before, after)-reserve
			if h.FreeBytes < lo-(1<<20) || h.FreeBytes > hi+(1<<20) {
				t.Fatalf("free_bytes %d, want about %d..%d (available less the reserve)", h.FreeBytes, lo, hi)
			}
		})
	}
}

// TestPutRefusedByReserve: a node with less available than its reserve
// answers 507 InsufficientStorage before storing a byte, the client sees
// ErrFull, and its health reports no free space.
func TestPutRefusedByReserve(t *testing.T) {
	n := startNodeWith(t, Config{Dir: t.TempDir(), Reserve: 1 << 60})
	if _, _, err := n.srv.store.Usage(); err != nil {
		t.Skip("no free-space figures here:", err)
	}
	h, err := n.client.Health(ctx(t), n.addr)
	if err != nil || h.FreeBytes != 0 || h.ReserveBytes != 1<<60 || h.CapacityBytes <= 0 {
		t.Fatalf("health of a node below its reserve: %+v, %v", h, err)
	}
	b := blobtest.Encode(t, small, 21, 5000)
	_, err = n.client.PutShard(ctx(t), n.addr, 1, b.BlockSize, bytes.NewReader(b.Shards[1]), func() []byte { return b.Manifest.Marshal() })
	var ne *Error
	if !errors.Is(err, ErrFull) || !errors.As(err, &ne) || ne.Status != http.StatusInsufficientStorage || ne.Code != CodeInsufficientStorage {
		t.Fatalf("put on a node below its reserve: %v; want 507 %s (ErrFull)", err, CodeInsufficientStorage)
	}
	// The raw response, for the protocol's sake.
	resp, body := rawDo(t, n.addr, testSecret, time.Now(), "POST", "/v1/shards?index=1", bytes.NewReader(b.Shards[1]),
		chunkedPut(fmt.Sprint(b.BlockSize), ""))
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil || resp.StatusCode != http.StatusInsufficientStorage ||
		eb.Code != CodeInsufficientStorage || resp.Header.Get(HeaderError) != CodeInsufficientStorage {
		t.Fatalf("raw put: %d %s", resp.StatusCode, body)
	}
	assertNothingStored(t, n)
}

// TestPutDiskFillsMidStream: on a real 4 MiB tmpfs with no reserve, a
// shard larger than the disk fails with ENOSPC mid-stream; the node answers
// 507 (ErrFull), removes its temp file and installs nothing, and the space
// is free again for a shard that fits.
func TestPutDiskFillsMidStream(t *testing.T) {
	dir := nodetest.MountTmpfs(t, 4<<20)
	n := startNodeWith(t, Config{Dir: dir, Reserve: -1})
	big := blobtest.Encode(t, blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 2, M: 1, StripeSize: 256 << 10}, 22, 12<<20)
	if len(big.Shards[0]) <= 4<<20 {
		t.Fatalf("shard of %d bytes fits the disk", len(big.Shards[0]))
	}
	for range 3 { // again and again: nothing accumulates
		_, err := n.client.PutShard(ctx(t), n.addr, 0, big.BlockSize, bytes.NewReader(big.Shards[0]), func() []byte { return big.Manifest.Marshal() })
		var ne *Error
		if !errors.Is(err, ErrFull) || !errors.As(err, &ne) || ne.Status != http.StatusInsufficientStorage {
			t.Fatalf("put of a shard larger than the disk: %v; want 507 ErrFull", err)
		}
		assertNothingStored(t, n)
	}
	// The space came back: a shard that fits is stored and verifies.
	fits := blobtest.Encode(t, blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 2, M: 1, StripeSize: 256 << 10}, 23, 4<<20)
	n.putShard(t, fits, 0)
	if _, err := n.client.ShardInfo(ctx(t), n.addr, fits.ID, 0, true); err != nil {
		t.Fatalf("shard stored after the failures: %v", err)
	}
	n.waitNoTemp(t)
}

// TestPutDiskFullAtCommit: on a tmpfs with one page free and no reserve,
// a small shard (still in the write buffer when the body ends) fails with
// ENOSPC while being committed; the node answers 507 and leaves nothing,
// and takes the shard once space is freed.
func TestPutDiskFullAtCommit(t *testing.T) {
	dir := nodetest.MountTmpfs(t, 1<<20)
	n := startNodeWith(t, Config{Dir: dir, Reserve: -1})
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	page := make([]byte, 4096)
	for {
		if _, err = f.Write(page); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v", err)
	}
	// One page free: the node's free-space check passes, the shard's
	// bytes (more than a page) do not fit.
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(fi.Size() - 4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b := blobtest.Encode(t, small, 24, 40000)
	if len(b.Shards[2]) <= 4096 {
		t.Fatalf("shard of %d bytes fits in a page", len(b.Shards[2]))
	}
	_, err = n.client.PutShard(ctx(t), n.addr, 2, b.BlockSize, bytes.NewReader(b.Shards[2]), func() []byte { return b.Manifest.Marshal() })
	var ne *Error
	if !errors.Is(err, ErrFull) || !errors.As(err, &ne) || !strings.Contains(ne.Message, "commit") {
		t.Fatalf("put on a full disk: %v; want ErrFull while committing", err)
	}
	assertNothingStored(t, n)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	n.putShard(t, b, 2)
}

// assertNothingStored checks the node holds no shard and no temp file.
func assertNothingStored(t *testing.T, n *testNode) {
	t.Helper()
	n.waitNoTemp(t)
	if c := n.srv.store.Count(); c != 0 {
		t.Fatalf("node counts %d shards", c)
	}
	err := filepath.WalkDir(filepath.Join(n.dir, "shards"), func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			t.Errorf("file left in the shard tree: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
