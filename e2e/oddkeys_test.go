package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
)

// oddKeys are keys whose slashes and characters a path normaliser would
// change. S3 keeps every key as sent, so each must round-trip unchanged.
var oddKeys = []string{
	"/leading",
	"//two-leading",
	"a//b/",
	"trailing/",
	"/",
	"//",
	"a/./b/../c",
	"..",
	"sp ace+plus%percent",
	"q?uestion#hash&amp=;",
	"ctl\x01\x7f",
	"日本/ü",
}

// TestOddKeys puts, reads, lists, copies, uploads in parts and presigns
// keys with leading, doubled and trailing slashes (and other characters
// SigV4's canonical URI must encode as the SDK does), each checked byte
// for byte. A path with an empty first segment is refused, not served as
// the service root.
func TestOddKeys(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("odd")})
	must(t, err, "create bucket")
	pc := s3.NewPresignClient(c)

	for i, key := range oddKeys {
		t.Run(url.PathEscape(key), func(t *testing.T) {
			data := blobtest.RandBytes(uint64(100+i), 1000+i)
			putBytes(t, c, "odd", key, data)
			eq(t, getBytes(t, c, "odd", key, ""), data, "GET "+key)
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("odd"), Key: aws.String(key)})
			must(t, err, "head %q", key)
			if aws.ToInt64(head.ContentLength) != int64(len(data)) {
				t.Fatalf("HEAD %q: length %d, want %d", key, aws.ToInt64(head.ContentLength), len(data))
			}

			// Listed under exactly its key, with and without URL encoding.
			for _, enc := range []types.EncodingType{"", types.EncodingTypeUrl} {
				out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("odd"), Prefix: aws.String(key), EncodingType: enc})
				if enc == "" && strings.ContainsAny(key, "\x01\x7f") {
					// XML 1.0 cannot carry control characters: only the
					// URL-encoded listing can show such a key.
					if errCode(err) != "InvalidArgument" {
						t.Fatalf("list prefix %q without encoding-type: %v, want InvalidArgument", key, err)
					}
					continue
				}
				must(t, err, "list prefix %q", key)
				found := false
				for _, o := range out.Contents {
					k := aws.ToString(o.Key)
					if enc == types.EncodingTypeUrl {
						k, err = url.QueryUnescape(k)
						must(t, err, "decode listed key %q", aws.ToString(o.Key))
					}
					found = found || k == key
				}
				if !found {
					t.Fatalf("list prefix %q (encoding %q) does not show the key: %+v", key, enc, out.Contents)
				}
			}

			// Copied to and from the key.
			dst := key + "#copy"
			_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("odd"), Key: aws.String(dst),
				CopySource: aws.String(url.PathEscape("odd") + "/" + escapeKey(key))})
			must(t, err, "copy %q to %q", key, dst)
			eq(t, getBytes(t, c, "odd", dst, ""), data, "GET copy "+dst)

			// A multipart upload to the key, with a part copied from it.
			up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("odd"), Key: aws.String(key)})
			must(t, err, "create upload %q", key)
			part := blobtest.RandBytes(uint64(200+i), 5<<20)
			p1, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("odd"), Key: aws.String(key), UploadId: up.UploadId,
				PartNumber: aws.Int32(1), Body: bytes.NewReader(part)})
			must(t, err, "upload part of %q", key)
			p2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("odd"), Key: aws.String(key), UploadId: up.UploadId,
				PartNumber: aws.Int32(2), CopySource: aws.String("odd/" + escapeKey(dst))})
			must(t, err, "upload part copy of %q", key)
			_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("odd"), Key: aws.String(key),
				UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
					{PartNumber: aws.Int32(1), ETag: p1.ETag, ChecksumCRC32: p1.ChecksumCRC32},
					{PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag},
				}}})
			must(t, err, "complete upload of %q", key)
			want := append(append([]byte(nil), part...), data...)
			eq(t, getBytes(t, c, "odd", key, ""), want, "GET multipart "+key)

			// Presigned GET and PUT, sent by a plain HTTP client.
			pg, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("odd"), Key: aws.String(key)})
			must(t, err, "presign GET %q", key)
			eq(t, presigned(t, "GET", pg.URL, nil), want, "presigned GET "+key)
			pp, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("odd"), Key: aws.String(dst)})
			must(t, err, "presign PUT %q", dst)
			presigned(t, "PUT", pp.URL, data[:10])
			eq(t, getBytes(t, c, "odd", dst, ""), data[:10], "GET after presigned PUT "+dst)
		})
	}

	// Listing the bucket shows every key once, as sent.
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("odd"), EncodingType: types.EncodingTypeUrl})
	must(t, err, "list")
	listed := map[string]bool{}
	for _, o := range out.Contents {
		k, err := url.QueryUnescape(aws.ToString(o.Key))
		must(t, err, "decode %q", aws.ToString(o.Key))
		listed[k] = true
	}
	for _, k := range oddKeys {
		if !listed[k] || !listed[k+"#copy"] {
			t.Errorf("listing lacks %q or its copy", k)
		}
	}
	if len(listed) != 2*len(oddKeys) {
		t.Errorf("listing holds %d keys, want %d", len(listed), 2*len(oddKeys))
	}

	// An empty first segment: not ListBuckets, not some object.
	for _, target := range []string{"//odd//leading", "//odd/a//b/", "//"} {
		res := cl.send(t, "GET", target, nil, nil)
		checkError(t, res, 400, "InvalidURI")
	}
}

// escapeKey escapes key for x-amz-copy-source, keeping its slashes.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// presigned sends a request to a presigned URL and returns the response
// body, failing t unless the answer is 200.
func presigned(t *testing.T, method, u string, body []byte) []byte {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	must(t, err, "request %s", u)
	if body == nil {
		req.Body = http.NoBody
	}
	status, _, b := sendRaw(t, req)
	if status != 200 {
		t.Fatalf("%s %s: %d %s", method, u, status, b)
	}
	return b
}
