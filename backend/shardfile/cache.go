package shardfile

import (
	"container/list"
	"os"
	"sync"
)

// maxCachedBlocks bounds the footer cache by the block table entries it
// holds (about 40 bytes each in memory).
const maxCachedBlocks = 1 << 20

// footerCache keeps the checked footers of recently opened shards, so
// that the many small range reads of a large shard do not each re-read and
// re-hash its whole block table. Entries are keyed by file name and are
// valid only for the same file (inode), size and modification time;
// Verify always re-reads the footer from disk.
type footerCache struct {
	mu   sync.Mutex
	used int64
	ll   *list.List // of *cacheEntry, most recently used first
	m    map[string]*list.Element
}

type cacheEntry struct {
	name string
	fi   os.FileInfo
	ft   *footer
}

func (e *cacheEntry) cost() int64 { return e.ft.tail.nblocks + 1 }

func newFooterCache() *footerCache {
	return &footerCache{ll: list.New(), m: make(map[string]*list.Element)}
}

// get returns the cached footer of the file fi named name, if any.
func (c *footerCache) get(name string, fi os.FileInfo) *footer {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[name]
	if !ok {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if !os.SameFile(e.fi, fi) || e.fi.Size() != fi.Size() || !e.fi.ModTime().Equal(fi.ModTime()) {
		c.removeElement(el)
		return nil
	}
	c.ll.MoveToFront(el)
	return e.ft
}

// put caches the footer of the file fi named name.
func (c *footerCache) put(name string, fi os.FileInfo, ft *footer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[name]; ok {
		c.removeElement(el)
	}
	e := &cacheEntry{name: name, fi: fi, ft: ft}
	if e.cost() > maxCachedBlocks/4 {
		return // one huge shard must not flush everything else
	}
	c.m[name] = c.ll.PushFront(e)
	c.used += e.cost()
	for c.used > maxCachedBlocks {
		c.removeElement(c.ll.Back())
	}
}

// remove drops name, once its file is deleted or replaced.
func (c *footerCache) remove(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[name]; ok {
		c.removeElement(el)
	}
}

func (c *footerCache) removeElement(el *list.Element) {
	e := c.ll.Remove(el).(*cacheEntry)
	delete(c.m, e.name)
	c.used -= e.cost()
}
