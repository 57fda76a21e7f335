package e2e

// Bucket versioning end to end: PutBucketVersioning and
// GetBucketVersioning, reads, writes and deletes of versions and delete
// markers, suspended buckets and their "null" version, ListObjectVersions
// paged against a reference model, versioned copies, multipart uploads and
// DeleteObjects, conditional writes, and the aws CLI's s3api commands.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
)

// versionIDRe is the form of the version IDs Floe issues.
var versionIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// emptyETag is the ETag of an object of no bytes.
const emptyETag = `"d41d8cd98f00b204e9800998ecf8427e"`

// setVersioning sets bucket's versioning to status (Enabled or Suspended)
// and checks that GetBucketVersioning then shows it.
func setVersioning(t *testing.T, c *s3.Client, bucket string, status types.BucketVersioningStatus) {
	t.Helper()
	_, err := c.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: status}})
	must(t, err, "put bucket versioning %s on %s", status, bucket)
	out, err := c.GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	must(t, err, "get bucket versioning of %s", bucket)
	if out.Status != status {
		t.Fatalf("GetBucketVersioning of %s: Status %q, want %q", bucket, out.Status, status)
	}
}

// createBucket creates bucket, failing t if that fails.
func createBucket(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	_, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err, "create bucket %s", bucket)
}

// putVersion PUTs data as bucket/key and returns the version ID the
// gateway reported, checking it has the form of a fresh ID.
func putVersion(t *testing.T, c *s3.Client, bucket, key string, data []byte) string {
	t.Helper()
	out := putBytes(t, c, bucket, key, data)
	id := aws.ToString(out.VersionId)
	if !versionIDRe.MatchString(id) {
		t.Fatalf("put %s/%s in an enabled bucket: VersionId %q, want 32 lowercase hex digits", bucket, key, id)
	}
	return id
}

// readVersion GETs version id of bucket/key and checks its body is
// want and its x-amz-version-id is id.
func readVersion(t *testing.T, c *s3.Client, bucket, key, id string, want []byte) {
	t.Helper()
	out, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(id)})
	must(t, err, "get %s/%s?versionId=%s", bucket, key, id)
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	must(t, err, "read %s/%s?versionId=%s", bucket, key, id)
	eq(t, b, want, fmt.Sprintf("%s/%s?versionId=%s", bucket, key, id))
	if got := aws.ToString(out.VersionId); got != id {
		t.Fatalf("get %s/%s?versionId=%s: x-amz-version-id %q", bucket, key, id, got)
	}
}

// getLatest GETs bucket/key without a version ID and checks its body and
// x-amz-version-id.
func getLatest(t *testing.T, c *s3.Client, bucket, key, wantID string, want []byte) {
	t.Helper()
	out, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	must(t, err, "get %s/%s", bucket, key)
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	must(t, err, "read %s/%s", bucket, key)
	eq(t, b, want, bucket+"/"+key)
	if got := aws.ToString(out.VersionId); got != wantID {
		t.Fatalf("get %s/%s: x-amz-version-id %q, want %q", bucket, key, got, wantID)
	}
}

// checkFailed fails t unless err is an SDK error with HTTP status and S3
// error code (code "" checks only the status: HEAD answers have no body).
// It returns the response's headers.
func checkFailed(t *testing.T, err error, status int, code, what string) http.Header {
	t.Helper()
	st, hdr := httpResponse(err)
	if st != status || code != "" && errCode(err) != code {
		t.Fatalf("%s: %v (status %d, code %q), want %d %s", what, err, st, errCode(err), status, code)
	}
	return hdr
}

// checkMarkerHeaders fails t unless hdr carries x-amz-delete-marker: true
// and x-amz-version-id id, as S3 answers reads that find a delete marker.
func checkMarkerHeaders(t *testing.T, hdr http.Header, id, what string) {
	t.Helper()
	if hdr.Get("X-Amz-Delete-Marker") != "true" || hdr.Get("X-Amz-Version-Id") != id {
		t.Fatalf("%s: x-amz-delete-marker %q, x-amz-version-id %q; want true and %s",
			what, hdr.Get("X-Amz-Delete-Marker"), hdr.Get("X-Amz-Version-Id"), id)
	}
}

// ---- ListObjectVersions, raw and through the SDK ----

// vEntry is one entry of a version listing: a version, a delete marker, or
// (cp set, nothing else) a common prefix.
type vEntry struct {
	key, id        string
	marker, latest bool
	etag           string
	size           int64
	cp             string
}

// String shows e compactly, for failure messages.
func (e vEntry) String() string {
	switch {
	case e.cp != "":
		return fmt.Sprintf("P%q", e.cp)
	case e.marker:
		return fmt.Sprintf("M%q@%s(latest=%v)", e.key, e.id, e.latest)
	}
	return fmt.Sprintf("V%q@%s(latest=%v,%s,%d)", e.key, e.id, e.latest, e.etag, e.size)
}

// vPage is one page of a version listing, normalized. entries holds the
// versions and delete markers: in listing order when ordered (a raw
// listing), else the SDK's versions followed by its delete markers.
type vPage struct {
	entries                    []vEntry
	cps                        []string
	ordered                    bool
	truncated                  bool
	nextKey, nextVersion       string
	keyMarker, versionIDMarker string // as echoed
}

// listVersionsXML is a ListVersionsResult with its <Version> and
// <DeleteMarker> elements kept in document order (the SDK splits them).
type listVersionsXML struct {
	Name, Prefix, KeyMarker, VersionIdMarker string
	NextKeyMarker, NextVersionIdMarker       string
	Delimiter, EncodingType                  string
	MaxKeys                                  int
	IsTruncated                              bool
	Items                                    []struct {
		XMLName      xml.Name
		Key          string
		VersionId    string
		IsLatest     bool
		ETag         string
		Size         int64
		Prefix       string
		LastModified string
	} `xml:",any"`
}

// rawVersions sends GET /bucket?versions with the parameters in q and
// returns the page, failing t unless the answer is a 200 listing.
func rawVersions(t *testing.T, cl *cluster, bucket string, q url.Values) (vPage, listVersionsXML) {
	t.Helper()
	target := "/" + bucket + "?versions"
	if len(q) > 0 {
		target += "&" + strings.ReplaceAll(q.Encode(), "+", "%20")
	}
	res := cl.send(t, http.MethodGet, target, nil, nil)
	if res.status != 200 {
		t.Fatalf("GET %s: %d %s\n%.500s", target, res.status, res.code, res.body)
	}
	var l listVersionsXML
	must(t, xml.Unmarshal(res.body, &l), "decode the listing of GET %s", target)
	p := vPage{ordered: true, truncated: l.IsTruncated, nextKey: l.NextKeyMarker, nextVersion: l.NextVersionIdMarker,
		keyMarker: l.KeyMarker, versionIDMarker: l.VersionIdMarker}
	for _, it := range l.Items {
		switch it.XMLName.Local {
		case "Version", "DeleteMarker":
			if it.LastModified == "" || it.VersionId == "" {
				t.Fatalf("GET %s: %s %q without LastModified or VersionId", target, it.XMLName.Local, it.Key)
			}
			p.entries = append(p.entries, vEntry{key: it.Key, id: it.VersionId, marker: it.XMLName.Local == "DeleteMarker",
				latest: it.IsLatest, etag: it.ETag, size: it.Size})
		case "CommonPrefixes":
			p.cps = append(p.cps, it.Prefix)
		}
	}
	return p, l
}

