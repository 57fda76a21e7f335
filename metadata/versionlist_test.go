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
	"unicode/utf8"
)

// modelVersion is one version in versionModel.
type modelVersion struct {
	id     string // NullVersion or a fresh ID
	marker bool
	etag   string
	size   int64
}

// versionModel is S3 versioning by brute force: every key's versions,
// newest first, as the S3 documentation describes PUT and DELETE.
type versionModel struct {
	state string
	keys  map[string][]modelVersion
	gone  map[string][]string // IDs of deleted versions, per key
}

func newVersionModel() *versionModel {
	return &versionModel{state: VersioningUnversioned, keys: map[string][]modelVersion{}, gone: map[string][]string{}}
}

// remove deletes version id of key and reports it, if there was one.
func (m *versionModel) remove(key, id string) (modelVersion, bool) {
	vs := m.keys[key]
	i := slices.IndexFunc(vs, func(v modelVersion) bool { return v.id == id })
	if i < 0 {
		return modelVersion{}, false
	}
	v := vs[i]
	m.keys[key] = slices.Delete(vs, i, i+1)
	m.gone[key] = append(m.gone[key], id)
	return v, true
}

// put adds v (whose id the store chose) as key's latest version and
// reports whether the key had a latest version.
func (m *versionModel) put(key string, v modelVersion) (replaced bool) {
	replaced = len(m.keys[key]) > 0
	if m.state != VersioningEnabled {
		m.remove(key, NullVersion)
	}
	m.keys[key] = append([]modelVersion{v}, m.keys[key]...)
	return replaced
}

// deleteLatest is DELETE without a version ID: the DeleteResult S3's rules
// give, given the marker ID the store chose (ignored when it adds none).
func (m *versionModel) deleteLatest(key, markerID string) DeleteResult {
	switch m.state {
	case VersioningUnversioned:
		_, existed := m.remove(key, NullVersion)
		return DeleteResult{Existed: existed}
	case VersioningSuspended:
		_, existed := m.remove(key, NullVersion)
		m.keys[key] = append([]modelVersion{{id: NullVersion, marker: true}}, m.keys[key]...)
		return DeleteResult{VersionID: NullVersion, DeleteMarker: true, Existed: existed}
	}
	m.keys[key] = append([]modelVersion{{id: markerID, marker: true}}, m.keys[key]...)
	return DeleteResult{VersionID: markerID, DeleteMarker: true}
}

// vEntry is one entry of a version listing: a version or a common prefix.
type vEntry struct {
	prefix bool   // a common prefix: only name is set
	name   string // the key, or the common prefix
	id     string
	latest bool
	marker bool
	etag   string
	size   int64
}

func (e vEntry) String() string {
	if e.prefix {
		return fmt.Sprintf("P(%+q)", e.name)
	}
	flags := ""
	if e.latest {
		flags += "*"
	}
	if e.marker {
		flags += "M"
	}
	return fmt.Sprintf("%+q@%s%s", e.name, e.id, flags)
}

// refCommonPrefix is the common prefix key (which starts with prefix)
// rolls up into at delim, or "" if it does not roll up.
func refCommonPrefix(key, prefix, delim string) string {
	if delim == "" {
		return ""
	}
	rest := key[len(prefix):]
	i := strings.Index(rest, delim)
	if i < 0 {
		return ""
	}
	return prefix + rest[:i+len(delim)]
}

