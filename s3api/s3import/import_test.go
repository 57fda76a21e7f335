package s3import

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/metadata"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func put(t *testing.T, c *s3.Client, bucket, key string, data []byte, f ...func(*s3.PutObjectInput)) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}
	for _, f := range f {
		f(in)
	}
	if _, err := c.PutObject(ctxT(t), in); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func mkBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, c *s3.Client, bucket, key string) (*s3.GetObjectOutput, []byte) {
	t.Helper()
	out, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return out, b
}

// oddKeys are keys that break importers that build URLs or paths by hand.
var oddKeys = []string{"plain", "with space", "plus+sign", "per%cent", "a//b", "trailing/", "ünï/cödé ✓", strings.Repeat("k", 1024)}

func TestImportCopiesAndSkips(t *testing.T) {
	from, to := startFake(t), startFake(t)
	mkBucket(t, from.client, "src")
	data := map[string][]byte{}
	for i, k := range oddKeys {
		data[k] = bytes.Repeat([]byte{byte(i)}, 1000+i*3000)
		put(t, from.client, "src", k, data[k], func(in *s3.PutObjectInput) {
			in.ContentType = aws.String("text/x-test")
			in.ContentDisposition = aws.String(`attachment; filename="x.txt"`)
			in.Metadata = map[string]string{"color": fmt.Sprint("blue-", i)}
		})
	}
	prog := newMemProgress()
	var out bytes.Buffer
	cfg := testConfig(from, to, BucketPair{"src", "dst"})
	cfg.Out = &out
	sum, err := Run(ctxT(t), cfg, prog)
	if err != nil || sum.Copied != int64(len(oddKeys)) || sum.Failed != 0 {
		t.Fatalf("first run: %+v, %v\n%s", sum, err, out.String())
	}
	for i, k := range oddKeys {
		o, b := get(t, to.client, "dst", k)
		if !bytes.Equal(b, data[k]) || aws.ToString(o.ContentType) != "text/x-test" ||
			aws.ToString(o.ContentDisposition) != `attachment; filename="x.txt"` || o.Metadata["color"] != fmt.Sprint("blue-", i) {
			t.Fatalf("%q: %d bytes, headers %v %v %v", k, len(b), aws.ToString(o.ContentType), aws.ToString(o.ContentDisposition), o.Metadata)
		}
	}
	if !strings.Contains(out.String(), fmt.Sprintf("copied %d objects", len(oddKeys))) {
		t.Fatalf("summary: %s", out.String())
	}

	// A second run copies nothing; a changed object is copied alone.
	sum, err = Run(ctxT(t), cfg, prog)
	if err != nil || sum.Copied != 0 || sum.Skipped != int64(len(oddKeys)) {
		t.Fatalf("second run: %+v, %v", sum, err)
	}
	put(t, from.client, "src", "a//b", []byte("changed"))
	cfg.DryRun = true
	out.Reset()
	sum, err = Run(ctxT(t), cfg, prog)
	if err != nil || sum.WouldCopy != 1 || sum.Copied != 0 || !strings.Contains(out.String(), "would copy s3://src/a//b -> s3://dst") {
		t.Fatalf("dry run: %+v, %v\n%s", sum, err, out.String())
	}
	if _, b := get(t, to.client, "dst", "a//b"); bytes.Equal(b, []byte("changed")) {
		t.Fatal("the dry run copied")
	}
	cfg.DryRun = false
	sum, err = Run(ctxT(t), cfg, prog)
	if err != nil || sum.Copied != 1 || sum.Skipped != int64(len(oddKeys)-1) {
		t.Fatalf("run after a change: %+v, %v", sum, err)
	}
	if _, b := get(t, to.client, "dst", "a//b"); string(b) != "changed" {
		t.Fatalf("a//b = %q", b)
	}
	if o := prog.rows[cfg.pairFor(0)][metadata.ImportID{Key: "a//b"}]; o.Copies != 2 || o.State != metadata.ImportDone {
		t.Fatalf("row of a//b: %+v", o)
	}
}

// An object too large for one PUT whose part layout the source does not
// tell goes as an upload of parts of our own size, checked part by part.
func TestImportOwnParts(t *testing.T) {
	defer func(a, b int64) { maxSinglePut, minOwnPart = a, b }(maxSinglePut, minOwnPart)
	maxSinglePut, minOwnPart = 1<<20, 1<<20
	from, to := startFake(t), startFake(t)
	mkBucket(t, from.client, "src")
	data := make([]byte, 5<<19+123) // 2.5 MiB and a bit: three parts
	for i := range data {
		data[i] = byte(i * 7)
	}
	put(t, from.client, "src", "big", data)
	prog := newMemProgress()
	// Without source keys, requests go unsigned (gofakes3 takes them).
	from.ep.AccessKey, from.ep.SecretKey = "", ""
	sum, err := Run(ctxT(t), testConfig(from, to, BucketPair{"src", "dst"}), prog)
	if err != nil || sum.Copied != 1 {
		t.Fatalf("run: %+v, %v", sum, err)
	}
	// (gofakes3 answers GETs of completed uploads with a plain MD5
	// ETag, so the three parts show only in the completion's.)
	if _, b := get(t, to.client, "dst", "big"); !bytes.Equal(b, data) {
		t.Fatalf("copy: %d bytes that differ", len(b))
	}
	ups, err := to.client.ListMultipartUploads(ctxT(t), &s3.ListMultipartUploadsInput{Bucket: aws.String("dst")})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("uploads left: %v, %v", ups, err)
	}
}
