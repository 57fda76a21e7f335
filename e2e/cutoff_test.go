package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/blobtest"
)

// awsChunked frames payload as an unsigned aws-chunked body with chunkSize
// chunks and an x-amz-checksum-crc32 trailer of crc (base64).
func awsChunked(payload []byte, chunkSize int, crc string) []byte {
	var b bytes.Buffer
	for len(payload) > 0 {
		n := min(chunkSize, len(payload))
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(payload[:n])
		b.WriteString("\r\n")
		payload = payload[n:]
	}
	b.WriteString("0\r\n")
	b.WriteString("x-amz-checksum-crc32:" + crc + "\r\n\r\n")
	return b.Bytes()
}

// chunkedHeader is the header of a PUT of an awsChunked body of decodedLen
// bytes with its CRC32 trailer.
func chunkedHeader(decodedLen int) http.Header {
	return http.Header{
		"Content-Encoding":             {"aws-chunked"},
		"X-Amz-Decoded-Content-Length": {strconv.Itoa(decodedLen)},
		"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
		"Content-Type":                 {"application/octet-stream"},
	}
}

// waitWriteReachedNodes waits until the gateway has recorded the write's
// intent and the nodes are writing its shards: the body has started to
// flow when the client goes away.
func waitWriteReachedNodes(t *testing.T, cl *cluster) {
	t.Helper()
	waitFor(t, 30*time.Second, "the gateway records a write intent", func() (bool, error) { return cl.intents(t) > 0, nil })
	waitFor(t, 30*time.Second, "the nodes write shards of the partial body", func() (bool, error) { return cl.tmpFiles(t) > 0, nil })
}

