package e2e

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
)

// Checksums are computed here with the standard library alone, not with
// Floe's checksum package, so these tests check its arithmetic too.

// crc64NVMEPoly is the CRC-64/NVME polynomial, bit-reversed for hash/crc64.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// newHash returns a standard-library hash computing alg.
func newHash(t *testing.T, alg types.ChecksumAlgorithm) hash.Hash {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return crc32.NewIEEE()
	case types.ChecksumAlgorithmCrc32c:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case types.ChecksumAlgorithmCrc64nvme:
		return crc64.New(crc64.MakeTable(crc64NVMEPoly))
	case types.ChecksumAlgorithmSha1:
		return sha1.New()
	case types.ChecksumAlgorithmSha256:
		return sha256.New()
	}
	t.Fatalf("no hash for %q", alg)
	return nil
}

// digest returns alg's raw digest of b.
func digest(t *testing.T, alg types.ChecksumAlgorithm, b []byte) []byte {
	h := newHash(t, alg)
	h.Write(b)
	return h.Sum(nil)
}

// fullSum is alg's checksum of b as S3 sends it.
func fullSum(t *testing.T, alg types.ChecksumAlgorithm, b []byte) string {
	return base64.StdEncoding.EncodeToString(digest(t, alg, b))
}

// compositeSum is the composite checksum of data uploaded in parts of
// partSize bytes: alg of the concatenated part digests, then "-N".
func compositeSum(t *testing.T, alg types.ChecksumAlgorithm, data []byte, partSize int) string {
	outer := newHash(t, alg)
	n := 0
	for off := 0; off < len(data); off += partSize {
		outer.Write(digest(t, alg, data[off:min(off+partSize, len(data))]))
		n++
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(outer.Sum(nil)), n)
}

// sumFields picks alg's value among an output's Checksum* fields and
// fails unless it is the only one set.
func sumFields(t *testing.T, what string, alg types.ChecksumAlgorithm, crc32, crc32c, crc64nvme, sha1, sha256 *string) string {
	t.Helper()
	fields := map[types.ChecksumAlgorithm]*string{types.ChecksumAlgorithmCrc32: crc32, types.ChecksumAlgorithmCrc32c: crc32c,
		types.ChecksumAlgorithmCrc64nvme: crc64nvme, types.ChecksumAlgorithmSha1: sha1, types.ChecksumAlgorithmSha256: sha256}
	for a, v := range fields {
		if a != alg && v != nil {
			t.Fatalf("%s: unexpected %s checksum %q", what, a, *v)
		}
	}
	return aws.ToString(fields[alg])
}

// headSum returns the checksum and type HeadObject reports with checksum
// mode on, checking that alg's is the only one.
func headSum(t *testing.T, c *s3.Client, bucket, key string, alg types.ChecksumAlgorithm) (string, types.ChecksumType) {
	t.Helper()
	h, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	must(t, err, "head %s", key)
	return sumFields(t, "head "+key, alg, h.ChecksumCRC32, h.ChecksumCRC32C, h.ChecksumCRC64NVME, h.ChecksumSHA1, h.ChecksumSHA256), h.ChecksumType
}

// getVerified reads key with checksum mode on, so that the SDK validates
// a full-object checksum as it reads, and returns the bytes and the
// checksum reported.
func getVerified(t *testing.T, c *s3.Client, bucket, key string, alg types.ChecksumAlgorithm) ([]byte, string) {
	t.Helper()
	out, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	must(t, err, "get %s", key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	must(t, err, "read %s (the SDK validates its checksum)", key)
	return b, sumFields(t, "get "+key, alg, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256)
}

var allAlgorithms = []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
	types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256}

// whenRequired makes the SDK send no checksum it is not obliged to.
func whenRequired(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}

// Over HTTP and HTTPS: the SDK sends checksums in trailers or headers.
func TestChecksumPutGetCopy(t *testing.T) {
	t.Parallel()
	overHTTPAndHTTPS(t, testChecksumPutGetCopy)
}

