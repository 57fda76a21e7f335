package e2e

// floe import, end to end: a real `floe import` process copies from a
// gofakes3 server in this test process (and from a second Floe) into a
// cluster, is killed with SIGKILL half-way, re-runs and re-runs again.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// importSource is an S3 server to import from, with a client for it.
type importSource struct {
	endpoint, accessKey, secretKey string
	client                         *s3.Client
}

// fakeS3Source runs gofakes3 (its in-memory backend) on 127.0.0.1.
func fakeS3Source(t *testing.T) *importSource {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return &importSource{endpoint: srv.URL, accessKey: "fake", secretKey: "fake",
		client: newClient(t, srv.URL, "fake", "fake")}
}

// importCmd is `floe import` from src into cl, with the credentials in
// the environment as the README advises.
func (cl *cluster) importCmd(t *testing.T, src *importSource, args ...string) *exec.Cmd {
	t.Helper()
	cmd := cl.floeCmd(t, append([]string{"import", "--source-endpoint", src.endpoint, "--dest-endpoint", cl.endpoint,
		"--dest-insecure", "--log-level", "warn"}, args...)...)
	cmd.Env = append(cmd.Env,
		"FLOE_IMPORT_SOURCE_ACCESS_KEY_ID="+src.accessKey, "FLOE_IMPORT_SOURCE_SECRET_ACCESS_KEY="+src.secretKey,
		"FLOE_IMPORT_DEST_ACCESS_KEY_ID="+cl.accessKey, "FLOE_IMPORT_DEST_SECRET_ACCESS_KEY="+cl.secretKey)
	return cmd
}

