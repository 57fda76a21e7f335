package shardfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    blobmeta.Params
		size int
	}{
		{"empty", small, 0},
		{"one byte", small, 1},
		{"one block", small, 64},
		{"partial last block", small, 3*64 + 10},
		{"many blocks", small, 500*64 + 7},
		{"default params, partial", blobmeta.DefaultParams(), blobmeta.DefaultStripeSize + 12345},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			b := blobtest.Encode(t, tc.p, uint64(tc.size), tc.size)
			for idx := range b.Shards {
				if put(t, s, b, idx) {
					t.Fatalf("shard %d: first put reported existed", idx)
				}
			}
			tmpEmpty(t, s)
			if got := s.Count(); got != int64(len(b.Shards)) {
				t.Fatalf("Count = %d, want %d", got, len(b.Shards))
			}
			for idx, want := range b.Shards {
				sh, err := s.OpenShard(b.ID, idx)
				if err != nil {
					t.Fatal(err)
				}
				got, err := readAll(t, sh, 0, sh.Len())
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("shard %d: read %d bytes (err %v), want the %d written", idx, len(got), err, len(want))
				}
				if !slices.Equal(sh.Hashes(), b.Hashes[idx]) {
					t.Fatalf("shard %d: block hashes differ", idx)
				}
				info := sh.Info()
				if info.ID != b.ID || info.Index != idx || info.Size != int64(len(want)) || info.BlobSize != int64(tc.size) ||
					info.Root != b.Manifest.ShardRoots[idx] || info.BlockSize != b.BlockSize || info.Blocks != int64(len(b.Hashes[idx])) {
					t.Fatalf("shard %d: info %+v", idx, info)
				}
				if !bytes.Equal(sh.Manifest().Marshal(), b.Manifest.Marshal()) {
					t.Fatalf("shard %d: manifest differs", idx)
				}
				if err := sh.Verify(); err != nil {
					t.Fatalf("shard %d: verify: %v", idx, err)
				}
				sh.Close()
			}
		})
	}
}

