package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestClients drives the real command-line clients — the aws CLI, s3cmd,
// rclone and curl on a presigned URL — against one cluster, each subtest in
// its own bucket. Clients missing from PATH skip their subtests (see
// needTools).
func TestClients(t *testing.T) {
	t.Parallel()
	// Request logs let subtests see what the clients sent.
	cl := startCluster(t, "--log-level", "info")
	cs := newClients(t, cl)
	for _, tc := range []struct {
		name string
		f    func(t *testing.T, cl *cluster, cs *clients)
	}{
		{"aws-cp-200MiB", testAWSCopyLarge},
		{"aws-sync-tree", testAWSSync},
		{"aws-s3api", testAWSAPI},
		{"s3cmd", testS3cmd},
		{"rclone", testRclone},
		{"rclone-versions", testRcloneVersions},
		{"restic", testRestic},
		{"presigned-curl", testPresignedCurl},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, cl, cs) })
	}
}

// headETag returns the ETag the gateway stores for bucket/key.
func headETag(t *testing.T, cl *cluster, bucket, key string) string {
	t.Helper()
	out, err := cl.client.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	must(t, err, "head %s/%s", bucket, key)
	return aws.ToString(out.ETag)
}

// A 200 MiB file goes up with `aws s3 cp` (a multipart upload of 8 MiB
// parts), is listed with its size, and comes back byte for byte.
func testAWSCopyLarge(t *testing.T, cl *cluster, cs *clients) {
	const size = 200 << 20
	dir := t.TempDir()
	src := filepath.Join(dir, "random.bin")
	sum := writeRandomFile(t, src, 1, size)
	cs.aws(t, time.Minute, "s3", "mb", "s3://awscp")
	cs.aws(t, 5*time.Minute, "s3", "cp", src, "s3://awscp/big/random.bin")
	if etag := headETag(t, cl, "awscp", "big/random.bin"); !strings.Contains(etag, "-") {
		t.Fatalf("ETag %s: want a multipart upload's", etag)
	}

	ls := cs.aws(t, time.Minute, "s3", "ls", "s3://awscp/big/")
	found := false
	for _, line := range strings.Split(ls, "\n") {
		// 2026-11-27 05:00:00  209715200 random.bin
		if f := strings.Fields(line); len(f) == 4 && f[3] == "random.bin" {
			found = true
			if f[2] != strconv.Itoa(size) {
				t.Fatalf("aws s3 ls size %s, want %d:\n%s", f[2], size, ls)
			}
		}
	}
	if !found {
		t.Fatalf("aws s3 ls does not show random.bin:\n%s", ls)
	}

	dst := filepath.Join(dir, "down.bin")
	cs.aws(t, 5*time.Minute, "s3", "cp", "s3://awscp/big/random.bin", dst)
	if got := fileSHA256(t, dst); got != sum {
		t.Fatalf("downloaded sha256 %s, uploaded %s", got, sum)
	}
}

// `aws s3 sync` uploads a varied tree, downloads it into an empty dir
// unchanged, and a second sync either way transfers nothing.
func testAWSSync(t *testing.T, cl *cluster, cs *clients) {
	src, dst := t.TempDir(), t.TempDir()
	n := sampleTree(t, src, 2)
	cs.aws(t, time.Minute, "s3", "mb", "s3://awssync")
	up := cs.aws(t, 3*time.Minute, "s3", "sync", src, "s3://awssync/tree/")
	if got := strings.Count(up, "upload: "); got != n {
		t.Fatalf("first sync uploaded %d files, want %d:\n%s", got, n, up)
	}
	// Each file went up in one PutObject (or one multipart upload): a
	// second PUT of a key is the CLI retrying a request it got no usable
	// answer to, as after an empty PUT without 100 Continue
	// (boto/botocore#3755).
	puts := map[string]int{}
	for _, r := range gatewayRequests(t, cl) {
		if r.Method == "PUT" && r.Bucket == "awssync" && strings.HasPrefix(r.Key, "tree/") && r.Query == "" {
			puts[r.Key]++
		}
	}
	for key, k := range puts {
		if k != 1 {
			t.Errorf("%s was PUT %d times", key, k)
		}
	}
	if len(puts) != n-1 { // big/large.bin went up in parts
		t.Errorf("%d keys PUT, want %d", len(puts), n-1)
	}
	if t.Failed() {
		t.FailNow()
	}
	if etag := headETag(t, cl, "awssync", "tree/big/large.bin"); !strings.Contains(etag, "-") {
		t.Fatalf("big/large.bin ETag %s: want a multipart upload's", etag)
	}
	ls := strings.TrimSpace(cs.aws(t, time.Minute, "s3", "ls", "--recursive", "s3://awssync/tree/"))
	if got := len(strings.Split(ls, "\n")); got != n {
		t.Fatalf("aws s3 ls --recursive shows %d objects, want %d:\n%s", got, n, ls)
	}

	cs.aws(t, 3*time.Minute, "s3", "sync", "s3://awssync/tree/", dst)
	sameTree(t, dst, src)

	if out := cs.aws(t, time.Minute, "s3", "sync", src, "s3://awssync/tree/"); strings.TrimSpace(out) != "" {
		t.Fatalf("second upload sync transferred something:\n%s", out)
	}
	if out := cs.aws(t, time.Minute, "s3", "sync", "s3://awssync/tree/", dst); strings.TrimSpace(out) != "" {
		t.Fatalf("second download sync transferred something:\n%s", out)
	}
}