// runImport runs `floe import` to the end and returns its output; it
// fails t unless the command exits 0.
func (cl *cluster) runImport(t *testing.T, src *importSource, args ...string) string {
	t.Helper()
	cmd := cl.importCmd(t, src, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("floe import %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	t.Logf("floe import %s (%v): %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), lastLine(out.String()))
	return out.String()
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// wantObject is what an imported object must look like.
type wantObject struct {
	sum               [32]byte
	size              int64
	contentType, enc  string
	disposition, lang string
	cacheControl      string
	expires           string // as the Expires header reads
	meta              map[string]string
	tags              map[string]string
}

// importKeys are the odd keys every import must carry over unchanged.
func importKeys() []string {
	return []string{"with space", "plus+sign", "per%cent", "a//b", "/leading", "trailing/", "ünï/cödé ✓ 日本",
		"q?x=1&y=2#frag", "tab\tand~tilde", strings.Repeat("k", 1024), "dir/sub/", "..", "a/./b"}
}

func TestImportFromS3Resumes(t *testing.T) {
	cl := startCluster(t)
	src := fakeS3Source(t)
	ctx := ctxT(t)
	_, err := src.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("legacy")})
	must(t, err, "create source bucket")

	// 1,998 small objects (odd keys among them) and two multipart ones
	// of 64 MiB, put by 16 clients at once.
	want := map[string]*wantObject{}
	var keys []string
	keys = append(keys, importKeys()...)
	for i := len(keys); len(keys) < 1998; i++ {
		keys = append(keys, fmt.Sprintf("obj/%04d", i))
	}
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range work {
				k := keys[i]
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				data := make([]byte, rng.IntN(4096))
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				w := &wantObject{sum: sha256.Sum256(data), size: int64(len(data)), contentType: "application/x-test-" + fmt.Sprint(i%7),
					meta: map[string]string{"index": fmt.Sprint(i), "note": "héllo wörld"}}
				in := &s3.PutObjectInput{Bucket: aws.String("legacy"), Key: aws.String(k), Body: bytes.NewReader(data),
					ContentType: aws.String(w.contentType), Metadata: w.meta}
				if i%3 == 0 {
					w.enc, w.disposition = "gzip", fmt.Sprintf(`attachment; filename="f%d.bin"`, i)
					in.ContentEncoding, in.ContentDisposition = aws.String(w.enc), aws.String(w.disposition)
				}
				_, err := src.client.PutObject(ctx, in)
				must(t, err, "put %q on the source", k)
				mu.Lock()
				want[k] = w
				mu.Unlock()
			}
		})
	}
	for i := range keys {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, k := range []string{"big/one", "big/two"} {
		want[k] = putMultipartSource(t, src.client, "legacy", k, 64<<20, 8<<20)
		keys = append(keys, k)
	}
	if len(want) != 2000 {
		t.Fatalf("%d source objects", len(want))
	}

	// The destination bucket keeps every version: a key copied twice
	// would show as two.
	_, err = cl.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("imported")})
	must(t, err, "create destination bucket")
	_, err = cl.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("imported"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must(t, err, "enable versioning")

	// A dry run first: it copies nothing and records nothing.
	out := cl.runImport(t, src, "--bucket", "legacy:imported", "--dry-run")
	if !strings.Contains(out, "would copy 2000 objects") || !strings.Contains(out, "would copy s3://legacy/a//b -> s3://imported") {
		t.Fatalf("dry run printed:\n%.2000s", out)
	}
	if n := cl.count(t, `SELECT count(*) FROM import_objects`); n != 0 {
		t.Fatalf("the dry run wrote %d progress rows", n)
	}
	if n := destVersions(t, cl, "imported"); len(n) != 0 {
		t.Fatalf("the dry run copied %d keys", len(n))
	}

	// The first run is killed once about half is done.
	cmd := cl.importCmd(t, src, "--bucket", "legacy:imported", "--workers", "8")
	var firstOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &firstOut, &firstOut
	start := time.Now()
	must(t, cmd.Start(), "start floe import")
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	waitFor(t, 60*time.Second, "half the objects are imported", func() (bool, error) {
		return cl.count(t, `SELECT count(*) FROM import_objects WHERE state = 'done'`) >= 1000, nil
	})
	// Meanwhile a second import of the same pair is refused.
	second := cl.importCmd(t, src, "--bucket", "legacy:imported")
	if out, err := second.CombinedOutput(); err == nil || !strings.Contains(string(out), "another import of this bucket pair is running") {
		t.Fatalf("a concurrent import: %v\n%s", err, out)
	}
	must(t, cmd.Process.Kill(), "kill -9 floe import")
	_ = cmd.Wait()
	killed = true
	doneAtKill := cl.count(t, `SELECT count(*) FROM import_objects WHERE state = 'done'`)
	inFlight := cl.count(t, `SELECT count(*) FROM import_objects WHERE state = 'copying'`)
	t.Logf("killed after %v: %d done, %d in flight", time.Since(start).Round(time.Millisecond), doneAtKill, inFlight)
	if doneAtKill >= 2000 {
		t.Fatalf("the import finished before it was killed (%d done)", doneAtKill)
	}

	// The re-run finishes the job without copying anything twice.
	out = cl.runImport(t, src, "--bucket", "legacy:imported", "--workers", "8")
	if !strings.Contains(out, "failed 0") {
		t.Fatalf("second run:\n%s", out)
	}
	checkImported(t, cl, src, "legacy", "imported", want)
	versions := destVersions(t, cl, "imported")
	if len(versions) != 2000 {
		t.Fatalf("destination has %d keys, want 2000", len(versions))
	}
	for k, n := range versions {
		if n != 1 {
			t.Fatalf("%q has %d versions on the destination: copied more than once", k, n)
		}
	}
	if n := cl.count(t, `SELECT count(*) FROM import_objects WHERE state = 'done' AND copies = 1 AND source_bucket = 'legacy' AND dest_bucket = 'imported'`); n != 2000 {
		t.Fatalf("%d progress rows done with exactly one copy, want 2000", n)
	}
	if n := cl.count(t, `SELECT count(*) FROM import_objects`); n != 2000 {
		t.Fatalf("%d progress rows, want 2000", n)
	}

	// A third run has nothing to do.
	out = cl.runImport(t, src, "--bucket", "legacy:imported")
	if !strings.Contains(out, "copied 0 objects") || !strings.Contains(out, "skipped 2000 unchanged") {
		t.Fatalf("third run:\n%s", out)
	}

	// After one source object changes, a fourth run copies exactly it.
	changed := []byte("a new body for a changed key")
	_, err = src.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("legacy"), Key: aws.String("plus+sign"),
		Body: bytes.NewReader(changed), ContentType: aws.String("text/plain"), Metadata: map[string]string{"rev": "2"}})
	must(t, err, "change a source object")
	// gofakes3 keeps the old metadata beside the new (S3 would not): the
	// copy must be what the source serves.
	head, err := src.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("legacy"), Key: aws.String("plus+sign")})
	must(t, err, "head the changed object")
	want["plus+sign"] = &wantObject{sum: sha256.Sum256(changed), size: int64(len(changed)), contentType: "text/plain", meta: head.Metadata}
	out = cl.runImport(t, src, "--bucket", "legacy:imported")
	if !strings.Contains(out, "copied 1 objects") || !strings.Contains(out, "skipped 1999 unchanged") {
		t.Fatalf("fourth run:\n%s", out)
	}
	checkObject(t, cl, "imported", "plus+sign", "", want["plus+sign"])
	if v := destVersions(t, cl, "imported"); v["plus+sign"] != 2 || v["a//b"] != 1 {
		t.Fatalf("versions after the change: %d of plus+sign, %d of a//b", v["plus+sign"], v["a//b"])
	}

	// A dry run after another change lists it and changes nothing.
	_, err = src.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("legacy"), Key: aws.String("a//b"), Body: strings.NewReader("x")})
	must(t, err, "change a source object")
	out = cl.runImport(t, src, "--bucket", "legacy:imported", "--dry-run")
	if !strings.Contains(out, "would copy 1 objects") || !strings.Contains(out, "would copy s3://legacy/a//b -> s3://imported (1 bytes)") {
		t.Fatalf("dry run after a change:\n%s", out)
	}
	checkObject(t, cl, "imported", "a//b", "", want["a//b"])
	if n := cl.count(t, `SELECT count(*) FROM import_objects WHERE key = 'a//b' AND size = 1`); n != 0 {
		t.Fatal("the dry run recorded progress")
	}
}