// sdkPage normalizes an SDK ListObjectVersions page.
func sdkPage(out *s3.ListObjectVersionsOutput) vPage {
	p := vPage{truncated: aws.ToBool(out.IsTruncated), nextKey: aws.ToString(out.NextKeyMarker),
		nextVersion: aws.ToString(out.NextVersionIdMarker), keyMarker: aws.ToString(out.KeyMarker),
		versionIDMarker: aws.ToString(out.VersionIdMarker)}
	for _, v := range out.Versions {
		p.entries = append(p.entries, vEntry{key: aws.ToString(v.Key), id: aws.ToString(v.VersionId), latest: aws.ToBool(v.IsLatest),
			etag: aws.ToString(v.ETag), size: aws.ToInt64(v.Size)})
	}
	for _, m := range out.DeleteMarkers {
		p.entries = append(p.entries, vEntry{key: aws.ToString(m.Key), id: aws.ToString(m.VersionId), marker: true, latest: aws.ToBool(m.IsLatest)})
	}
	for _, cp := range out.CommonPrefixes {
		p.cps = append(p.cps, aws.ToString(cp.Prefix))
	}
	return p
}

// listAllRaw pages through a raw version listing of bucket, max-keys n,
// driving key-marker and version-id-marker from each page's Next markers.
func listAllRaw(t *testing.T, cl *cluster, bucket, prefix, delim string, n int) []vPage {
	t.Helper()
	var pages []vPage
	keyMarker, versionMarker := "", ""
	for {
		q := url.Values{"max-keys": {fmt.Sprint(n)}}
		if prefix != "" {
			q.Set("prefix", prefix)
		}
		if delim != "" {
			q.Set("delimiter", delim)
		}
		if keyMarker != "" {
			q.Set("key-marker", keyMarker)
		}
		if versionMarker != "" {
			q.Set("version-id-marker", versionMarker)
		}
		p, _ := rawVersions(t, cl, bucket, q)
		if p.keyMarker != keyMarker || p.versionIDMarker != versionMarker {
			t.Fatalf("page %d echoes KeyMarker %q VersionIdMarker %q, sent %q %q", len(pages)+1, p.keyMarker, p.versionIDMarker, keyMarker, versionMarker)
		}
		pages = append(pages, p)
		if !p.truncated {
			return pages
		}
		if len(pages) > 5000 {
			t.Fatal("raw version listing does not end")
		}
		keyMarker, versionMarker = p.nextKey, p.nextVersion
	}
}

// checkVersionPages checks a paged version listing against want: no page
// over maxKeys, a truncated page full, IsTruncated exactly until the last
// page, the Next markers naming each page's last entry, and the pages
// concatenated equal to want (versions and markers in exact order for a
// raw listing; for the SDK's, which splits them, in order apart).
func checkVersionPages(t *testing.T, what string, pages []vPage, maxKeys int, want []vEntry) {
	t.Helper()
	pos := 0
	for i, p := range pages {
		n := len(p.entries) + len(p.cps)
		last := i == len(pages)-1
		if p.truncated == last {
			t.Fatalf("%s: page %d of %d has IsTruncated=%v", what, i+1, len(pages), p.truncated)
		}
		if n > maxKeys || p.truncated && n != maxKeys {
			t.Fatalf("%s: page %d has %d entries with max-keys %d (truncated %v)", what, i+1, n, maxKeys, p.truncated)
		}
		if pos+n > len(want) {
			t.Fatalf("%s: page %d goes past the %d entries expected (at %d, %d more)", what, i+1, len(want), pos, n)
		}
		win := want[pos : pos+n]
		var wantEntries []vEntry
		var wantCPs []string
		for _, e := range win {
			if e.cp != "" {
				wantCPs = append(wantCPs, e.cp)
			} else {
				wantEntries = append(wantEntries, e)
			}
		}
		if !slices.Equal(p.cps, wantCPs) {
			t.Fatalf("%s: page %d common prefixes %q, want %q", what, i+1, p.cps, wantCPs)
		}
		gotEntries := p.entries
		if !p.ordered {
			isMarker := func(e vEntry) bool { return e.marker }
			isVersion := func(e vEntry) bool { return !e.marker }
			gotEntries = append(filterEntries(p.entries, isVersion), filterEntries(p.entries, isMarker)...)
			wantEntries = append(filterEntries(wantEntries, isVersion), filterEntries(wantEntries, isMarker)...)
		}
		if !slices.Equal(gotEntries, wantEntries) {
			j := 0
			for j < len(gotEntries) && j < len(wantEntries) && gotEntries[j] == wantEntries[j] {
				j++
			}
			t.Fatalf("%s: page %d (entries %d..%d) differs at its entry %d: got %v, want %v", what, i+1, pos, pos+n,
				j, gotEntries[j:min(len(gotEntries), j+3)], wantEntries[j:min(len(wantEntries), j+3)])
		}
		if p.truncated {
			e := win[n-1]
			wantKey, wantVer := e.key, e.id
			if e.cp != "" {
				wantKey, wantVer = e.cp, ""
			}
			if p.nextKey != wantKey || p.nextVersion != wantVer {
				t.Fatalf("%s: page %d NextKeyMarker %q NextVersionIdMarker %q, want %q %q", what, i+1, p.nextKey, p.nextVersion, wantKey, wantVer)
			}
		}
		pos += n
	}
	if pos != len(want) {
		t.Fatalf("%s: listed %d entries over %d pages, want %d", what, pos, len(pages), len(want))
	}
}

// filterEntries returns the entries of es for which keep holds.
func filterEntries(es []vEntry, keep func(vEntry) bool) []vEntry {
	var out []vEntry
	for _, e := range es {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// versionModel is what a test was told it stored: each key's versions and
// delete markers, oldest first.
type versionModel struct {
	mu   sync.Mutex
	keys map[string][]vEntry
}

// add records e as key's newest version; it becomes the only latest one.
func (m *versionModel) add(e vEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string][]vEntry{}
	}
	vs := m.keys[e.key]
	for i := range vs {
		vs[i].latest = false
	}
	e.latest = true
	m.keys[e.key] = append(vs, e)
}

// listing is the version listing S3 gives of the model: keys with prefix
// after keyMarker in byte order, newest version first, keys holding delim
// after the prefix rolled up into one common prefix each.
func (m *versionModel) listing(prefix, delim, keyMarker string) []vEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.keys))
	for k := range m.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []vEntry
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= keyMarker {
			continue
		}
		if rest := k[len(prefix):]; delim != "" && strings.Contains(rest, delim) {
			cp := prefix + rest[:strings.Index(rest, delim)+len(delim)]
			if cp != keyMarker && (len(out) == 0 || out[len(out)-1].cp != cp) {
				out = append(out, vEntry{cp: cp})
			}
			continue
		}
		vs := m.keys[k]
		for i := len(vs) - 1; i >= 0; i-- {
			out = append(out, vs[i])
		}
	}
	return out
}

// ---- The tests ----

