package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// listKeySet returns the 2,500 keys TestListing stores: nested
// "directories", many top-level entries (so that a delimited listing of the
// root spans more than 1,000 entries), keys that sort around '/', and keys
// with spaces, '%', '+', non-ASCII and astral characters.
func listKeySet() []string {
	var keys []string
	add := func(format string, n int) {
		for i := range n {
			keys = append(keys, fmt.Sprintf(format, i))
		}
	}
	add("a/b/c/%d", 150)
	add("a/b/%d", 100)
	add("a/%03d", 150)
	add("a/x%02d/y", 60)
	add("d%03d/k", 400)
	add("d%03d/sub/k", 100)
	add("f%04d", 1000)
	add("u/日本/%d", 60)
	add("u/日本語/%d", 20)
	add("é/%d", 40)
	add("🙂 %d", 40)
	add("sp ace/%d", 30)
	add("pct%%25/%d", 30)
	add("plus+/%d", 30)
	keys = append(keys,
		// Around '/' (0x2F): '+' 0x2B, ',' 0x2C, '-' 0x2D, '.' 0x2E, '0' 0x30, '~' 0x7E.
		"a", "a+", "a,", "a-", "a.", "a/", "a0", "a~", "a//double", "a/ /space", "a/%", "a/+", "a/b/",
		"a/b//x", "a/é", "a/日本", "a/😀", "a/c/", "a/c/d/e/f/g", "a/./dot", "a/../dotdot",
		// Byte order, not UTF-16 or collation order: U+FFEF (EF BF AF)
		// and U+FFFD sort before U+1F600 (F0 9F 98 80) in UTF-8 but after
		// it in UTF-16. (U+FFFF, which XML cannot carry, is tested apart.)
		"a\uffef", "a\U0001F600", "a\u00e9", "ae\u0301", "a\u00a0nbsp", "a\ufffd",
		"\U0010FFFF", "\U0010FFFF/x", "\U0010FFFF\U0010FFFF", "\ue000/x", "\ud7ff/x",
		"/leading", "//double-leading", "trailing/", "%", "%2F", "%25", "+", " ", "  two spaces",
		"a b", "a+b", "a%20b", "100%", "q?x=1&y=2", "hash#frag", "semi;colon", "comma,",
		`quote"'`, "<xml>&amp;", "back\\slash", "star*", "tilde~", "paren(s)", "eq=", "at@", "colon:",
		"日本", "日本/", "日本/語", "日/本", "本", "emoji/😀/x", "emoji/😀", "emoji/🙂", "emoji/☃",
		"mixed/é/日本/😀 + % x",
	)
	for i := 0; len(keys) < 2500; i++ {
		keys = append(keys, fmt.Sprintf("z/%04d", i))
	}
	return keys
}

// listEntry is one entry of a listing: a key, or a common prefix.
type listEntry struct {
	name   string
	prefix bool
}

// String shows e as P"prefix" or K"key".
func (e listEntry) String() string {
	if e.prefix {
		return fmt.Sprintf("P%q", e.name)
	}
	return fmt.Sprintf("K%q", e.name)
}

// refList computes what S3 lists for sorted (keys in byte order): the keys
// that start with prefix and sort after startAfter, those holding delim
// after the prefix rolled up into one common prefix each (prefix plus the
// rest up to and including the first delim). A startAfter that is itself
// such a common prefix skips every key under it.
func refList(sorted []string, prefix, delim, startAfter string) []listEntry {
	var out []listEntry
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) || k <= startAfter {
			continue
		}
		if delim != "" {
			rest := k[len(prefix):]
			if i := strings.Index(rest, delim); i >= 0 {
				cp := prefix + rest[:i+len(delim)]
				if cp == startAfter || (len(out) > 0 && out[len(out)-1] == listEntry{cp, true}) {
					continue
				}
				out = append(out, listEntry{cp, true})
				continue
			}
		}
		out = append(out, listEntry{k, false})
	}
	return out
}

