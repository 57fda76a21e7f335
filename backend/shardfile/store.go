package shardfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Store is a directory of shard files. It is safe for concurrent use.
type Store struct {
	dir    string
	shards string // dir/shards
	tmp    string // dir/tmp
	count  atomic.Int64

	// locks serialize commits and deletes of the same name, so the shard
	// count stays exact when both race.
	locks [64]sync.Mutex

	codecMu sync.Mutex
	codecs  map[blobmeta.Params]codec.Codec

	footers *footerCache
	group   *groupSync // nil: each commit syncs its own file and directory
}

// Options tune a Store.
type Options struct {
	// GroupSync makes concurrent commits share syncfs(2) rounds instead
	// of each syncing its file and its directory (Linux only).
	GroupSync bool
}

// maxCachedCodecs bounds the codec cache; real clusters use a handful of
// parameter sets.
const maxCachedCodecs = 64

// Open opens the store in dir with default options, creating its layout if
// needed. It empties dir/tmp: a store must be opened by one process only,
// and at start-up no write is in flight.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with options.
func OpenWith(dir string, opts Options) (*Store, error) {
	if opts.GroupSync && !haveSyncFS {
		return nil, fmt.Errorf("shardfile: open %s: group sync needs syncfs(2), which this system lacks", dir)
	}
	s := &Store{
		dir:     dir,
		shards:  filepath.Join(dir, "shards"),
		tmp:     filepath.Join(dir, "tmp"),
		codecs:  make(map[blobmeta.Params]codec.Codec),
		footers: newFooterCache(),
	}
	if err := os.MkdirAll(s.shards, 0o755); err != nil {
		return nil, fmt.Errorf("shardfile: open %s: %w", dir, err)
	}
	if err := os.RemoveAll(s.tmp); err != nil {
		return nil, fmt.Errorf("shardfile: open %s: clear tmp: %w", dir, err)
	}
	if err := os.Mkdir(s.tmp, 0o755); err != nil {
		return nil, fmt.Errorf("shardfile: open %s: %w", dir, err)
	}
	n, err := s.countShards()
	if err != nil {
		return nil, err
	}
	s.count.Store(n)
	if opts.GroupSync {
		if s.group, err = newGroupSync(s.shards); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close releases the store's resources. Shards stay on disk.
func (s *Store) Close() error {
	if s.group != nil {
		return s.group.close()
	}
	return nil
}

// Dir returns the directory the store was opened in.
func (s *Store) Dir() string { return s.dir }

// Count returns the number of shards stored.
func (s *Store) Count() int64 { return s.count.Load() }

// Usage reports the capacity of the file system holding the store and the
// bytes still free for it.
func (s *Store) Usage() (capacity, free int64, err error) { return diskUsage(s.dir) }

// Path returns the file that holds (or would hold) shard idx of blob id.
func (s *Store) Path(id blobmeta.ID, idx int) string {
	return filepath.Join(s.fanout(id), Name(id, idx))
}

func (s *Store) fanout(id blobmeta.ID) string {
	return filepath.Join(s.shards, id.String()[:2])
}

func (s *Store) lock(id blobmeta.ID, idx int) *sync.Mutex {
	return &s.locks[(int(id[0])+idx)%len(s.locks)]
}

// codecFor returns a codec for p, cached because building a Reed-Solomon
// encoder costs more than the small reads that need one for its layout.
func (s *Store) codecFor(p blobmeta.Params) (codec.Codec, error) {
	s.codecMu.Lock()
	defer s.codecMu.Unlock()
	if c, ok := s.codecs[p]; ok {
		return c, nil
	}
	c, err := codec.New(p)
	if err != nil {
		return nil, err
	}
	if len(s.codecs) < maxCachedCodecs {
		s.codecs[p] = c
	}
	return c, nil
}

// countShards counts the well-named files under dir/shards.
func (s *Store) countShards() (int64, error) {
	var n int64
	err := s.walkDirs(func(dir string) error {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if _, _, err := ParseName(e.Name()); err == nil && e.Type().IsRegular() {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("shardfile: count shards in %s: %w", s.shards, err)
	}
	return n, nil
}

// walkDirs calls fn for each fan-out directory that exists, in name order.
func (s *Store) walkDirs(fn func(dir string) error) error {
	for i := 0; i < 256; i++ {
		dir := filepath.Join(s.shards, fmt.Sprintf("%02x", i))
		if err := fn(dir); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return err
		}
	}
	return nil
}

// Stat returns the description of a stored shard, after checking its
// metadata as OpenShard does.
func (s *Store) Stat(id blobmeta.ID, idx int) (Info, error) {
	sh, err := s.OpenShard(id, idx)
	if err != nil {
		return Info{}, err
	}
	defer sh.Close()
	return sh.Info(), nil
}

// Verify fully checks a stored shard: the tail CRC, the shard root and
// every block's BLAKE3 hash and CRC32C. Damage is reported as a
// *CorruptError naming the block.
func (s *Store) Verify(id blobmeta.ID, idx int) error {
	sh, err := s.OpenShard(id, idx)
	if err != nil {
		return err
	}
	defer sh.Close()
	return sh.Verify()
}

// Delete removes a shard. It returns an error matching ErrNotFound if the
// shard is absent.
func (s *Store) Delete(id blobmeta.ID, idx int) error {
	mu := s.lock(id, idx)
	mu.Lock()
	defer mu.Unlock()
	path := s.Path(id, idx)
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotFound, Name(id, idx))
		}
		return fmt.Errorf("shardfile: delete %s: %w", Name(id, idx), err)
	}
	s.count.Add(-1)
	s.footers.remove(Name(id, idx))
	// Make the removal durable, so a deleted shard does not come back
	// after a crash and confuse garbage collection.
	if err := syncDir(filepath.Dir(path)); err != nil {
		return diskErr("delete "+Name(id, idx), err)
	}
	return nil
}

// syncDir fsyncs a directory so renames and removals in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