// TestVersioningRoundTrip: versions of one key written, read by ID, hidden
// behind a delete marker, listed, and deleted for good one by one.
func TestVersioningRoundTrip(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const b, key = "vround", "doc.bin"
	createBucket(t, c, b)
	gv, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	must(t, err, "get versioning of a new bucket")
	if gv.Status != "" || gv.MFADelete != "" {
		t.Fatalf("a new bucket's versioning: Status %q MFADelete %q, want neither", gv.Status, gv.MFADelete)
	}
	setVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	putBytes(t, c, b, "other", []byte("stays listed"))

	var data [3][]byte
	var ids [3]string
	for i := range data {
		data[i] = blobtest.RandBytes(uint64(100+i), 50_000+i*1000)
		ids[i] = putVersion(t, c, b, key, data[i])
	}
	if ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
		t.Fatalf("three PUTs got version IDs %q", ids)
	}
	getLatest(t, c, b, key, ids[2], data[2])

	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	must(t, err, "delete without a version ID")
	marker := aws.ToString(del.VersionId)
	if !aws.ToBool(del.DeleteMarker) || !versionIDRe.MatchString(marker) || slices.Contains(ids[:], marker) {
		t.Fatalf("delete without a version ID: DeleteMarker %v VersionId %q, want true and a fresh ID", aws.ToBool(del.DeleteMarker), marker)
	}

	// The latest version is the marker: GET and HEAD answer 404, saying so.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	checkMarkerHeaders(t, checkFailed(t, err, 404, "NoSuchKey", "GET behind a delete marker"), marker, "GET behind a delete marker")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	checkMarkerHeaders(t, checkFailed(t, err, 404, "", "HEAD behind a delete marker"), marker, "HEAD behind a delete marker")

	// Every old version still reads by ID, GET and HEAD.
	for i := range ids {
		readVersion(t, c, b, key, ids[i], data[i])
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(ids[i])})
		must(t, err, "HEAD version %d", i)
		if aws.ToString(h.VersionId) != ids[i] || aws.ToInt64(h.ContentLength) != int64(len(data[i])) || aws.ToString(h.ETag) != md5ETag(data[i]) {
			t.Fatalf("HEAD version %d: VersionId %q ContentLength %d ETag %s", i, aws.ToString(h.VersionId), aws.ToInt64(h.ContentLength), aws.ToString(h.ETag))
		}
	}
	// The marker itself has nothing to read: 405, with its headers.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(marker)})
	hdr := checkFailed(t, err, 405, "MethodNotAllowed", "GET of the delete marker by ID")
	checkMarkerHeaders(t, hdr, marker, "GET of the delete marker by ID")
	// S3's GetObject reference: a version that is a delete marker answers
	// 405 "and the Last-Modified: timestamp response header". (Not fatal:
	// the rest of the test goes on.)
	if hdr.Get("Last-Modified") == "" {
		t.Error("GET of the delete marker by ID: no Last-Modified")
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(marker)})
	hdr = checkFailed(t, err, 405, "", "HEAD of the delete marker by ID")
	checkMarkerHeaders(t, hdr, marker, "HEAD of the delete marker by ID")
	if hdr.Get("Last-Modified") == "" {
		t.Error("HEAD of the delete marker by ID: no Last-Modified")
	}

	// Listings: the current one hides the key; the version one has it all.
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	must(t, err, "list objects")
	if len(lo.Contents) != 1 || aws.ToString(lo.Contents[0].Key) != "other" {
		t.Fatalf("ListObjectsV2 behind a delete marker: %d objects, want only %q", len(lo.Contents), "other")
	}
	page, _ := rawVersions(t, cl, b, url.Values{"prefix": {key}})
	want := []vEntry{{key: key, id: marker, marker: true, latest: true}}
	for i := 2; i >= 0; i-- {
		want = append(want, vEntry{key: key, id: ids[i], etag: md5ETag(data[i]), size: int64(len(data[i]))})
	}
	if !slices.Equal(page.entries, want) || page.truncated {
		t.Fatalf("ListObjectVersions:\n got  %v\n want %v", page.entries, want)
	}
	sdk, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String(key)})
	must(t, err, "ListObjectVersions through the SDK")
	if len(sdk.Versions) != 3 || len(sdk.DeleteMarkers) != 1 || aws.ToString(sdk.DeleteMarkers[0].VersionId) != marker ||
		!aws.ToBool(sdk.DeleteMarkers[0].IsLatest) || aws.ToString(sdk.Versions[0].VersionId) != ids[2] ||
		sdk.Versions[0].StorageClass != types.ObjectVersionStorageClassStandard || sdk.DeleteMarkers[0].LastModified == nil {
		t.Fatalf("SDK ListObjectVersions: %+v", sdkPage(sdk).entries)
	}

	// Deleting the marker by ID brings the newest version back.
	dm, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(marker)})
	must(t, err, "delete the marker by ID")
	if !aws.ToBool(dm.DeleteMarker) || aws.ToString(dm.VersionId) != marker {
		t.Fatalf("delete of the marker: DeleteMarker %v VersionId %q, want true and %s", aws.ToBool(dm.DeleteMarker), aws.ToString(dm.VersionId), marker)
	}
	getLatest(t, c, b, key, ids[2], data[2])

	// Deleting a noncurrent version by ID removes it alone.
	dv, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(ids[0])})
	must(t, err, "delete version 0 by ID")
	if aws.ToBool(dv.DeleteMarker) || aws.ToString(dv.VersionId) != ids[0] {
		t.Fatalf("delete of version 0: DeleteMarker %v VersionId %q, want false and %s", aws.ToBool(dv.DeleteMarker), aws.ToString(dv.VersionId), ids[0])
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(ids[0])})
	checkFailed(t, err, 404, "NoSuchVersion", "GET of a deleted version")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(ids[0])})
	checkFailed(t, err, 404, "", "HEAD of a deleted version")
	readVersion(t, c, b, key, ids[1], data[1])
	getLatest(t, c, b, key, ids[2], data[2])
	page, _ = rawVersions(t, cl, b, url.Values{"prefix": {key}})
	want = []vEntry{{key: key, id: ids[2], latest: true, etag: md5ETag(data[2]), size: int64(len(data[2]))},
		{key: key, id: ids[1], etag: md5ETag(data[1]), size: int64(len(data[1]))}}
	if !slices.Equal(page.entries, want) {
		t.Fatalf("ListObjectVersions after deleting the marker and version 0:\n got  %v\n want %v", page.entries, want)
	}
	// Deleting it again is no error (S3's deletes are idempotent).
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(ids[0])})
	must(t, err, "delete a deleted version again")
	// Its blob goes: only versions 1 and 2 (and "other") keep shards.
	waitFor(t, 30*time.Second, "the deleted version's blob is collected", func() (bool, error) {
		n := cl.queuedDeletions(t)
		return n == 0, fmt.Errorf("%d blobs queued", n)
	})
	if n := cl.count(t, `SELECT count(*) FROM object_parts WHERE bucket = $1`, b); n != 3 {
		t.Fatalf("%d object parts left, want 3", n)
	}

	// Version IDs Floe cannot have issued are refused, not looked up.
	for _, bad := range []string{"not-a-version", strings.ToUpper(ids[1]), ids[1] + "0", "NULL"} {
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(bad)})
		checkFailed(t, err, 400, "InvalidArgument", "GET ?versionId="+bad)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(bad)})
		checkFailed(t, err, 400, "InvalidArgument", "DELETE ?versionId="+bad)
	}
	// A well-formed ID that names nothing is 404 NoSuchVersion.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(strings.Repeat("ab", 16))})
	checkFailed(t, err, 404, "NoSuchVersion", "GET of a version that never was")
	readVersion(t, c, b, key, ids[1], data[1])
}

