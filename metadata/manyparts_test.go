package metadata

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// An upload of MaxPartNumber parts goes through the real store path:
// every part is put on its own, the upload is completed with all of them,
// and the object reads back with its parts in order. The timings of
// ListUploadParts, ListUploadPartsPage, CompleteUpload and GetObject are
// logged (go test -v).
func TestUploadOfMaxParts(t *testing.T) {
	if testing.Short() {
		t.Skip("puts 10,000 parts")
	}
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	if err := s.CreateUpload(ctx, Upload{ID: "big", Bucket: "b", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	parts := make([]UploadPart, MaxPartNumber)
	for i := range parts {
		parts[i] = newPart(t, i+1, int64(1+i%7))
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(parts); i += 4 {
				if err := s.PutUploadPart(ctx, "b", "k", "big", parts[i], nil); err != nil {
					errs <- fmt.Errorf("part %d: %w", parts[i].Number, err)
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
	t.Logf("PutUploadPart ×%d: %v", len(parts), time.Since(start))

	start = time.Now()
	listed, err := s.ListUploadParts(ctx, "b", "k", "big")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ListUploadParts of %d parts: %v", len(listed), time.Since(start))
	if len(listed) != len(parts) {
		t.Fatalf("ListUploadParts = %d parts, want %d", len(listed), len(parts))
	}
	// A ListParts page reads only its own parts, the first page as well
	// as the last.
	for _, after := range []int{0, MaxPartNumber - 1000} {
		start = time.Now()
		page, truncated, err := s.ListUploadPartsPage(ctx, "b", "k", "big", after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ListUploadPartsPage of 1000 parts after %d: %v", after, time.Since(start))
		if len(page) != 1000 || page[0].Number != after+1 || truncated != (after == 0) {
			t.Fatalf("ListUploadPartsPage after %d = %d parts from %d, truncated %v", after, len(page), page[0].Number, truncated)
		}
	}

	obj := objectOf(parts...)
	start = time.Now()
	if _, err := s.CompleteUpload(ctx, "big", obj, Precondition{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("CompleteUpload of %d parts: %v", len(parts), time.Since(start))

	start = time.Now()
	got, err := s.GetObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("GetObject of %d parts: %v", len(got.Parts), time.Since(start))
	if got.Size != obj.Size || len(got.Parts) != len(parts) {
		t.Fatalf("GetObject = %d bytes in %d parts, want %d in %d", got.Size, len(got.Parts), obj.Size, len(parts))
	}
	for i, p := range got.Parts {
		if p.Number != i+1 || p.Size != parts[i].Size || p.Blob.ID != parts[i].Blob.ID || len(p.Blob.Placement) != 3 {
			t.Fatalf("part %d = number %d, %d bytes, blob %s; want part %d of %d bytes, blob %s",
				i, p.Number, p.Size, p.Blob.ID, i+1, parts[i].Size, parts[i].Blob.ID)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM upload_parts`); n != 0 {
		t.Fatalf("%d upload_parts rows left", n)
	}
	checkBlobAccounting(t, s)
}
