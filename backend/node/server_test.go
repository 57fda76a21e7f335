package node

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

func TestPutGet(t *testing.T) {
	n := startNode(t)
	b := blobtest.Encode(t, small, 1, 10*64+20) // 11 blocks of 16 bytes, the last 5
	for idx := range b.Shards {
		n.putShard(t, b, idx)
	}
	data := b.Shards[4]
	end := int64(len(data))
	bs := int64(b.BlockSize)
	for _, tc := range []struct {
		name        string
		off, length int64
	}{
		{"whole", 0, -1},
		{"whole, explicit length", 0, end},
		{"first block", 0, bs},
		{"block boundary", bs, bs},
		{"across a boundary", bs - 1, 2},
		{"many blocks", 2*bs + 3, 6 * bs},
		{"tail", end - 1, -1},
		{"last byte", end - 1, 1},
		{"empty at end", end, 0},
		{"empty in middle", 5, 0},
		{"to the end from a boundary", 10 * bs, -1},
	} {
		for _, withHashes := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/hashes=%v", tc.name, withHashes), func(t *testing.T) {
				sr, err := n.client.GetShard(ctx(t), n.addr, b.ID, 4, tc.off, tc.length, GetOptions{Hashes: withHashes})
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(sr.Body)
				sr.Body.Close()
				want := tc.length
				if want < 0 {
					want = end - tc.off
				}
				if err != nil || !bytes.Equal(got, data[tc.off:tc.off+want]) {
					t.Fatalf("read %d bytes (err %v), want %d", len(got), err, want)
				}
				if withHashes != (sr.Hashes != nil) || withHashes && !slices.Equal(sr.Hashes, b.Hashes[4]) {
					t.Fatalf("hashes %d, want %v", len(sr.Hashes), withHashes)
				}
				// The CRC32C of each block the range touches.
				var crcs []uint32
				for blk := tc.off / bs; want > 0 && blk <= (tc.off+want-1)/bs; blk++ {
					crcs = append(crcs, integrity.Sum32C(data[blk*bs:min((blk+1)*bs, end)]))
				}
				if !slices.Equal(sr.CRCs, crcs) {
					t.Fatalf("CRCs %x, want %x", sr.CRCs, crcs)
				}
			})
		}
	}
	for _, r := range []struct{ off, length int64 }{{end + 1, -1}, {0, end + 1}, {end, 1}, {-1, 1}} {
		_, err := n.client.GetShard(ctx(t), n.addr, b.ID, 4, r.off, r.length, GetOptions{})
		var e *Error
		if !errors.Is(err, ErrInvalidRange) || !errors.As(err, &e) || e.Status != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("GetShard(%d, %d): %v, want ErrInvalidRange", r.off, r.length, err)
		}
	}

	st, err := n.client.StatShard(ctx(t), n.addr, b.ID, 4)
	if err != nil || st != (ShardStat{Size: end, Root: b.Manifest.ShardRoots[4], BlobSize: b.Manifest.Size}) {
		t.Fatalf("StatShard: %+v, %v", st, err)
	}
	if _, err := n.client.GetShard(ctx(t), n.addr, b.ID, 5+1, 0, -1, GetOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetShard of an absent shard: %v", err)
	}
	if _, err := n.client.StatShard(ctx(t), n.addr, blobmeta.ID{1}, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("StatShard of an absent shard: %v", err)
	}
}