func TestReadRange(t *testing.T) {
	s := openStore(t)
	b := blobtest.Encode(t, small, 1, 10*64+20) // 11 blocks of 16 bytes, the last 5
	put(t, s, b, 1)
	sh, err := s.OpenShard(b.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	data := b.Shards[1]
	end := int64(len(data))
	bs := int64(b.BlockSize)
	for _, tc := range []struct{ off, n int64 }{
		{0, 0}, {0, 1}, {0, bs}, {bs - 1, 2}, {bs, bs}, {bs - 1, bs + 2}, {3 * bs, 5 * bs},
		{end - 1, 1}, {end, 0}, {10 * bs, end - 10*bs}, {1, end - 2}, {0, end},
	} {
		got, err := readAll(t, sh, tc.off, tc.n)
		if err != nil || !bytes.Equal(got, data[tc.off:tc.off+tc.n]) {
			t.Errorf("ReadRange(%d, %d): %d bytes, err %v", tc.off, tc.n, len(got), err)
		}
	}
	for _, tc := range []struct{ off, n int64 }{{-1, 1}, {0, -1}, {end + 1, 0}, {end, 1}, {1, end}, {5, 1 << 62}} {
		if _, err := readAll(t, sh, tc.off, tc.n); !errors.Is(err, ErrInvalidRange) {
			t.Errorf("ReadRange(%d, %d): err %v, want ErrInvalidRange", tc.off, tc.n, err)
		}
	}
}

func TestCorruptionDetected(t *testing.T) {
	const blocks = 8
	b := blobtest.Encode(t, small, 2, blocks*64)
	bs := int64(b.BlockSize)
	shardLen := int64(blocks) * bs
	tableEnd := shardLen + blocks*EntrySize
	manifestLen := int64(len(b.Manifest.Marshal()))
	for _, tc := range []struct {
		name  string
		off   int64 // byte to damage in the file
		block int64 // block reported, or MetadataBlock
	}{
		{"first data block", 0, 0},
		{"middle data block", 3*bs + 5, 3},
		{"last data byte", shardLen - 1, blocks - 1},
		{"block table hash", shardLen + 2*EntrySize + 1, MetadataBlock},
		{"block table crc", shardLen + 5*EntrySize + 33, MetadataBlock},
		{"manifest params", tableEnd + 10, MetadataBlock},
		{"manifest root", tableEnd + manifestLen - 1, MetadataBlock},
		{"tail magic", tableEnd + manifestLen, MetadataBlock},
		{"tail nblocks", tableEnd + manifestLen + 23, MetadataBlock},
		{"tail shard length", tableEnd + manifestLen + 31, MetadataBlock},
		{"tail crc", tableEnd + manifestLen + TailSize - 1, MetadataBlock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			put(t, s, b, 0)
			blobtest.Flip(t, s.Path(b.ID, 0), tc.off)
			err := s.Verify(b.ID, 0)
			var ce *CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || ce.Block != tc.block || ce.ID != b.ID || ce.Index != 0 {
				t.Fatalf("Verify: %v, want corruption of block %d", err, tc.block)
			}
			sh, err := s.OpenShard(b.ID, 0)
			if tc.block == MetadataBlock {
				if !errors.As(err, &ce) || ce.Block != MetadataBlock {
					t.Fatalf("OpenShard: %v, want metadata corruption", err)
				}
				if _, err := s.Stat(b.ID, 0); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Stat: %v, want ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenShard with a damaged data block: %v", err)
			}
			defer sh.Close()
			// Blocks before the damage read fine; reads that reach it stop
			// exactly at its start.
			data := b.Shards[0]
			if got, err := readAll(t, sh, 0, tc.block*bs); err != nil || !bytes.Equal(got, data[:tc.block*bs]) {
				t.Fatalf("reading the blocks before the damage: %v", err)
			}
			if tc.block+1 < blocks {
				if _, err := readAll(t, sh, (tc.block+1)*bs, bs); err != nil {
					t.Fatalf("reading the block after the damage: %v", err)
				}
			}
			got, err := readAll(t, sh, 1, shardLen-1)
			if !errors.As(err, &ce) || ce.Block != tc.block {
				t.Fatalf("ReadRange over the damage: %v, want corruption of block %d", err, tc.block)
			}
			if want := max(tc.block*bs-1, 0); int64(len(got)) != want || !bytes.Equal(got, data[1:1+want]) {
				t.Fatalf("ReadRange wrote %d bytes before the damaged block, want %d", len(got), want)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(fmt.Sprintf("block %d", tc.block))) {
				t.Fatalf("error does not name the block: %v", err)
			}
		})
	}
}

func TestCommitRejects(t *testing.T) {
	b := blobtest.Encode(t, small, 3, 5*64+3)
	badRoot := *b.Manifest
	badRoot.ShardRoots = slices.Clone(b.Manifest.ShardRoots)
	badRoot.ShardRoots[1][0] ^= 1
	bigger := *b.Manifest
	bigger.Size += 64
	otherStripe := *b.Manifest
	otherStripe.Params.StripeSize = 128
	fewRoots := *b.Manifest
	fewRoots.ShardRoots = b.Manifest.ShardRoots[:3]
	for _, tc := range []struct {
		name string
		idx  int
		m    *blobmeta.Manifest
		want error
	}{
		{"bad root", 1, &badRoot, ErrBadDigest},
		{"root of another shard", 2, &blobmeta.Manifest{Params: b.Manifest.Params, Size: b.Manifest.Size, ShardRoots: slices.Repeat([]blobmeta.Hash{b.Manifest.ShardRoots[1]}, 6)}, ErrBadDigest},
		{"size disagrees", 1, &bigger, ErrInvalid},
		{"block size disagrees", 1, &otherStripe, ErrInvalid},
		{"invalid manifest", 1, &fewRoots, ErrInvalid},
		{"index out of range", 6, b.Manifest, ErrInvalid},
		{"negative index", -1, b.Manifest, ErrInvalid},
		{"nil manifest", 1, nil, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			w, err := s.Create(b.BlockSize)
			if err != nil {
				t.Fatal(err)
			}
			src := tc.idx
			if src < 0 || src >= len(b.Shards) {
				src = 1
			}
			if _, err := w.Write(b.Shards[src]); err != nil {
				t.Fatal(err)
			}
			if _, _, err := w.Commit(tc.idx, tc.m); !errors.Is(err, tc.want) {
				t.Fatalf("Commit: %v, want %v", err, tc.want)
			}
			tmpEmpty(t, s)
			if _, err := s.OpenShard(b.ID, 1); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after a rejected commit: %v, want ErrNotFound", err)
			}
			if s.Count() != 0 {
				t.Fatalf("Count = %d after a rejected commit", s.Count())
			}
			if _, err := w.Write([]byte{1}); err == nil {
				t.Fatal("Write after a failed Commit succeeded")
			}
		})
	}
}

