package s3import

import (
	"context"

	"github.com/floe-s3/floe/metadata"
)

// Progress is where an import keeps its progress: *metadata.Postgres, the
// table import_objects of Floe's own database.
type Progress interface {
	ImportLookup(ctx context.Context, p metadata.ImportPair, keys []string) (map[metadata.ImportID]metadata.ImportObject, error)
	ImportStart(ctx context.Context, p metadata.ImportPair, o metadata.ImportObject) error
	ImportSetUpload(ctx context.Context, p metadata.ImportPair, id metadata.ImportID, uploadID string) error
	ImportDone(ctx context.Context, p metadata.ImportPair, id metadata.ImportID, destVersionID string) error
	ImportFailed(ctx context.Context, p metadata.ImportPair, id metadata.ImportID, msg string) error
}

// locker is a Progress that can lock a pair for one run: with it two
// runs on one pair fail fast instead of copying the same objects at once.
type locker interface {
	ImportLock(ctx context.Context, p metadata.ImportPair) (unlock func(), err error)
}

// version is one source object version (or the object of an unversioned
// bucket, with id "") as listed.
type version struct {
	id           string
	deleteMarker bool
	etag         string
	size         int64
	lastModified int64 // Unix milliseconds: listings and rows agree to that
}

// item is one key's pending work: the versions still to copy, oldest
// first, and what the progress table knew of the key.
type item struct {
	job      *job
	key      string
	versions []version
	rows     map[metadata.ImportID]metadata.ImportObject
	// prevDest is the destination version the latest done version of the
	// key became, "" if none: how a resumed copy tells its own landed
	// write from an older one.
	prevDest string
}

// job is one bucket pair being imported.
type job struct {
	pair      BucketPair
	ipair     metadata.ImportPair
	versioned bool
}
