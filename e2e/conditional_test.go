package e2e

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
)

// TestConditionalReads sends GET and HEAD with If-Match, If-None-Match,
// If-Modified-Since and If-Unmodified-Since through the SDK, and the
// x-amz-copy-source-if-* headers of CopyObject.
func TestConditionalReads(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cond")})
	must(t, err, "create bucket")
	data := blobtest.RandBytes(1, 100_000)
	etag := aws.ToString(putBytes(t, c, "cond", "obj", data).ETag)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("cond"), Key: aws.String("obj")})
	must(t, err, "head")
	lm := aws.ToTime(head.LastModified)
	past, future := aws.Time(lm.Add(-time.Hour)), aws.Time(lm.Add(time.Hour))

	tests := []struct {
		name                   string
		ifMatch, ifNoneMatch   *string
		ifModSince, ifUnmodSin *time.Time
		want                   int
	}{
		{"none", nil, nil, nil, nil, 200},
		{"if-match", aws.String(etag), nil, nil, nil, 200},
		{"if-match list", aws.String(`"nope", ` + etag), nil, nil, nil, 200},
		{"if-match star", aws.String("*"), nil, nil, nil, 200},
		{"if-match wrong", aws.String(`"nope"`), nil, nil, nil, 412},
		{"if-none-match", nil, aws.String(etag), nil, nil, 304},
		{"if-none-match star", nil, aws.String("*"), nil, nil, 304},
		{"if-none-match other", nil, aws.String(`"nope"`), nil, nil, 200},
		{"if-modified-since past", nil, nil, past, nil, 200},
		{"if-modified-since now", nil, nil, aws.Time(lm), nil, 304},
		{"if-modified-since future", nil, nil, future, nil, 304},
		{"if-unmodified-since past", nil, nil, nil, past, 412},
		{"if-unmodified-since future", nil, nil, nil, future, 200},
		{"if-match true beats if-unmodified-since false", aws.String(etag), nil, nil, past, 200},
		{"if-none-match false beats if-modified-since true", nil, aws.String(etag), past, nil, 304},
		{"if-none-match true beats if-modified-since false", nil, aws.String(`"x"`), future, nil, 200},
		{"if-match false and if-none-match false", aws.String(`"x"`), aws.String(etag), nil, nil, 412},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("cond"), Key: aws.String("obj"),
				IfMatch: tt.ifMatch, IfNoneMatch: tt.ifNoneMatch, IfModifiedSince: tt.ifModSince, IfUnmodifiedSince: tt.ifUnmodSin})
			checkConditional(t, "GET", out, err, tt.want, etag, data)
			hout, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("cond"), Key: aws.String("obj"),
				IfMatch: tt.ifMatch, IfNoneMatch: tt.ifNoneMatch, IfModifiedSince: tt.ifModSince, IfUnmodifiedSince: tt.ifUnmodSin})
			if tt.want == 200 {
				must(t, err, "HEAD")
				if aws.ToString(hout.ETag) != etag {
					t.Fatalf("HEAD ETag %s, want %s", aws.ToString(hout.ETag), etag)
				}
			} else if st := httpStatus(err); st != tt.want {
				t.Fatalf("HEAD: %v (status %d), want %d", err, st, tt.want)
			}

			// The same conditions on a copy's source: any failure is a 412.
			want := tt.want
			if want == 304 {
				want = 412
			}
			_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("cond"), Key: aws.String("copy"),
				CopySource: aws.String("cond/obj"), CopySourceIfMatch: tt.ifMatch, CopySourceIfNoneMatch: tt.ifNoneMatch,
				CopySourceIfModifiedSince: tt.ifModSince, CopySourceIfUnmodifiedSince: tt.ifUnmodSin})
			if want == 200 {
				must(t, err, "copy")
				eq(t, getBytes(t, c, "cond", "copy", ""), data, "copy")
			} else if st := httpStatus(err); st != want || errCode(err) != "PreconditionFailed" {
				t.Fatalf("copy: %v (status %d), want %d PreconditionFailed", err, st, want)
			}
		})
	}
}