// listPage is one response of either list API, normalized.
type listPage struct {
	keys      []string
	prefixes  []string
	truncated bool
	keyCount  int // -1 for v1
}

// entries merges the page's keys and common prefixes in byte order.
func (p listPage) entries() []listEntry {
	var out []listEntry
	for _, k := range p.keys {
		out = append(out, listEntry{k, false})
	}
	for _, c := range p.prefixes {
		out = append(out, listEntry{c, true})
	}
	slices.SortFunc(out, func(a, b listEntry) int { return strings.Compare(a.name, b.name) })
	return out
}

// last returns the page's greatest entry.
func (p listPage) last() string {
	e := p.entries()
	if len(e) == 0 {
		return ""
	}
	return e[len(e)-1].name
}

// checkPages checks a listing's pages against want: IsTruncated exactly
// until the last page, no page over maxKeys, KeyCount right, keys and
// prefixes sorted within a page, and the concatenation equal to want.
func checkPages(t *testing.T, what string, pages []listPage, maxKeys int, want []listEntry) {
	t.Helper()
	var got []listEntry
	for i, p := range pages {
		last := i == len(pages)-1
		if p.truncated == last {
			t.Errorf("%s: page %d of %d has IsTruncated=%v", what, i+1, len(pages), p.truncated)
		}
		n := len(p.keys) + len(p.prefixes)
		if n > maxKeys {
			t.Errorf("%s: page %d has %d entries, over max-keys %d", what, i+1, n, maxKeys)
		}
		if n == 0 && len(pages) > 1 {
			t.Errorf("%s: page %d of %d is empty", what, i+1, len(pages))
		}
		if p.keyCount >= 0 && p.keyCount != n {
			t.Errorf("%s: page %d has KeyCount %d but %d keys and %d prefixes", what, i+1, p.keyCount, len(p.keys), len(p.prefixes))
		}
		for _, l := range [][]string{p.keys, p.prefixes} {
			if !slices.IsSorted(l) || len(slices.Compact(slices.Clone(l))) != len(l) {
				t.Errorf("%s: page %d is not strictly sorted: %q", what, i+1, l)
			}
		}
		got = append(got, p.entries()...)
	}
	if !slices.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("%s: listed %d entries over %d pages, want %d; first difference at %d: got %v, want %v",
			what, len(got), len(pages), len(want), i, window(got, i), window(want, i))
	}
}

// window is the few entries of e around index i, for a failure message.
func window(e []listEntry, i int) []listEntry {
	return e[max(0, i-2):min(len(e), i+3)]
}

