package metadata

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"
)

// newPart returns part number n of size bytes in a new blob.
func newPart(t testing.TB, n int, size int64) UploadPart {
	t.Helper()
	return UploadPart{Number: n, Size: size, ETag: fmt.Sprintf(`"part%d"`, n), Blob: newBlob(t, size)}
}

// mustPutPart adds p to upload id of b/k.
func mustPutPart(t testing.TB, s *Postgres, id string, p UploadPart) {
	t.Helper()
	if err := s.PutUploadPart(context.Background(), "b", "k", id, p, nil); err != nil {
		t.Fatal(err)
	}
}

func isQueued(t testing.TB, s *Postgres, b Blob) bool {
	t.Helper()
	return count(t, s, `SELECT count(*) FROM deletion_queue WHERE blob_id = $1`, b.ID[:]) == 1
}

// objectOf returns the object that completing with parts gives.
func objectOf(parts ...UploadPart) Object {
	obj := Object{Bucket: "b", Key: "k", ETag: `"multi-2"`}
	for _, p := range parts {
		obj.Parts = append(obj.Parts, Part{Number: p.Number, Size: p.Size, Blob: p.Blob})
		obj.Size += p.Size
	}
	return obj
}

func TestUploadLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	u := Upload{ID: "up1", Bucket: "b", Key: "k", Headers: Headers{ContentType: "text/plain", CacheControl: "no-cache",
		UserMeta: map[string]string{"color": "blue"}}, Initiated: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)}
	if err := s.CreateUpload(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUpload(ctx, "b", "k", "up1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Initiated.Equal(u.Initiated) {
		t.Errorf("Initiated = %v, want %v", got.Initiated, u.Initiated)
	}
	got.Initiated = u.Initiated
	if !reflect.DeepEqual(got, u) {
		t.Fatalf("GetUpload = %+v, want %+v", got, u)
	}
	if err := s.DeleteBucket(ctx, "b"); !errors.Is(err, ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket with an upload: %v, want ErrBucketNotEmpty", err)
	}

	// Part 2 is uploaded twice; the first blob goes to GC.
	p1, p2old, p2, p3 := newPart(t, 1, 5), newPart(t, 2, 6), newPart(t, 2, 7), newPart(t, 3, 8)
	for _, p := range []UploadPart{p3, p2old, p1, p2} {
		mustPutPart(t, s, "up1", p)
	}
	// Re-putting the same blob (a retried request) changes nothing.
	mustPutPart(t, s, "up1", p3)
	if !isQueued(t, s, p2old.Blob) {
		t.Error("replaced part's blob not queued")
	}
	if n := count(t, s, `SELECT count(*) FROM deletion_queue`); n != 1 {
		t.Errorf("%d blobs queued, want 1", n)
	}

	parts, err := s.ListUploadParts(ctx, "b", "k", "up1")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 {
		t.Fatalf("ListUploadParts = %d parts, want 3", len(parts))
	}
	for i, want := range []UploadPart{p1, p2, p3} {
		g := parts[i]
		if g.LastModified.IsZero() {
			t.Errorf("part %d: LastModified not set", g.Number)
		}
		g.LastModified = time.Time{}
		if !reflect.DeepEqual(g, want) {
			t.Errorf("part %d =\n%+v\nwant\n%+v", i, g, want)
		}
	}

	// An existing object is replaced; its blob is queued.
	old := newObject(t, "b", "k", 3)
	mustPut(t, s, old)
	obj := objectOf(p1, p3)
	obj.ContentType = "ignored/upload's wins"
	res, err := s.CompleteUpload(ctx, "up1", obj, Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Replaced {
		t.Error("CompleteUpload did not report the replaced object")
	}
	for _, b := range []Blob{p2.Blob, p2old.Blob, old.Parts[0].Blob} {
		if !isQueued(t, s, b) {
			t.Errorf("blob %s not queued", b.ID)
		}
	}
	for _, b := range []Blob{p1.Blob, p3.Blob} {
		if isQueued(t, s, b) {
			t.Errorf("blob %s of the object is queued", b.ID)
		}
	}
	for _, table := range []string{"upload_parts", "multipart_uploads"} {
		if n := count(t, s, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%d %s rows left", n, table)
		}
	}
	gotObj, err := s.GetObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if gotObj.Size != 13 || gotObj.ContentType != "text/plain" || gotObj.CacheControl != "no-cache" ||
		!reflect.DeepEqual(gotObj.UserMeta, u.UserMeta) || len(gotObj.Parts) != 2 {
		t.Fatalf("GetObject = %+v", gotObj)
	}
	for i, want := range []UploadPart{p1, p3} {
		if g := gotObj.Parts[i]; g.Number != want.Number || g.Size != want.Size || !reflect.DeepEqual(g.Blob, want.Blob) {
			t.Errorf("object part %d = %+v, want part %d", i, g, want.Number)
		}
	}
	if _, err := s.GetUpload(ctx, "b", "k", "up1"); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("GetUpload after complete: %v", err)
	}
	if _, err := s.DeleteObject(ctx, "b", "k", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "b"); err != nil {
		t.Fatalf("DeleteBucket after complete: %v", err)
	}
}

