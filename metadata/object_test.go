package metadata

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

func TestPutGetRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	// n0 and n1 are registered; n2 is not, so its address is unknown.
	for _, n := range []NodeInfo{{ID: "n0", Addr: "10.0.0.1:9001"}, {ID: "n1", Addr: "10.0.0.2:9001"}} {
		if err := s.UpsertNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	obj := newObject(t, "b", "dir/key", 5<<20, 3)
	obj.ETag = `"abc-2"`
	obj.ContentType = "text/plain"
	obj.ContentEncoding = "gzip"
	obj.ContentDisposition = "attachment"
	obj.ContentLanguage = "fr"
	obj.CacheControl = "no-cache"
	obj.Expires = "Thu, 01 Dec 1994 16:00:00 GMT"
	obj.UserMeta = map[string]string{"color": "blue", "ünïcode": "✓"}
	obj.LastModified = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	if replaced := mustPut(t, s, obj); replaced {
		t.Fatal("first put reported a replaced object")
	}

	got, err := s.GetObject(ctx, "b", "dir/key")
	if err != nil {
		t.Fatal(err)
	}
	want := obj
	want.IsLatest = true // and VersionID empty: the bucket is unversioned
	for i := range want.Parts {
		want.Parts[i].Blob.Placement = []blobmeta.Node{{ID: "n0", Addr: "10.0.0.1:9001"}, {ID: "n1", Addr: "10.0.0.2:9001"}, {ID: "n2"}}
	}
	if !got.LastModified.Equal(want.LastModified) {
		t.Errorf("LastModified = %v, want %v", got.LastModified, want.LastModified)
	}
	got.LastModified = want.LastModified
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("GetObject =\n%+v\nwant\n%+v", got, want)
	}
}

func TestPutGetEmptyObject(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	before := time.Now().Add(-time.Minute) // the database's clock may differ a little
	mustPut(t, s, Object{Bucket: "b", Key: "empty", ETag: `"d41d8cd98f00b204e9800998ecf8427e"`})
	got, err := s.GetObject(ctx, "b", "empty")
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != 0 || len(got.Parts) != 0 || got.UserMeta != nil || got.ContentType != "" {
		t.Fatalf("GetObject = %+v, want an empty object without parts or headers", got)
	}
	if got.LastModified.Before(before) {
		t.Fatalf("LastModified = %v: the store did not set it", got.LastModified)
	}
}

func TestGetObjectErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	tests := []struct {
		bucket, key string
		want        error
	}{
		{"b", "missing", ErrNoSuchKey},
		{"nob", "k", ErrNoSuchBucket},
		{"b", "", ErrInvalidKey},
		{"b", strings.Repeat("k", 1025), ErrKeyTooLong},
	}
	for _, tt := range tests {
		if _, err := s.GetObject(ctx, tt.bucket, tt.key); !errors.Is(err, tt.want) {
			t.Errorf("GetObject(%q, %.10q) = %v, want %v", tt.bucket, tt.key, err, tt.want)
		}
	}
}

func TestOverwriteQueuesOldBlobs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	old := newObject(t, "b", "k", 10, 20)
	mustPut(t, s, old)

	// The new version keeps old part 2's blob (as a retried commit might)
	// and adds a new one.
	next := newObject(t, "b", "k", 30)
	next.Parts = append(next.Parts, Part{Number: 2, Size: 20, Blob: old.Parts[1].Blob})
	next.Size = 50
	if replaced := mustPut(t, s, next); !replaced {
		t.Fatal("overwrite did not report a replaced object")
	}

	queued := func(b Blob) bool {
		return count(t, s, `SELECT count(*) FROM deletion_queue WHERE blob_id = $1`, b.ID[:]) == 1
	}
	if !queued(old.Parts[0].Blob) {
		t.Error("replaced blob not queued for deletion")
	}
	if queued(old.Parts[1].Blob) || queued(next.Parts[0].Blob) {
		t.Error("a blob of the new version is queued for deletion")
	}
	// The queued blob keeps its rows until GC has deleted its shards.
	if n := count(t, s, `SELECT count(*) FROM shards WHERE blob_id = $1`, old.Parts[0].Blob.ID[:]); n != 3 {
		t.Errorf("queued blob has %d shards rows, want 3", n)
	}
	if n := count(t, s, `SELECT count(*) FROM object_parts`); n != 2 {
		t.Errorf("%d object_parts rows, want 2", n)
	}
	got, err := s.GetObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != 50 || len(got.Parts) != 2 || got.Parts[0].Blob.ID != next.Parts[0].Blob.ID || got.Parts[1].Blob.ID != old.Parts[1].Blob.ID {
		t.Fatalf("GetObject after overwrite = %+v", got)
	}

	// Overwriting with an empty object queues everything.
	mustPut(t, s, Object{Bucket: "b", Key: "k"})
	if n := count(t, s, `SELECT count(*) FROM deletion_queue`); n != 3 {
		t.Fatalf("%d blobs queued, want 3", n)
	}
}