// listV2 lists every page of in. byHand drives continuation tokens itself
// (and checks their echo); otherwise the SDK's paginator does.
func listV2(ctx context.Context, t *testing.T, c *s3.Client, in s3.ListObjectsV2Input, byHand bool, decode bool) []listPage {
	t.Helper()
	var pages []listPage
	add := func(out *s3.ListObjectsV2Output) {
		p := listPage{truncated: aws.ToBool(out.IsTruncated), keyCount: int(aws.ToInt32(out.KeyCount))}
		for _, o := range out.Contents {
			p.keys = append(p.keys, maybeDecode(t, aws.ToString(o.Key), decode))
		}
		for _, cp := range out.CommonPrefixes {
			p.prefixes = append(p.prefixes, maybeDecode(t, aws.ToString(cp.Prefix), decode))
		}
		wantMax := int32(1000)
		if in.MaxKeys != nil {
			wantMax = *in.MaxKeys
		}
		if aws.ToInt32(out.MaxKeys) != wantMax {
			t.Errorf("MaxKeys %d, want %d", aws.ToInt32(out.MaxKeys), wantMax)
		}
		if got := maybeDecode(t, aws.ToString(out.Prefix), decode); got != aws.ToString(in.Prefix) {
			t.Errorf("Prefix %q, want %q", got, aws.ToString(in.Prefix))
		}
		if got := maybeDecode(t, aws.ToString(out.Delimiter), decode); got != aws.ToString(in.Delimiter) {
			t.Errorf("Delimiter %q, want %q", got, aws.ToString(in.Delimiter))
		}
		if got := maybeDecode(t, aws.ToString(out.StartAfter), decode); got != aws.ToString(in.StartAfter) {
			t.Errorf("StartAfter %q, want %q", got, aws.ToString(in.StartAfter))
		}
		if out.EncodingType != in.EncodingType {
			t.Errorf("EncodingType %q, want %q", out.EncodingType, in.EncodingType)
		}
		if p.truncated != (aws.ToString(out.NextContinuationToken) != "") {
			t.Errorf("IsTruncated %v with NextContinuationToken %q", p.truncated, aws.ToString(out.NextContinuationToken))
		}
		pages = append(pages, p)
	}
	if !byHand {
		pg := s3.NewListObjectsV2Paginator(c, &in)
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatalf("list v2 page %d: %v", len(pages)+1, err)
			}
			add(out)
			if len(pages) > 3000 {
				t.Fatal("list v2: endless paging")
			}
		}
		return pages
	}
	var token *string
	for {
		in.ContinuationToken = token
		out, err := c.ListObjectsV2(ctx, &in)
		if err != nil {
			t.Fatalf("list v2 page %d: %v", len(pages)+1, err)
		}
		if aws.ToString(out.ContinuationToken) != aws.ToString(token) {
			t.Errorf("page %d: ContinuationToken %q, want the %q sent", len(pages)+1, aws.ToString(out.ContinuationToken), aws.ToString(token))
		}
		add(out)
		if !aws.ToBool(out.IsTruncated) {
			return pages
		}
		token = out.NextContinuationToken
		if len(pages) > 3000 {
			t.Fatal("list v2: endless paging")
		}
	}
}

// listV1 lists every page of in with Marker paging: from NextMarker with a
// delimiter (where S3 sends it), from the last key without one.
func listV1(ctx context.Context, t *testing.T, c *s3.Client, in s3.ListObjectsInput, decode bool) []listPage {
	t.Helper()
	var pages []listPage
	marker := aws.ToString(in.Marker)
	for {
		if marker != "" {
			in.Marker = aws.String(marker)
		}
		out, err := c.ListObjects(ctx, &in)
		if err != nil {
			t.Fatalf("list v1 page %d (marker %q): %v", len(pages)+1, marker, err)
		}
		p := listPage{truncated: aws.ToBool(out.IsTruncated), keyCount: -1}
		for _, o := range out.Contents {
			p.keys = append(p.keys, maybeDecode(t, aws.ToString(o.Key), decode))
			if o.Owner == nil {
				t.Errorf("v1 listing of %q without Owner", aws.ToString(o.Key))
			}
		}
		for _, cp := range out.CommonPrefixes {
			p.prefixes = append(p.prefixes, maybeDecode(t, aws.ToString(cp.Prefix), decode))
		}
		pages = append(pages, p)
		if got := maybeDecode(t, aws.ToString(out.Marker), decode); got != aws.ToString(in.Marker) {
			t.Errorf("page %d: Marker %q, want %q", len(pages), got, aws.ToString(in.Marker))
		}
		wantMax := int32(1000)
		if in.MaxKeys != nil {
			wantMax = *in.MaxKeys
		}
		if aws.ToInt32(out.MaxKeys) != wantMax {
			t.Errorf("MaxKeys %d, want %d", aws.ToInt32(out.MaxKeys), wantMax)
		}
		next := maybeDecode(t, aws.ToString(out.NextMarker), decode)
		switch {
		case !p.truncated && next != "":
			t.Errorf("page %d: NextMarker %q on the last page", len(pages), next)
		case p.truncated && aws.ToString(in.Delimiter) == "" && out.NextMarker != nil:
			t.Errorf("page %d: NextMarker %q without a delimiter", len(pages), next)
		case p.truncated && aws.ToString(in.Delimiter) != "" && next != p.last():
			t.Errorf("page %d: NextMarker %q, want the page's last entry %q", len(pages), next, p.last())
		}
		if !p.truncated {
			return pages
		}
		if aws.ToString(in.Delimiter) != "" {
			marker = next
		} else {
			marker = p.keys[len(p.keys)-1]
		}
		if marker == "" || len(pages) > 3000 {
			t.Fatalf("list v1: no way to continue after page %d", len(pages))
		}
	}
}

