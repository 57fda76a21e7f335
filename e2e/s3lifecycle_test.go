package e2e

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
)

// TestLifecycleRules runs S3 lifecycle rules on a gateway whose lifecycle
// day is two seconds: current versions under the rule's prefix expire to
// delete markers, their noncurrent versions, the markers left alone and
// stale multipart uploads go, a version under COMPLIANCE retention stays
// (and reads back), and objects outside the prefix are untouched. Everything is driven through
// aws-sdk-go-v2 with its defaults.
func TestLifecycleRules(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, "--lifecycle-day", "2s")
	c := cl.client
	ctx := ctxT(t)

	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lcyc")})
	must(t, err, "create lcyc")
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("lcyc"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must(t, err, "enable versioning")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lcyclock"), ObjectLockEnabledForBucket: aws.Bool(true)})
	must(t, err, "create lcyclock")

	keep := blobtest.RandBytes(1, 5000)
	putBytes(t, c, "lcyc", "keep/b", keep)
	putBytes(t, c, "lcyc", "tmp/a", blobtest.RandBytes(2, 3000))
	putBytes(t, c, "lcyc", "tmp/a", blobtest.RandBytes(3, 3000))
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("lcyc"), Key: aws.String("tmp/stale")})
	must(t, err, "create upload")
	kept, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("lcyc"), Key: aws.String("keep/upload")})
	must(t, err, "create upload outside the prefix")

	locked := blobtest.RandBytes(4, 4000)
	lv, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lcyclock"), Key: aws.String("tmp/x"),
		Body: strings.NewReader(string(locked)), ObjectLockMode: types.ObjectLockModeCompliance,
		ObjectLockRetainUntilDate: aws.Time(time.Now().Add(time.Hour))})
	must(t, err, "put locked version")
	putBytes(t, c, "lcyclock", "tmp/x", blobtest.RandBytes(5, 4000)) // the locked one turns noncurrent

	rule := types.LifecycleRule{ID: aws.String("tmp"), Status: types.ExpirationStatusEnabled,
		Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
		Expiration:                     &types.LifecycleExpiration{Days: aws.Int32(1)},
		NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1)},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}}
	for _, b := range []string{"lcyc", "lcyclock"} {
		_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b),
			LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{rule}}})
		must(t, err, "put lifecycle of %s", b)
	}
	got, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lcyc")})
	must(t, err, "get lifecycle")
	if len(got.Rules) != 1 || aws.ToString(got.Rules[0].ID) != "tmp" || aws.ToInt32(got.Rules[0].Expiration.Days) != 1 {
		t.Fatalf("lifecycle read back as %+v", got.Rules)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("lcyc"), Key: aws.String("tmp/a")})
	must(t, err, "head tmp/a")
	if exp := aws.ToString(head.Expiration); !strings.Contains(exp, `rule-id="tmp"`) {
		t.Errorf("x-amz-expiration of tmp/a = %q, want the tmp rule", exp)
	}

	versionsOf := func(bucket, key string) (n int, markers int) {
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
		must(t, err, "list versions of %s/%s", bucket, key)
		return len(out.Versions), len(out.DeleteMarkers)
	}
	// tmp/a: expired to a delete marker, its versions removed when
	// noncurrent for a day, then the lone marker once a day old too.
	waitFor(t, time.Minute, "tmp/ to expire and be cleaned up", func() (bool, error) {
		lcVersions, lcMarkers := versionsOf("lcyc", "tmp/a")
		lockVersions, lockMarkers := versionsOf("lcyclock", "tmp/x")
		uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("lcyc")})
		if err != nil {
			return false, err
		}
		return lcVersions == 0 && lcMarkers == 0 && lockVersions == 1 && lockMarkers == 1 && len(uploads.Uploads) == 1, nil
	})

	// What the rules must not have touched.
	eq(t, getBytes(t, c, "lcyc", "keep/b", ""), keep, "keep/b")
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lcyclock"), Key: aws.String("tmp/x"), VersionId: lv.VersionId})
	must(t, err, "get the locked version")
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	must(t, err, "read the locked version")
	eq(t, b, locked, "locked version")
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("lcyc")})
	must(t, err, "list uploads")
	if len(uploads.Uploads) != 1 || aws.ToString(uploads.Uploads[0].UploadId) != aws.ToString(kept.UploadId) {
		t.Fatalf("uploads left: %+v, want only %s", uploads.Uploads, aws.ToString(kept.UploadId))
	}
	if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("lcyc"), Key: aws.String("tmp/stale"), UploadId: up.UploadId}); errCode(err) != "NoSuchUpload" {
		t.Fatalf("the stale upload: %v, want NoSuchUpload", err)
	}
	if n := cl.count(t, `SELECT count(*) FROM objects WHERE bucket = 'lcyclock' AND lock_mode = 'COMPLIANCE'`); n != 1 {
		t.Fatalf("%d COMPLIANCE versions in lcyclock, want 1", n)
	}
}
