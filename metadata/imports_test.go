package metadata

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestImportProgress(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p := ImportPair{SourceEndpoint: "http://127.0.0.1:1", SourceBucket: "src", DestBucket: "dst"}
	other := ImportPair{SourceEndpoint: p.SourceEndpoint, SourceBucket: "src", DestBucket: "elsewhere"}
	odd := "a//b/ ü+%/" + strings.Repeat("k", 1000)
	lm := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

	got, err := s.ImportLookup(ctx, p, []string{"x", odd})
	if err != nil || len(got) != 0 {
		t.Fatalf("lookup before anything: %v, %v", got, err)
	}
	if err := s.ImportDone(ctx, p, ImportID{Key: "x"}, ""); !errors.Is(err, ErrNoImportRow) {
		t.Fatalf("done without start: %v, want ErrNoImportRow", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.ImportStart(ctx, p, ImportObject{Key: odd, ETag: `"e1"`, Size: 5, LastModified: lm}))
	must(s.ImportSetUpload(ctx, p, ImportID{Key: odd}, "up-1"))
	// Versions of one key are rows of their own.
	must(s.ImportStart(ctx, p, ImportObject{Key: "x", VersionID: "v1", ETag: `"e2"`, Size: 7}))
	must(s.ImportStart(ctx, p, ImportObject{Key: "x", VersionID: "v2", DeleteMarker: true}))
	must(s.ImportDone(ctx, p, ImportID{"x", "v1"}, "dv1"))
	must(s.ImportFailed(ctx, p, ImportID{"x", "v2"}, "boom"))
	// Another pair does not see them.
	if got, _ := s.ImportLookup(ctx, other, []string{"x", odd}); len(got) != 0 {
		t.Fatalf("other pair sees %v", got)
	}

	got, err = s.ImportLookup(ctx, p, []string{"x", odd, "missing"})
	must(err)
	if len(got) != 3 {
		t.Fatalf("lookup = %+v, want 3 rows", got)
	}
	o := got[ImportID{Key: odd}]
	if o.State != ImportCopying || o.UploadID != "up-1" || o.ETag != `"e1"` || o.Size != 5 ||
		!o.LastModified.Equal(lm) || o.Attempts != 1 || o.Copies != 0 {
		t.Fatalf("copying row = %+v", o)
	}
	if o := got[ImportID{"x", "v1"}]; o.State != ImportDone || o.DestVersionID != "dv1" || o.Copies != 1 || o.UploadID != "" {
		t.Fatalf("done row = %+v", o)
	}
	if o := got[ImportID{"x", "v2"}]; o.State != ImportFailed || o.Error != "boom" || !o.DeleteMarker {
		t.Fatalf("failed row = %+v", o)
	}

	// Restarting a copy clears the upload and error, counts the attempt
	// and keeps the finished copies.
	must(s.ImportDone(ctx, p, ImportID{Key: odd}, ""))
	must(s.ImportStart(ctx, p, ImportObject{Key: odd, ETag: `"e3"`, Size: 9, LastModified: lm.Add(time.Hour)}))
	got, err = s.ImportLookup(ctx, p, []string{odd})
	must(err)
	o = got[ImportID{Key: odd}]
	if o.State != ImportCopying || o.UploadID != "" || o.ETag != `"e3"` || o.Size != 9 || o.Attempts != 2 || o.Copies != 1 {
		t.Fatalf("restarted row = %+v", o)
	}

	counts, err := s.ImportCounts(ctx, p)
	must(err)
	if counts[ImportCopying] != 1 || counts[ImportDone] != 1 || counts[ImportFailed] != 1 {
		t.Fatalf("counts = %v", counts)
	}
	if err := s.ImportStart(ctx, p, ImportObject{Key: "bad\x00"}); err == nil {
		t.Fatal("a key with NUL was accepted")
	}
}

func TestImportLock(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p := ImportPair{SourceEndpoint: "http://127.0.0.1:1", SourceBucket: "src", DestBucket: "dst"}
	unlock, err := s.ImportLock(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportLock(ctx, p); !errors.Is(err, ErrImportRunning) {
		t.Fatalf("second lock: %v, want ErrImportRunning", err)
	}
	other, err := s.ImportLock(ctx, ImportPair{SourceEndpoint: p.SourceEndpoint, SourceBucket: "src", DestBucket: "elsewhere"})
	if err != nil {
		t.Fatalf("lock of another pair: %v", err)
	}
	other()
	unlock()
	again, err := s.ImportLock(ctx, p)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again()
}