// `aws s3api` stores user metadata and a content type, shows them on
// head-object, and get-object --range returns exactly the range.
func testAWSAPI(t *testing.T, cl *cluster, cs *clients) {
	dir := t.TempDir()
	src := filepath.Join(dir, "obj.bin")
	writeRandomFile(t, src, 3, 1000)
	data, err := os.ReadFile(src)
	must(t, err, "read %s", src)
	wantETag := md5ETag(data)

	cs.aws(t, time.Minute, "s3api", "create-bucket", "--bucket", "awsapi")
	var put struct{ ETag string }
	decodeJSON(t, cs.aws(t, time.Minute, "s3api", "put-object", "--bucket", "awsapi", "--key", "meta/obj.bin",
		"--body", src, "--metadata", "color=blue,answer=42", "--content-type", "text/x-floe; charset=utf-8"), &put)
	if put.ETag != wantETag {
		t.Fatalf("put-object ETag %s, want %s", put.ETag, wantETag)
	}

	var head struct {
		ContentLength int64
		ContentType   string
		ETag          string
		Metadata      map[string]string
	}
	decodeJSON(t, cs.aws(t, time.Minute, "s3api", "head-object", "--bucket", "awsapi", "--key", "meta/obj.bin"), &head)
	if head.ContentLength != 1000 || head.ContentType != "text/x-floe; charset=utf-8" || head.ETag != wantETag ||
		len(head.Metadata) != 2 || head.Metadata["color"] != "blue" || head.Metadata["answer"] != "42" {
		t.Fatalf("head-object: %+v", head)
	}

	part := filepath.Join(dir, "part.bin")
	var get struct {
		ContentLength int64
		ContentRange  string
	}
	decodeJSON(t, cs.aws(t, time.Minute, "s3api", "get-object", "--bucket", "awsapi", "--key", "meta/obj.bin",
		"--range", "bytes=100-199", part), &get)
	if get.ContentLength != 100 || get.ContentRange != "bytes 100-199/1000" {
		t.Fatalf("get-object --range: %+v", get)
	}
	got, err := os.ReadFile(part)
	must(t, err, "read %s", part)
	eq(t, got, data[100:200], "bytes=100-199")

	// delete-objects is DeleteObjects, whose body the CLI protects with
	// the Content-MD5 or checksum the gateway requires.
	for _, k := range []string{"batch/a", "batch/b", "batch/c"} {
		cs.aws(t, time.Minute, "s3api", "put-object", "--bucket", "awsapi", "--key", k, "--body", src)
	}
	cs.aws(t, time.Minute, "s3api", "delete-objects", "--bucket", "awsapi",
		"--delete", "Objects=[{Key=batch/a},{Key=batch/b},{Key=batch/c}]")
	if n := countDeleteObjects(t, cl, "awsapi"); n != 1 {
		t.Errorf("%d DeleteObjects succeeded, want 1", n)
	}
	if n := countKeys(t, cl, "awsapi", "batch/"); n != 0 {
		t.Fatalf("%d keys left under batch/ after delete-objects", n)
	}
}

// countKeys counts bucket's keys under prefix (one page's worth).
func countKeys(t *testing.T, cl *cluster, bucket, prefix string) int {
	t.Helper()
	out, err := cl.client.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	must(t, err, "list %s/%s", bucket, prefix)
	return int(aws.ToInt32(out.KeyCount))
}