// refVersions is the whole version listing p selects from the model,
// ignoring MaxKeys: keys in byte order, each key's versions newest first,
// common prefixes once each in place of the keys under them. Without a
// usable version marker it starts after KeyMarker, skipping everything
// under KeyMarker if that is a common prefix; with one (KeyMarker in the
// listing, not rolled up, its version present) it starts with that
// key's versions older than the marker's.
func refVersions(m *versionModel, p ListVersionsParams) []vEntry {
	var keys []string
	for k, vs := range m.keys {
		if len(vs) > 0 && strings.HasPrefix(k, p.Prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // bytewise, as S3 orders keys
	marker := -1
	if p.VersionIDMarker != "" && strings.HasPrefix(p.KeyMarker, p.Prefix) && refCommonPrefix(p.KeyMarker, p.Prefix, p.Delimiter) == "" {
		marker = slices.IndexFunc(m.keys[p.KeyMarker], func(v modelVersion) bool { return v.id == p.VersionIDMarker })
	}
	var out []vEntry
	seen := map[string]bool{}
	for _, k := range keys {
		if cp := refCommonPrefix(k, p.Prefix, p.Delimiter); cp != "" {
			if k > p.KeyMarker && cp != p.KeyMarker && !seen[cp] {
				seen[cp] = true
				out = append(out, vEntry{prefix: true, name: cp})
			}
			continue
		}
		from := 0
		switch {
		case k == p.KeyMarker && marker >= 0:
			from = marker + 1
		case k <= p.KeyMarker:
			continue
		}
		for i, v := range m.keys[k][from:] {
			out = append(out, vEntry{name: k, id: v.id, latest: from+i == 0, marker: v.marker, etag: v.etag, size: v.size})
		}
	}
	return out
}

// vEntries merges a page's versions and common prefixes into listing
// order (no version's key equals a common prefix of the same listing: a
// key equal to one rolls up into it), checking what every version must
// carry.
func vEntries(p ListVersionsParams, r ListVersionsResult) ([]vEntry, error) {
	var out []vEntry
	for _, o := range r.Versions {
		if o.Bucket != p.Bucket || o.Parts != nil || o.LastModified.IsZero() {
			return nil, fmt.Errorf("version %s@%s: bucket %q, %d parts, LastModified %v", o.Key, o.VersionID, o.Bucket, len(o.Parts), o.LastModified)
		}
		out = append(out, vEntry{name: o.Key, id: o.VersionID, latest: o.IsLatest, marker: o.DeleteMarker, etag: o.ETag, size: o.Size})
	}
	for _, cp := range r.CommonPrefixes {
		out = append(out, vEntry{prefix: true, name: cp})
	}
	slices.SortStableFunc(out, func(a, b vEntry) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// showVersionParams renders p for messages, unprintable runes escaped.
func showVersionParams(p ListVersionsParams) string {
	return fmt.Sprintf("{prefix %+q delimiter %+q key-marker %+q version-id-marker %q max-keys %d}",
		p.Prefix, p.Delimiter, p.KeyMarker, p.VersionIDMarker, p.MaxKeys)
}

// checkVersionListing pages through p's listing, following the next
// markers, and compares every page, its truncation and markers, and the
// whole, with the model. It returns the pages' sizes.
func checkVersionListing(s *Postgres, m *versionModel, p ListVersionsParams) ([]int, error) {
	ctx := context.Background()
	var (
		got   []vEntry
		sizes []int
	)
	q := p
	for page := 0; ; page++ {
		if page > 10000 {
			return sizes, fmt.Errorf("%s: no end after %d pages", showVersionParams(p), page)
		}
		res, err := s.ListObjectVersions(ctx, q)
		if err != nil {
			return sizes, fmt.Errorf("%s: %v", showVersionParams(q), err)
		}
		es, err := vEntries(q, res)
		if err != nil {
			return sizes, fmt.Errorf("%s: %v", showVersionParams(q), err)
		}
		rest := refVersions(m, q)
		want := rest[:min(len(rest), q.MaxKeys)]
		if !slices.Equal(es, want) {
			return sizes, fmt.Errorf("%s: page %d =\n%v\nwant\n%v", showVersionParams(q), page, es, want)
		}
		if wantTrunc := len(rest) > q.MaxKeys; res.IsTruncated != wantTrunc {
			return sizes, fmt.Errorf("%s: IsTruncated = %v, want %v", showVersionParams(q), res.IsTruncated, wantTrunc)
		}
		var wantKey, wantID string
		if res.IsTruncated {
			last := es[len(es)-1]
			wantKey = last.name
			if !last.prefix {
				wantID = last.id
			}
		}
		if res.NextKeyMarker != wantKey || res.NextVersionIDMarker != wantID {
			return sizes, fmt.Errorf("%s: next markers %+q, %q; want %+q, %q", showVersionParams(q),
				res.NextKeyMarker, res.NextVersionIDMarker, wantKey, wantID)
		}
		got = append(got, es...)
		sizes = append(sizes, len(es))
		if !res.IsTruncated {
			break
		}
		q.KeyMarker, q.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
	}
	if want := refVersions(m, p); !slices.Equal(got, want) {
		return sizes, fmt.Errorf("%s: paged listing =\n%v\nwant\n%v", showVersionParams(p), got, want)
	}
	return sizes, nil
}

// runVersionListings checks each of params, several at a time.
func runVersionListings(t *testing.T, s *Postgres, m *versionModel, params []ListVersionsParams) {
	t.Helper()
	work := make(chan ListVersionsParams)
	errs := make(chan error, len(params))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for p := range work {
				if _, err := checkVersionListing(s, m, p); err != nil {
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
		if n++; n <= 5 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Fatalf("%d of %d version listings wrong", n, len(params))
	}
}

// TestListObjectVersionsRandom drives one bucket through random PUTs,
// DELETEs and deletes by version ID over keys rich in delimiters and
// extreme code points, unversioned, then enabled and suspended in turn,
// checking each write's result against a brute-force model of S3, and
// after each phase pages through random version listings (prefixes,
// delimiters, markers, page sizes) comparing them with the model. It ends
// by checking GET and the current listing of every key too.
func TestListObjectVersionsRandom(t *testing.T) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	alphabet := []string{"a", "b", "/", "/", "é", "😀", "\U0010FFFF", "\x01"}
	word := func(max int) string {
		var b strings.Builder
		for range rng.IntN(max + 1) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	keys := []string{"a", "a/", "a/b", "a/b/c", "b//c"}
	for len(keys) < 40 {
		if k := word(4); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}

	s := newStore(t)
	mustCreateBucket(t, s, "b")
	m := newVersionModel()
	ids := map[string]bool{}
	nput := 0
	step := func(i int) error {
		key := keys[rng.IntN(len(keys))]
		switch r := rng.IntN(100); {
		case r < 55:
			nput++
			var sizes []int64
			if rng.IntN(4) > 0 {
				sizes = []int64{int64(1 + rng.IntN(100))}
			}
			obj := versionedObject(t, "b", key, fmt.Sprintf(`"e%d"`, nput), sizes...)
			res, err := s.PutObject(ctx, obj, nil, Precondition{})
			if err != nil {
				return fmt.Errorf("PutObject(%+q): %v", key, err)
			}
			id := res.VersionID
			switch m.state {
			case VersioningUnversioned:
				if id != "" {
					return fmt.Errorf("unversioned PutObject(%+q) gave version %q", key, id)
				}
				id = NullVersion
			case VersioningSuspended:
				if id != NullVersion {
					return fmt.Errorf("suspended PutObject(%+q) gave version %q", key, id)
				}
			default:
				if !ValidVersionID(id) || id == NullVersion || ids[id] {
					return fmt.Errorf("enabled PutObject(%+q) gave version %q, not a fresh one", key, id)
				}
				ids[id] = true
			}
			if replaced := m.put(key, modelVersion{id: id, etag: obj.ETag, size: obj.Size}); res.Replaced != replaced {
				return fmt.Errorf("PutObject(%+q): Replaced = %v, want %v", key, res.Replaced, replaced)
			}
		case r < 75:
			res, err := s.DeleteObject(ctx, "b", key, DeleteOptions{})
			if err != nil {
				return fmt.Errorf("DeleteObject(%+q): %v", key, err)
			}
			if m.state == VersioningEnabled {
				if !ValidVersionID(res.VersionID) || res.VersionID == NullVersion || ids[res.VersionID] {
					return fmt.Errorf("enabled DeleteObject(%+q) gave marker %q, not a fresh one", key, res.VersionID)
				}
				ids[res.VersionID] = true
			}
			if want := m.deleteLatest(key, res.VersionID); res != want {
				return fmt.Errorf("DeleteObject(%+q) = %+v, want %+v", key, res, want)
			}
		default:
			var id string
			vs := m.keys[key]
			switch r := rng.IntN(10); {
			case r < 8 && len(vs) > 0:
				id = vs[rng.IntN(len(vs))].id
			case r < 9 && len(m.gone[key]) > 0:
				id = m.gone[key][rng.IntN(len(m.gone[key]))]
			default:
				id = NewVersionID()
			}
			res, err := s.DeleteObject(ctx, "b", key, DeleteOptions{VersionID: id})
			if err != nil {
				return fmt.Errorf("DeleteObject(%+q, %s): %v", key, id, err)
			}
			v, existed := m.remove(key, id)
			if want := (DeleteResult{VersionID: id, DeleteMarker: v.marker, Existed: existed}); res != want {
				return fmt.Errorf("DeleteObject(%+q, %s) = %+v, want %+v", key, id, res, want)
			}
		}
		return nil
	}

	// randomParams makes n listings: prefixes and markers from keys and
	// words, delimiters "/" and others, pages of 1 to 7 entries or 1000.
	randomParams := func(n int) []ListVersionsParams {
		var ps []ListVersionsParams
		for range n {
			p := ListVersionsParams{Bucket: "b", MaxKeys: 1 + rng.IntN(7)}
			if rng.IntN(6) == 0 {
				p.MaxKeys = 1000
			}
			switch rng.IntN(3) {
			case 0:
				p.Prefix = word(2)
			case 1:
				k := keys[rng.IntN(len(keys))]
				p.Prefix = k[:rng.IntN(len(k)+1)]
				for !utf8.ValidString(p.Prefix) {
					p.Prefix = p.Prefix[:len(p.Prefix)-1]
				}
			}
			switch r := rng.IntN(10); {
			case r < 4:
				p.Delimiter = "/"
			case r < 6:
				p.Delimiter = word(2) // "" sometimes; multi-rune ones too
			}
			switch r := rng.IntN(10); {
			case r < 4: // from the start
			case r < 7:
				k := keys[rng.IntN(len(keys))]
				p.KeyMarker = k
				vs, gone := m.keys[k], m.gone[k]
				switch r := rng.IntN(4); {
				case r < 2 && len(vs) > 0:
					p.VersionIDMarker = vs[rng.IntN(len(vs))].id
				case r < 3 && len(gone) > 0:
					p.VersionIDMarker = gone[rng.IntN(len(gone))]
				case r < 3:
					p.VersionIDMarker = NullVersion
				}
			case r < 8:
				p.KeyMarker = word(3)
			default: // a common prefix, or its key
				k := keys[rng.IntN(len(keys))]
				if i := strings.Index(k, "/"); i >= 0 {
					k = k[:i+1]
				}
				p.KeyMarker = k
			}
			ps = append(ps, p)
		}
		return ps
	}

	phases := []struct {
		state    string
		ops      int
		listings int
	}{
		{VersioningUnversioned, 60, 10},
		{VersioningEnabled, 100, 15},
		{VersioningSuspended, 60, 15},
		{VersioningEnabled, 80, 15},
		{VersioningSuspended, 60, 80},
	}
	for _, ph := range phases {
		if ph.state != VersioningUnversioned {
			mustSetVersioning(t, s, "b", ph.state)
		}
		m.state = ph.state
		for i := range ph.ops {
			if err := step(i); err != nil {
				t.Fatalf("%s phase, op %d: %v", ph.state, i, err)
			}
		}
		params := randomParams(ph.listings)
		// Always the whole bucket, in small pages and in one.
		params = append(params, ListVersionsParams{Bucket: "b", MaxKeys: 1}, ListVersionsParams{Bucket: "b", MaxKeys: 1000},
			ListVersionsParams{Bucket: "b", Delimiter: "/", MaxKeys: 2})
		runVersionListings(t, s, m, params)
	}

	t.Logf("%d versions at the end", count(t, s, `SELECT count(*) FROM objects`))

	// GET and the current listing agree with the model too.
	var current []string
	for k, vs := range m.keys {
		got, err := s.GetObject(ctx, "b", k)
		switch {
		case len(vs) == 0:
			if !errors.Is(err, ErrNoSuchKey) {
				t.Fatalf("GetObject(%+q) = %v, want ErrNoSuchKey", k, err)
			}
		case vs[0].marker:
			checkMarkerErr(t, fmt.Sprintf("GetObject(%+q)", k), err, vs[0].id, false)
		default:
			if err != nil || got.VersionID != vs[0].id || got.ETag != vs[0].etag || got.Size != vs[0].size || !got.IsLatest {
				t.Fatalf("GetObject(%+q) = %s %s, %v; want %s %s", k, got.VersionID, got.ETag, err, vs[0].id, vs[0].etag)
			}
			current = append(current, k)
		}
	}
	for _, p := range []ListParams{{Bucket: "b", MaxKeys: 3}, {Bucket: "b", Delimiter: "/", MaxKeys: 2}, {Bucket: "b", Prefix: "a", Delimiter: "/", MaxKeys: 1000}} {
		if err := checkListing(s, current, p); err != nil {
			t.Fatalf("current listing: %v", err)
		}
	}
	checkBlobAccounting(t, s)
}

// TestListObjectVersionsLongKeys pages 2,500 versions of three keys in
// 1000-entry pages: a key's versions span pages, and resuming inside them
// by version marker continues newest first without loss or repetition.
func TestListObjectVersionsLongKeys(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustSetVersioning(t, s, "b", VersioningEnabled)
	m := newVersionModel()
	m.state = VersioningEnabled
	// Rows written directly, oldest first, with seq in that order; then
	// the sequence moves past them so real writes come after.
	var (
		keys, vids, etags []string
		seqs              []int64
		latest            []bool
	)
	counts := map[string]int{"k1": 1200, "k2": 900, "k3/x": 399}
	seq := int64(1000)
	for _, k := range []string{"k2", "k1", "k3/x"} { // seq order across keys does not matter
		for i := range counts[k] {
			seq++
			id := fmt.Sprintf("%032x", seq)
			keys, vids, seqs, latest = append(keys, k), append(vids, id), append(seqs, seq), append(latest, i == counts[k]-1)
			etags = append(etags, fmt.Sprintf(`"%s-%d"`, k, i))
			m.keys[k] = append([]modelVersion{{id: id, etag: etags[len(etags)-1]}}, m.keys[k]...)
		}
	}
	exec(t, s, `INSERT INTO objects (bucket, key, version_id, seq, is_latest, size, etag)
		SELECT 'b', k, v, q, l, 0, e FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bool[], $5::text[]) AS u (k, v, q, l, e)`,
		keys, vids, seqs, latest, etags)
	exec(t, s, `SELECT setval('object_version_seq', (SELECT max(seq) FROM objects))`)
	// One real PUT on top of k2: 2,500 versions in all.
	obj := versionedObject(t, "b", "k2", `"real"`, 3)
	res := putVersion(t, s, obj)
	m.put("k2", modelVersion{id: res.VersionID, etag: obj.ETag, size: 3})

	tests := []struct {
		p     ListVersionsParams
		pages []int
	}{
		{ListVersionsParams{Bucket: "b", MaxKeys: 1000}, []int{1000, 1000, 500}},
		{ListVersionsParams{Bucket: "b", MaxKeys: 3000}, []int{2500}},
		{ListVersionsParams{Bucket: "b", MaxKeys: 999}, []int{999, 999, 502}},
		{ListVersionsParams{Bucket: "b", Prefix: "k2", MaxKeys: 1000}, []int{901}},
		{ListVersionsParams{Bucket: "b", Prefix: "k2", MaxKeys: 900}, []int{900, 1}},
		{ListVersionsParams{Bucket: "b", Delimiter: "/", MaxKeys: 1000}, []int{1000, 1000, 102}}, // k3/ rolled up
		{ListVersionsParams{Bucket: "b", KeyMarker: "k1", MaxKeys: 1000}, []int{1000, 300}},
	}
	for _, tt := range tests {
		sizes, err := checkVersionListing(s, m, tt.p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sizes, tt.pages) {
			t.Fatalf("%s: pages of %v, want %v", showVersionParams(tt.p), sizes, tt.pages)
		}
	}
	// Resuming at the 1000th version of k1 gives its last 200, then k2's.
	r, err := s.ListObjectVersions(ctx, ListVersionsParams{Bucket: "b", KeyMarker: "k1", VersionIDMarker: m.keys["k1"][999].id, MaxKeys: 201})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Versions) != 201 || r.Versions[0].ETag != `"k1-199"` || r.Versions[199].ETag != `"k1-0"` || r.Versions[200].ETag != `"real"` || !r.Versions[200].IsLatest {
		t.Fatalf("resumed page: %d versions, first %s, want k1-199 … k1-0 then k2's latest", len(r.Versions), r.Versions[0].ETag)
	}
}

// TestListObjectVersionsMarkers pins S3's marker rules on a small bucket:
// a key marker alone skips all that key's versions, a key marker that is a
// common prefix skips every key under it, a version marker resumes with
// the older versions of its key (or after the key if that version is
// gone), and IsLatest and DeleteMarker are set right, null versions being
// reported as "null".
func TestListObjectVersionsMarkers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	names := map[string]string{NullVersion: "null"} // version ID → name in the fixture
	put := func(key, name string) string {
		res := putVersion(t, s, versionedObject(t, "b", key, `"`+name+`"`, 1))
		if res.VersionID != "" {
			names[res.VersionID] = name
		}
		return res.VersionID
	}
	put("a", "a0") // before versioning: a's null version
	mustSetVersioning(t, s, "b", VersioningEnabled)
	a1 := put("a", "a1")
	a2 := put("a", "a2")
	gone := put("a", "gone")
	mustDeleteObject(t, s, "b", "a", gone)
	put("b/1", "b1a")
	b1b := put("b/1", "b1b")
	put("b/2", "b2a")
	put("c", "c1")
	cm := mustDeleteObject(t, s, "b", "c", "").VersionID
	names[cm] = "cm"
	put("d", "d1")

	all := []string{"a@a2*", "a@a1", "a@null", "b/1@b1b*", "b/1@b1a", "b/2@b2a*", "c@cm*M", "c@c1", "d@d1*"}
	after := func(i int) []string { return all[i:] }
	tests := []struct {
		name  string
		p     ListVersionsParams
		want  []string
		trunc bool
		next  string // "key@version-name", or "P:prefix"
	}{
		{"everything", ListVersionsParams{}, all, false, ""},
		{"key marker alone", ListVersionsParams{KeyMarker: "a"}, after(3), false, ""},
		{"key marker before every key", ListVersionsParams{KeyMarker: "0"}, all, false, ""},
		{"key marker not a key", ListVersionsParams{KeyMarker: "b/"}, after(3), false, ""},
		{"key marker after every key", ListVersionsParams{KeyMarker: "z"}, nil, false, ""},
		{"version marker", ListVersionsParams{KeyMarker: "a", VersionIDMarker: a2}, after(1), false, ""},
		{"version marker, middle", ListVersionsParams{KeyMarker: "a", VersionIDMarker: a1}, after(2), false, ""},
		{"version marker, null and oldest", ListVersionsParams{KeyMarker: "a", VersionIDMarker: NullVersion}, after(3), false, ""},
		{"version marker of a deleted version", ListVersionsParams{KeyMarker: "a", VersionIDMarker: gone}, after(3), false, ""},
		{"version marker of an unknown version", ListVersionsParams{KeyMarker: "a", VersionIDMarker: NewVersionID()}, after(3), false, ""},
		{"version marker of a delete marker", ListVersionsParams{KeyMarker: "c", VersionIDMarker: cm}, after(7), false, ""},
		{"version marker of another key's version", ListVersionsParams{KeyMarker: "c", VersionIDMarker: a1}, after(8), false, ""},
		{"delimiter", ListVersionsParams{Delimiter: "/"}, []string{"a@a2*", "a@a1", "a@null", "P:b/", "c@cm*M", "c@c1", "d@d1*"}, false, ""},
		{"key marker is a common prefix", ListVersionsParams{Delimiter: "/", KeyMarker: "b/"}, after(6), false, ""},
		{"prefix and delimiter", ListVersionsParams{Prefix: "b/", Delimiter: "/"}, []string{"b/1@b1b*", "b/1@b1a", "b/2@b2a*"}, false, ""},
		{"prefix and version marker", ListVersionsParams{Prefix: "b/", KeyMarker: "b/1", VersionIDMarker: b1b}, []string{"b/1@b1a", "b/2@b2a*"}, false, ""},
		{"version marker outside the prefix", ListVersionsParams{Prefix: "b/", KeyMarker: "a", VersionIDMarker: a2}, []string{"b/1@b1b*", "b/1@b1a", "b/2@b2a*"}, false, ""},
		{"prefix is a key", ListVersionsParams{Prefix: "b/1"}, []string{"b/1@b1b*", "b/1@b1a"}, false, ""},
		{"truncated in a key", ListVersionsParams{MaxKeys: 2}, all[:2], true, "a@a1"},
		{"truncated at a key's end", ListVersionsParams{MaxKeys: 3}, all[:3], true, "a@null"},
		{"truncated at a common prefix", ListVersionsParams{Delimiter: "/", MaxKeys: 4}, []string{"a@a2*", "a@a1", "a@null", "P:b/"}, true, "P:b/"},
		{"exactly full", ListVersionsParams{MaxKeys: len(all)}, all, false, ""},
		{"max-keys 0", ListVersionsParams{MaxKeys: -1}, nil, false, ""}, // -1: MaxKeys 0, below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.Bucket = "b"
			switch p.MaxKeys {
			case 0:
				p.MaxKeys = 1000
			case -1:
				p.MaxKeys = 0
			}
			res, err := s.ListObjectVersions(ctx, p)
			if err != nil {
				t.Fatalf("%s: %v", showVersionParams(p), err)
			}
			es, err := vEntries(p, res)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, fixtureName(e, names))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("%s = %v, want %v", showVersionParams(p), got, tt.want)
			}
			var next string
			switch {
			case res.NextKeyMarker == "" && res.NextVersionIDMarker == "":
			case res.NextVersionIDMarker == "":
				next = "P:" + res.NextKeyMarker
			default:
				next = res.NextKeyMarker + "@" + names[res.NextVersionIDMarker]
			}
			if res.IsTruncated != tt.trunc || next != tt.next {
				t.Fatalf("%s: IsTruncated %v, next %q; want %v, %q", showVersionParams(p), res.IsTruncated, next, tt.trunc, tt.next)
			}
		})
	}

	res, err := s.ListObjectVersions(ctx, ListVersionsParams{Bucket: "b", Prefix: "c", MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	if m, v := res.Versions[0], res.Versions[1]; m.Size != 0 || m.ETag != "" || v.Size != 1 || v.ETag != `"c1"` || v.Key != "c" {
		t.Fatalf("listed marker %+v and version %+v", m, v)
	}
}

// fixtureName renders e as TestListObjectVersionsMarkers's want lists do.
func fixtureName(e vEntry, names map[string]string) string {
	if e.prefix {
		return "P:" + e.name
	}
	n, ok := names[e.id]
	if !ok {
		n = "?" + e.id
	}
	s := e.name + "@" + n
	if e.latest {
		s += "*"
	}
	if e.marker {
		s += "M"
	}
	return s
}

// TestListObjectVersionsUnversioned proves a bucket never versioned lists
// each object once, as the latest version "null", and a deleted object not
// at all.
func TestListObjectVersionsUnversioned(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	for _, k := range []string{"x", "y", "x"} {
		putVersion(t, s, versionedObject(t, "b", k, `"`+k+`"`, 2))
	}
	putVersion(t, s, versionedObject(t, "b", "z", `"z"`))
	mustDeleteObject(t, s, "b", "z", "")
	res, err := s.ListObjectVersions(ctx, ListVersionsParams{Bucket: "b", MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	es, err := vEntries(ListVersionsParams{Bucket: "b"}, res)
	if err != nil {
		t.Fatal(err)
	}
	want := []vEntry{
		{name: "x", id: NullVersion, latest: true, etag: `"x"`, size: 2},
		{name: "y", id: NullVersion, latest: true, etag: `"y"`, size: 2},
	}
	if !slices.Equal(es, want) || res.IsTruncated {
		t.Fatalf("ListObjectVersions = %v (truncated %v), want %v", es, res.IsTruncated, want)
	}
}

// TestListObjectVersionsErrors proves the listing's argument checks and
// that an empty page still tells a missing bucket from an empty one.
func TestListObjectVersionsErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	mustCreateBucket(t, s, "empty")
	putVersion(t, s, newObject(t, "b", "k", 1))
	tests := []struct {
		name string
		p    ListVersionsParams
		want error // nil: an empty page
		fail bool  // an error other than the ones named
	}{
		{"max-keys 0", ListVersionsParams{Bucket: "b"}, nil, false},
		{"empty bucket", ListVersionsParams{Bucket: "empty", MaxKeys: 10}, nil, false},
		{"nothing under the prefix", ListVersionsParams{Bucket: "b", Prefix: "z", MaxKeys: 10}, nil, false},
		{"missing bucket", ListVersionsParams{Bucket: "nob", MaxKeys: 10}, ErrNoSuchBucket, false},
		{"missing bucket, max-keys 0", ListVersionsParams{Bucket: "nob"}, ErrNoSuchBucket, false},
		{"invalid prefix", ListVersionsParams{Bucket: "b", Prefix: "\xff", MaxKeys: 10}, ErrInvalidKey, false},
		{"NUL delimiter", ListVersionsParams{Bucket: "b", Delimiter: "\x00", MaxKeys: 10}, ErrInvalidKey, false},
		{"invalid key marker", ListVersionsParams{Bucket: "b", KeyMarker: "a\xc3", MaxKeys: 10}, ErrInvalidKey, false},
		{"invalid version marker", ListVersionsParams{Bucket: "b", KeyMarker: "k", VersionIDMarker: "ABC", MaxKeys: 10}, ErrInvalidVersionID, false},
		{"negative max-keys", ListVersionsParams{Bucket: "b", MaxKeys: -1}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.ListObjectVersions(ctx, tt.p)
			switch {
			case tt.fail && err == nil:
				t.Fatal("accepted")
			case !tt.fail && (!errors.Is(err, tt.want) || (tt.want == nil && err != nil)):
				t.Fatalf("ListObjectVersions(%s) = %v, want %v", showVersionParams(tt.p), err, tt.want)
			}
			if len(res.Versions)+len(res.CommonPrefixes) != 0 || res.IsTruncated || res.NextKeyMarker != "" || res.NextVersionIDMarker != "" {
				t.Fatalf("ListObjectVersions(%s) = %+v, want an empty page", showVersionParams(tt.p), res)
			}
		})
	}
}