func TestPutEmptyAndLargeShards(t *testing.T) {
	n := startNode(t)
	for _, tc := range []struct {
		p    blobmeta.Params
		size int
	}{{small, 0}, {small, 1}, {blobmeta.DefaultParams(), 3*blobmeta.DefaultStripeSize + 777}} {
		b := blobtest.Encode(t, tc.p, uint64(tc.size), tc.size)
		n.putShard(t, b, 0)
		n.putShard(t, b, len(b.Shards)-1)
		sr, err := n.client.GetShard(ctx(t), n.addr, b.ID, 0, 0, -1, GetOptions{Hashes: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(sr.Body)
		sr.Body.Close()
		if err != nil || !bytes.Equal(got, b.Shards[0]) || len(sr.Hashes) != len(b.Hashes[0]) {
			t.Fatalf("size %d: read %d bytes, %d hashes, err %v", tc.size, len(got), len(sr.Hashes), err)
		}
	}
}

func TestPutExisting(t *testing.T) {
	n := startNode(t)
	b := blobtest.Encode(t, small, 2, 300)
	trailer := base64.StdEncoding.EncodeToString(b.Manifest.Marshal())
	var first []byte
	for i, want := range []int{http.StatusCreated, http.StatusOK, http.StatusOK} {
		resp, body := rawDo(t, n.addr, testSecret, time.Now(), "POST", "/v1/shards?index=1",
			bytes.NewReader(b.Shards[1]), chunkedPut(fmt.Sprint(b.BlockSize), trailer))
		if resp.StatusCode != want {
			t.Fatalf("put #%d: status %d, want %d: %s", i, resp.StatusCode, want, body)
		}
		var pr putResponse
		if err := json.Unmarshal(body, &pr); err != nil || pr != (putResponse{ID: b.ID.String(), Index: 1, Size: int64(len(b.Shards[1]))}) {
			t.Fatalf("put #%d: response %s", i, body)
		}
		if first == nil {
			first = body
		}
	}
	if n.srv.store.Count() != 1 {
		t.Fatalf("Count = %d", n.srv.store.Count())
	}
	// The client sees the same ID either way.
	n.putShard(t, b, 1)
	n.waitNoTemp(t)
}

func TestPutRejected(t *testing.T) {
	b := blobtest.Encode(t, small, 3, 500)
	good := base64.StdEncoding.EncodeToString(b.Manifest.Marshal())
	badRoot := *b.Manifest
	badRoot.ShardRoots = slices.Clone(b.Manifest.ShardRoots)
	badRoot.ShardRoots[2][5] ^= 1
	bs := fmt.Sprint(b.BlockSize)
	for _, tc := range []struct {
		name      string
		pathQuery string
		blockSize string
		body      []byte
		trailer   string
		code      string
	}{
		{"bad root", "/v1/shards?index=2", bs, b.Shards[2], base64.StdEncoding.EncodeToString(badRoot.Marshal()), CodeBadDigest},
		{"wrong shard for index", "/v1/shards?index=3", bs, b.Shards[2], good, CodeBadDigest},
		{"missing trailer", "/v1/shards?index=2", bs, b.Shards[2], "", CodeBadRequest},
		{"trailer not base64", "/v1/shards?index=2", bs, b.Shards[2], "!!!", CodeBadRequest},
		{"trailer not a manifest", "/v1/shards?index=2", bs, b.Shards[2], base64.StdEncoding.EncodeToString([]byte("FLOEMAN1garbage")), CodeBadRequest},
		{"truncated body", "/v1/shards?index=2", bs, b.Shards[2][:len(b.Shards[2])-1], good, CodeBadRequest},
		{"extra body", "/v1/shards?index=2", bs, append(slices.Clone(b.Shards[2]), 0), good, CodeBadRequest},
		{"block size disagrees", "/v1/shards?index=2", "32", b.Shards[2], good, CodeBadRequest},
		{"no block size", "/v1/shards?index=2", "", b.Shards[2], good, CodeBadRequest},
		{"huge block size", "/v1/shards?index=2", fmt.Sprint(MaxBlockSize + 1), b.Shards[2], good, CodeBadRequest},
		{"no index", "/v1/shards", bs, b.Shards[2], good, CodeBadRequest},
		{"index out of range", "/v1/shards?index=6", bs, b.Shards[2], good, CodeBadRequest},
		{"negative index", "/v1/shards?index=-1", bs, b.Shards[2], good, CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startNode(t)
			resp, body := rawDo(t, n.addr, testSecret, time.Now(), "POST", tc.pathQuery, bytes.NewReader(tc.body), chunkedPut(tc.blockSize, tc.trailer))
			var eb errorBody
			_ = json.Unmarshal(body, &eb)
			if resp.StatusCode != http.StatusBadRequest || eb.Code != tc.code || resp.Header.Get(HeaderError) != tc.code {
				t.Fatalf("status %d, body %s; want 400 %s", resp.StatusCode, body, tc.code)
			}
			n.waitNoTemp(t)
			if n.srv.store.Count() != 0 {
				t.Fatal("a rejected shard was stored")
			}
			if _, err := os.Stat(n.shardFile(b.ID, 2)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("shard file after a rejected put: %v", err)
			}
		})
	}
	// Through the client, a bad root is ErrBadDigest.
	n := startNode(t)
	_, err := n.client.PutShard(ctx(t), n.addr, 2, b.BlockSize, bytes.NewReader(b.Shards[2]), func() []byte { return badRoot.Marshal() })
	if !errors.Is(err, ErrBadDigest) {
		t.Fatalf("PutShard with a bad root: %v", err)
	}
	n.waitNoTemp(t)
}

func TestPutAborted(t *testing.T) {
	b := blobtest.Encode(t, small, 4, 5000)
	for _, tc := range []struct {
		name string
		body func() io.Reader
	}{
		{"manifest nil", func() io.Reader { return bytes.NewReader(b.Shards[0]) }},
		{"body fails midway", func() io.Reader {
			pr, pw := io.Pipe()
			go func() {
				pw.Write(b.Shards[0][:1000])
				pw.CloseWithError(errors.New("writer gave up"))
			}()
			return pr
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startNode(t)
			_, err := n.client.PutShard(ctx(t), n.addr, 0, b.BlockSize, tc.body(), func() []byte { return nil })
			if err == nil {
				t.Fatal("aborted put succeeded")
			}
			n.waitNoTemp(t)
			if n.srv.store.Count() != 0 {
				t.Fatal("an aborted shard was stored")
			}
			if _, err := n.client.StatShard(ctx(t), n.addr, b.ID, 0); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after abort: %v", err)
			}
		})
	}
}