// TestVersioningSuspended: a suspended bucket writes the "null" version,
// each write replacing the last (whose blob is collected), a delete writes
// a null marker, and versions from before stay. Objects written before
// versioning was first enabled are the null version.
func TestVersioningSuspended(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const b = "vsusp"
	createBucket(t, c, b)

	// Before versioning: no version ID anywhere.
	pre := []byte("written before versioning")
	if out := putBytes(t, c, b, "pre", pre); out.VersionId != nil {
		t.Fatalf("PUT in an unversioned bucket: VersionId %q, want none", aws.ToString(out.VersionId))
	}
	// S3 reads an unversioned bucket's object as ?versionId=null too.
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("pre"), VersionId: aws.String("null")})
	must(t, err, "get ?versionId=null in an unversioned bucket")
	got, err := io.ReadAll(g.Body)
	g.Body.Close()
	must(t, err, "read ?versionId=null in an unversioned bucket")
	eq(t, got, pre, "?versionId=null in an unversioned bucket")

	setVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	getLatest(t, c, b, "pre", "null", pre)
	readVersion(t, c, b, "pre", "null", pre)
	page, _ := rawVersions(t, cl, b, url.Values{"prefix": {"pre"}})
	if want := []vEntry{{key: "pre", id: "null", latest: true, etag: md5ETag(pre), size: int64(len(pre))}}; !slices.Equal(page.entries, want) {
		t.Fatalf("listing of an object from before versioning: %v, want %v", page.entries, want)
	}

	v1data := blobtest.RandBytes(200, 40_000)
	v1 := putVersion(t, c, b, "k", v1data)
	setVersioning(t, c, b, types.BucketVersioningStatusSuspended)

	nullBlob := func() string {
		var id string
		must(t, cl.db(t).QueryRow(ctx, `SELECT encode(blob_id, 'hex') FROM object_parts WHERE bucket = $1 AND key = $2 AND version_id = 'null'`,
			b, "k").Scan(&id), "blob of the null version")
		return id
	}
	putNull := func(data []byte) {
		t.Helper()
		// The version written is "null" (the listings below check it);
		// the answer names it "null" or, as Floe chose, not at all.
		out := putBytes(t, c, b, "k", data)
		if out.VersionId != nil && aws.ToString(out.VersionId) != "null" {
			t.Fatalf("PUT in a suspended bucket: VersionId %q, want null or none", aws.ToString(out.VersionId))
		}
	}
	n1 := blobtest.RandBytes(201, 30_000)
	putNull(n1)
	first := nullBlob()
	shards := cl.shardFiles(t)
	n2 := blobtest.RandBytes(202, 20_000)
	putNull(n2)
	if second := nullBlob(); second == first {
		t.Fatal("the second null PUT kept the first one's blob")
	}
	// The first null version is replaced, not kept: its blob and shards go.
	waitFor(t, 30*time.Second, "the replaced null version's blob is collected", func() (bool, error) {
		n := cl.count(t, `SELECT count(*) FROM blobs WHERE id = decode($1, 'hex')`, first)
		return n == 0, fmt.Errorf("blob row still there (%d blobs queued)", cl.queuedDeletions(t))
	})
	cl.waitShardFiles(t, shards)
	getLatest(t, c, b, "k", "null", n2)
	readVersion(t, c, b, "k", "null", n2)
	readVersion(t, c, b, "k", v1, v1data)
	page, _ = rawVersions(t, cl, b, url.Values{"prefix": {"k"}})
	want := []vEntry{{key: "k", id: "null", latest: true, etag: md5ETag(n2), size: int64(len(n2))},
		{key: "k", id: v1, etag: md5ETag(v1data), size: int64(len(v1data))}}
	if !slices.Equal(page.entries, want) {
		t.Fatalf("listing after two suspended PUTs:\n got  %v\n want %v", page.entries, want)
	}

	// A delete writes a null marker in place of the null version.
	second := nullBlob()
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	must(t, err, "delete in a suspended bucket")
	if !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) != "null" {
		t.Fatalf("delete in a suspended bucket: DeleteMarker %v VersionId %q, want true and null", aws.ToBool(del.DeleteMarker), aws.ToString(del.VersionId))
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	checkMarkerHeaders(t, checkFailed(t, err, 404, "NoSuchKey", "GET behind a null marker"), "null", "GET behind a null marker")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String("null")})
	checkFailed(t, err, 405, "MethodNotAllowed", "GET ?versionId=null of a null marker")
	readVersion(t, c, b, "k", v1, v1data)
	page, _ = rawVersions(t, cl, b, url.Values{"prefix": {"k"}})
	want = []vEntry{{key: "k", id: "null", marker: true, latest: true}, {key: "k", id: v1, etag: md5ETag(v1data), size: int64(len(v1data))}}
	if !slices.Equal(page.entries, want) {
		t.Fatalf("listing after a suspended delete:\n got  %v\n want %v", page.entries, want)
	}
	waitFor(t, 30*time.Second, "the null version's blob is collected after the delete", func() (bool, error) {
		n := cl.count(t, `SELECT count(*) FROM blobs WHERE id = decode($1, 'hex')`, second)
		return n == 0, fmt.Errorf("blob row still there (%d blobs queued)", cl.queuedDeletions(t))
	})

	// Enabled again: new versions get fresh IDs; the null marker stays,
	// noncurrent.
	setVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	v3data := []byte("after re-enabling")
	v3 := putVersion(t, c, b, "k", v3data)
	getLatest(t, c, b, "k", v3, v3data)
	page, _ = rawVersions(t, cl, b, url.Values{"prefix": {"k"}})
	want = append([]vEntry{{key: "k", id: v3, latest: true, etag: md5ETag(v3data), size: int64(len(v3data))},
		{key: "k", id: "null", marker: true}}, want[1])
	if !slices.Equal(page.entries, want) {
		t.Fatalf("listing after re-enabling:\n got  %v\n want %v", page.entries, want)
	}
	// A bucket never goes back to unversioned.
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: "Disabled"}})
	checkFailed(t, err, 400, "IllegalVersioningConfigurationException", "PutBucketVersioning Disabled")
}

