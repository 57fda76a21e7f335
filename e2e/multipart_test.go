package e2e

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
)

const mib = 1 << 20

// createUpload starts a multipart upload of bucket/key.
func createUpload(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	must(t, err, "create upload of %s/%s", bucket, key)
	return aws.ToString(out.UploadId)
}

// uploadPart uploads data as part n and returns the part for Complete.
func uploadPart(t *testing.T, c *s3.Client, bucket, key, id string, n int32, data []byte) types.CompletedPart {
	t.Helper()
	out, err := c.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: aws.String(id), PartNumber: aws.Int32(n), Body: bytes.NewReader(data)})
	must(t, err, "upload part %d of %s/%s", n, bucket, key)
	if want := md5ETag(data); aws.ToString(out.ETag) != want {
		t.Fatalf("part %d ETag %s, want %s", n, aws.ToString(out.ETag), want)
	}
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag}
}

// complete completes upload id with parts.
func complete(t *testing.T, c *s3.Client, bucket, key, id string, parts ...types.CompletedPart) *s3.CompleteMultipartUploadOutput {
	t.Helper()
	out, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	must(t, err, "complete %s/%s", bucket, key)
	return out
}

// Multipart uploads against one cluster: parts across a gateway restart,
// reads by range and by part number, UploadPartCopy, the upload listing,
// abort, and the errors of CompleteMultipartUpload.
func TestMultipartUploads(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	_, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("mpu")})
	must(t, err, "create bucket")

	// Three parts of 5 MiB, 5 MiB and 1 MiB, the first two uploaded by
	// different gateway processes: uploads live in Postgres, not in a
	// gateway.
	three := blobtest.RandBytes(301, 11*mib)
	t.Run("survives gateway restart", func(t *testing.T) {
		id := createUpload(t, c, "mpu", "three")
		p1 := uploadPart(t, c, "mpu", "three", id, 1, three[:5*mib])
		cl.stopGateway()
		cl.startGateway(t)
		c = cl.client
		p2 := uploadPart(t, c, "mpu", "three", id, 2, three[5*mib:10*mib])
		p3 := uploadPart(t, c, "mpu", "three", id, 3, three[10*mib:])
		out := complete(t, c, "mpu", "three", id, p1, p2, p3)
		if etag := aws.ToString(out.ETag); len(etag) < 4 || etag[len(etag)-3:] != `-3"` {
			t.Fatalf("ETag %s, want a 3-part multipart ETag", etag)
		}
		eq(t, getBytes(t, c, "mpu", "three", ""), three, "3-part object")
	})

	t.Run("ranges across parts", func(t *testing.T) {
		for _, r := range [][2]int{{5*mib - 10, 5*mib + 10}, {5*mib - 1, 10 * mib}, {0, 11*mib - 1}, {4 * mib, 10*mib + 5}, {10 * mib, 11*mib - 1}} {
			eq(t, getBytes(t, c, "mpu", "three", fmt.Sprintf("bytes=%d-%d", r[0], r[1])), three[r[0]:r[1]+1], fmt.Sprintf("range %v", r))
		}
		eq(t, getBytes(t, c, "mpu", "three", "bytes=-7"), three[len(three)-7:], "suffix range")
	})

	t.Run("part numbers", func(t *testing.T) {
		ctx := ctxT(t)
		bounds := []int{0, 5 * mib, 10 * mib, 11 * mib}
		for n := int32(1); n <= 3; n++ {
			lo, hi := bounds[n-1], bounds[n]
			wantRange := fmt.Sprintf("bytes %d-%d/%d", lo, hi-1, len(three))
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("three"), PartNumber: aws.Int32(n)})
			must(t, err, "get part %d", n)
			b, err := io.ReadAll(out.Body)
			out.Body.Close()
			must(t, err, "read part %d", n)
			eq(t, b, three[lo:hi], fmt.Sprintf("part %d", n))
			if aws.ToString(out.ContentRange) != wantRange || aws.ToInt32(out.PartsCount) != 3 || aws.ToInt64(out.ContentLength) != int64(hi-lo) {
				t.Fatalf("get part %d: Content-Range %q, parts %d, length %d; want %q, 3, %d", n,
					aws.ToString(out.ContentRange), aws.ToInt32(out.PartsCount), aws.ToInt64(out.ContentLength), wantRange, hi-lo)
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("three"), PartNumber: aws.Int32(n)})
			must(t, err, "head part %d", n)
			if aws.ToString(head.ContentRange) != wantRange || aws.ToInt32(head.PartsCount) != 3 || aws.ToInt64(head.ContentLength) != int64(hi-lo) {
				t.Fatalf("head part %d: %q, %d parts, %d bytes", n, aws.ToString(head.ContentRange), aws.ToInt32(head.PartsCount), aws.ToInt64(head.ContentLength))
			}
		}
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("three"), PartNumber: aws.Int32(4)})
		if errCode(err) != "InvalidPartNumber" || httpStatus(err) != 416 {
			t.Fatalf("get part 4 of 3: %v", err)
		}
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("three"), PartNumber: aws.Int32(4)})
		if httpStatus(err) != 416 {
			t.Fatalf("head part 4 of 3: %v", err)
		}
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("three"), PartNumber: aws.Int32(1), Range: aws.String("bytes=0-1")})
		if errCode(err) != "InvalidRequest" {
			t.Fatalf("part number with a range: %v", err)
		}
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("three"), PartNumber: aws.Int32(10001)})
		if errCode(err) != "InvalidArgument" {
			t.Fatalf("part number 10001: %v", err)
		}
		// A whole-object read carries no parts count, as in S3.
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("three")})
		must(t, err, "head")
		if head.PartsCount != nil {
			t.Fatalf("plain HEAD reports %d parts", aws.ToInt32(head.PartsCount))
		}

		// An object from a single PUT is its own part 1.
		single := blobtest.RandBytes(302, 1000)
		putBytes(t, c, "mpu", "single", single)
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("single"), PartNumber: aws.Int32(1)})
		must(t, err, "get part 1 of a single-part object")
		b, err := io.ReadAll(out.Body)
		out.Body.Close()
		must(t, err, "read")
		eq(t, b, single, "part 1 of a single-part object")
		if aws.ToString(out.ContentRange) != "bytes 0-999/1000" || out.PartsCount != nil {
			t.Fatalf("single-part object: Content-Range %q, parts count %v", aws.ToString(out.ContentRange), out.PartsCount)
		}
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("single"), PartNumber: aws.Int32(2)})
		if errCode(err) != "InvalidPartNumber" {
			t.Fatalf("part 2 of a single-part object: %v", err)
		}
	})

	t.Run("upload part copy", func(t *testing.T) {
		ctx := ctxT(t)
		src := blobtest.RandBytes(303, 12*mib)
		putBytes(t, c, "mpu", "src/big", src)
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("other")})
		must(t, err, "create bucket")
		small := blobtest.RandBytes(304, 777)
		putBytes(t, c, "other", "small one", small)

		id := createUpload(t, c, "mpu", "assembled")
		copyPart := func(n int32, source, rng string) types.CompletedPart {
			t.Helper()
			in := &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("assembled"), UploadId: aws.String(id),
				PartNumber: aws.Int32(n), CopySource: aws.String(source)}
			if rng != "" {
				in.CopySourceRange = aws.String(rng)
			}
			out, err := c.UploadPartCopy(ctx, in)
			must(t, err, "copy part %d from %s %s", n, source, rng)
			if out.CopyPartResult == nil || out.CopyPartResult.LastModified == nil || time.Since(*out.CopyPartResult.LastModified) > time.Minute {
				t.Fatalf("copy part %d: result %+v", n, out.CopyPartResult)
			}
			return types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.CopyPartResult.ETag}
		}
		// Part 1: the middle of a single-blob object; part 2: a range of
		// the 3-part object across its part boundary; part 3: a whole
		// object from another bucket, with a space in its key.
		p1 := copyPart(1, "mpu/src/big", fmt.Sprintf("bytes=%d-%d", 3*mib, 9*mib-1))
		p2 := copyPart(2, "/mpu/three", fmt.Sprintf("bytes=%d-%d", 4*mib, 10*mib+5))
		p3 := copyPart(3, "other/small%20one", "")
		want := slices.Concat(src[3*mib:9*mib], three[4*mib:10*mib+6], small)
		for i, p := range []types.CompletedPart{p1, p2, p3} {
			wantETag := md5ETag([][]byte{src[3*mib : 9*mib], three[4*mib : 10*mib+6], small}[i])
			if aws.ToString(p.ETag) != wantETag {
				t.Fatalf("copied part %d ETag %s, want %s", i+1, aws.ToString(p.ETag), wantETag)
			}
		}
		lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("assembled"), UploadId: aws.String(id)})
		must(t, err, "list parts")
		if len(lp.Parts) != 3 || aws.ToInt64(lp.Parts[1].Size) != 6*mib+6 {
			t.Fatalf("ListParts after copies: %+v", lp.Parts)
		}
		complete(t, c, "mpu", "assembled", id, p1, p2, p3)
		eq(t, getBytes(t, c, "mpu", "assembled", ""), want, "object assembled from copied parts")
		// Copied parts carry checksums like uploaded ones, so the object
		// gets the CRC64NVME full-object checksum of its bytes.
		if got, typ := headSum(t, c, "mpu", "assembled", types.ChecksumAlgorithmCrc64nvme); got != fullSum(t, types.ChecksumAlgorithmCrc64nvme, want) || typ != types.ChecksumTypeFullObject {
			t.Fatalf("checksum of the assembled object: %q %q, want %q FULL_OBJECT", got, typ, fullSum(t, types.ChecksumAlgorithmCrc64nvme, want))
		}

		id = createUpload(t, c, "mpu", "bad-copies")
		for _, tc := range []struct {
			source, rng, code string
		}{
			{"mpu/src/big", fmt.Sprintf("bytes=0-%d", 12*mib), "InvalidRange"},
			{"mpu/src/big", fmt.Sprintf("bytes=%d-%d", 12*mib, 12*mib+1), "InvalidRange"},
			{"mpu/src/big", "bytes=10-5", "InvalidArgument"},
			{"mpu/src/big", "bytes=0-", "InvalidArgument"},
			{"mpu/src/big", "bytes=-5", "InvalidArgument"},
			{"mpu/src/big", "0-5", "InvalidArgument"},
			{"mpu/nothing", "", "NoSuchKey"},
			{"nobucket/x", "", "NoSuchBucket"},
		} {
			in := &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("bad-copies"), UploadId: aws.String(id),
				PartNumber: aws.Int32(1), CopySource: aws.String(tc.source)}
			if tc.rng != "" {
				in.CopySourceRange = aws.String(tc.rng)
			}
			if _, err := c.UploadPartCopy(ctx, in); errCode(err) != tc.code {
				t.Errorf("copy %s %s: %v, want %s", tc.source, tc.rng, err, tc.code)
			}
		}
		_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("bad-copies"),
			UploadId: aws.String(id), PartNumber: aws.Int32(1), CopySource: aws.String("mpu/src/big"), CopySourceIfMatch: aws.String(`"x"`)})
		if errCode(err) != "PreconditionFailed" {
			t.Fatalf("copy with a failing source If-Match: %v", err)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("src/big")})
		must(t, err, "head source")
		_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("bad-copies"),
			UploadId: aws.String(id), PartNumber: aws.Int32(1), CopySource: aws.String("mpu/src/big"), CopySourceIfMatch: head.ETag,
			CopySourceIfUnmodifiedSince: aws.Time(aws.ToTime(head.LastModified).Add(time.Hour))})
		must(t, err, "copy with holding source conditions")
		_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("bad-copies"),
			UploadId: aws.String(id), PartNumber: aws.Int32(1), CopySource: aws.String("mpu/src/big"), CopySourceIfNoneMatch: head.ETag})
		if errCode(err) != "PreconditionFailed" {
			t.Fatalf("copy with a failing source If-None-Match: %v", err)
		}
		_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("bad-copies"),
			UploadId: aws.String("no-such-upload"), PartNumber: aws.Int32(1), CopySource: aws.String("mpu/src/big")})
		if errCode(err) != "NoSuchUpload" {
			t.Fatalf("copy into a missing upload: %v", err)
		}
		_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("bad-copies"), UploadId: aws.String(id)})
		must(t, err, "abort")
	})

	t.Run("complete errors", func(t *testing.T) {
		ctx := ctxT(t)
		id := createUpload(t, c, "mpu", "order")
		p1 := uploadPart(t, c, "mpu", "order", id, 1, blobtest.RandBytes(305, 5*mib))
		p2 := uploadPart(t, c, "mpu", "order", id, 2, blobtest.RandBytes(306, 10))
		for _, tc := range []struct {
			name  string
			parts []types.CompletedPart
			code  string
		}{
			{"descending", []types.CompletedPart{p2, p1}, "InvalidPartOrder"},
			{"duplicate", []types.CompletedPart{p1, p1}, "InvalidPartOrder"},
			{"empty", nil, "MalformedXML"},
			{"unknown part", []types.CompletedPart{p1, {PartNumber: aws.Int32(3), ETag: p2.ETag}}, "InvalidPart"},
			{"wrong ETag", []types.CompletedPart{p1, {PartNumber: aws.Int32(2), ETag: p1.ETag}}, "InvalidPart"},
		} {
			_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("order"),
				UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: tc.parts}})
			if errCode(err) != tc.code {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
			}
		}
		for _, n := range []int32{0, 10001} {
			_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("order"),
				UploadId: aws.String(id), PartNumber: aws.Int32(n), Body: bytes.NewReader([]byte("x"))})
			if errCode(err) != "InvalidArgument" {
				t.Errorf("part number %d: %v, want InvalidArgument", n, err)
			}
		}
		p10000 := uploadPart(t, c, "mpu", "order", id, 10000, []byte("last"))
		// Part 2 is left out: only the last part may be small.
		complete(t, c, "mpu", "order", id, p1, p10000)
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("order"), PartNumber: aws.Int32(2)})
		must(t, err, "get part 2")
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		eq(t, b, []byte("last"), "part 10000, the object's second")
		if aws.ToInt32(out.PartsCount) != 2 {
			t.Fatalf("parts count %d, want 2", aws.ToInt32(out.PartsCount))
		}
	})

	t.Run("list parts pages", func(t *testing.T) {
		ctx := ctxT(t)
		id := createUpload(t, c, "mpu", "many")
		var want []int32
		for n := int32(1); n <= 25; n++ {
			uploadPart(t, c, "mpu", "many", id, n*7, []byte{byte(n)})
			want = append(want, n*7)
		}
		var got []int32
		in := &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("many"), UploadId: aws.String(id), MaxParts: aws.Int32(10)}
		for page := 0; ; page++ {
			out, err := c.ListParts(ctx, in)
			must(t, err, "list parts page %d", page)
			if len(out.Parts) > 10 {
				t.Fatalf("page %d has %d parts", page, len(out.Parts))
			}
			for _, p := range out.Parts {
				got = append(got, aws.ToInt32(p.PartNumber))
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			in.PartNumberMarker = out.NextPartNumberMarker
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged ListParts = %v, want %v", got, want)
		}
		_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("many"), UploadId: aws.String(id)})
		must(t, err, "abort")
	})

	t.Run("list uploads", func(t *testing.T) {
		ctx := ctxT(t)
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lus")})
		must(t, err, "create bucket")
		type up struct{ key, id string }
		var all []up
		for _, k := range []string{"b/2", "a", "b/1", "c", "a", "b/1", "d/x/y"} {
			all = append(all, up{k, createUpload(t, c, "lus", k)})
		}
		// Listing order: by key, then initiation (creation) order.
		slices.SortStableFunc(all, func(x, y up) int {
			switch {
			case x.key < y.key:
				return -1
			case x.key > y.key:
				return 1
			}
			return 0
		})
		var got []up
		in := &s3.ListMultipartUploadsInput{Bucket: aws.String("lus"), MaxUploads: aws.Int32(2)}
		for page := 0; ; page++ {
			out, err := c.ListMultipartUploads(ctx, in)
			must(t, err, "list uploads page %d", page)
			if len(out.Uploads) > 2 {
				t.Fatalf("page %d has %d uploads", page, len(out.Uploads))
			}
			for _, u := range out.Uploads {
				if u.Initiated == nil || time.Since(*u.Initiated) > time.Minute {
					t.Fatalf("upload %s initiated %v", aws.ToString(u.Key), u.Initiated)
				}
				got = append(got, up{aws.ToString(u.Key), aws.ToString(u.UploadId)})
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
		}
		if !slices.Equal(got, all) {
			t.Fatalf("paged listing = %v, want %v", got, all)
		}

		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("lus"), Delimiter: aws.String("/")})
		must(t, err, "list with a delimiter")
		var keys, prefixes []string
		for _, u := range out.Uploads {
			keys = append(keys, aws.ToString(u.Key))
		}
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(p.Prefix))
		}
		if !slices.Equal(keys, []string{"a", "a", "c"}) || !slices.Equal(prefixes, []string{"b/", "d/"}) {
			t.Fatalf("delimiter listing: uploads %q, prefixes %q", keys, prefixes)
		}
		out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("lus"), Prefix: aws.String("b/"),
			KeyMarker: aws.String("b/1")})
		must(t, err, "list with a prefix and key marker")
		if len(out.Uploads) != 1 || aws.ToString(out.Uploads[0].Key) != "b/2" || aws.ToString(out.Prefix) != "b/" {
			t.Fatalf("prefix listing after b/1: %+v", out.Uploads)
		}
		odd := createUpload(t, c, "lus", "odd key+\x01")
		_, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("lus"), Prefix: aws.String("odd")})
		if errCode(err) != "InvalidArgument" {
			t.Fatalf("listing a key XML cannot carry without encoding-type=url: %v", err)
		}
		out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("lus"), Prefix: aws.String("odd"),
			EncodingType: types.EncodingTypeUrl})
		must(t, err, "list with encoding-type=url")
		if len(out.Uploads) != 1 || aws.ToString(out.Uploads[0].Key) != "odd+key%2B%01" {
			t.Fatalf("url-encoded listing: %+v", out.Uploads)
		}
		all = append(all, up{"odd key+\x01", odd})
		_, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("nobucket")})
		if errCode(err) != "NoSuchBucket" {
			t.Fatalf("list uploads of a missing bucket: %v", err)
		}

		// Aborting every upload empties the listing and frees the shards.
		before := cl.liveShards(t)
		cl.waitShardFiles(t, before) // the blobs earlier subtests dropped are collected
		uploadPart(t, c, "lus", all[0].key, all[0].id, 1, blobtest.RandBytes(307, 1000))
		uploadPart(t, c, "lus", all[0].key, all[0].id, 2, blobtest.RandBytes(308, 1000))
		if got, want := cl.shardFiles(t), before+2*smallShards; got != want {
			t.Fatalf("%d shard files after two parts, want %d", got, want)
		}
		for _, u := range all {
			_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("lus"), Key: aws.String(u.key), UploadId: aws.String(u.id)})
			must(t, err, "abort %s", u.key)
		}
		cl.waitShardFiles(t, before)
		out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("lus")})
		must(t, err, "list after abort")
		if len(out.Uploads) != 0 || aws.ToBool(out.IsTruncated) {
			t.Fatalf("uploads left after abort: %+v", out.Uploads)
		}
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("lus")})
		must(t, err, "delete the bucket once its uploads are gone")
	})
}