func TestPutContextCanceled(t *testing.T) {
	n := startNode(t)
	b := blobtest.Encode(t, small, 5, 5000)
	pr, pw := io.Pipe()
	c, cancel := context.WithCancel(context.Background())
	go func() {
		pw.Write(b.Shards[0][:100])
		cancel()
	}()
	_, err := n.client.PutShard(c, n.addr, 0, b.BlockSize, pr, func() []byte { return b.Manifest.Marshal() })
	pw.CloseWithError(errors.New("done"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("PutShard after cancel: %v", err)
	}
	n.waitNoTemp(t)
}

func TestCorruptShard(t *testing.T) {
	n := startNode(t)
	b := blobtest.Encode(t, blobmeta.DefaultParams(), 6, 6*blobmeta.DefaultStripeSize+99) // 7 blocks per shard
	bs := int64(b.BlockSize)
	for idx := range 3 {
		n.putShard(t, b, idx)
	}
	blobtest.Flip(t, n.shardFile(b.ID, 0), 100)                         // block 0
	blobtest.Flip(t, n.shardFile(b.ID, 1), 3*bs+5)                      // block 3
	blobtest.Flip(t, n.shardFile(b.ID, 2), int64(len(b.Shards[2]))+100) // the block table

	// First block corrupt: the node refuses with 422 before sending data.
	_, err := n.client.GetShard(ctx(t), n.addr, b.ID, 0, 0, -1, GetOptions{Hashes: true})
	var e *Error
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &e) || e.Status != http.StatusUnprocessableEntity || e.Code != CodeShardCorrupt {
		t.Fatalf("GetShard with block 0 corrupt: %v", err)
	}
	// Later blocks of the same shard are still served.
	if sr, err := n.client.GetShard(ctx(t), n.addr, b.ID, 0, bs, -1, GetOptions{}); err != nil {
		t.Fatalf("GetShard past the corrupt block: %v", err)
	} else if got, err := io.ReadAll(sr.Body); err != nil || !bytes.Equal(got, b.Shards[0][bs:]) {
		t.Fatalf("reading past the corrupt block: %v", err)
	} else {
		sr.Body.Close()
	}

	// A later block corrupt: the body breaks off before it.
	sr, err := n.client.GetShard(ctx(t), n.addr, b.ID, 1, 10, -1, GetOptions{Hashes: true})
	if err != nil {
		t.Fatalf("GetShard with block 3 corrupt: %v", err)
	}
	got, err := io.ReadAll(sr.Body)
	sr.Body.Close()
	if err == nil || int64(len(got)) > 3*bs-10 || !bytes.Equal(got, b.Shards[1][10:10+len(got)]) {
		t.Fatalf("read %d bytes, err %v; want a broken body with at most the %d good bytes", len(got), err, 3*bs-10)
	}
	if _, err := n.client.GetShard(ctx(t), n.addr, b.ID, 1, 3*bs, 1, GetOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("GetShard starting at the corrupt block: %v", err)
	}

	// A damaged block table makes the whole shard unreadable.
	if _, err := n.client.GetShard(ctx(t), n.addr, b.ID, 2, 0, 10, GetOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("GetShard with a damaged block table: %v", err)
	}
	if _, err := n.client.StatShard(ctx(t), n.addr, b.ID, 2); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("StatShard with a damaged block table: %v", err)
	}

	h, err := n.client.Health(ctx(t), n.addr)
	if err != nil {
		t.Fatal(err)
	}
	for idx := range 3 {
		if !slices.Contains(h.CorruptShards, shardfile.Name(b.ID, idx)) {
			t.Errorf("health does not list shard %d: %v", idx, h.CorruptShards)
		}
	}
	if h.CorruptDetected != 5 {
		t.Errorf("CorruptDetected = %d, want 5", h.CorruptDetected)
	}

	// Writing a good copy again repairs the shard and clears the report.
	n.putShard(t, b, 1)
	if h, err = n.client.Health(ctx(t), n.addr); err != nil || slices.Contains(h.CorruptShards, shardfile.Name(b.ID, 1)) {
		t.Fatalf("after repair: %+v, %v", h, err)
	}
	if _, err := n.client.ShardInfo(ctx(t), n.addr, b.ID, 1, true); err != nil {
		t.Fatalf("verify after repair: %v", err)
	}
}