// TestListObjectVersionsPaging writes 2,500 versions and delete markers of
// 50 keys concurrently, keeping a model of what was acknowledged, and
// pages through ListObjectVersions raw, with the SDK's paginator, with a
// prefix and delimiter, from a key marker, and URL-encoded.
func TestListObjectVersionsPaging(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const b = "vpage"
	createBucket(t, c, b)
	setVersioning(t, c, b, types.BucketVersioningStatusEnabled)

	var keys []string
	for i := range 20 {
		keys = append(keys, fmt.Sprintf("a/k%02d", i))
	}
	for i := range 15 {
		keys = append(keys, fmt.Sprintf("b/x/k%02d", i))
	}
	for i := range 10 {
		keys = append(keys, fmt.Sprintf("c/k%02d", i))
	}
	for i := range 5 {
		keys = append(keys, fmt.Sprintf("top%02d", i))
	}
	const perKey = 50
	var model versionModel
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	var (
		errMu sync.Mutex
		errs  []error
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		errs = append(errs, err)
	}
	for range 16 {
		wg.Go(func() {
		keyLoop:
			for ki := range work {
				key := keys[ki]
				for j := range perKey {
					// Some versions are delete markers, and every fifth key
					// ends with one; most bodies are empty (no blob).
					if (ki*7+j)%9 == 4 || ki%5 == 0 && j == perKey-1 {
						out, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
						if err != nil || !aws.ToBool(out.DeleteMarker) || !versionIDRe.MatchString(aws.ToString(out.VersionId)) {
							fail(fmt.Errorf("delete %s (%d): %v", key, j, err))
							continue keyLoop
						}
						model.add(vEntry{key: key, id: aws.ToString(out.VersionId), marker: true})
						continue
					}
					var body []byte
					if j%10 == 3 {
						body = []byte(fmt.Sprintf("%s#%d", key, j))
					}
					out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body)})
					if err != nil || !versionIDRe.MatchString(aws.ToString(out.VersionId)) {
						fail(fmt.Errorf("put %s (%d): %v", key, j, err))
						continue keyLoop
					}
					model.add(vEntry{key: key, id: aws.ToString(out.VersionId), etag: md5ETag(body), size: int64(len(body))})
				}
			}
		})
	}
	for ki := range keys {
		work <- ki
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d keys failed to write; first: %v", len(errs), errs[0])
	}
	t.Logf("wrote %d versions of %d keys in %v", len(keys)*perKey, len(keys), time.Since(start).Round(time.Millisecond))

	all := model.listing("", "", "")
	if len(all) != len(keys)*perKey {
		t.Fatalf("model holds %d versions", len(all))
	}

	t.Run("raw", func(t *testing.T) {
		checkVersionPages(t, "raw max-keys 1000", listAllRaw(t, cl, b, "", "", 1000), 1000, all)
		// The current listing has the keys whose latest version is no marker.
		var current []string
		for _, e := range all {
			if e.latest && !e.marker {
				current = append(current, e.key)
			}
		}
		lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
		must(t, err, "ListObjectsV2")
		var listed []string
		for _, o := range lo.Contents {
			listed = append(listed, aws.ToString(o.Key))
		}
		if !slices.Equal(listed, current) || len(current) == len(keys) || len(current) == 0 {
			t.Fatalf("ListObjectsV2 lists %q, want %q", listed, current)
		}
	})
	t.Run("paginator", func(t *testing.T) {
		var pages []vPage
		pg := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(b), MaxKeys: aws.Int32(1000)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			must(t, err, "paginator page %d", len(pages)+1)
			pages = append(pages, sdkPage(out))
			if len(pages) > 10 {
				t.Fatal("the paginator does not end")
			}
		}
		if len(pages) != 3 {
			t.Fatalf("%d pages of 1000, want 3", len(pages))
		}
		checkVersionPages(t, "paginator max-keys 1000", pages, 1000, all)
	})
	t.Run("small pages", func(t *testing.T) {
		// Pages ending inside a key's versions, max-keys smaller than a key.
		checkVersionPages(t, "raw prefix a/ max-keys 7", listAllRaw(t, cl, b, "a/", "", 7), 7, model.listing("a/", "", ""))
	})
	t.Run("delimiter", func(t *testing.T) {
		for _, tc := range []struct {
			prefix string
			n      int
		}{{"", 2}, {"", 1000}, {"b/", 3}, {"b/x/", 30}, {"a/", 1000}, {"c/k0", 13}, {"top", 49}, {"nothing/", 5}} {
			want := model.listing(tc.prefix, "/", "")
			what := fmt.Sprintf("prefix %q delimiter / max-keys %d", tc.prefix, tc.n)
			checkVersionPages(t, "raw "+what, listAllRaw(t, cl, b, tc.prefix, "/", tc.n), tc.n, want)
			var pages []vPage
			pg := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(b),
				Prefix: aws.String(tc.prefix), Delimiter: aws.String("/"), MaxKeys: aws.Int32(int32(tc.n))})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				must(t, err, "paginator %s page %d", what, len(pages)+1)
				pages = append(pages, sdkPage(out))
				if len(pages) > 2000 {
					t.Fatalf("paginator %s does not end", what)
				}
			}
			checkVersionPages(t, "paginator "+what, pages, tc.n, want)
		}
		// The top level rolls up into exactly a/, b/ and c/.
		p, _ := rawVersions(t, cl, b, url.Values{"delimiter": {"/"}, "max-keys": {"1000"}})
		if !slices.Equal(p.cps, []string{"a/", "b/", "c/"}) {
			t.Fatalf("top-level common prefixes %q", p.cps)
		}
	})
	t.Run("key marker", func(t *testing.T) {
		// A key marker alone lists the keys after it; a common prefix as
		// the marker skips the keys under it.
		for _, km := range []string{"a/k07", "b/", "b/x/k14", "top04"} {
			p, _ := rawVersions(t, cl, b, url.Values{"key-marker": {km}, "max-keys": {"60"}, "delimiter": {"/"}})
			want := model.listing("", "/", km)
			if p.truncated != (len(want) > 60) {
				t.Fatalf("key-marker %s: IsTruncated %v with %d entries after the marker", km, p.truncated, len(want))
			}
			want = want[:min(len(want), 60)]
			p.truncated = false // checked; compare this one page as a whole listing
			checkVersionPages(t, "key-marker "+km, []vPage{p}, 60, want)
		}
		// A version-id marker without a key marker is refused.
		res := cl.send(t, http.MethodGet, "/"+b+"?versions&version-id-marker="+all[0].id, nil, nil)
		checkError(t, res, 400, "InvalidArgument")
	})

	t.Run("encoding-url", func(t *testing.T) {
		const eb = "vpageenc"
		createBucket(t, c, eb)
		setVersioning(t, c, eb, types.BucketVersioningStatusEnabled)
		var em versionModel
		for i, key := range []string{"enc/a b+c", "enc/ü/x", "enc/ü/y&z", "enc/ctl\x01key", "enc/<tag>", "enc/plain"} {
			for j := range 2 {
				body := []byte(fmt.Sprintf("%d.%d", i, j))
				em.add(vEntry{key: key, id: putVersion(t, c, eb, key, body), etag: md5ETag(body), size: int64(len(body))})
			}
			if i%2 == 0 {
				out, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(eb), Key: aws.String(key)})
				must(t, err, "delete %q", key)
				em.add(vEntry{key: key, id: aws.ToString(out.VersionId), marker: true})
			}
		}
		dec := func(s string) string {
			d, err := url.QueryUnescape(s)
			if err != nil {
				t.Fatalf("%q is not URL-encoded: %v", s, err)
			}
			return d
		}
		for _, tc := range []struct {
			prefix, delim string
			n             int
		}{{"enc/", "", 2}, {"enc/", "/", 2}, {"enc/ü/", "/", 1}, {"", "/", 1000}} {
			what := fmt.Sprintf("url prefix %q delimiter %q max-keys %d", tc.prefix, tc.delim, tc.n)
			var pages []vPage
			in := &s3.ListObjectVersionsInput{Bucket: aws.String(eb), EncodingType: types.EncodingTypeUrl,
				Prefix: aws.String(tc.prefix), MaxKeys: aws.Int32(int32(tc.n))}
			if tc.delim != "" {
				in.Delimiter = aws.String(tc.delim)
			}
			for {
				out, err := c.ListObjectVersions(ctx, in)
				must(t, err, "%s page %d", what, len(pages)+1)
				if out.EncodingType != types.EncodingTypeUrl || dec(aws.ToString(out.Prefix)) != tc.prefix ||
					tc.delim != "" && dec(aws.ToString(out.Delimiter)) != tc.delim {
					t.Fatalf("%s: EncodingType %q Prefix %q Delimiter %q", what, out.EncodingType, aws.ToString(out.Prefix), aws.ToString(out.Delimiter))
				}
				p := sdkPage(out)
				for i := range p.entries {
					if strings.ContainsAny(p.entries[i].key, " \x01<ü") {
						t.Fatalf("%s: key %q is not encoded", what, p.entries[i].key)
					}
					p.entries[i].key = dec(p.entries[i].key)
				}
				for i := range p.cps {
					p.cps[i] = dec(p.cps[i])
				}
				p.nextKey = dec(p.nextKey)
				pages = append(pages, p)
				if !p.truncated || len(pages) > 100 {
					break
				}
				// The markers come back encoded; the next request sends
				// them decoded.
				in.KeyMarker, in.VersionIdMarker = aws.String(p.nextKey), nil
				if p.nextVersion != "" {
					in.VersionIdMarker = aws.String(p.nextVersion)
				}
			}
			checkVersionPages(t, what, pages, tc.n, em.listing(tc.prefix, tc.delim, ""))
		}
		// The raw XML holds %01 for the control character.
		res := cl.send(t, http.MethodGet, "/"+eb+"?versions&encoding-type=url&prefix=enc%2Fctl", nil, nil)
		if res.status != 200 || !bytes.Contains(res.body, []byte("<Key>enc/ctl%01key</Key>")) {
			t.Fatalf("raw url-encoded listing: %d\n%.600s", res.status, res.body)
		}
		res = cl.send(t, http.MethodGet, "/"+eb+"?versions&encoding-type=base64", nil, nil)
		checkError(t, res, 400, "InvalidArgument")
	})
}

