package s3import

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/metadata"
)

// A run that finds rows left copying by a killed run aborts their
// uploads, recognises a write that landed, and copies the rest again.
func TestImportResumes(t *testing.T) {
	from, to := startFake(t), startFake(t)
	mkBucket(t, from.client, "src")
	mkBucket(t, to.client, "dst")
	for _, k := range []string{"landed", "torn", "fresh"} {
		put(t, from.client, "src", k, []byte("bytes of "+k))
	}
	// "landed" reached the destination before the crash, "torn" had an
	// upload open.
	put(t, to.client, "dst", "landed", []byte("bytes of landed"))
	up, err := to.client.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("dst"), Key: aws.String("torn")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(from, to, BucketPair{"src", "dst"})
	prog := newMemProgress()
	p := cfg.pairFor(0)
	list, err := from.client.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String("src")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Contents {
		if k := aws.ToString(o.Key); k != "fresh" {
			must(t, prog.ImportStart(ctxT(t), p, metadata.ImportObject{Key: k, ETag: aws.ToString(o.ETag), Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified)}))
		}
	}
	must(t, prog.ImportSetUpload(ctxT(t), p, metadata.ImportID{Key: "torn"}, aws.ToString(up.UploadId)))

	sum, err := Run(ctxT(t), cfg, prog)
	if err != nil || sum.Landed != 1 || sum.Copied != 2 || sum.Failed != 0 {
		t.Fatalf("resumed run: %+v, %v", sum, err)
	}
	ups, err := to.client.ListMultipartUploads(ctxT(t), &s3.ListMultipartUploadsInput{Bucket: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Fatalf("uploads left open: %+v", ups.Uploads)
	}
	for _, k := range []string{"landed", "torn", "fresh"} {
		if _, b := get(t, to.client, "dst", k); string(b) != "bytes of "+k {
			t.Fatalf("%s = %q", k, b)
		}
		if o := prog.rows[p][metadata.ImportID{Key: k}]; o.State != metadata.ImportDone || o.Copies != 1 {
			t.Fatalf("row of %s: %+v", k, o)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