func TestShardInfo(t *testing.T) {
	n := startNode(t)
	b := blobtest.Encode(t, small, 7, 40*64)
	for idx := range 3 {
		n.putShard(t, b, idx)
	}
	before := time.Now().Add(-time.Minute)
	for _, verify := range []bool{false, true} {
		info, err := n.client.ShardInfo(ctx(t), n.addr, b.ID, 0, verify)
		if err != nil {
			t.Fatal(err)
		}
		if info.ID != b.ID || info.Index != 0 || info.Size != int64(len(b.Shards[0])) || info.BlobSize != b.Manifest.Size ||
			info.Root != b.Manifest.ShardRoots[0] || info.Manifest.ID() != b.ID || info.Verified != verify || info.ModTime.Before(before) {
			t.Fatalf("ShardInfo(verify=%v) = %+v", verify, info)
		}
	}
	blobtest.Flip(t, n.shardFile(b.ID, 1), 5*16+3)                       // data block 5
	blobtest.Flip(t, n.shardFile(b.ID, 2), int64(len(b.Shards[2]))+40*5) // a byte of a hash in the table

	// A flipped data byte is found only by verification.
	if _, err := n.client.ShardInfo(ctx(t), n.addr, b.ID, 1, false); err != nil {
		t.Fatalf("info without verify: %v", err)
	}
	_, err := n.client.ShardInfo(ctx(t), n.addr, b.ID, 1, true)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "block 5") {
		t.Fatalf("verify with block 5 flipped: %v", err)
	}
	if _, err := n.client.ShardInfo(ctx(t), n.addr, b.ID, 2, true); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("verify with a hash table byte flipped: %v", err)
	}
	h, err := n.client.Health(ctx(t), n.addr)
	if err != nil || h.CorruptDetected != 2 || !slices.Equal(h.CorruptShards, []string{shardfile.Name(b.ID, 1), shardfile.Name(b.ID, 2)}) {
		t.Fatalf("health: %+v, %v", h, err)
	}
	if _, err := n.client.ShardInfo(ctx(t), n.addr, b.ID, 3, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("info of an absent shard: %v", err)
	}
}