// testChecksumPutGetCopy checks the checksums of PutObject, GetObject,
// HeadObject and CopyObject on cl.
func testChecksumPutGetCopy(t *testing.T, cl *cluster) {
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("sums")})
	must(t, err, "create bucket")
	data := blobtest.RandBytes(5, 3<<20+7)

	// Each algorithm the SDK computes is stored and returned, full-object.
	for _, alg := range allAlgorithms {
		key := "put-" + string(alg)
		want := fullSum(t, alg, data)
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String(key),
			Body: bytes.NewReader(data), ChecksumAlgorithm: alg})
		must(t, err, "put %s", key)
		if got := sumFields(t, "put "+key, alg, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256); got != want {
			t.Fatalf("put %s: checksum %q, want %q", key, got, want)
		}
		if got, typ := headSum(t, c, "sums", key, alg); got != want || typ != types.ChecksumTypeFullObject {
			t.Fatalf("head %s: %q %q, want %q FULL_OBJECT", key, got, typ, want)
		}
		b, got := getVerified(t, c, "sums", key, alg)
		eq(t, b, data, "get "+key)
		if got != want {
			t.Fatalf("get %s: checksum %q, want %q", key, got, want)
		}
	}

	// A PUT without a checksum gets CRC64NVME, as in S3.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("plain"), Body: bytes.NewReader(data)}, whenRequired)
	must(t, err, "put without checksum")
	crc64Want := fullSum(t, types.ChecksumAlgorithmCrc64nvme, data)
	if got, typ := headSum(t, c, "sums", "plain", types.ChecksumAlgorithmCrc64nvme); got != crc64Want || typ != types.ChecksumTypeFullObject {
		t.Fatalf("head plain: %q %q, want %q FULL_OBJECT", got, typ, crc64Want)
	}
	// So does an empty one.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("empty"), Body: bytes.NewReader(nil)}, whenRequired)
	must(t, err, "put empty")
	if got, _ := headSum(t, c, "sums", "empty", types.ChecksumAlgorithmCrc64nvme); got != "AAAAAAAAAAA=" {
		t.Fatalf("head empty: %q, want the CRC64NVME of nothing", got)
	}

	// Without checksum mode, or for a range, no checksum is returned.
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sums"), Key: aws.String("plain")})
	must(t, err, "head without checksum mode")
	if h.ChecksumCRC64NVME != nil || h.ChecksumType != "" {
		t.Fatalf("head without checksum mode returned %q %q", aws.ToString(h.ChecksumCRC64NVME), h.ChecksumType)
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sums"), Key: aws.String("plain"),
		Range: aws.String("bytes=10-99"), ChecksumMode: types.ChecksumModeEnabled})
	must(t, err, "range get")
	b, err := io.ReadAll(g.Body)
	g.Body.Close()
	must(t, err, "read range")
	eq(t, b, data[10:100], "range get")
	if g.ChecksumCRC64NVME != nil {
		t.Fatalf("range get returned checksum %q", aws.ToString(g.ChecksumCRC64NVME))
	}

	// A wrong checksum is refused with BadDigest and stores nothing.
	wrong := fullSum(t, types.ChecksumAlgorithmSha256, []byte("other bytes"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("bad"),
		Body: bytes.NewReader(data), ChecksumSHA256: aws.String(wrong)})
	if errCode(err) != "BadDigest" {
		t.Fatalf("put with a wrong checksum: %v, want BadDigest", err)
	}
	if _, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sums"), Key: aws.String("bad")}); errCode(err) != "NotFound" {
		t.Fatalf("head after a refused put: %v, want NotFound", err)
	}

	// A copy keeps the source's full-object algorithm, recomputed over the
	// copied bytes, or takes the one the request names.
	copies := []struct {
		src, dst string
		alg      types.ChecksumAlgorithm // in the request; "" for none
		want     types.ChecksumAlgorithm
	}{
		{"put-SHA256", "copy-sha256", "", types.ChecksumAlgorithmSha256},
		{"put-CRC32", "copy-crc32c", types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc32c},
		{"plain", "copy-plain", "", types.ChecksumAlgorithmCrc64nvme},
	}
	for _, cp := range copies {
		out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("sums"), Key: aws.String(cp.dst),
			CopySource: aws.String("sums/" + cp.src), ChecksumAlgorithm: cp.alg})
		must(t, err, "copy to %s", cp.dst)
		want := fullSum(t, cp.want, data)
		r := out.CopyObjectResult
		if got := sumFields(t, "copy "+cp.dst, cp.want, r.ChecksumCRC32, r.ChecksumCRC32C, r.ChecksumCRC64NVME, r.ChecksumSHA1, r.ChecksumSHA256); got != want {
			t.Fatalf("copy to %s: result checksum %q, want %q", cp.dst, got, want)
		}
		b, got := getVerified(t, c, "sums", cp.dst, cp.want)
		eq(t, b, data, "get "+cp.dst)
		if got != want {
			t.Fatalf("get %s: checksum %q, want %q", cp.dst, got, want)
		}
	}

	// The SDK really checks what GET returns: a stored checksum that does
	// not match the bytes makes reading fail.
	db := cl.db(t)
	_, err = db.Exec(ctx, `UPDATE objects SET checksum = $1 WHERE key = 'put-CRC32'`, fullSum(t, types.ChecksumAlgorithmCrc32, []byte("x")))
	must(t, err, "corrupt a stored checksum")
	g, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sums"), Key: aws.String("put-CRC32"), ChecksumMode: types.ChecksumModeEnabled})
	must(t, err, "get with a corrupt checksum")
	_, err = io.ReadAll(g.Body)
	g.Body.Close()
	if err == nil {
		t.Fatal("the SDK read an object whose checksum does not match without an error")
	}
	// Nor does a copy, which checks the bytes it reads, go through.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("sums"), Key: aws.String("copy-corrupt"),
		CopySource: aws.String("sums/put-CRC32")})
	if errCode(err) != "InternalError" {
		t.Fatalf("copy of an object whose bytes do not match its checksum: %v, want InternalError", err)
	}
}

