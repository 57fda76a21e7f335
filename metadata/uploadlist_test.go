package metadata

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// upEntry is one item of an upload listing: an upload or a common prefix.
type upEntry struct {
	name string // key or common prefix
	id   string // empty for a common prefix
}

// refUploads is ListMultipartUploads by brute force: every entry of p's
// listing from the start, ignoring markers and MaxUploads.
func refUploads(ups []Upload, p ListUploadsParams) []upEntry {
	sorted := slices.Clone(ups)
	slices.SortFunc(sorted, func(a, b Upload) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), a.Initiated.Compare(b.Initiated), strings.Compare(a.ID, b.ID))
	})
	var out []upEntry
	seen := map[string]bool{}
	for _, u := range sorted {
		if !strings.HasPrefix(u.Key, p.Prefix) {
			continue
		}
		if cp := uploadCommonPrefix(u.Key, p.Prefix, p.Delimiter); cp != "" {
			if !seen[cp] {
				seen[cp] = true
				out = append(out, upEntry{name: cp})
			}
			continue
		}
		out = append(out, upEntry{u.Key, u.ID})
	}
	return out
}

// upEntries merges a page's uploads and common prefixes into listing order.
func upEntries(r ListUploadsResult) []upEntry {
	var out []upEntry
	for _, u := range r.Uploads {
		out = append(out, upEntry{u.Key, u.ID})
	}
	for _, cp := range r.CommonPrefixes {
		out = append(out, upEntry{name: cp})
	}
	// Stable: uploads of one key stay in initiation order.
	slices.SortStableFunc(out, func(a, b upEntry) int { return strings.Compare(a.name, b.name) })
	return out
}

// createUploads creates an upload for every key of listFixture, two for
// every third key and three for every fifth, with initiation times that
// tie now and then so that IDs must break ties. IDs do not sort in
// initiation order.
func createUploads(t *testing.T, s *Postgres, bucket string) []Upload {
	t.Helper()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var ups []Upload
	for i, k := range listFixture {
		n := 1
		if i%3 == 0 {
			n++
		}
		if i%5 == 0 {
			n++
		}
		for j := range n {
			u := Upload{ID: fmt.Sprintf("id-%d-%d", 9-j, i), Bucket: bucket, Key: k,
				Initiated: base.Add(time.Duration(j/2) * time.Second)}
			if err := s.CreateUpload(context.Background(), u); err != nil {
				t.Fatal(err)
			}
			ups = append(ups, u)
		}
	}
	return ups
}