// checkConditional checks the outcome of a conditional GET.
func checkConditional(t *testing.T, what string, out *s3.GetObjectOutput, err error, want int, etag string, data []byte) {
	t.Helper()
	if want == 200 {
		must(t, err, "%s", what)
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		must(t, err, "read")
		eq(t, b, data, what)
		return
	}
	st, hdr := httpResponse(err)
	if st != want {
		t.Fatalf("%s: %v (status %d), want %d", what, err, st, want)
	}
	switch want {
	case 304:
		if hdr.Get("ETag") != etag || hdr.Get("Last-Modified") == "" {
			t.Fatalf("%s: 304 without validators: ETag %q, Last-Modified %q", what, hdr.Get("ETag"), hdr.Get("Last-Modified"))
		}
	case 412:
		if errCode(err) != "PreconditionFailed" {
			t.Fatalf("%s: %v, want PreconditionFailed", what, err)
		}
	}
}

// TestConditionalWrites: If-None-Match: * and If-Match on PutObject and
// CompleteMultipartUpload, including racing writers; refused writes leave
// no shards behind.
func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cwr")})
	must(t, err, "create bucket")
	// Shard files per blob: small objects are kept as copies, the rest
	// erasure-coded.
	base := cl.shardFiles(t)
	putBytes(t, c, "cwr", "probe", []byte("x"))
	perBlob := cl.shardFiles(t) - base
	base = cl.shardFiles(t)
	putBytes(t, c, "cwr", "probe-large", blobtest.RandBytes(9, 64<<10))
	perLargeBlob := cl.shardFiles(t) - base

	put := func(key string, data []byte, ifMatch, ifNoneMatch *string) (*s3.PutObjectOutput, error) {
		return c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cwr"), Key: aws.String(key),
			Body: bytes.NewReader(data), IfMatch: ifMatch, IfNoneMatch: ifNoneMatch})
	}

	t.Run("racing creates", func(t *testing.T) {
		before := cl.shardFiles(t)
		bodies := [][]byte{blobtest.RandBytes(10, 3<<20), blobtest.RandBytes(11, 3<<20)}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range bodies {
			wg.Go(func() { _, errs[i] = put("race", bodies[i], nil, aws.String("*")) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatal("both conditional creates succeeded")
				}
				winner = i
			} else if st := httpStatus(err); st != 412 || errCode(err) != "PreconditionFailed" {
				t.Fatalf("loser: %v (status %d), want 412 PreconditionFailed", err, st)
			}
		}
		if winner < 0 {
			t.Fatalf("no create succeeded: %v", errs)
		}
		eq(t, getBytes(t, c, "cwr", "race", ""), bodies[winner], "the winner's object")
		cl.waitShardFiles(t, before+perLargeBlob)
	})

	t.Run("refused at commit", func(t *testing.T) {
		// A conditional PUT that passes the early check, then loses to a
		// PUT that commits while its body is still coming, is refused at
		// commit; its shards are deleted.
		before := cl.shardFiles(t)
		pr, pw := io.Pipe()
		data := blobtest.RandBytes(12, 1<<20)
		done := make(chan rawResult, 1)
		go func() {
			res, err := cl.trySend(http.MethodPut, "/cwr/late", http.Header{"If-None-Match": {"*"}}, pr, int64(len(data)), "UNSIGNED-PAYLOAD")
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
		_, err := pw.Write(data[:1000])
		must(t, err, "first bytes")
		// Shard writes under way mean the early check has passed.
		waitFor(t, 10*time.Second, "the conditional PUT starts shard writes", func() (bool, error) {
			return cl.tmpFiles(t) > 0, nil
		})
		putBytes(t, c, "cwr", "late", []byte("first"))
		_, err = pw.Write(data[1000:])
		must(t, err, "rest")
		pw.Close()
		res := <-done
		if res.status != 412 || res.code != "PreconditionFailed" || res.requestID == "" {
			t.Fatalf("late conditional PUT: %d %s (request ID %q), want 412 PreconditionFailed", res.status, res.code, res.requestID)
		}
		eq(t, getBytes(t, c, "cwr", "late", ""), []byte("first"), "the first writer's object")
		cl.waitShardFiles(t, before+perBlob)
	})

	t.Run("if-match", func(t *testing.T) {
		v1 := putBytes(t, c, "cwr", "doc", []byte("v1"))
		before := cl.shardFiles(t)
		_, err := put("doc", []byte("v2-wrong"), aws.String(`"0123456789abcdef0123456789abcdef"`), nil)
		if st := httpStatus(err); st != 412 || errCode(err) != "PreconditionFailed" {
			t.Fatalf("If-Match wrong ETag: %v (status %d)", err, st)
		}
		v2, err := put("doc", []byte("v2"), v1.ETag, nil)
		must(t, err, "If-Match right ETag")
		eq(t, getBytes(t, c, "cwr", "doc", ""), []byte("v2"), "after If-Match")
		// The old ETag no longer matches.
		if _, err := put("doc", []byte("v3"), v1.ETag, nil); errCode(err) != "PreconditionFailed" {
			t.Fatalf("If-Match stale ETag: %v", err)
		}
		if _, err := put("missing", []byte("v1"), v2.ETag, nil); errCode(err) != "NoSuchKey" {
			t.Fatalf("If-Match on a missing key: %v, want NoSuchKey", err)
		}
		if _, err := put("doc", []byte("v1"), nil, aws.String(`"abc"`)); errCode(err) != "NotImplemented" {
			t.Fatalf("If-None-Match with an ETag: %v, want NotImplemented", err)
		}
		cl.waitShardFiles(t, before) // v1's blob replaced by v2's; nothing else
		eq(t, getBytes(t, c, "cwr", "doc", ""), []byte("v2"), "after refused writes")
	})

	t.Run("complete multipart", func(t *testing.T) {
		putBytes(t, c, "cwr", "mp", []byte("existing"))
		before := cl.shardFiles(t)
		cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("cwr"), Key: aws.String("mp")})
		must(t, err, "create upload")
		p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("cwr"), Key: aws.String("mp"),
			UploadId: cu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part one"))})
		must(t, err, "upload part")
		complete := &s3.CompleteMultipartUploadInput{Bucket: aws.String("cwr"), Key: aws.String("mp"), UploadId: cu.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p.ETag}}},
			IfNoneMatch:     aws.String("*")}
		_, err = c.CompleteMultipartUpload(ctx, complete)
		if st := httpStatus(err); st != 412 || errCode(err) != "PreconditionFailed" {
			t.Fatalf("complete onto an existing key with If-None-Match: %v (status %d)", err, st)
		}
		eq(t, getBytes(t, c, "cwr", "mp", ""), []byte("existing"), "object after a refused complete")
		parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("cwr"), Key: aws.String("mp"), UploadId: cu.UploadId})
		must(t, err, "list parts after a refused complete")
		if len(parts.Parts) != 1 {
			t.Fatalf("%d parts after a refused complete, want 1", len(parts.Parts))
		}
		_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("cwr"), Key: aws.String("mp"), UploadId: cu.UploadId})
		must(t, err, "abort")
		cl.waitShardFiles(t, before)

		// Onto a new key the same complete succeeds.
		cu, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("cwr"), Key: aws.String("mp-new")})
		must(t, err, "create upload")
		p, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("cwr"), Key: aws.String("mp-new"),
			UploadId: cu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part one"))})
		must(t, err, "upload part")
		complete.Key, complete.UploadId = aws.String("mp-new"), cu.UploadId
		complete.MultipartUpload.Parts[0].ETag = p.ETag
		_, err = c.CompleteMultipartUpload(ctx, complete)
		must(t, err, "complete onto a new key with If-None-Match")
		eq(t, getBytes(t, c, "cwr", "mp-new", ""), []byte("part one"), "completed object")
	})
}