func TestChecksumMultipart(t *testing.T) {
	t.Parallel()
	overHTTPAndHTTPS(t, testChecksumMultipart)
}

// testChecksumMultipart checks the checksums of multipart uploads on cl.
func testChecksumMultipart(t *testing.T, cl *cluster) {
	c := cl.client
	ctx := ctxT(t)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("multi")})
	must(t, err, "create bucket")
	const partSize = 5 << 20
	data := blobtest.RandBytes(9, 2*partSize+12345)

	// The upload manager: by default the SDK asks for CRC32 (composite);
	// CRC64NVME is full-object, combined from the parts' CRCs; with no
	// checksum at all S3's default is a CRC64NVME full-object one.
	uploads := []struct {
		key  string
		alg  types.ChecksumAlgorithm // in the input; "" for the SDK's default
		opts []func(*s3.Options)
		sum  types.ChecksumAlgorithm
		typ  types.ChecksumType
	}{
		{"default", "", nil, types.ChecksumAlgorithmCrc32, types.ChecksumTypeComposite},
		{"crc32", types.ChecksumAlgorithmCrc32, nil, types.ChecksumAlgorithmCrc32, types.ChecksumTypeComposite},
		{"sha256", types.ChecksumAlgorithmSha256, nil, types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite},
		{"crc64nvme", types.ChecksumAlgorithmCrc64nvme, nil, types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeFullObject},
		{"none", "", []func(*s3.Options){whenRequired}, types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeFullObject},
	}
	for _, u := range uploads {
		up := manager.NewUploader(c, func(m *manager.Uploader) {
			m.PartSize = partSize
			m.Concurrency = 2
			m.ClientOptions = u.opts
			if len(u.opts) > 0 {
				m.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			}
		})
		out, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("multi"), Key: aws.String(u.key),
			Body: bytes.NewReader(data), ChecksumAlgorithm: u.alg})
		must(t, err, "upload %s", u.key)
		want := fullSum(t, u.sum, data)
		if u.typ == types.ChecksumTypeComposite {
			want = compositeSum(t, u.sum, data, partSize)
		}
		if got := sumFields(t, "complete "+u.key, u.sum, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256); got != want || out.ChecksumType != u.typ {
			t.Fatalf("complete %s: %q %q, want %q %q", u.key, got, out.ChecksumType, want, u.typ)
		}
		if got, typ := headSum(t, c, "multi", u.key, u.sum); got != want || typ != u.typ {
			t.Fatalf("head %s: %q %q, want %q %q", u.key, got, typ, want, u.typ)
		}
		b, got := getVerified(t, c, "multi", u.key, u.sum)
		eq(t, b, data, "get "+u.key)
		if got != want {
			t.Fatalf("get %s: checksum %q, want %q", u.key, got, want)
		}
	}

	// By hand: a CRC32C full-object upload. ListParts reports each part's
	// checksum; a Complete naming a wrong one is refused with InvalidPart.
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("multi"), Key: aws.String("byhand"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c, ChecksumType: types.ChecksumTypeFullObject})
	must(t, err, "create upload")
	if cu.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32c || cu.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("create upload echoed %q %q", cu.ChecksumAlgorithm, cu.ChecksumType)
	}
	var parts []types.CompletedPart
	for i, off := int32(1), 0; off < len(data); i, off = i+1, off+partSize {
		p := data[off:min(off+partSize, len(data))]
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("multi"), Key: aws.String("byhand"), UploadId: cu.UploadId,
			PartNumber: aws.Int32(i), Body: bytes.NewReader(p), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
		must(t, err, "upload part %d", i)
		if got, want := aws.ToString(out.ChecksumCRC32C), fullSum(t, types.ChecksumAlgorithmCrc32c, p); got != want {
			t.Fatalf("part %d: checksum %q, want %q", i, got, want)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: out.ETag, ChecksumCRC32C: out.ChecksumCRC32C})
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("multi"), Key: aws.String("byhand"), UploadId: cu.UploadId})
	must(t, err, "list parts")
	if lp.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32c || lp.ChecksumType != types.ChecksumTypeFullObject || len(lp.Parts) != len(parts) {
		t.Fatalf("list parts: %q %q, %d parts", lp.ChecksumAlgorithm, lp.ChecksumType, len(lp.Parts))
	}
	for i, p := range lp.Parts {
		if aws.ToString(p.ChecksumCRC32C) != aws.ToString(parts[i].ChecksumCRC32C) {
			t.Fatalf("list parts: part %d checksum %q, want %q", i+1, aws.ToString(p.ChecksumCRC32C), aws.ToString(parts[i].ChecksumCRC32C))
		}
	}
	bad := append([]types.CompletedPart(nil), parts...)
	bad[1].ChecksumCRC32C = aws.String(fullSum(t, types.ChecksumAlgorithmCrc32c, []byte("not part 2")))
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("multi"), Key: aws.String("byhand"),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: bad}})
	if errCode(err) != "InvalidPart" {
		t.Fatalf("complete with a wrong part checksum: %v, want InvalidPart", err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("multi"), Key: aws.String("byhand"),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	must(t, err, "complete")
	want := fullSum(t, types.ChecksumAlgorithmCrc32c, data)
	if aws.ToString(done.ChecksumCRC32C) != want || done.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("complete: %q %q, want %q FULL_OBJECT", aws.ToString(done.ChecksumCRC32C), done.ChecksumType, want)
	}
	b, got := getVerified(t, c, "multi", "byhand", types.ChecksumAlgorithmCrc32c)
	eq(t, b, data, "get byhand")
	if got != want {
		t.Fatalf("get byhand: %q, want %q", got, want)
	}

	// What S3 refuses.
	_, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("multi"), Key: aws.String("x"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha1, ChecksumType: types.ChecksumTypeFullObject})
	if errCode(err) != "InvalidRequest" {
		t.Fatalf("SHA1 full-object upload: %v, want InvalidRequest", err)
	}
	cu, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("multi"), Key: aws.String("x"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	must(t, err, "create SHA256 upload")
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("multi"), Key: aws.String("x"), UploadId: cu.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part")), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if errCode(err) != "InvalidRequest" {
		t.Fatalf("CRC32 part of a SHA256 upload: %v, want InvalidRequest", err)
	}
	p1, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("multi"), Key: aws.String("x"), UploadId: cu.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part")), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	must(t, err, "SHA256 part")
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("multi"), Key: aws.String("x"), UploadId: cu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p1.ETag}}}})
	if errCode(err) != "InvalidRequest" {
		t.Fatalf("composite complete without the part's checksum: %v, want InvalidRequest", err)
	}
}