// maybeDecode undoes encoding-type=url (form encoding: '+' is a space).
func maybeDecode(t *testing.T, s string, decode bool) string {
	t.Helper()
	if !decode {
		return s
	}
	d, err := url.QueryUnescape(s)
	if err != nil {
		t.Errorf("%q is not URL-encoded: %v", s, err)
	}
	return d
}

type storedObject struct {
	size int64
	etag string
}

// putKeys stores keys with 16 concurrent PUTs. Every tenth body holds a
// few bytes; the rest are empty, which needs no blob and keeps this fast.
func putKeys(ctx context.Context, t *testing.T, c *s3.Client, bucket string, keys []string) map[string]storedObject {
	t.Helper()
	stored := make(map[string]storedObject, len(keys))
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, len(keys))
	for range 16 {
		wg.Go(func() {
			for i := range work {
				var body []byte
				if i%10 == 1 {
					body = []byte(fmt.Sprintf("%d:%s", i, keys[i]))
				}
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys[i]), Body: bytes.NewReader(body)})
				if err != nil {
					errs <- fmt.Errorf("put %q: %w", keys[i], err)
					continue
				}
				mu.Lock()
				stored[keys[i]] = storedObject{size: int64(len(body)), etag: md5ETag(body)}
				mu.Unlock()
			}
		})
	}
	for i := range keys {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	return stored
}