// putMultipartSource uploads size random bytes as a multipart upload of
// partSize parts and returns what the object must look like.
func putMultipartSource(t *testing.T, c *s3.Client, bucket, key string, size, partSize int) *wantObject {
	t.Helper()
	ctx := ctxT(t)
	data := make([]byte, size)
	_, _ = rand.NewChaCha8([32]byte{byte(len(key)), 'm', 'p'}).Read(data)
	w := &wantObject{sum: sha256.Sum256(data), size: int64(size), contentType: "video/mp4", meta: map[string]string{"kind": "big"}}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ContentType: aws.String(w.contentType), Metadata: w.meta})
	must(t, err, "create upload %s", key)
	var parts []types.CompletedPart
	for n, off := int32(1), 0; off < size; n, off = n+1, off+partSize {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(data[off:min(off+partSize, size)])})
		must(t, err, "upload part %d of %s", n, key)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	must(t, err, "complete upload %s", key)
	return w
}

// destVersions counts the versions (delete markers included) of every
// key in bucket.
func destVersions(t *testing.T, cl *cluster, bucket string) map[string]int {
	t.Helper()
	n := map[string]int{}
	p := s3.NewListObjectVersionsPaginator(cl.client, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctxT(t))
		must(t, err, "list versions of %s", bucket)
		for _, v := range page.Versions {
			n[aws.ToString(v.Key)]++
		}
		for _, d := range page.DeleteMarkers {
			n[aws.ToString(d.Key)]++
		}
	}
	return n
}

// checkImported compares every object of want with the destination, and
// the destination's ETags with the source's, 16 at a time.
func checkImported(t *testing.T, cl *cluster, src *importSource, srcBucket, bucket string, want map[string]*wantObject) {
	t.Helper()
	srcETags := map[string]string{}
	p := s3.NewListObjectsV2Paginator(src.client, &s3.ListObjectsV2Input{Bucket: aws.String(srcBucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctxT(t))
		must(t, err, "list the source")
		for _, o := range page.Contents {
			srcETags[aws.ToString(o.Key)] = aws.ToString(o.ETag)
		}
	}
	keys := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for k := range keys {
				etag := checkObject(t, cl, bucket, k, "", want[k])
				if etag != srcETags[k] {
					t.Errorf("%q: destination ETag %s, source %s", k, etag, srcETags[k])
				}
			}
		})
	}
	for k := range want {
		keys <- k
	}
	close(keys)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// checkObject reads bucket/key (versionID if not "") from cl and compares