// A failing PutObject changes nothing: its statements share a transaction.
func TestPutIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	old := newObject(t, "b", "k", 10)
	mustPut(t, s, old)
	queuedBlob := newObject(t, "b", "other", 5)
	mustPut(t, s, queuedBlob)
	if _, err := s.DeleteObject(ctx, "b", "other", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	snapshot := func() string {
		var out string
		err := s.pool.QueryRow(ctx, `SELECT concat_ws(' ',
			(SELECT count(*) FROM blobs), (SELECT count(*) FROM shards),
			(SELECT count(*) FROM object_parts), (SELECT count(*) FROM deletion_queue),
			(SELECT string_agg(key || ':' || size, ',' ORDER BY key) FROM objects))`).Scan(&out)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := snapshot()

	mk := func(f func(o *Object)) Object { o := newObject(t, "b", "k", 7, 8); f(&o); return o }
	tests := []struct {
		name   string
		obj    Object
		nonces [][]byte
		want   error
	}{
		{"unknown intent", mk(func(*Object) {}), [][]byte{[]byte("never recorded")}, ErrIntentExpired},
		{"missing bucket", mk(func(o *Object) { o.Bucket = "nob" }), nil, ErrNoSuchBucket},
		{"blob of another object", mk(func(o *Object) { o.Parts[1].Blob = old.Parts[0].Blob; o.Parts[1].Size = 10; o.Size = 17 }), nil, nil},
		{"blob queued for deletion", mk(func(o *Object) { o.Parts[1].Blob = queuedBlob.Parts[0].Blob; o.Parts[1].Size = 5; o.Size = 12 }), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "blob of another object" {
				tt.obj.Key = "k2" // a new key, so k's blob is not the one replaced
			}
			_, err := s.PutObject(ctx, tt.obj, tt.nonces, Precondition{})
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("PutObject: %v, want %v", err, tt.want)
			}
			if after := snapshot(); after != before {
				t.Fatalf("failed PutObject changed the database: %s → %s", before, after)
			}
		})
	}
}