func TestCreateBlockSize(t *testing.T) {
	s := openStore(t)
	for _, bs := range []int{0, -1, MaxBlockSize + 1} {
		if _, err := s.Create(bs); !errors.Is(err, ErrInvalid) {
			t.Errorf("Create(%d): %v, want ErrInvalid", bs, err)
		}
	}
}

func TestAbort(t *testing.T) {
	s := openStore(t)
	w, err := s.Create(16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	w.Abort()
	tmpEmpty(t, s)
	if _, _, err := w.Commit(0, nil); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
}

func TestIdempotentCommit(t *testing.T) {
	s := openStore(t)
	b := blobtest.Encode(t, small, 4, 200)
	if put(t, s, b, 3) {
		t.Fatal("first put: existed")
	}
	fi1, err := os.Stat(s.Path(b.ID, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !put(t, s, b, 3) {
		t.Fatal("second put of the same shard: not existed")
	}
	fi2, err := os.Stat(s.Path(b.ID, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(fi1, fi2) {
		t.Fatal("second put replaced the file")
	}
	if s.Count() != 1 {
		t.Fatalf("Count = %d, want 1", s.Count())
	}
	tmpEmpty(t, s)
}

func TestConflict(t *testing.T) {
	s := openStore(t)
	a := blobtest.Encode(t, small, 5, 300)
	b := blobtest.Encode(t, small, 6, 300)
	put(t, s, a, 0)
	// An intact shard of blob a sits under blob b's name.
	raw, err := os.ReadFile(s.Path(a.ID, 0))
	if err != nil {
		t.Fatal(err)
	}
	path := s.Path(b.ID, 0)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tryPut(s, b, 0, b.Manifest); !errors.Is(err, ErrConflict) {
		t.Fatalf("put over a different shard: %v, want ErrConflict", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, raw) {
		t.Fatal("conflicting put changed the existing file")
	}
	if _, err := s.OpenShard(b.ID, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("reading a misnamed shard: %v, want ErrCorrupt", err)
	}
	tmpEmpty(t, s)
}

func TestCommitReplacesCorrupt(t *testing.T) {
	b := blobtest.Encode(t, small, 7, 300)
	for _, tc := range []struct {
		name string
		off  int64
	}{
		{"data", 20},
		{"block table", int64(len(b.Shards[2])) + 3},
		{"tail", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			put(t, s, b, 2)
			off := tc.off
			if off < 0 {
				fi, err := os.Stat(s.Path(b.ID, 2))
				if err != nil {
					t.Fatal(err)
				}
				off = fi.Size() - 1
			}
			blobtest.Flip(t, s.Path(b.ID, 2), off)
			if put(t, s, b, 2) {
				t.Fatal("put over a corrupt copy reported existed")
			}
			if err := s.Verify(b.ID, 2); err != nil {
				t.Fatalf("after repair: %v", err)
			}
			if s.Count() != 1 {
				t.Fatalf("Count = %d, want 1", s.Count())
			}
			tmpEmpty(t, s)
		})
	}
}

func TestDelete(t *testing.T) {
	s := openStore(t)
	b := blobtest.Encode(t, small, 8, 100)
	put(t, s, b, 0)
	put(t, s, b, 1)
	if err := s.Delete(b.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(b.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := s.OpenShard(b.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open after delete: %v", err)
	}
	if _, err := s.Stat(b.ID, 1); err != nil {
		t.Fatalf("other shard gone: %v", err)
	}
	if s.Count() != 1 {
		t.Fatalf("Count = %d, want 1", s.Count())
	}
}

func TestListPaging(t *testing.T) {
	s := openStore(t)
	var want []string
	sizes := map[string]int64{}
	for seed := range 5 {
		b := blobtest.Encode(t, small, uint64(100+seed), 64*seed+1)
		for idx := range b.Shards {
			put(t, s, b, idx)
			want = append(want, Name(b.ID, idx))
			sizes[Name(b.ID, idx)] = int64(len(b.Shards[idx]))
		}
	}
	slices.Sort(want) // byte order
	// Stray files are not shards.
	if err := os.WriteFile(filepath.Join(s.shards, want[0][:2], "junk"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 4, 29, 30, 31, 1000} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			page, next, err := s.List(after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit || pages > len(want) {
				t.Fatalf("limit %d: page of %d", limit, len(page))
			}
			for _, e := range page {
				if e.Name != Name(e.ID, e.Index) || e.Size != sizes[e.Name] || e.ModTime.IsZero() {
					t.Fatalf("entry %+v", e)
				}
				got = append(got, e.Name)
			}
			if next == "" {
				break
			}
			if next != page[len(page)-1].Name {
				t.Fatalf("next %q is not the last name of the page", next)
			}
			after = next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: listed %d names %v, want %d", limit, len(got), got, len(want))
		}
	}
	page, _, err := s.List(want[10], 3)
	if err != nil || len(page) != 3 || page[0].Name != want[11] {
		t.Fatalf("List after %q: %v %v", want[10], page, err)
	}
	if page, next, err := s.List("g", 10); err != nil || len(page) != 0 || next != "" {
		t.Fatalf("List past the end: %v %q %v", page, next, err)
	}
	if _, _, err := s.List("", 0); err == nil {
		t.Fatal("List with limit 0 succeeded")
	}
}

func TestOpenRecountsAndClearsTmp(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := blobtest.Encode(t, small, 9, 1000)
	for idx := range 4 {
		put(t, s, b, idx)
	}
	w, err := s.Create(b.BlockSize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b.Shards[5]); err != nil {
		t.Fatal(err)
	}
	// A crash: the write never finishes. Reopen.
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tmpEmpty(t, s2)
	if s2.Count() != 4 {
		t.Fatalf("Count after reopen = %d, want 4", s2.Count())
	}
	capacity, free, err := s2.Usage()
	if err != nil || capacity <= 0 || free < 0 || free > capacity {
		t.Fatalf("Usage: %d %d %v", capacity, free, err)
	}
}

func TestDiskFull(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	s := openStore(t)
	b := blobtest.Encode(t, small, 10, 1000)
	w, err := s.Create(b.BlockSize)
	if err != nil {
		t.Fatal(err)
	}
	w.dw.f = full // the disk fills up
	_, err = w.Write(b.Shards[0])
	if err == nil {
		_, _, err = w.Commit(0, b.Manifest)
	}
	if !errors.Is(err, ErrInsufficientStorage) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write to a full disk: %v, want ErrInsufficientStorage", err)
	}
	w.Abort()
	tmpEmpty(t, s)
}

func TestParseName(t *testing.T) {
	id := blobtest.Encode(t, small, 11, 10).ID
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{Name(id, 0), true},
		{Name(id, 255), true},
		{Name(id, 256), false},
		{id.String() + ".-1", false},
		{id.String() + ".01", false},
		{id.String() + ".+1", false},
		{id.String(), false},
		{id.String()[:10] + ".1", false},
		{strings.ToUpper(id.String()) + ".1", false},
		{"", false},
	} {
		gotID, idx, err := ParseName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ParseName(%q): %v", tc.name, err)
		}
		if tc.ok && (gotID != id || Name(gotID, idx) != tc.name) {
			t.Errorf("ParseName(%q) = %s, %d", tc.name, gotID, idx)
		}
	}
}

func TestBufPool(t *testing.T) {
	for _, n := range []int{1, 4096, 4097, 1 << 20, MaxBlockSize} {
		p := getBuf(n)
		if len(*p) != n || cap(*p) < n {
			t.Fatalf("getBuf(%d): len %d cap %d", n, len(*p), cap(*p))
		}
		putBuf(p)
	}
}