// bytes, metadata, content headers and tags with w; it returns the ETag.
// It may run on any goroutine: it reports with t.Errorf.
func checkObject(t *testing.T, cl *cluster, bucket, key, versionID string, w *wantObject) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := cl.client.GetObject(ctx, in)
	if err != nil {
		t.Errorf("get %q: %v", key, err)
		return ""
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	switch {
	case err != nil:
		t.Errorf("read %q: %v", key, err)
	case n != w.size || [32]byte(h.Sum(nil)) != w.sum:
		t.Errorf("%q: %d bytes that differ from the %d of the source", key, n, w.size)
	case aws.ToString(out.ContentType) != w.contentType || aws.ToString(out.ContentEncoding) != w.enc ||
		aws.ToString(out.ContentDisposition) != w.disposition || aws.ToString(out.ContentLanguage) != w.lang ||
		aws.ToString(out.CacheControl) != w.cacheControl || aws.ToString(out.ExpiresString) != w.expires:
		t.Errorf("%q: content headers %q %q %q %q %q %q, want %q %q %q %q %q %q", key, aws.ToString(out.ContentType), aws.ToString(out.ContentEncoding),
			aws.ToString(out.ContentDisposition), aws.ToString(out.ContentLanguage), aws.ToString(out.CacheControl), aws.ToString(out.ExpiresString),
			w.contentType, w.enc, w.disposition, w.lang, w.cacheControl, w.expires)
	case !sameMap(out.Metadata, w.meta):
		t.Errorf("%q: metadata %v, want %v", key, out.Metadata, w.meta)
	}
	if int(aws.ToInt32(out.TagCount)) != len(w.tags) {
		t.Errorf("%q: %d tags, want %d", key, aws.ToInt32(out.TagCount), len(w.tags))
	} else if len(w.tags) > 0 {
		tin := &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: in.VersionId}
		tags, err := cl.client.GetObjectTagging(ctx, tin)
		got := map[string]string{}
		if err == nil {
			for _, tg := range tags.TagSet {
				got[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
		}
		if err != nil || !sameMap(got, w.tags) {
			t.Errorf("%q: tags %v (%v), want %v", key, got, err, w.tags)
		}
	}
	return aws.ToString(out.ETag)
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestImportFromFloe imports from a second Floe: a versioned bucket
// (several versions of a key, delete markers, a multipart version) and an
// unversioned one, with tags, metadata and every content header.
func TestImportFromFloe(t *testing.T) {
	srcCl, cl := startCluster(t), startCluster(t)
	src := &importSource{endpoint: srcCl.endpoint, accessKey: srcCl.accessKey, secretKey: srcCl.secretKey, client: srcCl.client}
	ctx := ctxT(t)
	sc := srcCl.client
	for _, b := range []string{"archive", "flat"} {
		_, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		must(t, err, "create %s", b)
	}
	_, err := sc.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("archive"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must(t, err, "enable versioning on the source")

	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	full := func(body, tags string, rev int) *s3.PutObjectInput {
		return &s3.PutObjectInput{Body: strings.NewReader(body), ContentType: aws.String("text/markdown"),
			ContentEncoding: aws.String("identity"), ContentDisposition: aws.String(`inline; filename="doc.md"`),
			ContentLanguage: aws.String("de-CH"), CacheControl: aws.String("max-age=60, private"), Expires: &expires,
			Metadata: map[string]string{"rev": fmt.Sprint(rev), "author": "floe"}, Tagging: aws.String(tags)}
	}
	put := func(bucket, key string, in *s3.PutObjectInput) {
		in.Bucket, in.Key = aws.String(bucket), aws.String(key)
		_, err := sc.PutObject(ctx, in)
		must(t, err, "put %s/%s", bucket, key)
	}
	del := func(bucket, key string) {
		_, err := sc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		must(t, err, "delete %s/%s", bucket, key)
	}
	odd := "notes//ünï +%/"
	put("archive", odd, full("first draft", "stage=draft&team=a+b", 1))
	put("archive", odd, full("second draft, longer", "stage=review", 2))
	del("archive", odd)
	put("archive", odd, full("final", "stage=final&x=%2F", 3))
	put("archive", "gone", full("here a while", "", 1))
	del("archive", "gone")
	mp := putMultipartSource(t, sc, "archive", "video.bin", 13<<20, 5<<20)
	_ = mp
	_, err = sc.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("archive"), Key: aws.String("video.bin"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("kind"), Value: aws.String("video")}}}})
	must(t, err, "tag the multipart object")
	for i, k := range importKeys() {
		in := full(strings.Repeat(k, i+1), fmt.Sprintf("i=%d", i), i)
		put("flat", k, in)
	}

	out := cl.runImport(t, src, "--all-buckets", "--workers", "4")
	if !strings.Contains(out, "failed 0") {
		t.Fatalf("import:\n%s", out)
	}
	srcVersions, dstVersions := listAllVersions(t, sc, "archive"), listAllVersions(t, cl.client, "archive")
	if len(srcVersions) != 3 || len(dstVersions) != 3 {
		t.Fatalf("keys with versions: source %d, destination %d", len(srcVersions), len(dstVersions))
	}
	for key, sv := range srcVersions {
		dv := dstVersions[key]
		if len(dv) != len(sv) {
			t.Fatalf("%q: %d versions on the source, %d on the destination", key, len(sv), len(dv))
		}
		for i := range sv {
			if sv[i].marker != dv[i].marker {
				t.Fatalf("%q version %d: delete marker %v on the source, %v on the destination", key, i, sv[i].marker, dv[i].marker)
			}
			if sv[i].marker {
				continue
			}
			w := describe(t, srcCl, "archive", key, sv[i].id)
			if etag := checkObject(t, cl, "archive", key, dv[i].id, w); etag != sv[i].etag {
				t.Errorf("%q version %d: ETag %s, the source's %s", key, i, etag, sv[i].etag)
			}
		}
	}
	if e := srcVersions["video.bin"][0].etag; !strings.HasSuffix(e, `-3"`) {
		t.Errorf("the multipart source's ETag is %s", e)
	}
	for _, k := range importKeys() {
		checkObject(t, cl, "flat", k, "", describe(t, srcCl, "flat", k, ""))
	}
	if t.Failed() {
		t.FailNow()
	}

	// Nothing to do again; then one new version.
	out = cl.runImport(t, src, "--all-buckets")
	total := 0
	for _, v := range srcVersions {
		total += len(v)
	}
	if !strings.Contains(out, "copied 0 objects") || !strings.Contains(out, fmt.Sprintf("skipped %d unchanged", total+len(importKeys()))) {
		t.Fatalf("second run:\n%s", out)
	}
	put("archive", "gone", full("back again", "stage=back", 4))
	out = cl.runImport(t, src, "--bucket", "archive")
	if !strings.Contains(out, "copied 1 objects") {
		t.Fatalf("run after a new version:\n%s", out)
	}
	dv := listAllVersions(t, cl.client, "archive")["gone"]
	if len(dv) != 3 || dv[0].marker || !dv[1].marker {
		t.Fatalf("versions of gone on the destination: %+v", dv)
	}
	checkObject(t, cl, "archive", "gone", "", describe(t, srcCl, "archive", "gone", ""))
}