// TestPutCutOffKeepsOldVersion sends PUTs that never complete, or complete
// with a wrong checksum, over a key that holds an object: the object stays
// as it was, nothing partial is visible, and once garbage collection has
// run the nodes hold only the old version's shards.
func TestPutCutOffKeepsOldVersion(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, "--log-level", "info") // every request's status in the log tail on failure
	c := cl.client
	ctx := ctxT(t)
	const bucket, key = "cutoff", "victim"
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err, "create bucket")
	putBytes(t, c, bucket, key, blobtest.RandBytes(100, 3<<20))
	cl.waitShardFiles(t, 6)

	// Version 1 arrives as a complete aws-chunked body with the right
	// CRC32 trailer: the framing below is what the gateway accepts.
	v1 := blobtest.RandBytes(101, 5<<20+17)
	body := awsChunked(v1, 64<<10, crc32Base64(v1))
	conn := rawPut(t, cl, bucket, key, int64(len(body)), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", chunkedHeader(len(v1)))
	_, err = conn.Write(body)
	must(t, err, "send aws-chunked body")
	status, code, h := readResponse(t, conn, false)
	if status != http.StatusOK || h.Get("ETag") != md5ETag(v1) || h.Get("X-Amz-Checksum-Crc32") != crc32Base64(v1) {
		t.Fatalf("complete aws-chunked PUT: status %d %s, ETag %s, x-amz-checksum-crc32 %s", status, code, h.Get("ETag"), h.Get("X-Amz-Checksum-Crc32"))
	}
	eq(t, getBytes(t, c, bucket, key, ""), v1, "version 1")
	cl.waitShardFiles(t, 6)

	// stillV1 checks that key holds exactly version 1 and that what the
	// failed PUT wrote is gone once garbage collection has had its turn.
	stillV1 := func(t *testing.T) {
		t.Helper()
		eq(t, getBytes(t, c, bucket, key, ""), v1, "object after the failed PUT")
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		must(t, err, "head")
		if aws.ToInt64(head.ContentLength) != int64(len(v1)) || aws.ToString(head.ETag) != md5ETag(v1) {
			t.Fatalf("HEAD: size %d ETag %s, want version 1's %d %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), len(v1), md5ETag(v1))
		}
		lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		must(t, err, "list")
		if len(lo.Contents) != 1 || aws.ToString(lo.Contents[0].Key) != key || aws.ToInt64(lo.Contents[0].Size) != int64(len(v1)) {
			t.Fatalf("listing after the failed PUT: %d objects, first %q of %d bytes", len(lo.Contents),
				aws.ToString(lo.Contents[0].Key), aws.ToInt64(lo.Contents[0].Size))
		}
		waitFor(t, 30*time.Second, "no write intent is left", func() (bool, error) { return cl.intents(t) == 0, nil })
		waitFor(t, 30*time.Second, "no shard write is in progress", func() (bool, error) { return cl.tmpFiles(t) == 0, nil })
		cl.waitShardFiles(t, 6)
		// Not a wait: five GC rounds (--gc-interval 200ms) pass, and must
		// not delete any of version 1's shards.
		time.Sleep(time.Second)
		if n := cl.shardFiles(t); n != 6 {
			t.Fatalf("nodes hold %d shard files a second later, want version 1's 6", n)
		}
		eq(t, getBytes(t, c, bucket, key, ""), v1, "object after GC")
	}

	// The plain body: Content-Length 8 MiB, 3 MiB sent, connection closed.
	// While the PUT hangs, readers see version 1.
	t.Run("content-length", func(t *testing.T) {
		conn := rawPut(t, cl, bucket, key, 8<<20, "UNSIGNED-PAYLOAD", http.Header{"Content-Type": {"application/octet-stream"}})
		_, err := conn.Write(blobtest.RandBytes(102, 3<<20))
		must(t, err, "send 3 MiB")
		waitWriteReachedNodes(t, cl)
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		must(t, err, "head during the PUT")
		if aws.ToInt64(head.ContentLength) != int64(len(v1)) || aws.ToString(head.ETag) != md5ETag(v1) {
			t.Errorf("HEAD during the PUT: size %d ETag %s, want version 1's", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag))
		}
		eq(t, getBytes(t, c, bucket, key, ""), v1, "object during the PUT")
		conn.Close()
		stillV1(t)
	})

	// The same, but the client half-closes and waits for the answer.
	t.Run("content-length-answered", func(t *testing.T) {
		conn := rawPut(t, cl, bucket, key, 8<<20, "UNSIGNED-PAYLOAD", nil)
		_, err := conn.Write(blobtest.RandBytes(103, 3<<20))
		must(t, err, "send 3 MiB")
		waitWriteReachedNodes(t, cl)
		if status, code, _ := readResponse(t, conn, true); status != http.StatusBadRequest || code != "IncompleteBody" {
			t.Errorf("short body: status %d %q, want 400 IncompleteBody", status, code)
		}
		stillV1(t)
	})

	// aws-chunked, 8 MiB declared, cut off inside a chunk after 3 MiB.
	t.Run("aws-chunked", func(t *testing.T) {
		v2 := blobtest.RandBytes(104, 8<<20)
		full := awsChunked(v2, 64<<10, crc32Base64(v2))
		cut := len(full) / 8 * 3
		for full[cut-1] == '\n' || full[cut-1] == '\r' {
			cut++ // inside chunk data, not at a line end
		}
		conn := rawPut(t, cl, bucket, key, int64(len(full)), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", chunkedHeader(len(v2)))
		_, err := conn.Write(full[:cut])
		must(t, err, "send 3 MiB of chunks")
		waitWriteReachedNodes(t, cl)
		conn.Close()
		stillV1(t)
	})

	// aws-chunked, complete framing and a right CRC32, but fewer bytes
	// than x-amz-decoded-content-length says: IncompleteBody.
	t.Run("aws-chunked-short-decoded-length", func(t *testing.T) {
		v2 := blobtest.RandBytes(106, 4<<20)
		body := awsChunked(v2, 64<<10, crc32Base64(v2))
		conn := rawPut(t, cl, bucket, key, int64(len(body)), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", chunkedHeader(len(v2)+1))
		_, err := conn.Write(body)
		must(t, err, "send body")
		if status, code, _ := readResponse(t, conn, false); status != http.StatusBadRequest || code != "IncompleteBody" {
			t.Errorf("short aws-chunked payload: status %d %q, want 400 IncompleteBody", status, code)
		}
		stillV1(t)
	})

	// aws-chunked, complete, but the CRC32 trailer is wrong: BadDigest.
	t.Run("aws-chunked-bad-crc32", func(t *testing.T) {
		v2 := blobtest.RandBytes(105, 6<<20)
		bad := v2[: len(v2)-1 : len(v2)-1]
		body := awsChunked(v2, 64<<10, crc32Base64(append(bad, v2[len(v2)-1]^1)))
		conn := rawPut(t, cl, bucket, key, int64(len(body)), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", chunkedHeader(len(v2)))
		_, err := conn.Write(body)
		must(t, err, "send body")
		if status, code, _ := readResponse(t, conn, false); status != http.StatusBadRequest || code != "BadDigest" {
			t.Errorf("wrong CRC32 trailer: status %d %q, want 400 BadDigest", status, code)
		}
		stillV1(t)
	})
}
