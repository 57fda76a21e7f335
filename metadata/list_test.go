package metadata

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// entry is one item of a listing: a key or a common prefix.
type entry struct {
	name   string
	prefix bool
}

func (e entry) String() string {
	if e.prefix {
		return fmt.Sprintf("P(%+q)", e.name)
	}
	return fmt.Sprintf("%+q", e.name)
}

// refList is S3 listing by brute force over every key: all entries of p
// after StartAfter, ignoring MaxKeys.
func refList(keys []string, p ListParams) []entry {
	sorted := slices.Clone(keys)
	slices.Sort(sorted) // Go compares strings bytewise, as S3 does
	var out []entry
	seen := map[string]bool{}
	for _, k := range sorted {
		if !strings.HasPrefix(k, p.Prefix) || k <= p.StartAfter {
			continue
		}
		if p.Delimiter != "" {
			rest := k[len(p.Prefix):]
			if i := strings.Index(rest, p.Delimiter); i >= 0 {
				cp := p.Prefix + rest[:i+len(p.Delimiter)]
				if cp != p.StartAfter && !seen[cp] {
					seen[cp] = true
					out = append(out, entry{cp, true})
				}
				continue
			}
		}
		out = append(out, entry{k, false})
	}
	return out
}

// show renders p for messages, with unprintable runes escaped.
func show(p ListParams) string {
	return fmt.Sprintf("{prefix %+q delimiter %+q start-after %+q max-keys %d}", p.Prefix, p.Delimiter, p.StartAfter, p.MaxKeys)
}

// entries merges a page's keys and common prefixes into byte order.
func entries(r ListResult) []entry {
	var out []entry
	for _, o := range r.Objects {
		out = append(out, entry{o.Key, false})
	}
	for _, p := range r.CommonPrefixes {
		out = append(out, entry{p, true})
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return out
}

// listFixture is keys chosen to share prefixes and to sit next to
// delimiters in byte order.
var listFixture = []string{
	"a", "a+", "a-", "a.b", "a/", "a//b", "a/b", "a/b/", "a/b/c", "a/b/c/d", "a/bc", "a/c",
	"a0", "aa/b", "ab", "a\x01", "a\x7f", "a\U0010FFFF", "a\U0010FFFF/x", "a\U0010FFFF\U0010FFFF",
	"b", "b/", "b/a", "ba", "bb/b/b",
	"photos/2024/jan/1.jpg", "photos/2024/jan/2.jpg", "photos/2024/feb/1.jpg", "photos/2025/x", "photos/readme",
	"é", "é/", "é/x", "éa", "\uD7FF/x", "\uE000", "😀", "😀/😀", "😀😀/a", "z", "\x7f", "\U0010FFFF", "\U0010FFFF/a",
}

// checkListing compares every page of p's listing, paged MaxKeys at a
// time, with the reference.
func checkListing(s *Postgres, keys []string, p ListParams) error {
	ctx := context.Background()
	var got []entry
	q := p
	for page := 0; ; page++ {
		res, err := s.ListObjects(ctx, q)
		if err != nil {
			return fmt.Errorf("%s: %v", show(q), err)
		}
		es := entries(res)
		// Each page is the start of what the reference has left.
		rest := refList(keys, q)
		want := rest[:min(len(rest), q.MaxKeys)]
		if !slices.Equal(es, want) {
			return fmt.Errorf("%s: page %d = %v, want %v", show(q), page, es, want)
		}
		if wantTrunc := len(rest) > q.MaxKeys; res.IsTruncated != wantTrunc {
			return fmt.Errorf("%s: IsTruncated = %v, want %v", show(q), res.IsTruncated, wantTrunc)
		}
		if len(es) > 0 && res.NextStartAfter != es[len(es)-1].name {
			return fmt.Errorf("%s: NextStartAfter = %+q, want the last entry %+q", show(q), res.NextStartAfter, es[len(es)-1].name)
		}
		got = append(got, es...)
		if !res.IsTruncated {
			break
		}
		q.StartAfter = res.NextStartAfter
	}
	if want := refList(keys, p); !slices.Equal(got, want) {
		return fmt.Errorf("%s: paged listing = %v, want %v", show(p), got, want)
	}
	return nil
}

func loadKeys(t testing.TB, s *Postgres, bucket string, keys []string) {
	t.Helper()
	mustCreateBucket(t, s, bucket)
	// Listing needs only objects rows; parts do not matter here.
	exec(t, s, `INSERT INTO objects (bucket, key, size, etag)
		SELECT $1, k, octet_length(k), '"e"' FROM unnest($2::text[]) k`, bucket, keys)
}

func TestListObjectsFixture(t *testing.T) {
	s := newStore(t)
	loadKeys(t, s, "b", listFixture)
	prefixes := []string{"", "a", "a/", "a/b", "a/b/", "a\U0010FFFF", "photos/", "photos/2024/", "é", "😀", "\U0010FFFF", "nothing"}
	delimiters := []string{"", "/", "b", "/b", "😀", "\U0010FFFF", "ab", "/2"}
	startAfters := []string{"", "a", "a/", "a/b", "a/b/", "a\U0010FFFF", "photos/2024/", "é", "zz", "\U0010FFFF"}
	var params []ListParams
	for _, prefix := range prefixes {
		for _, delim := range delimiters {
			for _, after := range startAfters {
				for _, max := range []int{1, 3, 1000} {
					params = append(params, ListParams{Bucket: "b", Prefix: prefix, Delimiter: delim, StartAfter: after, MaxKeys: max})
				}
			}
		}
	}
	runListings(t, s, listFixture, params)
}

// TestListObjectsRandom lists random keys over a small alphabet rich in
// delimiters and extreme code points with random parameters.
func TestListObjectsRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	alphabet := []string{"a", "b", "/", "//", "é", "😀", "\U0010FFFF", "\x01", "\x7f"}
	word := func(max int) string {
		var b strings.Builder
		for range rng.IntN(max + 1) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	seen := map[string]bool{}
	var keys []string
	for len(keys) < 300 {
		if k := word(5); k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	s := newStore(t)
	loadKeys(t, s, "b", keys)
	var params []ListParams
	for range 300 {
		p := ListParams{Bucket: "b", Prefix: word(2), Delimiter: word(1), MaxKeys: 1 + rng.IntN(40)}
		switch rng.IntN(3) {
		case 0:
			p.StartAfter = keys[rng.IntN(len(keys))]
		case 1:
			p.StartAfter = word(3)
		}
		params = append(params, p)
	}
	runListings(t, s, keys, params)
}

// runListings checks each of params, several at a time.
func runListings(t *testing.T, s *Postgres, keys []string, params []ListParams) {
	t.Helper()
	work := make(chan ListParams)
	errs := make(chan error, len(params))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for p := range work {
				if err := checkListing(s, keys, p); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, p := range params {
		work <- p
	}
	close(work)
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 10 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d listings wrong", n, len(params))
	}
}

func TestListObjectsEdgeCases(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	loadKeys(t, s, "b", listFixture)
	mustCreateBucket(t, s, "empty")
	tests := []struct {
		name string
		p    ListParams
		want error
	}{
		{"max-keys 0", ListParams{Bucket: "b", MaxKeys: 0}, nil},
		{"empty bucket", ListParams{Bucket: "empty", MaxKeys: 10}, nil},
		{"missing bucket", ListParams{Bucket: "nob", MaxKeys: 10}, ErrNoSuchBucket},
		{"missing bucket, max-keys 0", ListParams{Bucket: "nob"}, ErrNoSuchBucket},
		{"negative max-keys", ListParams{Bucket: "b", MaxKeys: -1}, nil},
		{"invalid prefix", ListParams{Bucket: "b", Prefix: "\xff", MaxKeys: 10}, ErrInvalidKey},
		{"NUL delimiter", ListParams{Bucket: "b", Delimiter: "\x00", MaxKeys: 10}, ErrInvalidKey},
		{"invalid start-after", ListParams{Bucket: "b", StartAfter: "a\xc3", MaxKeys: 10}, ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.ListObjects(ctx, tt.p)
			if tt.p.MaxKeys < 0 {
				if err == nil {
					t.Fatal("negative max-keys accepted")
				}
				return
			}
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("ListObjects: %v, want %v", err, tt.want)
			}
			if len(res.Objects)+len(res.CommonPrefixes) != 0 || res.IsTruncated || res.NextStartAfter != "" {
				t.Fatalf("ListObjects = %+v, want an empty page", res)
			}
		})
	}

	res, err := s.ListObjects(ctx, ListParams{Bucket: "b", Prefix: "a/", MaxKeys: 1})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Objects[0]
	if o.Bucket != "b" || o.Key != "a/" || o.Size != 2 || o.ETag != `"e"` || o.LastModified.IsZero() {
		t.Fatalf("listed object = %+v", o)
	}
}