// countDeleteObjects counts the successful DeleteObjects requests on
// bucket in the gateway's log.
func countDeleteObjects(t *testing.T, cl *cluster, bucket string) int {
	n := 0
	for _, r := range gatewayRequests(t, cl) {
		if r.Method == "POST" && r.Bucket == bucket && r.Query == "delete" && r.Status == 200 {
			n++
		}
	}
	return n
}

// decodeJSON decodes a CLI's JSON output into v, failing t if it cannot.
func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decoding the CLI's JSON output: %v\n%s", err, out)
	}
}

// s3cmd makes a bucket, puts a small file and a 12 MiB one in 5 MiB parts,
// gets both back, lists them and deletes one.
func testS3cmd(t *testing.T, cl *cluster, cs *clients) {
	dir := t.TempDir()
	files := []struct {
		name string
		size int64
		args []string
	}{
		{"small.bin", 100 << 10, nil},
		{"multi.bin", 12 << 20, []string{"--multipart-chunk-size-mb=5"}},
	}
	cs.s3cmd(t, time.Minute, "mb", "s3://s3cmdb")
	if out := cs.s3cmd(t, time.Minute, "ls"); !strings.Contains(out, "s3://s3cmdb") {
		t.Fatalf("s3cmd ls does not show the bucket:\n%s", out)
	}
	sums := map[string]string{}
	for i, f := range files {
		src := filepath.Join(dir, f.name)
		sums[f.name] = writeRandomFile(t, src, uint64(10+i), f.size)
		cs.s3cmd(t, 2*time.Minute, append(append([]string{"put"}, f.args...), src, "s3://s3cmdb/dir/"+f.name)...)
	}
	if etag := headETag(t, cl, "s3cmdb", "dir/multi.bin"); !strings.HasSuffix(etag, `-3"`) {
		t.Fatalf("multi.bin ETag %s: want a multipart upload's of 3 parts", etag)
	}
	for _, f := range files {
		dst := filepath.Join(dir, "got-"+f.name)
		cs.s3cmd(t, 2*time.Minute, "get", "s3://s3cmdb/dir/"+f.name, dst)
		if got := fileSHA256(t, dst); got != sums[f.name] {
			t.Fatalf("%s: got sha256 %s, put %s", f.name, got, sums[f.name])
		}
	}
	ls := cs.s3cmd(t, time.Minute, "ls", "s3://s3cmdb/dir/")
	for _, f := range files {
		if !strings.Contains(ls, "s3://s3cmdb/dir/"+f.name) || !strings.Contains(ls, strconv.FormatInt(f.size, 10)) {
			t.Fatalf("s3cmd ls does not show %s with %d bytes:\n%s", f.name, f.size, ls)
		}
	}
	cs.s3cmd(t, time.Minute, "del", "s3://s3cmdb/dir/small.bin")
	ls = cs.s3cmd(t, time.Minute, "ls", "s3://s3cmdb/dir/")
	if strings.Contains(ls, "small.bin") || !strings.Contains(ls, "multi.bin") {
		t.Fatalf("after del of small.bin, s3cmd ls shows:\n%s", ls)
	}
	_, err := cl.client.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String("s3cmdb"), Key: aws.String("dir/small.bin")})
	if errCode(err) != "NotFound" {
		t.Fatalf("head after s3cmd del: %v", err)
	}
	// A recursive del is one multi-object delete, sent with Content-MD5.
	cs.s3cmd(t, time.Minute, "del", "--recursive", "s3://s3cmdb/dir/")
	if n := countDeleteObjects(t, cl, "s3cmdb"); n != 1 {
		t.Errorf("%d DeleteObjects succeeded, want 1 (s3cmd del --recursive)", n)
	}
	if n := countKeys(t, cl, "s3cmdb", ""); n != 0 {
		t.Fatalf("%d keys left after s3cmd del --recursive", n)
	}
}

