package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// enableVersioning turns versioning on for bucket, creating it first.
func enableVersioning(t *testing.T, cl *cluster, bucket string) {
	t.Helper()
	ctx := ctxT(t)
	_, err := cl.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err, "create %s", bucket)
	_, err = cl.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must(t, err, "enable versioning on %s", bucket)
}

// restic backs a tree up into a versioned bucket, checks every pack it
// wrote (check --read-data), restores it and compares byte for byte; then
// backs up a change, prunes the first snapshot (its deletions become
// delete markers) and checks and restores again.
func testRestic(t *testing.T, cl *cluster, cs *clients) {
	enableVersioning(t, cl, "restic")
	src, dst := t.TempDir(), t.TempDir()
	sampleTree(t, src, 6)
	env := []string{"RESTIC_REPOSITORY=s3:" + cl.endpoint + "/restic", "RESTIC_PASSWORD=floe-test",
		"RESTIC_CACHE_DIR=" + filepath.Join(cs.dir, "restic-cache")}
	restic := func(timeout time.Duration, args ...string) string {
		t.Helper()
		out, err := cs.run(t, timeout, env, "restic", args...)
		if err != nil {
			t.Fatalf("restic %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	restic(time.Minute, "init")
	restic(3*time.Minute, "backup", src)
	restic(3*time.Minute, "check", "--read-data")
	restic(3*time.Minute, "restore", "latest", "--target", dst)
	sameTree(t, filepath.Join(dst, src), src)

	writeRandomFile(t, filepath.Join(src, "changed.bin"), 99, 3<<20)
	must(t, os.Remove(filepath.Join(src, "big", "large.bin")), "remove a file")
	restic(3*time.Minute, "backup", src)
	restic(3*time.Minute, "forget", "--keep-last", "1", "--prune")
	restic(3*time.Minute, "check", "--read-data")
	dst2 := t.TempDir()
	restic(3*time.Minute, "restore", "latest", "--target", dst2)
	sameTree(t, filepath.Join(dst2, src), src)
	if n := cl.count(t, `SELECT count(*) FROM objects WHERE bucket = 'restic' AND delete_marker`); n == 0 {
		t.Fatal("restic's deletions left no delete markers in the versioned bucket")
	}
}

// rclone copies a tree into a versioned bucket twice, the second time
// with a file changed: `rclone ls --s3-versions` lists the old version
// beside the new, and the old version's bytes are still there.
func testRcloneVersions(t *testing.T, cl *cluster, cs *clients) {
	enableVersioning(t, cl, "rclonever")
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "doc.txt"), "first draft\n")
	remote := rcloneRemote + ":rclonever/docs"
	cs.rclone(t, time.Minute, "copy", src, remote)
	writeFile(t, filepath.Join(src, "doc.txt"), "second draft, longer\n")
	cs.rclone(t, time.Minute, "copy", src, remote)
	out := cs.rclone(t, time.Minute, "ls", "--s3-versions", remote)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(out, "doc.txt") || !strings.Contains(out, "doc-v") {
		t.Fatalf("rclone ls --s3-versions:\n%s\nwant doc.txt and one old version", out)
	}
	vs, err := cl.client.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String("rclonever")})
	must(t, err, "list versions")
	if len(vs.Versions) != 2 {
		t.Fatalf("%d versions, want 2", len(vs.Versions))
	}
	for _, v := range vs.Versions {
		want := "second draft, longer\n"
		if !aws.ToBool(v.IsLatest) {
			want = "first draft\n"
		}
		got, err := cl.client.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("rclonever"), Key: v.Key, VersionId: v.VersionId})
		must(t, err, "get version %s", aws.ToString(v.VersionId))
		b := make([]byte, 64)
		n, _ := got.Body.Read(b)
		got.Body.Close()
		if string(b[:n]) != want {
			t.Fatalf("version %s holds %q, want %q", aws.ToString(v.VersionId), b[:n], want)
		}
	}
}