// listedVersion is one entry of ListObjectVersions.
type listedVersion struct {
	id, etag string
	marker   bool
}

// listAllVersions lists bucket's versions and delete markers by key,
// newest first.
func listAllVersions(t *testing.T, c *s3.Client, bucket string) map[string][]listedVersion {
	t.Helper()
	m := map[string][]listedVersion{}
	// One page holds them all here; ListObjectVersions orders a key's
	// versions and markers newest first, split in two lists by the SDK,
	// so they are merged by time.
	out, err := c.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	must(t, err, "list versions of %s", bucket)
	type tv struct {
		at time.Time
		v  listedVersion
	}
	byKey := map[string][]tv{}
	for _, v := range out.Versions {
		byKey[aws.ToString(v.Key)] = append(byKey[aws.ToString(v.Key)], tv{aws.ToTime(v.LastModified), listedVersion{id: aws.ToString(v.VersionId), etag: aws.ToString(v.ETag)}})
	}
	for _, d := range out.DeleteMarkers {
		byKey[aws.ToString(d.Key)] = append(byKey[aws.ToString(d.Key)], tv{aws.ToTime(d.LastModified), listedVersion{id: aws.ToString(d.VersionId), marker: true}})
	}
	for k, vs := range byKey {
		slices.SortStableFunc(vs, func(a, b tv) int { return b.at.Compare(a.at) })
		for _, v := range vs {
			m[k] = append(m[k], v.v)
		}
	}
	return m
}

// describe reads what an object version on cl is: bytes, headers, tags.
func describe(t *testing.T, cl *cluster, bucket, key, versionID string) *wantObject {
	t.Helper()
	ctx := ctxT(t)
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := cl.client.GetObject(ctx, in)
	must(t, err, "get %q from the source", key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	must(t, err, "read %q from the source", key)
	w := &wantObject{sum: sha256.Sum256(b), size: int64(len(b)), contentType: aws.ToString(out.ContentType),
		enc: aws.ToString(out.ContentEncoding), disposition: aws.ToString(out.ContentDisposition), lang: aws.ToString(out.ContentLanguage),
		cacheControl: aws.ToString(out.CacheControl), expires: aws.ToString(out.ExpiresString), meta: out.Metadata, tags: map[string]string{}}
	tags, err := cl.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: in.VersionId})
	must(t, err, "get tags of %q from the source", key)
	for _, tg := range tags.TagSet {
		w.tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return w
}