// TestVersionedCopyAndMultipart: CopyObject from an old version (and onto
// its own key, restoring it), CompleteMultipartUpload in an enabled
// bucket, and DeleteObjects with and without version IDs.
func TestVersionedCopyAndMultipart(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const b = "vcopy"
	createBucket(t, c, b)
	setVersioning(t, c, b, types.BucketVersioningStatusEnabled)

	a, bb := blobtest.RandBytes(300, 70_000), blobtest.RandBytes(301, 60_000)
	va := putVersion(t, c, b, "k", a)
	vb := putVersion(t, c, b, "k", bb)

	t.Run("copy an old version", func(t *testing.T) {
		out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"),
			CopySource: aws.String(b + "/k?versionId=" + va)})
		must(t, err, "copy version a")
		if aws.ToString(out.CopySourceVersionId) != va || !versionIDRe.MatchString(aws.ToString(out.VersionId)) {
			t.Fatalf("copy of version a: CopySourceVersionId %q VersionId %q", aws.ToString(out.CopySourceVersionId), aws.ToString(out.VersionId))
		}
		if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) != md5ETag(a) {
			t.Fatalf("copy of version a: result %+v", out.CopyObjectResult)
		}
		getLatest(t, c, b, "copy", aws.ToString(out.VersionId), a)

		// Without a version ID the current version is copied, and named.
		out, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"), CopySource: aws.String(b + "/k")})
		must(t, err, "copy the current version")
		if aws.ToString(out.CopySourceVersionId) != vb {
			t.Fatalf("copy of the current version: CopySourceVersionId %q, want %s", aws.ToString(out.CopySourceVersionId), vb)
		}
		getLatest(t, c, b, "copy", aws.ToString(out.VersionId), bb)

		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"),
			CopySource: aws.String(b + "/k?versionId=" + strings.Repeat("0", 32))})
		checkFailed(t, err, 404, "NoSuchVersion", "copy of a version that never was")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"),
			CopySource: aws.String(b + "/k?versionId=bogus")})
		checkFailed(t, err, 400, "InvalidArgument", "copy of a malformed version ID")
	})

	t.Run("restore by copying onto the key", func(t *testing.T) {
		out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("k"),
			CopySource: aws.String(b + "/k?versionId=" + va)})
		must(t, err, "copy version a onto k")
		vr := aws.ToString(out.VersionId)
		if aws.ToString(out.CopySourceVersionId) != va || !versionIDRe.MatchString(vr) || vr == va || vr == vb {
			t.Fatalf("restore: CopySourceVersionId %q VersionId %q", aws.ToString(out.CopySourceVersionId), vr)
		}
		getLatest(t, c, b, "k", vr, a)
		readVersion(t, c, b, "k", va, a)
		readVersion(t, c, b, "k", vb, bb)
		page, _ := rawVersions(t, cl, b, url.Values{"prefix": {"k"}})
		want := []vEntry{{key: "k", id: vr, latest: true, etag: md5ETag(a), size: int64(len(a))},
			{key: "k", id: vb, etag: md5ETag(bb), size: int64(len(bb))}, {key: "k", id: va, etag: md5ETag(a), size: int64(len(a))}}
		if !slices.Equal(page.entries, want) {
			t.Fatalf("listing after the restore:\n got  %v\n want %v", page.entries, want)
		}
	})

	t.Run("copy source is a delete marker", func(t *testing.T) {
		putVersion(t, c, b, "gone", []byte("soon deleted"))
		del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("gone")})
		must(t, err, "delete gone")
		// The current version is a marker: S3 acts as if there were no object.
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("from-gone"), CopySource: aws.String(b + "/gone")})
		checkFailed(t, err, 404, "NoSuchKey", "copy from a key whose latest version is a delete marker")
		// Naming the marker is a bad request: S3's CopyObject reference says
		// a delete marker cannot be the version of x-amz-copy-source (400).
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("from-gone"),
			CopySource: aws.String(b + "/gone?versionId=" + aws.ToString(del.VersionId))})
		checkFailed(t, err, 400, "InvalidRequest", "copy from a delete marker by version ID")
	})

	t.Run("upload part copy", func(t *testing.T) {
		id := createUpload(t, c, b, "pc")
		out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("pc"), UploadId: aws.String(id),
			PartNumber: aws.Int32(1), CopySource: aws.String(b + "/k?versionId=" + va)})
		must(t, err, "UploadPartCopy of version a")
		if aws.ToString(out.CopySourceVersionId) != va {
			t.Fatalf("UploadPartCopy of version a: CopySourceVersionId %q", aws.ToString(out.CopySourceVersionId))
		}
		done := complete(t, c, b, "pc", id, types.CompletedPart{PartNumber: aws.Int32(1), ETag: out.CopyPartResult.ETag})
		getLatest(t, c, b, "pc", aws.ToString(done.VersionId), a)

		putVersion(t, c, b, "pc-gone", []byte("soon deleted"))
		del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("pc-gone")})
		must(t, err, "delete pc-gone")
		id = createUpload(t, c, b, "pc2")
		_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("pc2"), UploadId: aws.String(id),
			PartNumber: aws.Int32(1), CopySource: aws.String(b + "/pc-gone")})
		checkFailed(t, err, 404, "NoSuchKey", "UploadPartCopy from a key whose latest version is a delete marker")
		// S3's UploadPartCopy reference: a versionId naming a delete marker
		// in x-amz-copy-source is 400 Bad Request.
		_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("pc2"), UploadId: aws.String(id),
			PartNumber: aws.Int32(1), CopySource: aws.String(b + "/pc-gone?versionId=" + aws.ToString(del.VersionId))})
		checkFailed(t, err, 400, "InvalidRequest", "UploadPartCopy from a delete marker by version ID")
	})

	t.Run("complete multipart", func(t *testing.T) {
		id := createUpload(t, c, b, "k")
		p1, p2 := blobtest.RandBytes(302, 5*mib), blobtest.RandBytes(303, 1000)
		out := complete(t, c, b, "k", id, uploadPart(t, c, b, "k", id, 1, p1), uploadPart(t, c, b, "k", id, 2, p2))
		vm := aws.ToString(out.VersionId)
		if !versionIDRe.MatchString(vm) || vm == va || vm == vb {
			t.Fatalf("CompleteMultipartUpload: VersionId %q", vm)
		}
		whole := append(slices.Clone(p1), p2...)
		getLatest(t, c, b, "k", vm, whole)
		readVersion(t, c, b, "k", vm, whole)
		readVersion(t, c, b, "k", va, a)
		readVersion(t, c, b, "k", vb, bb)
		// A part of a version reads by number.
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(vm), PartNumber: aws.Int32(2)})
		must(t, err, "get part 2 of the multipart version")
		got, err := io.ReadAll(g.Body)
		g.Body.Close()
		must(t, err, "read part 2")
		eq(t, got, p2, "part 2 of the multipart version")
		page, _ := rawVersions(t, cl, b, url.Values{"prefix": {"k"}})
		if len(page.entries) != 4 || page.entries[0].id != vm || !page.entries[0].latest || page.entries[0].size != int64(len(whole)) {
			t.Fatalf("listing after the multipart upload: %v", page.entries)
		}
	})

	t.Run("delete objects", func(t *testing.T) {
		const db = "vdelete"
		createBucket(t, c, db)
		setVersioning(t, c, db, types.BucketVersioningStatusEnabled)
		d1v1 := putVersion(t, c, db, "d1", []byte("d1 one"))
		d1v2 := putVersion(t, c, db, "d1", []byte("d1 two"))
		d2v1 := putVersion(t, c, db, "d2", []byte("d2 one"))
		d3v1 := putVersion(t, c, db, "d3", []byte("d3 one"))
		m, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(db), Key: aws.String("d3")})
		must(t, err, "delete d3")
		d3m := aws.ToString(m.VersionId)

		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(db), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("d1")},                              // a marker is written
			{Key: aws.String("d1"), VersionId: aws.String(d1v1)}, // a noncurrent version goes
			{Key: aws.String("d3"), VersionId: aws.String(d3m)},  // a marker goes
			{Key: aws.String("never")},                           // a marker for a key that never was
			{Key: aws.String("d2"), VersionId: aws.String("bogus")},
		}}})
		must(t, err, "DeleteObjects")
		byKeyVersion := map[string]types.DeletedObject{}
		for _, d := range out.Deleted {
			byKeyVersion[aws.ToString(d.Key)+"@"+aws.ToString(d.VersionId)] = d
		}
		if len(out.Deleted) != 4 || len(byKeyVersion) != 4 {
			t.Fatalf("DeleteObjects: %d Deleted, want 4: %+v", len(out.Deleted), out.Deleted)
		}
		// No version ID named: DeleteMarker and the new marker's ID, no
		// VersionId.
		var newMarkers []string
		for _, k := range []string{"d1", "never"} {
			d, ok := byKeyVersion[k+"@"]
			if !ok || !aws.ToBool(d.DeleteMarker) || !versionIDRe.MatchString(aws.ToString(d.DeleteMarkerVersionId)) {
				t.Fatalf("Deleted entry of %s without a version ID: %+v (found %v)", k, d, ok)
			}
			newMarkers = append(newMarkers, aws.ToString(d.DeleteMarkerVersionId))
		}
		// A version named: VersionId echoes it; no marker is involved.
		if d, ok := byKeyVersion["d1@"+d1v1]; !ok || aws.ToBool(d.DeleteMarker) || d.DeleteMarkerVersionId != nil {
			t.Fatalf("Deleted entry of d1 version 1: %+v (found %v)", d, ok)
		}
		// A marker named: VersionId and DeleteMarkerVersionId are its ID.
		if d, ok := byKeyVersion["d3@"+d3m]; !ok || !aws.ToBool(d.DeleteMarker) || aws.ToString(d.DeleteMarkerVersionId) != d3m {
			t.Fatalf("Deleted entry of d3's marker: %+v (found %v)", d, ok)
		}
		if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Key) != "d2" || aws.ToString(out.Errors[0].VersionId) != "bogus" {
			t.Fatalf("DeleteObjects errors: %+v, want one for d2@bogus", out.Errors)
		}
		t.Logf("DeleteObjects error for a malformed version ID: %s %s", aws.ToString(out.Errors[0].Code), aws.ToString(out.Errors[0].Message))

		p, _ := rawVersions(t, cl, db, nil)
		want := []vEntry{
			{key: "d1", id: newMarkers[0], marker: true, latest: true},
			{key: "d1", id: d1v2, etag: md5ETag([]byte("d1 two")), size: 6},
			{key: "d2", id: d2v1, latest: true, etag: md5ETag([]byte("d2 one")), size: 6},
			{key: "d3", id: d3v1, latest: true, etag: md5ETag([]byte("d3 one")), size: 6},
			{key: "never", id: newMarkers[1], marker: true, latest: true},
		}
		if !slices.Equal(p.entries, want) {
			t.Fatalf("versions after DeleteObjects:\n got  %v\n want %v", p.entries, want)
		}
		getLatest(t, c, db, "d3", d3v1, []byte("d3 one"))
		readVersion(t, c, db, "d1", d1v2, []byte("d1 two"))

		// Quiet: nothing reported, the same deletes done.
		qo, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(db), Delete: &types.Delete{Quiet: aws.Bool(true),
			Objects: []types.ObjectIdentifier{{Key: aws.String("d1"), VersionId: aws.String(d1v2)}, {Key: aws.String("d1"), VersionId: aws.String(newMarkers[0])}}}})
		must(t, err, "quiet DeleteObjects")
		if len(qo.Deleted) != 0 || len(qo.Errors) != 0 {
			t.Fatalf("quiet DeleteObjects: %+v %+v", qo.Deleted, qo.Errors)
		}
		p, _ = rawVersions(t, cl, db, url.Values{"prefix": {"d1"}})
		if len(p.entries) != 0 {
			t.Fatalf("d1 versions after deleting them all: %v", p.entries)
		}
	})
}