func TestListing(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const bucket = "listing"
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err, "create bucket")
	keys := listKeySet()
	if n := len(slices.Compact(slices.Sorted(slices.Values(keys)))); n != 2500 || len(keys) != 2500 {
		t.Fatalf("key set has %d keys, %d distinct; want 2500", len(keys), n)
	}
	start := time.Now()
	stored := putKeys(ctx, t, c, bucket, keys)
	t.Logf("put %d keys in %v", len(keys), time.Since(start).Round(time.Millisecond))
	sorted := slices.Sorted(slices.Values(keys)) // Go compares strings bytewise: S3 order

	// Every key reads back under its own name (no path cleaning, no
	// normalization) before anything is listed.
	for _, k := range []string{"a/./dot", "a/../dotdot", "//double-leading", "ae\u0301", "a\u00e9", "q?x=1&y=2", "hash#frag", "%2F", " "} {
		got := getBytes(t, c, bucket, k, "")
		if int64(len(got)) != stored[k].size {
			t.Errorf("get %q: %d bytes, want %d", k, len(got), stored[k].size)
		}
	}

	// The entries of a complete listing carry size, ETag and a plausible
	// LastModified.
	t.Run("contents", func(t *testing.T) {
		var n int
		pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			must(t, err, "list")
			for _, o := range out.Contents {
				k := aws.ToString(o.Key)
				want, ok := stored[k]
				switch {
				case !ok:
					t.Errorf("listed %q, never stored", k)
				case aws.ToInt64(o.Size) != want.size || aws.ToString(o.ETag) != want.etag:
					t.Errorf("%q: size %d ETag %s, want %d %s", k, aws.ToInt64(o.Size), aws.ToString(o.ETag), want.size, want.etag)
				case o.LastModified == nil || o.LastModified.Before(start.Add(-time.Minute)) || o.LastModified.After(time.Now().Add(time.Minute)):
					t.Errorf("%q: LastModified %v", k, o.LastModified)
				case o.Owner != nil:
					t.Errorf("%q: v2 listing without fetch-owner has an Owner", k)
				}
				n++
			}
		}
		if n != len(keys) {
			t.Errorf("listed %d keys, want %d", n, len(keys))
		}
	})

	type combo struct {
		prefix, delim string
		maxKeys       int32 // 0: not sent (default 1000)
	}
	var combos []combo
	for _, prefix := range []string{"", "a/"} {
		for _, delim := range []string{"", "/"} {
			for _, mk := range []int32{1, 7, 1000, 0} {
				combos = append(combos, combo{prefix, delim, mk})
			}
		}
	}
	// Multi-byte prefixes and delimiters, where bytes and characters differ.
	for _, x := range []combo{
		{"u/日", "/", 7}, {"u/日本", "/", 3}, {"", "本", 50}, {"日", "/", 7}, {"", "//", 50}, {"a/", "b/", 5},
		{"emoji/", "😀", 2}, {"é", "/", 7}, {"\U0010FFFF", "/", 1}, {"a", "/", 7}, {"a/b", "/", 3},
		{"nothing-here", "/", 7}, {"nothing-here", "", 7}, {"sp ace/", "", 7}, {"pct%25/", "/", 11}, {"plus+", "/", 4},
		// Prefixes whose range ends at a skipped code point: after U+D7FF
		// comes U+E000 (no surrogates in UTF-8); nothing follows U+10FFFF.
		{"\ud7ff", "", 7}, {"\ud7ff", "/", 7}, {"\U0010FFFF", "", 1}, {"\U0010FFFF\U0010FFFF", "", 7}, {"a\U0001F600", "", 7},
	} {
		combos = append(combos, x)
	}

	t.Run("v2", func(t *testing.T) {
		for _, cb := range combos {
			name := fmt.Sprintf("prefix=%q,delim=%q,max=%d", cb.prefix, cb.delim, cb.maxKeys)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				in := s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
				if cb.prefix != "" {
					in.Prefix = aws.String(cb.prefix)
				}
				if cb.delim != "" {
					in.Delimiter = aws.String(cb.delim)
				}
				mk := 1000
				if cb.maxKeys != 0 {
					in.MaxKeys = aws.Int32(cb.maxKeys)
					mk = int(cb.maxKeys)
				}
				// Small pages by hand, big ones with the paginator.
				pages := listV2(ctx, t, c, in, mk < 1000, false)
				checkPages(t, "v2 "+name, pages, mk, refList(sorted, cb.prefix, cb.delim, ""))
			})
		}
	})

	t.Run("v2-start-after", func(t *testing.T) {
		for _, sa := range []string{"a/b/c/5", "a/", "a/b/", "a/b", "d050/", "d050/k", "f0999", "f1", "0", "a\ufffd", "~", "\U0010FFFF\U0010FFFF", "日本/"} {
			for _, cb := range []combo{{"", "", 50}, {"", "/", 7}, {"a/", "/", 7}, {"", "/", 0}} {
				name := fmt.Sprintf("start-after=%q,prefix=%q,delim=%q,max=%d", sa, cb.prefix, cb.delim, cb.maxKeys)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					in := s3.ListObjectsV2Input{Bucket: aws.String(bucket), StartAfter: aws.String(sa), Prefix: aws.String(cb.prefix)}
					if cb.delim != "" {
						in.Delimiter = aws.String(cb.delim)
					}
					mk := 1000
					if cb.maxKeys != 0 {
						in.MaxKeys = aws.Int32(cb.maxKeys)
						mk = int(cb.maxKeys)
					}
					pages := listV2(ctx, t, c, in, true, false)
					checkPages(t, "v2 "+name, pages, mk, refList(sorted, cb.prefix, cb.delim, sa))
				})
			}
		}
	})

	t.Run("v2-bad-token", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: aws.String("!!not a token!!")})
		if errCode(err) != "InvalidArgument" {
			t.Errorf("bogus continuation token: %v", err)
		}
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("no-such-bucket")})
		if errCode(err) != "NoSuchBucket" {
			t.Errorf("list a missing bucket: %v", err)
		}
	})

	t.Run("v1", func(t *testing.T) {
		for _, cb := range combos {
			if cb.maxKeys == 1 && cb.prefix == "" {
				continue // v2 covers single-entry pages of the whole bucket
			}
			name := fmt.Sprintf("prefix=%q,delim=%q,max=%d", cb.prefix, cb.delim, cb.maxKeys)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				in := s3.ListObjectsInput{Bucket: aws.String(bucket)}
				if cb.prefix != "" {
					in.Prefix = aws.String(cb.prefix)
				}
				if cb.delim != "" {
					in.Delimiter = aws.String(cb.delim)
				}
				mk := 1000
				if cb.maxKeys != 0 {
					in.MaxKeys = aws.Int32(cb.maxKeys)
					mk = int(cb.maxKeys)
				}
				pages := listV1(ctx, t, c, in, false)
				checkPages(t, "v1 "+name, pages, mk, refList(sorted, cb.prefix, cb.delim, ""))
			})
		}
		for _, m := range []string{"a/", "a/b/c/5", "d050/k", "zzz"} {
			name := fmt.Sprintf("marker=%q,delim=/", m)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				in := s3.ListObjectsInput{Bucket: aws.String(bucket), Marker: aws.String(m), Delimiter: aws.String("/"), MaxKeys: aws.Int32(50)}
				pages := listV1(ctx, t, c, in, false)
				checkPages(t, "v1 "+name, pages, 50, refList(sorted, "", "/", m))
			})
		}
	})

	// encoding-type=url: keys, prefixes and markers come back encoded, and
	// decode to the originals.
	t.Run("encoding-url", func(t *testing.T) {
		for _, cb := range []combo{{"", "", 0}, {"", "/", 0}, {"", "/", 7}, {"a/", "/", 7}, {"u/日本", "/", 3}, {"pct%25/", "", 7}, {"", "", 7}} {
			name := fmt.Sprintf("prefix=%q,delim=%q,max=%d", cb.prefix, cb.delim, cb.maxKeys)
			mk := 1000
			if cb.maxKeys != 0 {
				mk = int(cb.maxKeys)
			}
			want := refList(sorted, cb.prefix, cb.delim, "")
			t.Run("v2,"+name, func(t *testing.T) {
				t.Parallel()
				in := s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl, Prefix: aws.String(cb.prefix)}
				if cb.delim != "" {
					in.Delimiter = aws.String(cb.delim)
				}
				if cb.maxKeys != 0 {
					in.MaxKeys = aws.Int32(cb.maxKeys)
				}
				if cb.prefix == "" && cb.delim == "" && cb.maxKeys == 7 {
					in.StartAfter = aws.String("a b") // echoed encoded
				}
				pages := listV2(ctx, t, c, in, mk < 1000, true)
				checkPages(t, "v2 url "+name, pages, mk, refList(sorted, cb.prefix, cb.delim, aws.ToString(in.StartAfter)))
			})
			t.Run("v1,"+name, func(t *testing.T) {
				t.Parallel()
				in := s3.ListObjectsInput{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl, Prefix: aws.String(cb.prefix)}
				if cb.delim != "" {
					in.Delimiter = aws.String(cb.delim)
				}
				if cb.maxKeys != 0 {
					in.MaxKeys = aws.Int32(cb.maxKeys)
				}
				pages := listV1(ctx, t, c, in, true)
				checkPages(t, "v1 url "+name, pages, mk, want)
			})
		}
		// The raw wire form: printable ASCII only, a space as '+', '+'
		// and '%' escaped, '/' kept.
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl})
		must(t, err, "list url-encoded")
		raw := map[string]string{}
		for _, o := range out.Contents {
			k := aws.ToString(o.Key)
			d, err := url.QueryUnescape(k)
			if err != nil {
				t.Fatalf("key %q is not URL-encoded: %v", k, err)
			}
			raw[d] = k
			for _, r := range k {
				if r <= ' ' || r >= 0x7f {
					t.Errorf("encoded key %q (%q) holds %q", k, d, r)
					break
				}
			}
		}
		for orig, want := range map[string]string{
			"a b": "a+b", "a+b": "a%2Bb", "a%20b": "a%2520b", "100%": "100%25", "a/ /space": "a/+/space",
			"a\u00e9": "a%C3%A9", "a/日本": "a/%E6%97%A5%E6%9C%AC", "a\U0001F600": "a%F0%9F%98%80", "/leading": "/leading",
		} {
			if got, ok := raw[orig]; !ok {
				t.Errorf("%q missing from the first page of the url-encoded listing", orig)
			} else if got != want {
				t.Errorf("%q encoded as %q, want %q", orig, got, want)
			}
		}
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: "base64"})
		if errCode(err) != "InvalidArgument" {
			t.Errorf("encoding-type=base64: %v", err)
		}
	})
}