// opaqueETags serves h with every ETag made into one that is no MD5, as
// servers with encryption or ETags of their own give: in the ETag header
// of GETs and HEADs and in listings (which are small, so they are
// rewritten whole).
func opaqueETags(h http.Handler) http.Handler {
	re := regexp.MustCompile(`&#34;([0-9a-f]{32})&#34;`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		listing := r.Method == http.MethodGet && strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.ServeHTTP(w, r) // uploads keep their part ETags
			return
		}
		if !listing {
			ew := &etagWriter{ResponseWriter: w}
			h.ServeHTTP(ew, r)
			if !ew.wrote { // a HEAD: headers go out after the handler
				ew.rewrite()
			}
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := re.ReplaceAll(rec.Body.Bytes(), []byte("&#34;opaque-$1&#34;"))
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// etagWriter rewrites the ETag header of the response it writes.
type etagWriter struct {
	http.ResponseWriter
	wrote bool
}

func (e *etagWriter) rewrite() {
	if v := e.Header().Get("ETag"); v != "" {
		e.Header().Set("ETag", `"opaque-`+strings.Trim(v, `"`)+`"`)
	}
}

func (e *etagWriter) WriteHeader(code int) {
	if !e.wrote {
		e.wrote = true
		e.rewrite()
	}
	e.ResponseWriter.WriteHeader(code)
}

func (e *etagWriter) Write(b []byte) (int, error) {
	if !e.wrote {
		e.WriteHeader(http.StatusOK)
	}
	return e.ResponseWriter.Write(b)
}

// TestImportOpaqueETags imports from a source whose ETags are no MD5 and
// that sends no checksums: the objects are verified by size and a SHA-256
// sent as a trailer, which the destination checks, keeps and returns.
func TestImportOpaqueETags(t *testing.T) {
	cl := startCluster(t)
	srv := httptest.NewServer(opaqueETags(gofakes3.New(s3mem.New()).Server()))
	t.Cleanup(srv.Close)
	// Uploads without checksums, so that gofakes3 stores none.
	sc := newClient(t, srv.URL, "fake", "fake", func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	src := &importSource{endpoint: srv.URL, accessKey: "fake", secretKey: "fake", client: sc}
	ctx := ctxT(t)
	_, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("opaque")})
	must(t, err, "create source bucket")
	small := bytes.Repeat([]byte("opaque "), 300)
	putBytes(t, sc, "opaque", "small", small)
	putBytes(t, sc, "opaque", "empty", nil)
	want := map[string]*wantObject{
		"small": {sum: sha256.Sum256(small), size: int64(len(small)), contentType: "application/octet-stream", meta: map[string]string{}},
		"empty": {sum: sha256.Sum256(nil), size: 0, contentType: "application/octet-stream", meta: map[string]string{}},
		"multi": putMultipartSource(t, sc, "opaque", "multi", 20<<20, 5<<20),
	}
	head, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("opaque"), Key: aws.String("small")})
	must(t, err, "head small")
	if !strings.HasPrefix(aws.ToString(head.ETag), `"opaque-`) {
		t.Fatalf("the source's ETag is %s", aws.ToString(head.ETag))
	}
	want["small"].contentType, want["empty"].contentType = aws.ToString(head.ContentType), aws.ToString(head.ContentType)

	out := cl.runImport(t, src, "--bucket", "opaque")
	if !strings.Contains(out, "copied 3 objects") {
		t.Fatalf("import:\n%s", out)
	}
	for k, w := range want {
		checkObject(t, cl, "opaque", k, "", w)
		if w.size == 0 {
			continue
		}
		h, err := cl.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("opaque"), Key: aws.String(k), ChecksumMode: types.ChecksumModeEnabled})
		must(t, err, "head %s", k)
		if got := aws.ToString(h.ChecksumSHA256); got != base64.StdEncoding.EncodeToString(w.sum[:]) {
			t.Errorf("%s: destination SHA-256 %q, want the body's", k, got)
		}
	}
	if out := cl.runImport(t, src, "--bucket", "opaque"); !strings.Contains(out, "copied 0 objects") {
		t.Fatalf("re-run:\n%s", out)
	}
}