func TestListUploadsMatchesReference(t *testing.T) {
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustCreateBucket(t, s, "other")
	ups := createUploads(t, s, "b")
	if err := s.CreateUpload(context.Background(), Upload{ID: "elsewhere", Bucket: "other", Key: "a"}); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"", "a", "a/", "photos/", "photos/2024/", "é", "\U0010FFFF", "nothing"} {
		for _, delim := range []string{"", "/", "b", "😀"} {
			for _, max := range []int{1, 2, 3, 7, 1000} {
				p := ListUploadsParams{Bucket: "b", Prefix: prefix, Delimiter: delim, MaxUploads: max}
				if err := checkUploadPaging(s, ups, p); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// checkUploadPaging pages through p's listing with the Next markers and
// checks every page against the reference.
func checkUploadPaging(s *Postgres, ups []Upload, p ListUploadsParams) error {
	all := refUploads(ups, p)
	q := p
	off := 0
	for page := 0; ; page++ {
		res, err := s.ListUploads(context.Background(), q)
		if err != nil {
			return fmt.Errorf("%+v: %v", q, err)
		}
		got := upEntries(res)
		want := all[off:min(len(all), off+p.MaxUploads)]
		if !slices.Equal(got, want) {
			return fmt.Errorf("%+v: page %d = %+q, want %+q", q, page, got, want)
		}
		off += len(got)
		if res.IsTruncated != (off < len(all)) {
			return fmt.Errorf("%+v: page %d IsTruncated = %v with %d of %d entries listed", q, page, res.IsTruncated, off, len(all))
		}
		if last := got[max(len(got)-1, 0):]; len(last) == 1 && (res.NextKeyMarker != last[0].name || res.NextUploadIDMarker != last[0].id) {
			return fmt.Errorf("%+v: next markers %+q %+q, want %+q", q, res.NextKeyMarker, res.NextUploadIDMarker, last[0])
		}
		for _, u := range res.Uploads {
			if u.Initiated.IsZero() || u.Bucket != p.Bucket {
				return fmt.Errorf("%+v: upload %+v lacks its bucket or initiation time", q, u)
			}
		}
		if !res.IsTruncated {
			return nil
		}
		q.KeyMarker, q.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}

func TestListUploadsMarkers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, u := range []Upload{
		{ID: "z1", Key: "k", Initiated: t0},
		{ID: "a2", Key: "k", Initiated: t0.Add(time.Second)},
		{ID: "m3", Key: "k", Initiated: t0.Add(2 * time.Second)},
		{ID: "x", Key: "k2", Initiated: t0},
		{ID: "y", Key: "dir/a", Initiated: t0},
		{ID: "w", Key: "dir/b", Initiated: t0},
	} {
		u.Bucket = "b"
		if err := s.CreateUpload(ctx, u); err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
	}
	tests := []struct {
		name string
		p    ListUploadsParams
		want []upEntry
	}{
		{"all", ListUploadsParams{}, []upEntry{{"dir/a", "y"}, {"dir/b", "w"}, {"k", "z1"}, {"k", "a2"}, {"k", "m3"}, {"k2", "x"}}},
		{"key marker skips the key's uploads", ListUploadsParams{KeyMarker: "k"}, []upEntry{{"k2", "x"}}},
		{"upload marker resumes in initiation order", ListUploadsParams{KeyMarker: "k", UploadIDMarker: "z1"},
			[]upEntry{{"k", "a2"}, {"k", "m3"}, {"k2", "x"}}},
		{"vanished upload marker falls back to ID order", ListUploadsParams{KeyMarker: "k", UploadIDMarker: "b"},
			[]upEntry{{"k", "z1"}, {"k", "m3"}, {"k2", "x"}}},
		{"upload marker without key marker is ignored", ListUploadsParams{UploadIDMarker: "z1", Prefix: "k"},
			[]upEntry{{"k", "z1"}, {"k", "a2"}, {"k", "m3"}, {"k2", "x"}}},
		{"key marker before the prefix", ListUploadsParams{KeyMarker: "a", Prefix: "k2"}, []upEntry{{"k2", "x"}}},
		{"key marker after the prefix", ListUploadsParams{KeyMarker: "l", Prefix: "k"}, nil},
		{"common prefix as key marker", ListUploadsParams{KeyMarker: "dir/", Delimiter: "/"},
			[]upEntry{{"k", "z1"}, {"k", "a2"}, {"k", "m3"}, {"k2", "x"}}},
		{"delimiter", ListUploadsParams{Delimiter: "/", KeyMarker: "a"}, []upEntry{{name: "dir/"}, {"k", "z1"}, {"k", "a2"}, {"k", "m3"}, {"k2", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.Bucket, p.MaxUploads = "b", 1000
			res, err := s.ListUploads(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := upEntries(res); !slices.Equal(got, tt.want) || res.IsTruncated {
				t.Fatalf("ListUploads = %+q (truncated %v), want %+q", got, res.IsTruncated, tt.want)
			}
		})
	}

	if res, err := s.ListUploads(ctx, ListUploadsParams{Bucket: "b"}); err != nil || len(res.Uploads)+len(res.CommonPrefixes) != 0 || res.IsTruncated {
		t.Errorf("MaxUploads 0: %+v, %v", res, err)
	}
	if _, err := s.ListUploads(ctx, ListUploadsParams{Bucket: "nob", MaxUploads: 10}); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("missing bucket: %v, want ErrNoSuchBucket", err)
	}
	if _, err := s.ListUploads(ctx, ListUploadsParams{Bucket: "b", Prefix: "a\x00", MaxUploads: 10}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("NUL in prefix: %v, want ErrInvalidKey", err)
	}
	// Uploads that are completed or aborted leave the listing.
	if err := s.AbortUpload(ctx, "b", "k", "a2"); err != nil {
		t.Fatal(err)
	}
	res, err := s.ListUploads(ctx, ListUploadsParams{Bucket: "b", Prefix: "k", MaxUploads: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := upEntries(res), []upEntry{{"k", "z1"}, {"k", "m3"}, {"k2", "x"}}; !slices.Equal(got, want) {
		t.Fatalf("after abort: %+q, want %+q", got, want)
	}
}

func TestAbortStaleUploads(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	old := time.Now().Add(-2 * time.Hour)
	for _, u := range []Upload{
		{ID: "old1", Bucket: "b", Key: "k", Initiated: old},
		{ID: "old2", Bucket: "b", Key: "k", Initiated: old.Add(time.Minute)},
		{ID: "old3", Bucket: "b", Key: "k", Initiated: old.Add(2 * time.Minute)},
		{ID: "fresh", Bucket: "b", Key: "k"},
	} {
		if err := s.CreateUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	var oldParts []UploadPart
	for _, id := range []string{"old1", "old2", "old3"} {
		for n := 1; n <= 2; n++ {
			p := newPart(t, n, 5)
			mustPutPart(t, s, id, p)
			oldParts = append(oldParts, p)
		}
	}
	fresh := newPart(t, 1, 5)
	mustPutPart(t, s, "fresh", fresh)

	// Batches of two: the oldest two first, then the third.
	for i, want := range []int{2, 1, 0} {
		n, err := s.AbortStaleUploads(ctx, time.Hour, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("round %d aborted %d uploads, want %d", i, n, want)
		}
	}
	for _, p := range oldParts {
		if !isQueued(t, s, p.Blob) {
			t.Errorf("blob %s of a stale upload not queued", p.Blob.ID)
		}
	}
	for _, id := range []string{"old1", "old2", "old3"} {
		if _, err := s.GetUpload(ctx, "b", "k", id); !errors.Is(err, ErrNoSuchUpload) {
			t.Errorf("stale upload %s: %v, want ErrNoSuchUpload", id, err)
		}
	}
	if _, err := s.GetUpload(ctx, "b", "k", "fresh"); err != nil {
		t.Fatalf("fresh upload: %v", err)
	}
	if isQueued(t, s, fresh.Blob) {
		t.Error("the fresh upload's blob is queued")
	}
	checkBlobAccounting(t, s)
	if _, err := s.AbortStaleUploads(ctx, time.Hour, 0); err == nil {
		t.Error("limit 0 accepted")
	}
}

// A stale upload locked by another transaction (a part being committed) is
// skipped, not waited for; the next round takes it.
func TestAbortStaleUploadsSkipsLocked(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	old := time.Now().Add(-2 * time.Hour)
	for _, id := range []string{"busy", "idle"} {
		if err := s.CreateUpload(ctx, Upload{ID: id, Bucket: "b", Key: "k", Initiated: old}); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := lockUpload(ctx, tx, "b", "k", "busy"); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := s.AbortStaleUploads(tctx, time.Hour, 10)
	if err != nil || n != 1 {
		t.Fatalf("AbortStaleUploads with one upload locked = %d, %v; want 1", n, err)
	}
	if _, err := s.GetUpload(ctx, "b", "k", "busy"); err != nil {
		t.Fatalf("locked upload: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.AbortStaleUploads(ctx, time.Hour, 10); err != nil || n != 1 {
		t.Fatalf("AbortStaleUploads after the lock went = %d, %v; want 1", n, err)
	}
}