func TestDelete(t *testing.T) {
	n := startNode(t)
	b := blobtest.Encode(t, small, 8, 100)
	n.putShard(t, b, 0)
	n.putShard(t, b, 1)
	if err := n.client.DeleteShard(ctx(t), n.addr, b.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := n.client.DeleteShard(ctx(t), n.addr, b.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := n.client.GetShard(ctx(t), n.addr, b.ID, 0, 0, -1, GetOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := n.client.StatShard(ctx(t), n.addr, b.ID, 1); err != nil {
		t.Fatalf("the other shard: %v", err)
	}
	resp, _ := rawDo(t, n.addr, testSecret, time.Now(), "DELETE", shardPath(b.ID, 1), nil, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: status %d", resp.StatusCode)
	}
}

func TestListShards(t *testing.T) {
	n := startNode(t)
	var want []string
	sizes := map[string]int64{}
	for seed := range 4 {
		b := blobtest.Encode(t, small, uint64(20+seed), 64*seed+1)
		for idx := range b.Shards {
			n.putShard(t, b, idx)
			name := shardfile.Name(b.ID, idx)
			want = append(want, name)
			sizes[name] = int64(len(b.Shards[idx]))
		}
	}
	slices.Sort(want)
	for _, limit := range []int{0, 1, 5, 24, 25} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			page, err := n.client.ListShards(ctx(t), n.addr, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if limit > 0 && len(page.Shards) > limit || pages > len(want) {
				t.Fatalf("limit %d: page of %d", limit, len(page.Shards))
			}
			for _, e := range page.Shards {
				name := shardfile.Name(e.ID, e.Index)
				if e.Size != sizes[name] || e.ModTime.IsZero() {
					t.Fatalf("entry %+v", e)
				}
				got = append(got, name)
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: got %v, want %v", limit, got, want)
		}
	}
	for _, q := range []string{"limit=0", "limit=-3", "limit=x"} {
		resp, body := rawDo(t, n.addr, testSecret, time.Now(), "GET", "/v1/shards?"+q, nil, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("list %s: %d %s", q, resp.StatusCode, body)
		}
	}
	resp, body := rawDo(t, n.addr, testSecret, time.Now(), "GET", "/v1/shards?limit=100000", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list with a huge limit: %d %s", resp.StatusCode, body)
	}
	// An empty listing is an empty array, not null.
	resp, body = rawDo(t, n.addr, testSecret, time.Now(), "GET", "/v1/shards?after=g", nil, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"shards":[]`)) {
		t.Fatalf("empty list: %d %s", resp.StatusCode, body)
	}
}

func TestHealth(t *testing.T) {
	dir := t.TempDir()
	n := startNodeIn(t, dir)
	h, err := n.client.Health(ctx(t), n.addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.NodeID) != 32 || h.NodeID != n.srv.NodeID() || h.CapacityBytes <= 0 || h.FreeBytes <= 0 ||
		h.ShardCount != 0 || h.CorruptDetected != 0 || h.CorruptShards == nil {
		t.Fatalf("health of a new node: %+v", h)
	}
	b := blobtest.Encode(t, small, 9, 100)
	for idx := range 4 {
		n.putShard(t, b, idx)
	}
	n.client.DeleteShard(ctx(t), n.addr, b.ID, 3)
	if h, err = n.client.Health(ctx(t), n.addr); err != nil || h.ShardCount != 3 {
		t.Fatalf("health: %+v, %v", h, err)
	}
	// The ID and the shards survive a restart.
	n2 := startNodeIn(t, dir)
	h2, err := n2.client.Health(ctx(t), n2.addr)
	if err != nil || h2.NodeID != h.NodeID || h2.ShardCount != 3 {
		t.Fatalf("after restart: %+v (was %+v), %v", h2, h, err)
	}
}

func TestNewServerChecksConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Dir: t.TempDir()},
		{Dir: t.TempDir(), Secret: []byte{}},
		{Secret: testSecret},
	} {
		if _, err := NewServer(cfg); err == nil {
			t.Errorf("NewServer(%+v) succeeded", cfg)
		}
	}
	if err := Run(context.Background(), Config{Dir: t.TempDir(), Listen: "127.0.0.1:0"}); err == nil {
		t.Error("Run without a secret succeeded")
	}
}

func TestRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(c, Config{Listen: addr, Dir: t.TempDir(), Secret: testSecret, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	}()
	client := NewClient(testSecret, nil)
	var h Health
	for deadline := time.Now().Add(10 * time.Second); ; {
		if h, err = client.Health(ctx(t), addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || h.NodeID == "" {
		t.Fatalf("health of a running node: %+v, %v", h, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := client.Health(ctx(t), addr); err == nil {
		t.Fatal("node still serving after shutdown")
	}
}

func TestRouting(t *testing.T) {
	n := startNode(t)
	id := blobtest.Encode(t, small, 10, 10).ID.String()
	for _, tc := range []struct {
		method, pathQuery string
		status            int
		code              string
	}{
		{"GET", "/", http.StatusNotFound, CodeNotFound},
		{"GET", "/v1/nothing", http.StatusNotFound, CodeNotFound},
		{"GET", "/v1/shards/" + id, http.StatusNotFound, CodeNotFound},
		{"GET", "/v1/shards/" + id + "/0/info/x", http.StatusNotFound, CodeNotFound},
		{"GET", "/v1/shards/" + id + "/0/other", http.StatusNotFound, CodeNotFound},
		{"PUT", "/v1/shards/" + id + "/0", http.StatusMethodNotAllowed, CodeMethodNotAllowed},
		{"POST", "/v1/health", http.StatusMethodNotAllowed, CodeMethodNotAllowed},
		{"DELETE", "/v1/shards", http.StatusMethodNotAllowed, CodeMethodNotAllowed},
		{"DELETE", "/v1/shards/" + id + "/0/info", http.StatusMethodNotAllowed, CodeMethodNotAllowed},
		{"GET", "/v1/shards/zz/0", http.StatusBadRequest, CodeBadRequest},
		{"GET", "/v1/shards/" + id + "/x", http.StatusBadRequest, CodeBadRequest},
		{"GET", "/v1/shards/" + id + "/999", http.StatusBadRequest, CodeBadRequest},
		{"GET", "/v1/shards/" + id + "/01", http.StatusBadRequest, CodeBadRequest},
		{"GET", "/v1/shards/" + strings.ToUpper(id) + "/1", http.StatusBadRequest, CodeBadRequest},
		{"GET", "/v1/shards/" + id + "/0", http.StatusNotFound, CodeNotFound},
		{"GET", "/v1/shards/" + id + "/0?offset=x", http.StatusNotFound, CodeNotFound},
	} {
		resp, body := rawDo(t, n.addr, testSecret, time.Now(), tc.method, tc.pathQuery, nil, nil)
		var eb errorBody
		if err := json.Unmarshal(body, &eb); err != nil || resp.StatusCode != tc.status || eb.Code != tc.code || resp.Header.Get(HeaderError) != tc.code {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.pathQuery, resp.StatusCode, body, tc.status, tc.code)
		}
	}
	b := blobtest.Encode(t, small, 11, 100)
	n.putShard(t, b, 0)
	resp, body := rawDo(t, n.addr, testSecret, time.Now(), "GET", shardPath(b.ID, 0)+"?offset=x", nil, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad offset: %d %s", resp.StatusCode, body)
	}
}

func TestAuth(t *testing.T) {
	n := startNode(t)
	b := blobtest.Encode(t, small, 12, 1000)
	n.putShard(t, b, 0)
	shard := shardPath(b.ID, 0)
	good := base64.StdEncoding.EncodeToString(b.Manifest.Marshal())
	endpoints := []struct {
		method, pathQuery string
		body              []byte
	}{
		{"GET", shard, nil},
		{"GET", shard + "?hashes=1", nil},
		{"HEAD", shard, nil},
		{"DELETE", shard, nil},
		{"GET", shard + "/info?verify=1", nil},
		{"GET", "/v1/shards", nil},
		{"GET", "/v1/health", nil},
		{"POST", "/v1/shards?index=1", b.Shards[1]},
		{"GET", "/v1/nowhere", nil},
	}
	now := time.Now()
	for _, auth := range []struct {
		name string
		prep func(*http.Request)
		code string
	}{
		{"no headers", nil, CodeUnauthorized},
		{"wrong secret", func(r *http.Request) { signRequest([]byte("guess"), r, now) }, CodeUnauthorized},
		{"bearer token", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+string(testSecret))
			r.Header.Set(HeaderDate, fmt.Sprint(now.Unix()))
		}, CodeUnauthorized},
		{"signature not hex", func(r *http.Request) {
			signRequest(testSecret, r, now)
			r.Header.Set("Authorization", authScheme+" zz")
		}, CodeUnauthorized},
		{"no date", func(r *http.Request) {
			signRequest(testSecret, r, now)
			r.Header.Del(HeaderDate)
		}, CodeUnauthorized},
		{"date changed after signing", func(r *http.Request) {
			signRequest(testSecret, r, now)
			r.Header.Set(HeaderDate, fmt.Sprint(now.Unix()+1))
		}, CodeUnauthorized},
		{"signed for another path", func(r *http.Request) {
			other := r.Clone(r.Context())
			other.URL.Path += "x"
			signRequest(testSecret, other, now)
			r.Header = other.Header
		}, CodeUnauthorized},
		{"signed for another method", func(r *http.Request) {
			other := r.Clone(r.Context())
			other.Method = "PATCH"
			signRequest(testSecret, other, now)
			r.Header = other.Header
		}, CodeUnauthorized},
		{"date in the past", func(r *http.Request) { signRequest(testSecret, r, now.Add(-MaxClockSkew-time.Minute)) }, CodeRequestTimeTooSkewed},
		{"date in the future", func(r *http.Request) { signRequest(testSecret, r, now.Add(MaxClockSkew+time.Minute)) }, CodeRequestTimeTooSkewed},
	} {
		for _, ep := range endpoints {
			t.Run(auth.name+"/"+ep.method+" "+ep.pathQuery, func(t *testing.T) {
				var body io.Reader
				if ep.body != nil {
					body = bytes.NewReader(ep.body)
				}
				resp, got := rawDo(t, n.addr, nil, now, ep.method, ep.pathQuery, body, func(r *http.Request) {
					if ep.method == "POST" {
						chunkedPut(fmt.Sprint(b.BlockSize), good)(r)
					}
					if auth.prep != nil {
						auth.prep(r)
					}
				})
				if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get(HeaderError) != auth.code {
					t.Fatalf("status %d %q, want 401 %s", resp.StatusCode, resp.Header.Get(HeaderError), auth.code)
				}
				if ep.method != "HEAD" {
					var eb errorBody
					if err := json.Unmarshal(got, &eb); err != nil || eb.Code != auth.code {
						t.Fatalf("body %q", got)
					}
				}
				if bytes.Contains(got, b.Shards[0][:16]) || resp.Header.Get(HeaderShardRoot) != "" || bytes.Contains(got, []byte(n.srv.NodeID())) {
					t.Fatal("an unauthenticated response leaked data")
				}
			})
		}
	}
	// Nothing changed: the shard is still there, nothing else was stored.
	n.waitNoTemp(t)
	if n.srv.store.Count() != 1 {
		t.Fatalf("Count = %d, want 1", n.srv.store.Count())
	}
	if err := n.srv.store.Verify(b.ID, 0); err != nil {
		t.Fatal(err)
	}
	// The client reports refusals as ErrUnauthorized.
	wrong := NewClient([]byte("guess"), nil)
	if _, err := wrong.Health(ctx(t), n.addr); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Health with a wrong secret: %v", err)
	}
	skewed := NewClient(testSecret, nil)
	skewed.now = func() time.Time { return time.Now().Add(time.Hour) }
	var e *Error
	if _, err := skewed.StatShard(ctx(t), n.addr, b.ID, 0); !errors.Is(err, ErrUnauthorized) || !errors.As(err, &e) || e.Code != CodeRequestTimeTooSkewed {
		t.Fatalf("StatShard with a skewed clock: %v", err)
	}
	if _, err := os.Stat(n.shardFile(b.ID, 1)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("an unauthenticated put stored a shard")
	}
}

func TestErrorMatching(t *testing.T) {
	sentinels := []error{ErrNotFound, ErrCorrupt, ErrUnauthorized, ErrConflict, ErrBadDigest, ErrFull, ErrInvalidRange}
	for _, tc := range []struct {
		code string
		want error
	}{
		{CodeNotFound, ErrNotFound},
		{CodeShardCorrupt, ErrCorrupt},
		{CodeUnauthorized, ErrUnauthorized},
		{CodeRequestTimeTooSkewed, ErrUnauthorized},
		{CodeConflict, ErrConflict},
		{CodeBadDigest, ErrBadDigest},
		{CodeInsufficientStorage, ErrFull},
		{CodeInvalidRange, ErrInvalidRange},
		{CodeBadRequest, nil},
		{CodeInternal, nil},
	} {
		err := fmt.Errorf("wrapped: %w", &Error{Addr: "a:1", Status: codeStatus[tc.code], Code: tc.code})
		for _, s := range sentinels {
			if got := errors.Is(err, s); got != (s == tc.want) {
				t.Errorf("code %s: errors.Is(%v) = %v", tc.code, s, got)
			}
		}
	}
	// Server-side mapping of store errors.
	for _, tc := range []struct {
		err  error
		code string
	}{
		{shardfile.ErrNotFound, CodeNotFound},
		{&shardfile.CorruptError{Block: 3}, CodeShardCorrupt},
		{shardfile.ErrBadDigest, CodeBadDigest},
		{shardfile.ErrConflict, CodeConflict},
		{fmt.Errorf("x: %w", shardfile.ErrInsufficientStorage), CodeInsufficientStorage},
		{shardfile.ErrInvalidRange, CodeInvalidRange},
		{shardfile.ErrInvalid, CodeBadRequest},
		{shardfile.ErrTooLarge, CodeBadRequest},
		{errors.New("disk on fire"), CodeInternal},
	} {
		if got := toAPIError(tc.err).code; got != tc.code {
			t.Errorf("%v: code %s, want %s", tc.err, got, tc.code)
		}
	}
}

func TestNetworkErrorNamesNode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = NewClient(testSecret, nil).Health(ctx(t), addr)
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "health") {
		t.Fatalf("error for a dead node: %v", err)
	}
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewClient(testSecret, nil).Health(c, addr); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
}

func TestCorruptSetBounded(t *testing.T) {
	var c corruptSet
	for i := range maxCorruptShards + 10 {
		c.add(fmt.Sprint(i))
	}
	c.add("5") // evicted already: comes back as newest
	c.add("500")
	n, names := c.snapshot()
	if n != maxCorruptShards+12 || len(names) != maxCorruptShards || names[len(names)-1] != "500" || names[len(names)-2] != "5" || names[0] != "11" {
		t.Fatalf("detected %d, %d names, first %s, last %v", n, len(names), names[0], names[len(names)-2:])
	}
	c.forget("500")
	if _, names = c.snapshot(); slices.Contains(names, "500") {
		t.Fatal("forget did not forget")
	}
}