// TestVersioningConditionalWrites: If-None-Match: * and If-Match look at
// the latest version, where a delete marker counts as no object.
func TestVersioningConditionalWrites(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const b = "vcond"
	createBucket(t, c, b)
	setVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	put := func(data []byte, ifMatch, ifNoneMatch *string) (*s3.PutObjectOutput, error) {
		return c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("c"),
			Body: bytes.NewReader(data), IfMatch: ifMatch, IfNoneMatch: ifNoneMatch})
	}
	v1data := []byte("first")
	v1 := putVersion(t, c, b, "c", v1data)
	_, err := put([]byte("refused"), nil, aws.String("*"))
	checkFailed(t, err, 412, "PreconditionFailed", "If-None-Match: * over a real latest version")

	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("c")})
	must(t, err, "delete c")
	// If-Match needs an object: behind a marker there is none (404).
	_, err = put([]byte("refused"), aws.String(md5ETag(v1data)), nil)
	checkFailed(t, err, 404, "NoSuchKey", "If-Match behind a delete marker")
	// If-None-Match: * succeeds when the latest version is a marker.
	v2data := []byte("second")
	out, err := put(v2data, nil, aws.String("*"))
	must(t, err, "If-None-Match: * behind a delete marker")
	v2 := aws.ToString(out.VersionId)
	if !versionIDRe.MatchString(v2) || v2 == v1 {
		t.Fatalf("conditional create: VersionId %q", v2)
	}
	getLatest(t, c, b, "c", v2, v2data)
	_, err = put([]byte("refused"), nil, aws.String("*"))
	checkFailed(t, err, 412, "PreconditionFailed", "If-None-Match: * again")

	// If-Match against the current ETag writes a new version; the
	// noncurrent version's ETag no longer matches.
	v3data := []byte("third")
	out, err = put(v3data, aws.String(md5ETag(v2data)), nil)
	must(t, err, "If-Match the current ETag")
	v3 := aws.ToString(out.VersionId)
	if !versionIDRe.MatchString(v3) || v3 == v2 || v3 == v1 {
		t.Fatalf("If-Match write: VersionId %q", v3)
	}
	getLatest(t, c, b, "c", v3, v3data)
	_, err = put([]byte("refused"), aws.String(md5ETag(v2data)), nil)
	checkFailed(t, err, 412, "PreconditionFailed", "If-Match a noncurrent version's ETag")
	_, err = put([]byte("refused"), aws.String(md5ETag(v1data)), nil)
	checkFailed(t, err, 412, "PreconditionFailed", "If-Match an older version's ETag")

	page, _ := rawVersions(t, cl, b, url.Values{"prefix": {"c"}})
	want := []vEntry{
		{key: "c", id: v3, latest: true, etag: md5ETag(v3data), size: int64(len(v3data))},
		{key: "c", id: v2, etag: md5ETag(v2data), size: int64(len(v2data))},
		{key: "c", id: aws.ToString(del.VersionId), marker: true},
		{key: "c", id: v1, etag: md5ETag(v1data), size: int64(len(v1data))},
	}
	if !slices.Equal(page.entries, want) {
		t.Fatalf("versions after the conditional writes:\n got  %v\n want %v", page.entries, want)
	}
	readVersion(t, c, b, "c", v1, v1data)
	// The refused writes left no blob behind: three versions, three blobs.
	waitFor(t, 30*time.Second, "refused writes' blobs are collected", func() (bool, error) {
		n := cl.count(t, `SELECT count(*) FROM blobs`)
		return n == 3, fmt.Errorf("%d blobs", n)
	})
}