// TestListingXMLInvalidKeys lists keys holding characters XML 1.0 cannot
// carry (C0 controls but tab, LF and CR; U+FFFE; U+FFFF). S3 stores such
// keys, and clients list them with encoding-type=url; a listing without it
// must not name a different object in their place.
func TestListingXMLInvalidKeys(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const bucket = "xml-invalid"
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err, "create bucket")
	keys := []string{"k\x01", "k\x08", "k\t", "k\n", "k\r", "k\x1f", "k\ufffd", "k\ufffe", "k\uffff", "m/\x01/x", "m/\ufffd/x"}
	for _, k := range keys {
		putBytes(t, c, bucket, k, []byte(k))
		eq(t, getBytes(t, c, bucket, k, ""), []byte(k), fmt.Sprintf("%q", k))
	}
	sorted := slices.Sorted(slices.Values(keys))

	t.Run("url-encoded", func(t *testing.T) {
		for _, delim := range []string{"", "/"} {
			in := s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl, MaxKeys: aws.Int32(2)}
			if delim != "" {
				in.Delimiter = aws.String(delim)
			}
			pages := listV2(ctx, t, c, in, true, true)
			checkPages(t, fmt.Sprintf("v2 url delim=%q", delim), pages, 2, refList(sorted, "", delim, ""))
			pages = listV1(ctx, t, c, s3.ListObjectsInput{Bucket: in.Bucket, EncodingType: in.EncodingType, MaxKeys: in.MaxKeys, Delimiter: in.Delimiter}, true)
			checkPages(t, fmt.Sprintf("v1 url delim=%q", delim), pages, 2, refList(sorted, "", delim, ""))
		}
	})

	// Without encoding-type=url, Floe's XML encoder (encoding/xml) turns
	// every such character into U+FFFD: "k\uffff" is listed as "k\ufffd",
	// another object's key.
	t.Run("plain", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			t.Skipf("plain listing refused (acceptable: the keys need encoding-type=url): %v", err)
		}
		var got []string
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		if !slices.Equal(got, sorted) {
			t.Errorf("bug: a listing without encoding-type=url names keys that are not the stored ones:\n got  %q\n want %q", got, sorted)
		}
	})

	// v1 clients page from NextMarker with a delimiter; a NextMarker that
	// names a different key ("k\ufffd" for "k\uffff") sends them round in
	// circles.
	t.Run("v1-marker-paging-ends", func(t *testing.T) {
		marker := ""
		for page := 1; ; page++ {
			in := &s3.ListObjectsInput{Bucket: aws.String(bucket), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)}
			if marker != "" {
				in.Marker = aws.String(marker)
			}
			out, err := c.ListObjects(ctx, in)
			if err != nil {
				t.Skipf("plain listing refused (acceptable: the keys need encoding-type=url): %v", err)
			}
			if !aws.ToBool(out.IsTruncated) {
				return
			}
			if page > len(keys)+1 {
				t.Fatalf("bug: v1 listing with delimiter and max-keys 1 still truncated after %d pages of %d keys; NextMarker %q repeats",
					page, len(keys), aws.ToString(out.NextMarker))
			}
			marker = aws.ToString(out.NextMarker)
		}
	})
}
