package shardfile

import (
	"errors"
	"os"
	"testing"

	"github.com/floe-s3/floe/backend/blobtest"
)

func TestFooterCache(t *testing.T) {
	s := openStore(t)
	b := blobtest.Encode(t, small, 12, 20*64)
	put(t, s, b, 0)
	name := Name(b.ID, 0)
	for range 2 {
		sh, err := s.OpenShard(b.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		sh.Close()
	}
	if _, ok := s.footers.m[name]; !ok {
		t.Fatal("footer not cached after open")
	}
	// Damage to the metadata of a shard opened from the cache is still
	// found by Verify, which re-reads it.
	sh, err := s.OpenShard(b.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	blobtest.Flip(t, s.Path(b.ID, 0), int64(len(b.Shards[0]))+7)
	var ce *CorruptError
	if err := sh.Verify(); !errors.As(err, &ce) || ce.Block != MetadataBlock {
		t.Fatalf("Verify with cached footer and damaged table: %v", err)
	}
	if err := s.Verify(b.ID, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Store.Verify: %v", err)
	}
	// A replaced or deleted file is never served from the cache.
	put(t, s, b, 0) // repairs: a new file
	if err := s.Verify(b.ID, 0); err != nil {
		t.Fatalf("after repair: %v", err)
	}
	if err := s.Delete(b.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.footers.m[name]; ok {
		t.Fatal("deleted shard still cached")
	}
	if _, err := s.OpenShard(b.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open after delete: %v", err)
	}
}

func TestFooterCacheBounded(t *testing.T) {
	c := newFooterCache()
	fi, err := os.Stat(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	per := int64(maxCachedBlocks / 10)
	for i := range 25 {
		c.put(string(rune('a'+i)), fi, &footer{tail: tail{nblocks: per}})
		if c.used > maxCachedBlocks {
			t.Fatalf("cache holds %d blocks, limit %d", c.used, maxCachedBlocks)
		}
	}
	if c.get("a", fi) != nil || c.get("y", fi) == nil {
		t.Fatal("cache did not evict the least recently used entry")
	}
	c.put("huge", fi, &footer{tail: tail{nblocks: maxCachedBlocks}})
	if c.get("huge", fi) != nil || c.get("y", fi) == nil {
		t.Fatal("a huge footer displaced the cache")
	}
}