func TestPutRejectsInconsistentObjects(t *testing.T) {
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mk := func(f func(o *Object)) Object { o := newObject(t, "b", "k", 7, 8); f(&o); return o }
	tests := []struct {
		name string
		obj  Object
		want string
	}{
		{"size mismatch", mk(func(o *Object) { o.Size = 1 }), "parts hold 15"},
		{"part size mismatch", mk(func(o *Object) { o.Parts[0].Size = 8; o.Size = 16 }), "holds 7 bytes"},
		{"part numbers out of order", mk(func(o *Object) { o.Parts[0].Number, o.Parts[1].Number = 2, 1 }), "increasing"},
		{"part number zero", mk(func(o *Object) { o.Parts[0].Number = 0 }), "positive"},
		{"wrong blob ID", mk(func(o *Object) { o.Parts[0].Blob.ID[0] ^= 1 }), "not its manifest's hash"},
		{"no manifest", mk(func(o *Object) { o.Parts[0].Blob.Manifest = nil }), "no manifest"},
		{"short placement", mk(func(o *Object) { o.Parts[0].Blob.Placement = o.Parts[0].Blob.Placement[:2] }), "2 nodes for 3 shards"},
		{"node without ID", mk(func(o *Object) { o.Parts[0].Blob.Placement[1].ID = "" }), "no node ID"},
		{"blob twice", mk(func(o *Object) { o.Parts[1].Blob = o.Parts[0].Blob; o.Parts[1].Size = 7; o.Size = 14 }), "used twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.PutObject(context.Background(), tt.obj, nil, Precondition{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("PutObject: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDeleteObject(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	obj := newObject(t, "b", "k", 1, 2)
	mustPut(t, s, obj)
	tests := []struct {
		name        string
		bucket, key string
		existed     bool
		err         error
	}{
		{"existing", "b", "k", true, nil},
		{"again", "b", "k", false, nil},
		{"never existed", "b", "other", false, nil},
		{"missing bucket", "nob", "k", false, ErrNoSuchBucket},
		{"invalid key", "b", "", false, ErrInvalidKey},
	}
	for _, tt := range tests {
		res, err := s.DeleteObject(ctx, tt.bucket, tt.key, DeleteOptions{})
		if existed := res.Existed; existed != tt.existed || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("%s: DeleteObject = %v, %v; want %v, %v", tt.name, res.Existed, err, tt.existed, tt.err)
		}
	}
	if _, err := s.GetObject(ctx, "b", "k"); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("GetObject after delete: %v", err)
	}
	if n := count(t, s, `SELECT count(*) FROM deletion_queue WHERE blob_id = ANY($1)`,
		[][]byte{obj.Parts[0].Blob.ID[:], obj.Parts[1].Blob.ID[:]}); n != 2 {
		t.Fatalf("%d of the deleted object's 2 blobs queued", n)
	}
	if n := count(t, s, `SELECT count(*) FROM object_parts`); n != 0 {
		t.Fatalf("%d object_parts rows left", n)
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	tests := []struct {
		name string
		key  string
		want error
	}{
		{"ascii", "plain/key.txt", nil},
		{"unicode", "données/été/naïve", nil},
		{"emoji", "😀/🎉🎉", nil},
		{"DEL and controls", "a\x7fb\x01c\td\n", nil},
		{"max code point", "\U0010FFFF", nil},
		{"1024 ASCII bytes", strings.Repeat("k", 1024), nil},
		{"1024 bytes of 4-byte runes", strings.Repeat("😀", 256), nil},
		{"1024 bytes of mixed runes", strings.Repeat("é", 511) + "ab", nil},
		{"1025 bytes", strings.Repeat("k", 1025), ErrKeyTooLong},
		{"1025 bytes of runes", strings.Repeat("é", 512) + "a", ErrKeyTooLong},
		{"empty", "", ErrInvalidKey},
		{"NUL", "a\x00b", ErrInvalidKey},
		{"invalid UTF-8", "a\xffb", ErrInvalidKey},
		{"lone surrogate", "a\xed\xa0\x80", ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := newObject(t, "b", tt.key, 3)
			_, err := s.PutObject(ctx, obj, nil, Precondition{})
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("PutObject: %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.GetObject(ctx, "b", tt.key)
			if err != nil || got.Key != tt.key || len(got.Parts) != 1 {
				t.Fatalf("GetObject = %+v, %v", got, err)
			}
			res, err := s.ListObjects(ctx, ListParams{Bucket: "b", Prefix: tt.key, MaxKeys: 10})
			if err != nil || len(res.Objects) != 1 || res.Objects[0].Key != tt.key {
				t.Fatalf("ListObjects(prefix = key) = %+v, %v", res, err)
			}
		})
	}

	// The schema enforces the limit too, for writers other than this package.
	_, err := s.pool.Exec(ctx, `INSERT INTO objects (bucket, key, size, etag) VALUES ('b', $1, 0, '')`, strings.Repeat("k", 1025))
	if code, _ := pgCode(err); code != "23514" {
		t.Fatalf("inserting a 1025-byte key: %v, want a check violation", err)
	}
}

func TestIntentsAndPut(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	obj := newObject(t, "b", "k", 4, 4)
	nonces := [][]byte{obj.Parts[0].Blob.Manifest.Nonce[:], obj.Parts[1].Blob.Manifest.Nonce[:]}
	for i, n := range nonces {
		if err := s.RecordIntent(ctx, n, []string{"n0", "n1", "n2"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetIntentBlob(ctx, n, obj.Parts[i].Blob.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordIntent(ctx, nonces[0], nil); err == nil {
		t.Fatal("recorded an intent twice")
	}
	// A nonce repeated in the list counts once.
	if _, err := s.PutObject(ctx, obj, append(nonces, nonces[0]), Precondition{}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM write_intents`); n != 0 {
		t.Fatalf("%d intents left after commit", n)
	}
	if err := s.SetIntentBlob(ctx, nonces[0], obj.Parts[0].Blob.ID); !errors.Is(err, ErrIntentExpired) {
		t.Fatalf("SetIntentBlob of a committed intent: %v, want ErrIntentExpired", err)
	}
}

// Concurrent overwrites and deletes of one key neither deadlock nor lose a
// blob: every blob ends up either in the object or queued for deletion.
func TestConcurrentWritesAccountForEveryBlob(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				var err error
				if (w+i)%3 == 2 {
					_, err = s.DeleteObject(ctx, "b", "k", DeleteOptions{})
				} else {
					_, err = s.PutObject(ctx, newObject(t, "b", "k", 1, 2), nil, Precondition{})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkBlobAccounting(t, s)
}