// A gateway started with a short --upload-expiry aborts an unfinished
// upload: it vanishes from the listing, its parts' shards leave the nodes,
// and a later part or complete gets NoSuchUpload. Completed objects stay.
func TestMultipartUploadExpiry(t *testing.T) {
	// Not parallel: a 3 s upload expiry must not pass before the test looks.
	cl := startCluster(t, "--upload-expiry", "3s")
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("exp")})
	must(t, err, "create bucket")
	data := blobtest.RandBytes(401, 2000)
	id := createUpload(t, c, "exp", "done")
	complete(t, c, "exp", "done", id, uploadPart(t, c, "exp", "done", id, 1, data))
	kept := cl.shardFiles(t)

	id = createUpload(t, c, "exp", "abandoned")
	p1 := uploadPart(t, c, "exp", "abandoned", id, 1, blobtest.RandBytes(402, 1000))
	if got := cl.shardFiles(t); got != kept+smallShards {
		t.Fatalf("%d shard files after a part, want %d", got, kept+smallShards)
	}
	cl.waitShardFiles(t, kept)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("exp"), Key: aws.String("abandoned"),
		UploadId: aws.String(id), PartNumber: aws.Int32(2), Body: bytes.NewReader([]byte("late"))})
	if errCode(err) != "NoSuchUpload" {
		t.Fatalf("part of an expired upload: %v", err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("exp"), Key: aws.String("abandoned"),
		UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{p1}}})
	if errCode(err) != "NoSuchUpload" {
		t.Fatalf("complete of an expired upload: %v", err)
	}
	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("exp")})
	must(t, err, "list uploads")
	if len(out.Uploads) != 0 {
		t.Fatalf("expired upload still listed: %+v", out.Uploads)
	}
	eq(t, getBytes(t, c, "exp", "done", ""), data, "completed object after expiry")
	if got := cl.shardFiles(t); got != kept {
		t.Fatalf("%d shard files at the end, want %d", got, kept)
	}
}
