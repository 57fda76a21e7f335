package metadata

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/floe-s3/floe/metadata/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newStore opens a store on a fresh database.
func newStore(t testing.TB) *Postgres {
	t.Helper()
	s, err := Open(context.Background(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// newBlob returns a blob of size bytes coded RS(2+1) and placed on nodes
// n0, n1, n2, with a random nonce, so every call gives a new ID.
func newBlob(t testing.TB, size int64) Blob {
	t.Helper()
	m := &blobmeta.Manifest{
		Params:     blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 2, M: 1, StripeSize: 1 << 20},
		Size:       size,
		ShardRoots: make([]blobmeta.Hash, 3),
	}
	rand.Read(m.Nonce[:])
	for i := range m.ShardRoots {
		rand.Read(m.ShardRoots[i][:])
	}
	b := Blob{ID: m.ID(), Manifest: m}
	for i := range 3 {
		b.Placement = append(b.Placement, blobmeta.Node{ID: fmt.Sprintf("n%d", i)})
	}
	return b
}

// newObject returns an object in bucket b at key whose parts have the given
// sizes, each in a new blob.
func newObject(t testing.TB, b, key string, sizes ...int64) Object {
	t.Helper()
	obj := Object{Bucket: b, Key: key, ETag: `"etag"`}
	for i, sz := range sizes {
		obj.Parts = append(obj.Parts, Part{Number: i + 1, Size: sz, Blob: newBlob(t, sz)})
		obj.Size += sz
	}
	return obj
}

// count runs a SELECT count(*) ... query.
func count(t testing.TB, s *Postgres, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// exec runs a statement.
func exec(t testing.TB, s *Postgres, sql string, args ...any) {
	t.Helper()
	if _, err := s.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// mustCreateBucket creates bucket name.
// mustAliveNodes registers nodes ids alive, each at "<id>:1".
func mustAliveNodes(t testing.TB, s *Postgres, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.UpsertNode(context.Background(), NodeInfo{ID: id, Addr: id + ":1", State: NodeAlive}); err != nil {
			t.Fatal(err)
		}
	}
}

func mustCreateBucket(t testing.TB, s *Postgres, name string) {
	t.Helper()
	if err := s.CreateBucket(context.Background(), name); err != nil {
		t.Fatal(err)
	}
}

// mustPut stores obj and returns whether it replaced one.
func mustPut(t testing.TB, s *Postgres, obj Object) bool {
	t.Helper()
	res, err := s.PutObject(context.Background(), obj, nil, Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Replaced
}

// checkBlobAccounting fails t unless every blob is in exactly one place: an
// object's parts, an upload's parts, or the deletion queue. A blob in none
// would leak its shards; one in two could be freed while in use.
func checkBlobAccounting(t *testing.T, s *Postgres) {
	t.Helper()
	if n := count(t, s, `SELECT count(*) FROM blobs b
		WHERE NOT EXISTS (SELECT 1 FROM object_parts p WHERE p.blob_id = b.id)
		AND NOT EXISTS (SELECT 1 FROM upload_parts p WHERE p.blob_id = b.id)
		AND NOT EXISTS (SELECT 1 FROM deletion_queue q WHERE q.blob_id = b.id)`); n != 0 {
		t.Fatalf("%d blobs neither referenced nor queued", n)
	}
	if n := count(t, s, `SELECT count(*) FROM blobs b
		WHERE (SELECT count(*) FROM object_parts p WHERE p.blob_id = b.id)
			+ (SELECT count(*) FROM upload_parts p WHERE p.blob_id = b.id)
			+ (SELECT count(*) FROM deletion_queue q WHERE q.blob_id = b.id) > 1`); n != 0 {
		t.Fatalf("%d blobs both live and queued, or live twice", n)
	}
}