func TestCompleteUploadInvalidPart(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	if err := s.CreateUpload(ctx, Upload{ID: "up", Bucket: "b", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	p1, p2 := newPart(t, 1, 5), newPart(t, 2, 6)
	mustPutPart(t, s, "up", p1)
	mustPutPart(t, s, "up", p2)
	snapshot := func() string {
		var out string
		err := s.pool.QueryRow(ctx, `SELECT concat_ws(' ',
			(SELECT count(*) FROM blobs), (SELECT count(*) FROM upload_parts),
			(SELECT count(*) FROM multipart_uploads), (SELECT count(*) FROM deletion_queue),
			(SELECT count(*) FROM objects), (SELECT count(*) FROM object_parts))`).Scan(&out)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := snapshot()
	wrongBlob := p2
	wrongBlob.Blob = p1.Blob
	wrongBlob.Size = p1.Size
	renumbered := p2
	renumbered.Number = 3
	tests := []struct {
		name     string
		uploadID string
		obj      Object
		want     error
	}{
		{"unknown part number", "up", objectOf(p1, newPart(t, 3, 4)), ErrInvalidPart},
		{"part number of another blob", "up", objectOf(renumbered), ErrInvalidPart},
		{"blob of another part", "up", objectOf(wrongBlob), ErrInvalidPart},
		{"unknown upload", "nope", objectOf(p1), ErrNoSuchUpload},
		{"other key", "up", func() Object { o := objectOf(p1); o.Key = "other"; return o }(), ErrNoSuchUpload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.CompleteUpload(ctx, tt.uploadID, tt.obj, Precondition{}); !errors.Is(err, tt.want) {
				t.Fatalf("CompleteUpload: %v, want %v", err, tt.want)
			}
			if after := snapshot(); after != before {
				t.Fatalf("failed CompleteUpload changed the database: %s → %s", before, after)
			}
		})
	}
}

func TestAbortUpload(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	if err := s.CreateUpload(ctx, Upload{ID: "up", Bucket: "b", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	parts := []UploadPart{newPart(t, 1, 5), newPart(t, 2, 6), newPart(t, 7, 1)}
	for _, p := range parts {
		mustPutPart(t, s, "up", p)
	}
	if err := s.AbortUpload(ctx, "b", "k", "up"); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if !isQueued(t, s, p.Blob) {
			t.Errorf("part %d's blob not queued", p.Number)
		}
	}
	for _, table := range []string{"upload_parts", "multipart_uploads"} {
		if n := count(t, s, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%d %s rows left", n, table)
		}
	}
	if err := s.DeleteBucket(ctx, "b"); err != nil {
		t.Fatalf("DeleteBucket after abort: %v", err)
	}
}

func TestNoSuchUpload(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustCreateBucket(t, s, "b2")
	for _, id := range []string{"aborted", "live"} {
		if err := s.CreateUpload(ctx, Upload{ID: id, Bucket: "b", Key: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AbortUpload(ctx, "b", "k", "aborted"); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, bucket, key, id string }{
		{"aborted", "b", "k", "aborted"},
		{"unknown", "b", "k", "never"},
		{"other bucket", "b2", "k", "live"},
		{"other key", "b", "k2", "live"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPart(t, 1, 3)
			ops := map[string]error{
				"GetUpload":     func() error { _, err := s.GetUpload(ctx, tt.bucket, tt.key, tt.id); return err }(),
				"PutUploadPart": s.PutUploadPart(ctx, tt.bucket, tt.key, tt.id, p, nil),
				"ListUploadParts": func() error {
					_, err := s.ListUploadParts(ctx, tt.bucket, tt.key, tt.id)
					return err
				}(),
				"ListUploadPartsPage": func() error {
					_, _, err := s.ListUploadPartsPage(ctx, tt.bucket, tt.key, tt.id, 0, 10)
					return err
				}(),
				"CompleteUpload": func() error {
					o := objectOf(p)
					o.Bucket, o.Key = tt.bucket, tt.key
					_, err := s.CompleteUpload(ctx, tt.id, o, Precondition{})
					return err
				}(),
				"AbortUpload": s.AbortUpload(ctx, tt.bucket, tt.key, tt.id),
			}
			for op, err := range ops {
				if !errors.Is(err, ErrNoSuchUpload) {
					t.Errorf("%s: %v, want ErrNoSuchUpload", op, err)
				}
			}
		})
	}
	// Nothing was stored by the failed calls.
	if n := count(t, s, `SELECT count(*) FROM blobs`); n != 0 {
		t.Fatalf("%d blobs stored", n)
	}
	if _, err := s.GetUpload(ctx, "b", "k", "live"); err != nil {
		t.Fatalf("live upload: %v", err)
	}
}

// ListUploadPartsPage pages by part number: a page starts after the
// marker, whether or not a part has the marker's number, holds up to limit
// parts with their checksums but not their blobs, and is truncated only if
// a part follows it.
func TestListUploadPartsPage(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	for _, id := range []string{"up", "empty"} {
		if err := s.CreateUpload(ctx, Upload{ID: id, Bucket: "b", Key: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	// Parts 3, 6, ..., 300: the numbers in between are gaps.
	const n = 100
	for i := 1; i <= n; i++ {
		p := newPart(t, 3*i, int64(i))
		p.Checksum = fmt.Sprintf("sum%d", 3*i)
		mustPutPart(t, s, "up", p)
	}
	all, err := s.ListUploadParts(ctx, "b", "k", "up")
	if err != nil || len(all) != n {
		t.Fatalf("ListUploadParts = %d parts, %v; want %d", len(all), err, n)
	}
	// numbers returns the part numbers first, first+3, ..., last.
	numbers := func(first, last int) []int {
		var ns []int
		for k := first; k <= last; k += 3 {
			ns = append(ns, k)
		}
		return ns
	}
	tests := []struct {
		name         string
		id           string
		after, limit int
		want         []int
		truncated    bool
	}{
		{"first page", "up", 0, 10, numbers(3, 30), true},
		{"after a gap", "up", 1, 1, []int{3}, true},
		{"after a part", "up", 3, 2, []int{6, 9}, true},
		{"short last page", "up", 290, 10, []int{291, 294, 297, 300}, false},
		{"exactly the rest", "up", 294, 2, []int{297, 300}, false},
		{"after the last part", "up", 300, 10, nil, false},
		{"after MaxPartNumber", "up", math.MaxInt, 10, nil, false},
		{"negative marker", "up", -5, 2, []int{3, 6}, true},
		{"limit 0 with parts left", "up", 0, 0, nil, true},
		{"limit 0 at the end", "up", 300, 0, nil, false},
		{"every part", "up", 0, 1000, numbers(3, 300), false},
		{"huge limit", "up", 150, math.MaxInt, numbers(153, 300), false},
		{"upload without parts", "empty", 0, 10, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, truncated, err := s.ListUploadPartsPage(ctx, "b", "k", tt.id, tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range parts {
				got = append(got, p.Number)
			}
			if !reflect.DeepEqual(got, tt.want) || truncated != tt.truncated {
				t.Fatalf("page = %v, truncated %v; want %v, %v", got, truncated, tt.want, tt.truncated)
			}
		})
	}

	// Paging through with each page's last number as the next marker
	// yields every part once, as ListUploadParts has it, minus the blob.
	var paged []UploadPart
	for after, pages := 0, 0; ; pages++ {
		if pages > n {
			t.Fatal("paging does not end")
		}
		page, truncated, err := s.ListUploadPartsPage(ctx, "b", "k", "up", after, 7)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if !truncated {
			break
		}
		after = page[len(page)-1].Number
	}
	if len(paged) != len(all) {
		t.Fatalf("paging gave %d parts, want %d", len(paged), len(all))
	}
	for i, p := range paged {
		want := all[i]
		want.Blob = Blob{}
		if !reflect.DeepEqual(p, want) {
			t.Fatalf("part %d = %+v, want %+v", i, p, want)
		}
	}
}

func TestUploadErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	if err := s.CreateUpload(ctx, Upload{ID: "up", Bucket: "nob", Key: "k"}); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("CreateUpload in a missing bucket: %v", err)
	}
	if err := s.CreateUpload(ctx, Upload{ID: "up", Bucket: "b", Key: ""}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("CreateUpload with an empty key: %v", err)
	}
	if err := s.CreateUpload(ctx, Upload{ID: "up", Bucket: "b", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUpload(ctx, Upload{ID: "up", Bucket: "b", Key: "k"}); err == nil {
		t.Error("CreateUpload with an ID in use succeeded")
	}
	if err := s.PutUploadPart(ctx, "b", "k", "up", newPart(t, 1, 3), []byte("never recorded")); !errors.Is(err, ErrIntentExpired) {
		t.Errorf("PutUploadPart with an unknown intent: %v", err)
	}
	for _, n := range []int{0, MaxPartNumber + 1} {
		if err := s.PutUploadPart(ctx, "b", "k", "up", newPart(t, n, 3), nil); err == nil {
			t.Errorf("PutUploadPart of part %d succeeded", n)
		}
	}
	obj := newObject(t, "b", "obj", 3)
	mustPut(t, s, obj)
	p := UploadPart{Number: 1, Size: 3, Blob: obj.Parts[0].Blob}
	if err := s.PutUploadPart(ctx, "b", "k", "up", p, nil); err == nil {
		t.Error("PutUploadPart with an object's blob succeeded")
	}
	if n := count(t, s, `SELECT count(*) FROM upload_parts`); n != 0 {
		t.Fatalf("%d upload_parts rows after failed puts", n)
	}

	// With a live intent the part is stored and the intent deleted.
	p = newPart(t, 1, 3)
	nonce := p.Blob.Manifest.Nonce[:]
	if err := s.RecordIntent(ctx, nonce, []string{"n0", "n1", "n2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUploadPart(ctx, "b", "k", "up", p, nonce); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM write_intents`); n != 0 {
		t.Fatalf("%d intents left after PutUploadPart", n)
	}
}

// Concurrent part uploads, aborts and completions of uploads neither
// deadlock nor lose a blob: every blob ends up in an upload part, an
// object part or the deletion queue.
func TestConcurrentUploadsAccountForEveryBlob(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	const uploads = 6
	for u := range uploads {
		if err := s.CreateUpload(ctx, Upload{ID: fmt.Sprint("up", u), Bucket: "b", Key: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := range 30 {
				id := fmt.Sprint("up", (w+i)%uploads)
				var err error
				switch {
				case i%10 == 9:
					err = s.AbortUpload(ctx, "b", "k", id)
				case i%10 == 8:
					var parts []UploadPart
					parts, err = s.ListUploadParts(ctx, "b", "k", id)
					if err == nil {
						_, err = s.CompleteUpload(ctx, id, objectOf(parts...), Precondition{})
					}
					if errors.Is(err, ErrInvalidPart) {
						err = nil // a part was replaced since the listing
					}
				default:
					err = s.PutUploadPart(ctx, "b", "k", id, newPart(t, 1+i%3, 2), nil)
				}
				if errors.Is(err, ErrNoSuchUpload) {
					err = nil
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
	if n := count(t, s, `SELECT count(*) FROM blobs`); n == 0 {
		t.Fatal("no part was stored")
	}
	checkBlobAccounting(t, s)
}