// TestVersioningAWSCLI drives versioning through `aws s3api` (skipped
// without the CLI unless FLOE_E2E_REQUIRE_CLIENTS=1, as the client tests).
func TestVersioningAWSCLI(t *testing.T) {
	t.Parallel()
	needTools(t, "aws")
	cl := startCluster(t)
	cs := newClients(t, cl)
	const b, key = "awsver", "dir/obj.bin"
	dir := t.TempDir()
	var files [2]string
	var data [2][]byte
	for i := range files {
		files[i] = filepath.Join(dir, fmt.Sprintf("v%d.bin", i))
		writeRandomFile(t, files[i], uint64(40+i), int64(3000+i*100))
		var err error
		data[i], err = os.ReadFile(files[i])
		must(t, err, "read %s", files[i])
	}
	minute := time.Minute
	cs.aws(t, minute, "s3api", "create-bucket", "--bucket", b)
	if out := strings.TrimSpace(cs.aws(t, minute, "s3api", "get-bucket-versioning", "--bucket", b)); out != "" {
		var gv map[string]any
		decodeJSON(t, out, &gv)
		if _, ok := gv["Status"]; ok {
			t.Fatalf("get-bucket-versioning of a new bucket: %s", out)
		}
	}
	cs.aws(t, minute, "s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled")
	var gv struct{ Status string }
	decodeJSON(t, cs.aws(t, minute, "s3api", "get-bucket-versioning", "--bucket", b), &gv)
	if gv.Status != "Enabled" {
		t.Fatalf("get-bucket-versioning: Status %q", gv.Status)
	}

	var ids [2]string
	for i := range files {
		var put struct{ ETag, VersionId string }
		decodeJSON(t, cs.aws(t, minute, "s3api", "put-object", "--bucket", b, "--key", key, "--body", files[i]), &put)
		if !versionIDRe.MatchString(put.VersionId) || put.ETag != md5ETag(data[i]) {
			t.Fatalf("put-object %d: %+v", i, put)
		}
		ids[i] = put.VersionId
	}
	if ids[0] == ids[1] {
		t.Fatalf("two put-objects, one version ID %s", ids[0])
	}

	type cliVersions struct {
		Versions []struct {
			Key, VersionId, ETag string
			IsLatest             bool
			Size                 int64
		}
		DeleteMarkers []struct {
			Key, VersionId string
			IsLatest       bool
		}
	}
	var lv cliVersions
	decodeJSON(t, cs.aws(t, minute, "s3api", "list-object-versions", "--bucket", b), &lv)
	if len(lv.Versions) != 2 || len(lv.DeleteMarkers) != 0 ||
		lv.Versions[0].VersionId != ids[1] || !lv.Versions[0].IsLatest || lv.Versions[0].Key != key || lv.Versions[0].Size != int64(len(data[1])) ||
		lv.Versions[1].VersionId != ids[0] || lv.Versions[1].IsLatest || lv.Versions[1].ETag != md5ETag(data[0]) {
		t.Fatalf("list-object-versions: %+v", lv)
	}

	dst := filepath.Join(dir, "got.bin")
	var get struct {
		VersionId     string
		ContentLength int64
	}
	decodeJSON(t, cs.aws(t, minute, "s3api", "get-object", "--bucket", b, "--key", key, "--version-id", ids[0], dst), &get)
	if get.VersionId != ids[0] || get.ContentLength != int64(len(data[0])) {
		t.Fatalf("get-object --version-id: %+v", get)
	}
	got, err := os.ReadFile(dst)
	must(t, err, "read %s", dst)
	eq(t, got, data[0], "get-object --version-id of the first version")

	var del struct {
		DeleteMarker bool
		VersionId    string
	}
	decodeJSON(t, cs.aws(t, minute, "s3api", "delete-object", "--bucket", b, "--key", key), &del)
	if !del.DeleteMarker || !versionIDRe.MatchString(del.VersionId) {
		t.Fatalf("delete-object: %+v", del)
	}
	marker := del.VersionId
	lv = cliVersions{}
	decodeJSON(t, cs.aws(t, minute, "s3api", "list-object-versions", "--bucket", b), &lv)
	if len(lv.Versions) != 2 || len(lv.DeleteMarkers) != 1 || lv.DeleteMarkers[0].VersionId != marker ||
		!lv.DeleteMarkers[0].IsLatest || lv.Versions[0].IsLatest {
		t.Fatalf("list-object-versions after delete-object: %+v", lv)
	}

	del = struct {
		DeleteMarker bool
		VersionId    string
	}{}
	decodeJSON(t, cs.aws(t, minute, "s3api", "delete-object", "--bucket", b, "--key", key, "--version-id", ids[0]), &del)
	if del.DeleteMarker || del.VersionId != ids[0] {
		t.Fatalf("delete-object --version-id of the first version: %+v", del)
	}
	del.VersionId = ""
	decodeJSON(t, cs.aws(t, minute, "s3api", "delete-object", "--bucket", b, "--key", key, "--version-id", marker), &del)
	if !del.DeleteMarker || del.VersionId != marker {
		t.Fatalf("delete-object --version-id of the marker: %+v", del)
	}
	lv = cliVersions{}
	decodeJSON(t, cs.aws(t, minute, "s3api", "list-object-versions", "--bucket", b), &lv)
	if len(lv.Versions) != 1 || len(lv.DeleteMarkers) != 0 || lv.Versions[0].VersionId != ids[1] || !lv.Versions[0].IsLatest {
		t.Fatalf("list-object-versions at the end: %+v", lv)
	}
	decodeJSON(t, cs.aws(t, minute, "s3api", "get-object", "--bucket", b, "--key", key, dst), &get)
	got, err = os.ReadFile(dst)
	must(t, err, "read %s", dst)
	eq(t, got, data[1], "get-object of the latest version")
	if get.VersionId != ids[1] {
		t.Fatalf("get-object of the latest version: VersionId %q, want %s", get.VersionId, ids[1])
	}
}
