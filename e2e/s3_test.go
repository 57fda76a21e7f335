package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
)

func TestObjectLifecycle(t *testing.T) {
	t.Parallel()
	overHTTPAndHTTPS(t, func(t *testing.T, cl *cluster) {
		c := cl.client
		ctx := ctxT(t)
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")})
		must(t, err, "create bucket")
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")})
		if errCode(err) != "BucketAlreadyOwnedByYou" {
			t.Fatalf("second create: %v", err)
		}
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
		if errCode(err) != "InvalidBucketName" {
			t.Fatalf("bad bucket name: %v", err)
		}
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("photos")})
		must(t, err, "head bucket")

		for _, size := range []int{0, 1, 11, 1<<20 + 1, 9 << 20, 64 << 20} {
			key := fmt.Sprintf("dir/obj-%d", size)
			data := blobtest.RandBytes(uint64(size), size)
			out := putBytes(t, c, "photos", key, data)
			if out.ETag == nil || len(*out.ETag) != 34 {
				t.Fatalf("put %d bytes: ETag %v", size, out.ETag)
			}
			eq(t, getBytes(t, c, "photos", key, ""), data, key)
			if size > 10 {
				eq(t, getBytes(t, c, "photos", key, "bytes=3-9"), data[3:10], key+" range")
				eq(t, getBytes(t, c, "photos", key, "bytes=-5"), data[size-5:], key+" suffix")
				eq(t, getBytes(t, c, "photos", key, fmt.Sprintf("bytes=%d-", size-7)), data[size-7:], key+" open")
			}
		}
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("dir/obj-11"), Range: aws.String("bytes=100-")})
		if errCode(err) != "InvalidRange" {
			t.Fatalf("unsatisfiable range: %v", err)
		}

		// Stored headers and user metadata come back.
		_, err = c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("photos"), Key: aws.String("meta.txt"), Body: strings.NewReader("hello"),
			ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"),
			ContentDisposition: aws.String("inline"), ContentLanguage: aws.String("en"),
			Metadata: map[string]string{"camera": "x100", "shot-by": "ann"},
		})
		must(t, err, "put with metadata")
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("meta.txt")})
		must(t, err, "head")
		if aws.ToString(head.ContentType) != "text/plain" || aws.ToString(head.CacheControl) != "max-age=60" ||
			aws.ToString(head.ContentDisposition) != "inline" || aws.ToString(head.ContentLanguage) != "en" ||
			head.Metadata["camera"] != "x100" || head.Metadata["shot-by"] != "ann" || aws.ToInt64(head.ContentLength) != 5 {
			t.Fatalf("head: %+v", head)
		}

		// Copy within and across buckets, COPY and REPLACE.
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("archive")})
		must(t, err, "create archive")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("archive"), Key: aws.String("copy.txt"), CopySource: aws.String("photos/meta.txt")})
		must(t, err, "copy across buckets")
		h2, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("archive"), Key: aws.String("copy.txt")})
		must(t, err, "head copy")
		if h2.Metadata["camera"] != "x100" || aws.ToString(h2.ETag) != aws.ToString(head.ETag) {
			t.Fatalf("copy lost metadata: %+v", h2)
		}
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("photos"), Key: aws.String("meta.txt"),
			CopySource: aws.String("photos/meta.txt"), MetadataDirective: types.MetadataDirectiveReplace,
			ContentType: aws.String("text/markdown"), Metadata: map[string]string{"k": "v"}})
		must(t, err, "copy onto itself with REPLACE")
		h3, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("meta.txt")})
		must(t, err, "head replaced")
		if aws.ToString(h3.ContentType) != "text/markdown" || h3.Metadata["k"] != "v" || h3.Metadata["camera"] != "" {
			t.Fatalf("REPLACE copy: %+v", h3)
		}
		big := blobtest.RandBytes(9<<20, 9<<20)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("archive"), Key: aws.String("big"), CopySource: aws.String("photos/dir/obj-9437184")})
		must(t, err, "copy big")
		eq(t, getBytes(t, c, "archive", "big", ""), big, "copied big object")

		// Listing.
		lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos"), Delimiter: aws.String("/")})
		must(t, err, "list")
		if len(lo.CommonPrefixes) != 1 || aws.ToString(lo.CommonPrefixes[0].Prefix) != "dir/" || len(lo.Contents) != 1 {
			t.Fatalf("list with delimiter: %d prefixes, %d keys", len(lo.CommonPrefixes), len(lo.Contents))
		}

		// Deletes.
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("archive")})
		if errCode(err) != "BucketNotEmpty" {
			t.Fatalf("delete non-empty bucket: %v", err)
		}
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("archive"), Key: aws.String("copy.txt")})
		must(t, err, "delete")
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String("copy.txt")})
		if errCode(err) != "NoSuchKey" {
			t.Fatalf("get deleted: %v", err)
		}
		do, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("archive"), Delete: &types.Delete{
			Objects: []types.ObjectIdentifier{{Key: aws.String("big")}, {Key: aws.String("never-was")}}}})
		must(t, err, "delete objects")
		if len(do.Deleted) != 2 || len(do.Errors) != 0 {
			t.Fatalf("delete objects: %+v", do)
		}
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("archive")})
		must(t, err, "delete empty bucket")
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("archive")})
		if err == nil {
			t.Fatal("deleted bucket still answers HEAD")
		}
		lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		must(t, err, "list buckets")
		if len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != "photos" {
			t.Fatalf("list buckets: %+v", lb.Buckets)
		}
	})
}

func TestUnsupportedSubresourceIsNotImplemented(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")})
	must(t, err, "create")
	data := []byte("precious")
	putBytes(t, c, "bkt", "k", data)
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("bkt"), Key: aws.String("k"),
		ACL: types.ObjectCannedACLPublicRead})
	if errCode(err) != "NotImplemented" {
		t.Fatalf("put a public-read ACL: %v", err)
	}
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("bkt"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	if errCode(err) != "MalformedPolicy" {
		t.Fatalf("put a policy without statements: %v", err)
	}
	eq(t, getBytes(t, c, "bkt", "k", ""), data, "object after a refused ?acl")
}

func TestGCDeletesShardsOfOverwrittenAndDeletedObjects(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")})
	must(t, err, "create")
	putBytes(t, c, "bkt", "k", blobtest.RandBytes(1, 3<<20))
	cl.waitShardFiles(t, 6)
	v2 := blobtest.RandBytes(2, 2<<20)
	putBytes(t, c, "bkt", "k", v2)
	cl.waitShardFiles(t, 6) // the first version's shards are collected
	eq(t, getBytes(t, c, "bkt", "k", ""), v2, "overwritten object")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
	must(t, err, "delete")
	cl.waitShardFiles(t, 0)
}

func TestReadsSurviveTwoKilledNodesAndGatewayRestart(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")})
	must(t, err, "create")
	want := map[string][]byte{}
	for i := range 8 {
		k := fmt.Sprintf("k%d", i)
		want[k] = blobtest.RandBytes(uint64(i), 100_000*(i+1))
		putBytes(t, c, "bkt", k, want[k])
	}
	cl.stopGateway()
	cl.startGateway(t)
	cl.nodes.Nodes[1].Kill(t)
	cl.nodes.Nodes[4].Kill(t)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		eq(t, getBytes(t, c, "bkt", k, ""), want[k], k)
	}
}
