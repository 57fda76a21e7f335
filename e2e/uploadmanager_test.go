package e2e

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
)

// The SDK's upload manager splits large bodies into parts uploaded in
// parallel; the object must read back whole, with a multipart ETag, and
// range reads must cross part boundaries.
func TestUploadManagerMultipart(t *testing.T) {
	t.Parallel()
	overHTTPAndHTTPS(t, testUploadManager)
}

// testUploadManager is TestUploadManagerMultipart against cl.
func testUploadManager(t *testing.T, cl *cluster) {
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")})
	must(t, err, "create")
	data := blobtest.RandBytes(77, 64<<20+12345)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20; u.Concurrency = 4 })
	out, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big.bin"),
		Body: bytes.NewReader(data), ContentType: aws.String("application/x-test")})
	must(t, err, "upload manager")
	if !strings.HasSuffix(aws.ToString(out.ETag), `-13"`) {
		t.Fatalf("multipart ETag %q, want 13 parts", aws.ToString(out.ETag))
	}
	eq(t, getBytes(t, c, "bkt", "big.bin", ""), data, "multipart object")
	eq(t, getBytes(t, c, "bkt", "big.bin", "bytes=5242870-10485800"), data[5242870:10485801], "range across parts")
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big.bin")})
	must(t, err, "head")
	if aws.ToString(head.ContentType) != "application/x-test" || aws.ToInt64(head.ContentLength) != int64(len(data)) {
		t.Fatalf("head: %+v", head)
	}

	// A part below 5 MiB that is not the last is refused; an aborted upload
	// leaves no shards once GC has run.
	before := cl.shardFiles(t)
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("small")})
	must(t, err, "create upload")
	var parts []types.CompletedPart
	for i := int32(1); i <= 2; i++ {
		p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("small"),
			UploadId: cu.UploadId, PartNumber: aws.Int32(i), Body: bytes.NewReader(blobtest.RandBytes(uint64(i), 1000))})
		must(t, err, "upload part %d", i)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: p.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("small"),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if errCode(err) != "EntityTooSmall" {
		t.Fatalf("complete with a small first part: %v", err)
	}
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("small"), UploadId: cu.UploadId})
	must(t, err, "abort")
	cl.waitShardFiles(t, before)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("small"),
		UploadId: cu.UploadId, PartNumber: aws.Int32(3), Body: bytes.NewReader([]byte("x"))})
	if errCode(err) != "NoSuchUpload" {
		t.Fatalf("part for an aborted upload: %v", err)
	}
}