func TestPrefixEnd(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"a/", "a0", true},
		{"ab", "ac", true},
		{"\x7f", "\u0080", true},
		{"é", "ê", true},
		{"\uD7FF", "\uE000", true}, // skips the surrogates
		{"\uFFFF", "\U00010000", true},
		{"😀", "😁", true},
		{"a\U0010FFFF", "b", true},
		{"a\U0010FFFF\U0010FFFF", "b", true},
		{"\U0010FFFF", "", false},
		{"\U0010FFFF\U0010FFFF", "", false},
		{"\U0010FFFFa", "\U0010FFFFb", true},
	}
	for _, tt := range tests {
		got, ok := prefixEnd(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("prefixEnd(%+q) = %+q, %v; want %+q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		var sql *string
		if err := s.pool.QueryRow(context.Background(), `SELECT floe_prefix_end($1)`, tt.in).Scan(&sql); err != nil {
			t.Fatal(err)
		}
		if (sql != nil) != tt.ok || (sql != nil && *sql != tt.want) {
			t.Errorf("floe_prefix_end(%+q) = %v, want %+q, %v", tt.in, sql, tt.want, tt.ok)
		}
	}
}

func TestListStart(t *testing.T) {
	tests := []struct {
		p      ListParams
		want   string
		wantOK bool
	}{
		{ListParams{}, "", true},
		{ListParams{Prefix: "p/"}, "p/", true},
		{ListParams{StartAfter: "k"}, "k\x01", true},
		{ListParams{Prefix: "p/", StartAfter: "a"}, "p/", true},            // start-after before the prefix
		{ListParams{Prefix: "p/", StartAfter: "p/x"}, "p/x\x01", true},     // inside it
		{ListParams{Delimiter: "/", StartAfter: "a/"}, "a0", true},         // a common prefix: skip its keys
		{ListParams{Delimiter: "/", StartAfter: "a/b/"}, "a/b/\x01", true}, // not a common prefix of this listing
		{ListParams{Prefix: "a/", Delimiter: "/", StartAfter: "a/b/"}, "a/b0", true},
		{ListParams{Delimiter: "/", StartAfter: "a"}, "a\x01", true},
		{ListParams{Delimiter: "\U0010FFFF", StartAfter: "\U0010FFFF"}, "", false}, // nothing sorts after
		{ListParams{Delimiter: "\U0010FFFF", StartAfter: "a\U0010FFFF"}, "b", true},
	}
	for _, tt := range tests {
		got, ok := listStart(tt.p)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("listStart(%+v) = %+q, %v; want %+q, %v", tt.p, got, ok, tt.want, tt.wantOK)
		}
	}
}