// rclone copies a tree up (large files in 5 MiB parts), finds no
// difference with `rclone check`, and copies it back unchanged.
func testRclone(t *testing.T, cl *cluster, cs *clients) {
	src, dst := t.TempDir(), t.TempDir()
	sampleTree(t, src, 4)
	remote := rcloneRemote + ":rclonebkt/tree"
	cs.rclone(t, 3*time.Minute, "copy", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", src, remote)
	if etag := headETag(t, cl, "rclonebkt", "tree/big/large.bin"); !strings.HasSuffix(etag, `-2"`) {
		t.Fatalf("big/large.bin ETag %s: want a multipart upload's of 2 parts", etag)
	}
	// check compares sizes and MD5s: for the multipart object rclone reads
	// the MD5 back from the user metadata it stored.
	if out := cs.rclone(t, 2*time.Minute, "check", src, remote); !strings.Contains(out, " 0 differences found") {
		t.Fatalf("rclone check:\n%s", out)
	}
	cs.rclone(t, 3*time.Minute, "copy", remote, dst)
	sameTree(t, dst, src)
}

// A URL presigned by `aws s3 presign` (SigV4, a key needing escapes)
// fetched with plain curl returns the object's bytes.
func testPresignedCurl(t *testing.T, cl *cluster, cs *clients) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	sum := writeRandomFile(t, src, 5, 300<<10)
	key := "signed/a key + ü.bin"
	cs.aws(t, time.Minute, "s3", "mb", "s3://presign")
	cs.aws(t, time.Minute, "s3", "cp", src, "s3://presign/"+key)
	u := strings.TrimSpace(cs.aws(t, time.Minute, "s3", "presign", "s3://presign/"+key, "--expires-in", "300"))
	if !strings.HasPrefix(u, cl.endpoint+"/presign/") || !strings.Contains(u, "X-Amz-Signature=") {
		t.Fatalf("presigned URL %q: want a path-style SigV4 URL", u)
	}
	dst := filepath.Join(dir, "dst.bin")
	cs.must(t, time.Minute, "curl", "-fsS", "-o", dst, u)
	if got := fileSHA256(t, dst); got != sum {
		t.Fatalf("curl got sha256 %s, want %s", got, sum)
	}
}

// Every client signing with the wrong secret is refused with
// SignatureDoesNotMatch, while the right secret lists the bucket.
func TestClientsWrongSecretRefused(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	cs := newClients(t, cl)
	_, err := cl.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("guarded")})
	must(t, err, "create bucket")
	putBytes(t, cl.client, "guarded", "visible.txt", []byte("hello"))

	const wrong = "wrong-secret-0123456789"
	for _, tc := range []struct {
		tool string
		// cmd returns the arguments and extra environment of a command
		// listing (or reading) bucket guarded as signed with secret.
		cmd func(t *testing.T, secret string) ([]string, []string)
	}{
		{"aws", func(t *testing.T, secret string) ([]string, []string) {
			return cs.awsArgs("s3", "ls", "s3://guarded"), []string{"AWS_SECRET_ACCESS_KEY=" + secret}
		}},
		{"s3cmd", func(t *testing.T, secret string) ([]string, []string) {
			return cs.s3cmdArgs("--secret_key="+secret, "ls", "s3://guarded"), nil
		}},
		{"rclone", func(t *testing.T, secret string) ([]string, []string) {
			return rcloneArgs("--low-level-retries", "1", "lsf", rcloneRemote+":guarded"),
				[]string{"RCLONE_CONFIG_" + strings.ToUpper(rcloneRemote) + "_SECRET_ACCESS_KEY=" + secret}
		}},
		{"curl", func(t *testing.T, secret string) ([]string, []string) {
			out, err := cs.run(t, time.Minute, []string{"AWS_SECRET_ACCESS_KEY=" + secret}, "aws",
				cs.awsArgs("s3", "presign", "s3://guarded/visible.txt")...)
			must(t, err, "aws s3 presign: %s", out)
			return []string{"-sS", "--fail-with-body", strings.TrimSpace(out)}, nil
		}},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			args, env := tc.cmd(t, cl.secretKey)
			out, err := cs.run(t, time.Minute, env, tc.tool, args...)
			if err != nil || !strings.Contains(out, "visible.txt") && !strings.Contains(out, "hello") {
				t.Fatalf("with the right secret: %v\n%s", err, out)
			}
			args, env = tc.cmd(t, wrong)
			out, err = cs.run(t, time.Minute, env, tc.tool, args...)
			if err == nil || !strings.Contains(out, "SignatureDoesNotMatch") {
				t.Errorf("with a wrong secret: exit %v, want a failure mentioning SignatureDoesNotMatch; output:\n%s", err, out)
			}
		})
	}
}
