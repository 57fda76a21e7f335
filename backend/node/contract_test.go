package node_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blob"
	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/gc"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/backend/membership"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/scrub"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

// shardAPI is what gateway code calls on a node: the consumers' own
// interfaces (the blob store's Transport; scrub's, gc's and membership's
// NodeClient), so the contract covers exactly what they use. Both the real
// client and the in-memory fake must provide all of it.
type shardAPI interface {
	blob.Transport
	scrub.NodeClient
	gc.NodeClient
	membership.NodeClient
}

var (
	_ shardAPI = (*node.Client)(nil)
	_ shardAPI = (*blob.InmemTransport)(nil)
)

// side is one implementation the contract script runs against.
type side struct {
	name string
	api  shardAPI
	addr string
	// rot flips a bit of the byte at off of a stored shard's data.
	rot func(t *testing.T, id blobmeta.ID, idx int, off int64)
}

var contractSecret = []byte("contract-secret")

// realSide is a node server on a temporary directory, over HTTP.
func realSide(t *testing.T) side {
	dir := t.TempDir()
	srv, err := node.NewServer(node.Config{Dir: dir, Secret: contractSecret, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return side{
		name: "real",
		api:  node.NewClient(contractSecret, nil),
		addr: ts.Listener.Addr().String(),
		rot: func(t *testing.T, id blobmeta.ID, idx int, off int64) {
			// The layout package shardfile documents: data first.
			path := filepath.Join(dir, "shards", id.String()[:2], shardfile.Name(id, idx))
			blobtest.Flip(t, path, off)
		},
	}
}

// fakeSide is an InmemTransport node.
func fakeSide(t *testing.T) side {
	const addr = "inmem-node:7070"
	tr := blob.NewInmemTransport(addr)
	return side{
		name: "fake",
		api:  tr,
		addr: addr,
		rot: func(t *testing.T, id blobmeta.ID, idx int, off int64) {
			if err := tr.Corrupt(addr, id, idx, off); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// outcome is what a step saw, in a form both sides must agree on.
type outcome struct {
	Err    string // errClass of the call's error
	Msg    string // the node's message, if the error is a *node.Error
	IDs    []blobmeta.ID
	Data   []byte
	Hashes []blobmeta.Hash
	CRCs   []uint32
	Stat   node.ShardStat
	Info   node.ShardInfo // ModTime cleared once checked
	Pages  []listPage
	Health healthView
	Facts  []string // step-specific observations
}

type listPage struct {
	Names []string
	Sizes []int64
	Next  string
}

// healthView is the part of a health report both sides must agree on;
// node ID and disk figures differ by nature.
type healthView struct {
	ShardCount      int64
	CorruptDetected int64
	CorruptShards   []string
}

var sentinels = []error{
	node.ErrNotFound, node.ErrCorrupt, node.ErrUnauthorized, node.ErrConflict, node.ErrBadDigest,
	node.ErrFull, node.ErrInvalidRange, io.ErrUnexpectedEOF, context.Canceled, context.DeadlineExceeded,
}

// errClass names an error by what callers can test: the node's status and
// code if it is a *node.Error, and every sentinel it matches.
func errClass(err error) string {
	if err == nil {
		return ""
	}
	parts := []string{"transport"}
	var ne *node.Error
	if errors.As(err, &ne) {
		parts[0] = fmt.Sprintf("%d %s", ne.Status, ne.Code)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			parts = append(parts, s.Error())
		}
	}
	return strings.Join(parts, "; ")
}

// nodeMsg is the message of a *node.Error: the fake must word its errors
// as a node does, for logs and operators alike.
func nodeMsg(err error) string {
	var ne *node.Error
	if errors.As(err, &ne) {
		return ne.Message
	}
	return ""
}

// Expected error classes.
var (
	okClass          = ""
	notFoundClass    = "404 NotFound; " + node.ErrNotFound.Error()
	corruptClass     = "422 ShardCorrupt; " + node.ErrCorrupt.Error()
	badDigestClass   = "400 BadDigest; " + node.ErrBadDigest.Error()
	badRequestClass  = "400 BadRequest"
	invalidRangeCls  = "416 InvalidRange; " + node.ErrInvalidRange.Error()
	transportClass   = "transport"
	unexpectedEOFCls = "transport; " + io.ErrUnexpectedEOF.Error()
)

// step is one action of the script; run performs it on a side.
type step struct {
	name string
	want string // errClass of the outcome's Err
	run  func(t *testing.T, ctx context.Context, s side) outcome
}

// TestInmemTransportContract runs one script against a real node and
// against blob.InmemTransport and requires the same results, bytes and
// error classes from both, so the fake stays honest.
func TestInmemTransportContract(t *testing.T) {
	small := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 64}        // 16-byte blocks
	sm := blobtest.Encode(t, small, 1, 10*64+20)                                            // 11 blocks, the last 5 bytes
	big := blobtest.Encode(t, blobmeta.DefaultParams(), 6, 6*blobmeta.DefaultStripeSize+99) // 7 blocks of 256 KiB
	empty := blobtest.Encode(t, small, 2, 0)
	other := blobtest.Encode(t, small, 3, 300)
	smEnd, bbs := int64(len(sm.Shards[4])), int64(big.BlockSize)

	badRoot := *other.Manifest
	badRoot.ShardRoots = slices.Clone(other.Manifest.ShardRoots)
	badRoot.ShardRoots[2][5] ^= 1

	put := func(b *blobtest.Blob, idx int) func(*testing.T, context.Context, side) outcome {
		return func(t *testing.T, ctx context.Context, s side) outcome {
			id, err := s.api.PutShard(ctx, s.addr, idx, b.BlockSize, bytes.NewReader(b.Shards[idx]), func() []byte { return b.Manifest.Marshal() })
			return outcome{Err: errClass(err), Msg: nodeMsg(err), IDs: []blobmeta.ID{id}}
		}
	}
	putRaw := func(idx, blockSize int, body []byte, manifest []byte) func(*testing.T, context.Context, side) outcome {
		return func(t *testing.T, ctx context.Context, s side) outcome {
			id, err := s.api.PutShard(ctx, s.addr, idx, blockSize, bytes.NewReader(body), func() []byte { return manifest })
			return outcome{Err: errClass(err), Msg: nodeMsg(err), IDs: []blobmeta.ID{id}}
		}
	}
	putAll := func(b *blobtest.Blob, idxs ...int) func(*testing.T, context.Context, side) outcome {
		return func(t *testing.T, ctx context.Context, s side) outcome {
			var o outcome
			for _, idx := range idxs {
				oi := put(b, idx)(t, ctx, s)
				if oi.Err != "" {
					return oi
				}
				o.IDs = append(o.IDs, oi.IDs...)
			}
			if !slices.Equal(o.IDs, slices.Repeat([]blobmeta.ID{b.ID}, len(idxs))) {
				t.Errorf("%s: stored under %v, want %s", s.name, o.IDs, b.ID)
			}
			return o
		}
	}
	// getWith reads a range whole; a body that breaks off is an error too.
	getWith := func(b *blobtest.Blob, idx int, off, length int64, opts node.GetOptions) func(*testing.T, context.Context, side) outcome {
		return func(t *testing.T, ctx context.Context, s side) outcome {
			sr, err := s.api.GetShard(ctx, s.addr, b.ID, idx, off, length, opts)
			if err != nil {
				return outcome{Err: errClass(err), Msg: nodeMsg(err)}
			}
			defer sr.Body.Close()
			data, err := io.ReadAll(sr.Body)
			return outcome{Err: errClass(err), Msg: nodeMsg(err), Data: data, Hashes: sr.Hashes, CRCs: sr.CRCs}
		}
	}
	get := func(b *blobtest.Blob, idx int, off, length int64, withHashes bool) func(*testing.T, context.Context, side) outcome {
		return getWith(b, idx, off, length, node.GetOptions{Hashes: withHashes})
	}
	getUnchecked := func(b *blobtest.Blob, idx int, off, length int64) func(*testing.T, context.Context, side) outcome {
		return getWith(b, idx, off, length, node.GetOptions{Unchecked: true})
	}
	stat := func(b *blobtest.Blob, idx int) func(*testing.T, context.Context, side) outcome {
		return func(t *testing.T, ctx context.Context, s side) outcome {
			st, err := s.api.StatShard(ctx, s.addr, b.ID, idx)
			return outcome{Err: errClass(err), Msg: nodeMsg(err), Stat: st}
		}
	}
	info := func(b *blobtest.Blob, idx int, verify bool) func(*testing.T, context.Context, side) outcome {
		return func(t *testing.T, ctx context.Context, s side) outcome {
			in, err := s.api.ShardInfo(ctx, s.addr, b.ID, idx, verify)
			o := outcome{Err: errClass(err), Msg: nodeMsg(err)}
			if err != nil {
				return o
			}
			if since := time.Since(in.ModTime); since < 0 || since > time.Hour || in.ModTime.Location() != time.UTC {
				t.Errorf("%s: mod time %v", s.name, in.ModTime)
			}
			in.ModTime = time.Time{}
			o.Info = in
			return o
		}
	}
	del := func(b *blobtest.Blob, idx int) func(*testing.T, context.Context, side) outcome {
		return func(t *testing.T, ctx context.Context, s side) outcome {
			err := s.api.DeleteShard(ctx, s.addr, b.ID, idx)
			return outcome{Err: errClass(err), Msg: nodeMsg(err)}
		}
	}
	health := func(t *testing.T, ctx context.Context, s side) outcome {
		h, err := s.api.Health(ctx, s.addr)
		if err == nil && (h.NodeID == "" || h.CapacityBytes <= 0 || h.FreeBytes <= 0 || h.ReserveBytes < 0 || h.FreeBytes > h.CapacityBytes) {
			t.Errorf("%s: health %+v", s.name, h)
		}
		return outcome{Err: errClass(err), Msg: nodeMsg(err), Health: healthView{h.ShardCount, h.CorruptDetected, h.CorruptShards}}
	}
	// list walks the whole listing in pages of each limit.
	list := func(after string, limits ...int) func(*testing.T, context.Context, side) outcome {
		return func(t *testing.T, ctx context.Context, s side) outcome {
			var o outcome
			for _, limit := range limits {
				cursor := after
				for range 100 {
					page, err := s.api.ListShards(ctx, s.addr, cursor, limit)
					if err != nil {
						return outcome{Err: errClass(err), Msg: nodeMsg(err)}
					}
					lp := listPage{Names: []string{}, Sizes: []int64{}, Next: page.Next}
					for _, e := range page.Shards {
						if e.ModTime.IsZero() {
							t.Errorf("%s: entry %+v has no mod time", s.name, e)
						}
						lp.Names = append(lp.Names, shardfile.Name(e.ID, e.Index))
						lp.Sizes = append(lp.Sizes, e.Size)
					}
					if page.Shards == nil {
						lp.Names = nil // a nil page must show as a difference
					}
					o.Pages = append(o.Pages, lp)
					if page.Next == "" {
						break
					}
					cursor = page.Next
				}
			}
			return o
		}
	}
	rot := func(b *blobtest.Blob, idx int, off int64) func(*testing.T, context.Context, side) outcome {
		return func(t *testing.T, ctx context.Context, s side) outcome {
			s.rot(t, b.ID, idx, off)
			return outcome{}
		}
	}

	script := []step{
		{"put every shard", okClass, putAll(sm, 0, 1, 2, 3, 4, 5)},
		{"put big shards", okClass, putAll(big, 0, 1, 2)},
		{"put empty shards", okClass, putAll(empty, 0, 5)},
		{"put a stored shard again", okClass, put(sm, 1)},
		{"put wrong shard for index", badDigestClass, putRaw(3, other.BlockSize, other.Shards[2], other.Manifest.Marshal())},
		{"put bad root", badDigestClass, putRaw(2, other.BlockSize, other.Shards[2], badRoot.Marshal())},
		{"put malformed manifest", badRequestClass, putRaw(2, other.BlockSize, other.Shards[2], []byte("FLOEMAN1garbage"))},
		{"put empty manifest", badRequestClass, putRaw(2, other.BlockSize, other.Shards[2], []byte{})},
		{"put truncated body", badRequestClass, putRaw(2, other.BlockSize, other.Shards[2][:len(other.Shards[2])-1], other.Manifest.Marshal())},
		{"put extra body", badRequestClass, putRaw(2, other.BlockSize, append(slices.Clone(other.Shards[2]), 0), other.Manifest.Marshal())},
		{"put block size disagrees", badRequestClass, putRaw(2, 32, other.Shards[2], other.Manifest.Marshal())},
		{"put block size 0", badRequestClass, putRaw(2, 0, other.Shards[2], other.Manifest.Marshal())},
		{"put index out of range", badRequestClass, putRaw(6, other.BlockSize, other.Shards[2], other.Manifest.Marshal())},
		{"put negative index", badRequestClass, putRaw(-1, other.BlockSize, other.Shards[2], other.Manifest.Marshal())},
		{"put aborted by the writer", transportClass, putRaw(2, other.BlockSize, other.Shards[2], nil)},
		{"rejected puts stored nothing", notFoundClass, stat(other, 2)},
	}
	for _, r := range []struct {
		name        string
		off, length int64
	}{
		{"whole", 0, -1},
		{"whole, explicit length", 0, smEnd},
		{"first block", 0, 16},
		{"block boundary", 16, 16},
		{"across a boundary", 15, 2},
		{"many blocks", 2*16 + 3, 6 * 16},
		{"tail", smEnd - 1, -1},
		{"empty at end", smEnd, 0},
		{"empty in middle", 5, 0},
		{"to the end from the last block", 10 * 16, -1},
	} {
		for _, withHashes := range []bool{false, true} {
			script = append(script, step{fmt.Sprintf("get %s, hashes=%v", r.name, withHashes), okClass, get(sm, 4, r.off, r.length, withHashes)})
		}
	}
	script = append(script, []step{
		{"get past the end", invalidRangeCls, get(sm, 4, smEnd+1, -1, false)},
		{"get too long", invalidRangeCls, get(sm, 4, 0, smEnd+1, false)},
		{"get a byte at the end", invalidRangeCls, get(sm, 4, smEnd, 1, false)},
		{"get at a negative offset", invalidRangeCls, get(sm, 4, -1, 1, false)},
		{"get absent shard", notFoundClass, get(other, 0, 0, -1, false)},
		{"get negative index", badRequestClass, get(sm, -1, 0, -1, false)},
		{"get index beyond any blob", badRequestClass, get(sm, blobmeta.MaxShards, 0, -1, false)},
		{"get empty shard with hashes", okClass, get(empty, 0, 0, -1, true)},
		{"get big shard", okClass, get(big, 2, 0, -1, true)},
		{"get big shard unchecked", okClass, getUnchecked(big, 2, 0, -1)},
		{"get across blocks unchecked", okClass, getUnchecked(sm, 4, 2*16+3, 6*16)},
		{"get nothing unchecked", okClass, getUnchecked(sm, 4, 5, 0)},
		{"get past the end unchecked", invalidRangeCls, getUnchecked(sm, 4, smEnd+1, -1)},
		{"stat", okClass, stat(sm, 4)},
		{"stat empty shard", okClass, stat(empty, 5)},
		{"stat absent shard", notFoundClass, stat(other, 0)},
		{"stat negative index", badRequestClass, stat(sm, -1)},
		{"info", okClass, info(sm, 0, false)},
		{"info verified", okClass, info(sm, 0, true)},
		{"info absent shard", notFoundClass, info(other, 0, true)},
		{"list", okClass, list("", 0, 1, 5, 7, 20)},
		{"list after every name", okClass, list("g", 0)},
		{"list from a cursor", okClass, list(shardfile.Name(sm.ID, 2), 3)},
		{"delete", okClass, del(sm, 5)},
		{"delete again", notFoundClass, del(sm, 5)},
		{"get deleted shard", notFoundClass, get(sm, 5, 0, -1, false)},
		{"delete absent shard", notFoundClass, del(other, 1)},
		{"health", okClass, health},

		{"rot big shard 0 in block 0", okClass, rot(big, 0, 100)},
		{"rot big shard 1 in block 3", okClass, rot(big, 1, 3*bbs+5)},
		{"rot small shard 2 in block 5", okClass, rot(sm, 2, 5*16+3)},
		{"get from a rotten first block", corruptClass, get(big, 0, 0, -1, true)},
		{"get past the rotten block", okClass, get(big, 0, bbs, -1, false)},
		{"get ending before the rotten block", okClass, get(big, 1, 0, 3*bbs, true)},
		{"get into a rotten later block", okClass, func(t *testing.T, ctx context.Context, s side) outcome {
			sr, err := s.api.GetShard(ctx, s.addr, big.ID, 1, 10, -1, node.GetOptions{Hashes: true})
			if err != nil {
				return outcome{Err: errClass(err), Msg: nodeMsg(err)}
			}
			defer sr.Body.Close()
			data, err := io.ReadAll(sr.Body)
			// A real node may lose part of the good bytes in its
			// buffers; it must never send a bad one.
			good := bytes.Equal(data, big.Shards[1][10:10+len(data)]) && int64(len(data)) <= 3*bbs-10
			return outcome{Hashes: sr.Hashes, Facts: []string{"body: " + errClass(err), fmt.Sprintf("only good bytes: %v", good)}}
		}},
		{"get a rotten block", corruptClass, get(big, 1, 3*bbs, 1, false)},
		{"get nothing at a rotten block", okClass, get(big, 1, 3*bbs, 0, true)},
		{"get a small rotten block", corruptClass, get(sm, 2, 5*16, 16, false)},
		// Unchecked, the rotten bytes come as stored, with the CRCs that
		// show them rotten to the caller.
		{"get a rotten block unchecked", okClass, getUnchecked(big, 1, 0, -1)},
		{"get a small rotten block unchecked", okClass, getUnchecked(sm, 2, 5*16, 16)},
		{"stat a rotten shard", okClass, stat(sm, 2)},
		{"info of a rotten shard", okClass, info(sm, 2, false)},
		{"info verifies a rotten shard", corruptClass, info(sm, 2, true)},
		{"health lists rotten shards", okClass, health},
		{"put repairs a rotten shard", okClass, put(big, 1)},
		{"info verifies the repair", okClass, info(big, 1, true)},
		{"health after repair", okClass, health},
		{"put over a rotten shard is not taken as stored", okClass, put(big, 0)},
		{"get the repaired shard", okClass, get(big, 0, 0, -1, true)},
		{"list at the end", okClass, list("", 0, 4)},
	}...)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	real, fake := realSide(t), fakeSide(t)
	for _, st := range script {
		t.Run(st.name, func(t *testing.T) {
			ro := st.run(t, ctx, real)
			fo := st.run(t, ctx, fake)
			if ro.Err != st.want {
				t.Errorf("real node: error %q, want %q", ro.Err, st.want)
			}
			if !reflect.DeepEqual(ro, fo) {
				t.Errorf("real and fake differ:\nreal %s\nfake %s", brief(ro), brief(fo))
			}
		})
	}
	// The script must have exercised what it claims.
	if h, err := fake.api.Health(ctx, fake.addr); err != nil || h.CorruptDetected != 5 {
		t.Errorf("fake health at the end: %+v, %v; want 5 corruptions detected", h, err)
	}
}

// brief prints an outcome without pages of bytes.
func brief(o outcome) string {
	data := o.Data
	o.Data = nil
	return fmt.Sprintf("%+v data(%d bytes, blake3 %x)", o, len(data), integrity.BlockHash(data).String()[:16])
}

// TestRealNodeBreaksOffEarlyCorruption documents a difference the fake
// does not copy: when the first bad block comes after less than a write
// buffer of good data, the real node has sent nothing yet and the whole
// request fails, instead of a short body.
func TestRealNodeBreaksOffEarlyCorruption(t *testing.T) {
	s := realSide(t)
	small := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 64}
	b := blobtest.Encode(t, small, 1, 10*64+20)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.api.PutShard(ctx, s.addr, 2, b.BlockSize, bytes.NewReader(b.Shards[2]), func() []byte { return b.Manifest.Marshal() }); err != nil {
		t.Fatal(err)
	}
	s.rot(t, b.ID, 2, 5*16+3)
	sr, err := s.api.GetShard(ctx, s.addr, b.ID, 2, 0, -1, node.GetOptions{Hashes: true})
	var got []byte
	if err == nil {
		got, err = io.ReadAll(sr.Body)
		sr.Body.Close()
	}
	var ne *node.Error
	if err == nil || errors.As(err, &ne) || !bytes.Equal(got, b.Shards[2][:len(got)]) {
		t.Fatalf("read %d bytes, err %v; want a transport error and only good bytes", len(got), err)
	}
	t.Logf("real node: %d bytes, then %v", len(got), err)
}
