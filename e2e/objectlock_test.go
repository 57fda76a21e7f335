package e2e

// S3 Object Lock through unmodified clients: retention (COMPLIANCE and
// GOVERNANCE), legal holds, default retention, the lock headers of
// PutObject, CopyObject and multipart uploads, and that a protected
// version's data really stays — on the nodes, out of the deletion queue —
// while garbage collection runs.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/backend/blobtest"
)

// TestObjectLockCompliance: a COMPLIANCE version cannot be deleted (by
// DeleteObject or DeleteObjects, bypass or not) nor its retention
// shortened; it can be lengthened; the bucket's versioning cannot be
// suspended; and while garbage collection demonstrably runs, the
// version's shards stay on the nodes and out of the deletion queue.
func TestObjectLockCompliance(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const bucket = "comply"
	createLockBucket(t, c, bucket)

	cfg, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(bucket)})
	must(t, err, "get object lock configuration")
	if lc := cfg.ObjectLockConfiguration; lc == nil || lc.ObjectLockEnabled != types.ObjectLockEnabledEnabled || lc.Rule != nil {
		t.Fatalf("object lock configuration %+v, want Enabled without a rule", lc)
	}
	ver, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	must(t, err, "get versioning")
	if ver.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning of an object lock bucket: %q, want Enabled", ver.Status)
	}

	data := blobtest.RandBytes(71, 300_000)
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	vid := putLocked(t, c, bucket, "doc", data, types.ObjectLockModeCompliance, until, false)
	checkLock(t, c, bucket, "doc", vid, types.ObjectLockModeCompliance, until, false)
	checkRetention(t, c, bucket, "doc", vid, types.ObjectLockRetentionModeCompliance, until)
	blobs := versionBlobs(t, cl, bucket, "doc", vid)
	shards := blobShardFiles(t, cl, blobs)
	if len(blobs) == 0 || shards == 0 {
		t.Fatalf("the locked version has %d blobs and %d shard files on the nodes", len(blobs), shards)
	}

	for _, bypass := range []bool{false, true} {
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"),
			VersionId: aws.String(vid), BypassGovernanceRetention: aws.Bool(bypass)})
		wantDenied(t, err, "DeleteObject of a COMPLIANCE version (bypass %v)", bypass)
		del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), BypassGovernanceRetention: aws.Bool(bypass),
			Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("doc"), VersionId: aws.String(vid)}}}})
		must(t, err, "DeleteObjects (bypass %v)", bypass)
		if len(del.Deleted) != 0 || len(del.Errors) != 1 || aws.ToString(del.Errors[0].Code) != "AccessDenied" ||
			aws.ToString(del.Errors[0].Key) != "doc" || aws.ToString(del.Errors[0].VersionId) != vid {
			t.Fatalf("DeleteObjects of a COMPLIANCE version (bypass %v): deleted %d, errors %s; want one AccessDenied for doc %s",
				bypass, len(del.Deleted), deleteErrors(del.Errors), vid)
		}
	}

	// Shortening, even with the bypass, and turning it into GOVERNANCE
	// are refused; lengthening is allowed.
	for _, tc := range []struct {
		mode   types.ObjectLockRetentionMode
		until  time.Time
		bypass bool
	}{
		{types.ObjectLockRetentionModeCompliance, until.Add(-30 * time.Minute), false},
		{types.ObjectLockRetentionModeCompliance, until.Add(-30 * time.Minute), true},
		{types.ObjectLockRetentionModeGovernance, until, false},
		{types.ObjectLockRetentionModeGovernance, until.Add(time.Hour), true},
	} {
		_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("doc"),
			VersionId: aws.String(vid), BypassGovernanceRetention: aws.Bool(tc.bypass),
			Retention: &types.ObjectLockRetention{Mode: tc.mode, RetainUntilDate: aws.Time(tc.until)}})
		wantDenied(t, err, "PutObjectRetention %s until %s (bypass %v) on a COMPLIANCE version", tc.mode, tc.until.Format(time.RFC3339), tc.bypass)
	}
	checkRetention(t, c, bucket, "doc", vid, types.ObjectLockRetentionModeCompliance, until)
	longer := until.Add(time.Hour)
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("doc"),
		VersionId: aws.String(vid), Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(longer)}})
	must(t, err, "lengthen a COMPLIANCE retention")
	checkRetention(t, c, bucket, "doc", vid, types.ObjectLockRetentionModeCompliance, longer)
	checkLock(t, c, bucket, "doc", vid, types.ObjectLockModeCompliance, longer, false)

	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	if errCode(err) != "InvalidBucketState" || httpStatus(err) != 409 {
		t.Fatalf("suspending versioning of an object lock bucket: %v (status %d), want 409 InvalidBucketState", err, httpStatus(err))
	}

	// A DELETE without a version ID only adds a delete marker.
	dm, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc")})
	must(t, err, "plain DELETE in an object lock bucket")
	if !aws.ToBool(dm.DeleteMarker) || aws.ToString(dm.VersionId) == "" || aws.ToString(dm.VersionId) == vid {
		t.Fatalf("plain DELETE: delete marker %v, version %q; want a new delete marker", aws.ToBool(dm.DeleteMarker), aws.ToString(dm.VersionId))
	}

	// Garbage collection runs: an unlocked version deleted by ID loses
	// its shards...
	other := putBytes(t, c, bucket, "other", blobtest.RandBytes(72, 200_000))
	otherBlobs := versionBlobs(t, cl, bucket, "other", aws.ToString(other.VersionId))
	if n := blobShardFiles(t, cl, otherBlobs); n == 0 {
		t.Fatalf("the unlocked version has no shard files")
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("other"), VersionId: other.VersionId})
	must(t, err, "delete an unlocked version")
	waitFor(t, 30*time.Second, "garbage collection removes the unlocked version's shards", func() (bool, error) {
		n, q := blobShardFiles(t, cl, otherBlobs), queuedBlobs(t, cl, otherBlobs)
		return n == 0 && q == 0, lazyErr(func() string { return "shard files and queue entries left: " + fmt.Sprintf("%d, %d", n, q) })
	})
	// ...while the locked one keeps all of its.
	if got := versionBlobs(t, cl, bucket, "doc", vid); !equalStrings(got, blobs) {
		t.Fatalf("the locked version's blobs changed: %v, was %v", got, blobs)
	}
	if n := blobShardFiles(t, cl, blobs); n != shards {
		t.Fatalf("the locked version has %d shard files on the nodes, had %d", n, shards)
	}
	if q := queuedBlobs(t, cl, blobs); q != 0 {
		t.Fatalf("%d of the locked version's blobs are queued for deletion", q)
	}
	eq(t, getVersionBytes(t, c, bucket, "doc", vid), data, "the locked version")
}

// TestObjectLockGovernance: a GOVERNANCE version gives way only to
// x-amz-bypass-governance-retention, for deletion (then its blobs are
// collected) and for shortening its retention.
func TestObjectLockGovernance(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const bucket = "govern"
	createLockBucket(t, c, bucket)

	data := blobtest.RandBytes(81, 250_000)
	until := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	vid := putLocked(t, c, bucket, "g", data, types.ObjectLockModeGovernance, until, false)
	checkLock(t, c, bucket, "g", vid, types.ObjectLockModeGovernance, until, false)
	blobs := versionBlobs(t, cl, bucket, "g", vid)
	if n := blobShardFiles(t, cl, blobs); n == 0 {
		t.Fatalf("the GOVERNANCE version has no shard files")
	}

	_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("g"), VersionId: aws.String(vid)})
	wantDenied(t, err, "DeleteObject of a GOVERNANCE version without bypass")
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("g"), VersionId: aws.String(vid)}}}})
	must(t, err, "DeleteObjects without bypass")
	if len(del.Deleted) != 0 || len(del.Errors) != 1 || aws.ToString(del.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects of a GOVERNANCE version without bypass: deleted %d, errors %s", len(del.Deleted), deleteErrors(del.Errors))
	}

	shorter := until.Add(-time.Hour)
	retain := &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(shorter)}
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("g"),
		VersionId: aws.String(vid), Retention: retain})
	wantDenied(t, err, "shortening a GOVERNANCE retention without bypass")
	checkRetention(t, c, bucket, "g", vid, types.ObjectLockRetentionModeGovernance, until)
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("g"),
		VersionId: aws.String(vid), Retention: retain, BypassGovernanceRetention: aws.Bool(true)})
	must(t, err, "shorten a GOVERNANCE retention with bypass")
	checkRetention(t, c, bucket, "g", vid, types.ObjectLockRetentionModeGovernance, shorter)

	out, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("g"),
		VersionId: aws.String(vid), BypassGovernanceRetention: aws.Bool(true)})
	must(t, err, "DeleteObject of a GOVERNANCE version with bypass")
	if aws.ToString(out.VersionId) != vid || aws.ToBool(out.DeleteMarker) {
		t.Fatalf("delete with bypass: version %q, delete marker %v; want %s deleted", aws.ToString(out.VersionId), aws.ToBool(out.DeleteMarker), vid)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("g"), VersionId: aws.String(vid)})
	if errCode(err) != "NoSuchVersion" {
		t.Fatalf("GET of the deleted version: %v, want NoSuchVersion", err)
	}
	waitFor(t, 30*time.Second, "the deleted GOVERNANCE version's shards are collected", func() (bool, error) {
		n, q := blobShardFiles(t, cl, blobs), queuedBlobs(t, cl, blobs)
		return n == 0 && q == 0, lazyErr(func() string { return "shard files and queue entries left: " + fmt.Sprintf("%d, %d", n, q) })
	})

	// Removing a GOVERNANCE retention (an empty Retention) also needs the
	// bypass; the version then has none.
	v3 := putLocked(t, c, bucket, "g3", data, types.ObjectLockModeGovernance, until, false)
	remove := func(bypass bool) error {
		_, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("g3"),
			VersionId: aws.String(v3), Retention: &types.ObjectLockRetention{}, BypassGovernanceRetention: aws.Bool(bypass)})
		return err
	}
	wantDenied(t, remove(false), "removing a GOVERNANCE retention without bypass")
	must(t, remove(true), "remove a GOVERNANCE retention with bypass")
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("g3"), VersionId: aws.String(v3)})
	wantError(t, err, 404, "NoSuchObjectLockConfiguration", "GetObjectRetention after removing the retention")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("g3"), VersionId: aws.String(v3)})
	must(t, err, "delete a version whose retention was removed")

	// DeleteObjects takes the bypass too.
	v2 := putLocked(t, c, bucket, "g2", data, types.ObjectLockModeGovernance, until, false)
	del, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("g2"), VersionId: aws.String(v2)}}}})
	must(t, err, "DeleteObjects with bypass")
	if len(del.Errors) != 0 || len(del.Deleted) != 1 || aws.ToString(del.Deleted[0].VersionId) != v2 {
		t.Fatalf("DeleteObjects of a GOVERNANCE version with bypass: deleted %d, errors %s; want %s deleted", len(del.Deleted), deleteErrors(del.Errors), v2)
	}
}

// TestObjectLockLegalHold: a legal hold stops deletion, bypass or not,
// until it is lifted.
func TestObjectLockLegalHold(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const bucket = "hold"
	createLockBucket(t, c, bucket)
	vid := aws.ToString(putBytes(t, c, bucket, "h", blobtest.RandBytes(91, 100_000)).VersionId)
	checkLegalHold(t, c, bucket, "h", vid, types.ObjectLockLegalHoldStatusOff)
	_, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("h"), VersionId: aws.String(vid)})
	if errCode(err) != "NoSuchObjectLockConfiguration" || httpStatus(err) != 404 {
		t.Fatalf("GetObjectRetention of a version without one: %v (status %d), want 404 NoSuchObjectLockConfiguration", err, httpStatus(err))
	}

	setHold := func(s types.ObjectLockLegalHoldStatus) {
		t.Helper()
		_, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String("h"),
			VersionId: aws.String(vid), LegalHold: &types.ObjectLockLegalHold{Status: s}})
		must(t, err, "PutObjectLegalHold %s", s)
		checkLegalHold(t, c, bucket, "h", vid, s)
	}
	setHold(types.ObjectLockLegalHoldStatusOn)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("h"), VersionId: aws.String(vid)})
	must(t, err, "head")
	if head.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn || head.ObjectLockMode != "" {
		t.Fatalf("HEAD of a held version: legal hold %q, mode %q; want ON and no mode", head.ObjectLockLegalHoldStatus, head.ObjectLockMode)
	}
	for _, bypass := range []bool{false, true} {
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("h"),
			VersionId: aws.String(vid), BypassGovernanceRetention: aws.Bool(bypass)})
		wantDenied(t, err, "DeleteObject of a held version (bypass %v)", bypass)
	}
	setHold(types.ObjectLockLegalHoldStatusOff)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("h"), VersionId: aws.String(vid)})
	must(t, err, "DeleteObject once the hold is lifted")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("h"), VersionId: aws.String(vid)})
	if errCode(err) != "NoSuchVersion" {
		t.Fatalf("GET of the deleted version: %v, want NoSuchVersion", err)
	}
}

// TestObjectLockRetentionExpires: a retention a few seconds long stops a
// deletion, and the same deletion succeeds once the date has passed —
// the check runs against the database's clock at delete time, not a
// state fixed when the version was written.
func TestObjectLockRetentionExpires(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const bucket = "expire"
	createLockBucket(t, c, bucket)
	// The SDK sends the date to the millisecond.
	until := time.Now().Add(3 * time.Second).UTC().Truncate(time.Millisecond)
	vid := putLocked(t, c, bucket, "brief", []byte("soon free"), types.ObjectLockModeCompliance, until, false)
	del := func() error {
		_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("brief"), VersionId: aws.String(vid)})
		return err
	}
	err := del()
	if !time.Now().Before(until) {
		t.Fatalf("the PUT and first delete took past the retain-until date; the delete: %v", err)
	}
	wantDenied(t, err, "DeleteObject before the retain-until date")
	waitFor(t, 20*time.Second, "the version can be deleted after its retain-until date", func() (bool, error) {
		err := del()
		if err != nil && errCode(err) != "AccessDenied" {
			t.Fatalf("DeleteObject while waiting: %v, want AccessDenied or success", err)
		}
		return err == nil, err
	})
	if now := time.Now(); now.Before(until) {
		t.Fatalf("the delete succeeded at %s, before the retain-until date %s", now.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("brief"), VersionId: aws.String(vid)})
	if errCode(err) != "NoSuchVersion" {
		t.Fatalf("GET of the deleted version: %v, want NoSuchVersion", err)
	}
}

// TestObjectLockDefaultRetention: a bucket's default retention is given
// to versions written without lock headers, explicit headers override it,
// and the configuration's errors: lock headers or configuration in a
// bucket without object lock, a date in the past, a write without a body
// digest.
func TestObjectLockDefaultRetention(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const bucket = "defaults"
	createLockBucket(t, c, bucket)
	putLockConfig(t, c, bucket, &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}})
	cfg, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(bucket)})
	must(t, err, "get object lock configuration")
	if lc := cfg.ObjectLockConfiguration; lc == nil || lc.ObjectLockEnabled != types.ObjectLockEnabledEnabled || lc.Rule == nil ||
		lc.Rule.DefaultRetention == nil || lc.Rule.DefaultRetention.Mode != types.ObjectLockRetentionModeGovernance ||
		aws.ToInt32(lc.Rule.DefaultRetention.Days) != 1 || lc.Rule.DefaultRetention.Years != nil {
		t.Fatalf("object lock configuration %s, want Enabled with GOVERNANCE for 1 day", jsonOf(lc))
	}

	before := time.Now()
	plain := aws.ToString(putBytes(t, c, bucket, "plain", []byte("default retention")).VersionId)
	after := time.Now()
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain"), VersionId: aws.String(plain)})
	must(t, err, "head")
	got := aws.ToTime(head.ObjectLockRetainUntilDate)
	if head.ObjectLockMode != types.ObjectLockModeGovernance ||
		got.Before(before.Add(24*time.Hour-2*time.Second)) || got.After(after.Add(24*time.Hour+2*time.Second)) {
		t.Fatalf("a version written under the default: mode %q until %s; want GOVERNANCE until about %s",
			head.ObjectLockMode, got.Format(time.RFC3339), before.Add(24*time.Hour).Format(time.RFC3339))
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain"), VersionId: aws.String(plain)})
	wantDenied(t, err, "DeleteObject of a version under the default retention")

	until := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	explicit := putLocked(t, c, bucket, "explicit", []byte("explicit retention"), types.ObjectLockModeCompliance, until, false)
	checkLock(t, c, bucket, "explicit", explicit, types.ObjectLockModeCompliance, until, false)

	// A legal hold alone still gets the default retention.
	held, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("held"), Body: strings.NewReader("held"),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	must(t, err, "put with a legal hold")
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("held"), VersionId: held.VersionId})
	must(t, err, "head")
	if head.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn || head.ObjectLockMode != types.ObjectLockModeGovernance {
		t.Fatalf("a held version under the default: hold %q, mode %q; want ON and GOVERNANCE", head.ObjectLockLegalHoldStatus, head.ObjectLockMode)
	}

	// Years; then no rule at all: new versions are unprotected.
	putLockConfig(t, c, bucket, &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Years: aws.Int32(2)}})
	cfg, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(bucket)})
	must(t, err, "get object lock configuration")
	if r := cfg.ObjectLockConfiguration.Rule; r == nil || r.DefaultRetention == nil || r.DefaultRetention.Mode != types.ObjectLockRetentionModeCompliance ||
		aws.ToInt32(r.DefaultRetention.Years) != 2 || r.DefaultRetention.Days != nil {
		t.Fatalf("object lock configuration %s, want COMPLIANCE for 2 years", jsonOf(cfg.ObjectLockConfiguration))
	}
	putLockConfig(t, c, bucket, nil)
	cfg, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(bucket)})
	must(t, err, "get object lock configuration")
	if lc := cfg.ObjectLockConfiguration; lc.ObjectLockEnabled != types.ObjectLockEnabledEnabled || lc.Rule != nil {
		t.Fatalf("object lock configuration %s, want Enabled without a rule", jsonOf(lc))
	}
	free := putBytes(t, c, bucket, "free", []byte("no default"))
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("free"), VersionId: free.VersionId})
	if errCode(err) != "NoSuchObjectLockConfiguration" {
		t.Fatalf("retention of a version written without a default: %v, want NoSuchObjectLockConfiguration", err)
	}

	// A retain-until date in the past.
	past := time.Now().Add(-time.Hour)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("past"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(past)})
	wantError(t, err, 400, "InvalidArgument", "PutObject with a retain-until date in the past")
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("free"), VersionId: free.VersionId,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(past)}})
	wantError(t, err, 400, "InvalidArgument", "PutObjectRetention with a date in the past")
	// A mode without a date.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("half"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance})
	wantError(t, err, 400, "InvalidArgument", "PutObject with a lock mode and no date")

	// Lock parameters need a Content-MD5 or a checksum.
	noSum := func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired }
	lockedPut := func(key string, md5 *string) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte("digest")),
			ContentMD5: md5, ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until)}, noSum)
		return err
	}
	wantError(t, lockedPut("nodigest", nil), 400, "InvalidRequest", "PutObject with lock headers and no Content-MD5 or checksum")
	must(t, lockedPut("md5", aws.String(md5Base64([]byte("digest")))), "PutObject with lock headers and a Content-MD5")
	// So do the parts of an upload that will be locked.
	lockedUp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until)})
	must(t, err, "create a locked upload")
	lockedPart := func(md5 *string) error {
		_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mpu"), UploadId: lockedUp.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("digest")), ContentMD5: md5}, noSum)
		return err
	}
	wantError(t, lockedPart(nil), 400, "InvalidRequest", "UploadPart of a locked upload without Content-MD5 or checksum")
	must(t, lockedPart(aws.String(md5Base64([]byte("digest")))), "UploadPart of a locked upload with a Content-MD5")
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu"), UploadId: lockedUp.UploadId})
	must(t, err, "abort the locked upload")

	// A bucket without object lock.
	const plainBucket = "unlocked"
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(plainBucket)})
	must(t, err, "create bucket")
	_, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(plainBucket)})
	wantError(t, err, 404, "ObjectLockConfigurationNotFoundError", "GetObjectLockConfiguration of a bucket without object lock")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(plainBucket), Key: aws.String("k"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until)})
	wantError(t, err, 400, "InvalidRequest", "PutObject with lock headers into a bucket without object lock")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(plainBucket), Key: aws.String("k"), Body: strings.NewReader("x"),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	wantError(t, err, 400, "InvalidRequest", "PutObject with a legal hold into a bucket without object lock")
	putBytes(t, c, plainBucket, "k", []byte("x"))
	_, err = c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(plainBucket), Key: aws.String("k"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	wantError(t, err, 400, "InvalidRequest", "PutObjectLegalHold in a bucket without object lock")
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(plainBucket),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
	wantError(t, err, 409, "InvalidBucketState", "PutObjectLockConfiguration on a bucket without versioning")
	// With versioning enabled, object lock can be turned on, for good.
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(plainBucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must(t, err, "enable versioning")
	putLockConfig(t, c, plainBucket, nil)
	cfg, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(plainBucket)})
	must(t, err, "get object lock configuration of a bucket given object lock")
	if cfg.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
		t.Fatalf("object lock configuration %s, want Enabled", jsonOf(cfg.ObjectLockConfiguration))
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(plainBucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantError(t, err, 409, "InvalidBucketState", "suspending versioning once object lock is on")
	// The object written before versioning (the null version) can be
	// held like any other.
	_, err = c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(plainBucket), Key: aws.String("k"),
		VersionId: aws.String("null"), LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	must(t, err, "hold the null version")
	checkLegalHold(t, c, plainBucket, "k", "null", types.ObjectLockLegalHoldStatusOn)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(plainBucket), Key: aws.String("k"), VersionId: aws.String("null")})
	wantDenied(t, err, "DeleteObject of the held null version")
	eq(t, getVersionBytes(t, c, plainBucket, "k", "null"), []byte("x"), "the held null version")
}

// TestObjectLockMultipartAndCopy: CreateMultipartUpload's lock headers
// protect the completed object; CopyObject's lock headers protect the
// copy, and without them the copy gets the bucket's default, never the
// source's protection.
func TestObjectLockMultipartAndCopy(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	c := cl.client
	ctx := ctxT(t)
	const bucket = "mpulock"
	createLockBucket(t, c, bucket)

	until := time.Now().Add(time.Hour).Truncate(time.Second)
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("big"),
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(until),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	must(t, err, "create multipart upload")
	p1, p2 := blobtest.RandBytes(101, 5<<20), blobtest.RandBytes(102, 300_000)
	id := aws.ToString(up.UploadId)
	done := complete(t, c, bucket, "big", id, uploadPart(t, c, bucket, "big", id, 1, p1), uploadPart(t, c, bucket, "big", id, 2, p2))
	big := aws.ToString(done.VersionId)
	if big == "" {
		t.Fatal("CompleteMultipartUpload in an object lock bucket returned no version ID")
	}
	checkLock(t, c, bucket, "big", big, types.ObjectLockModeCompliance, until, true)
	checkRetention(t, c, bucket, "big", big, types.ObjectLockRetentionModeCompliance, until)
	checkLegalHold(t, c, bucket, "big", big, types.ObjectLockLegalHoldStatusOn)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), VersionId: aws.String(big)})
	wantDenied(t, err, "DeleteObject of a locked multipart object")
	eq(t, getVersionBytes(t, c, bucket, "big", big), append(append([]byte(nil), p1...), p2...), "the locked multipart object")

	// The source: COMPLIANCE and a legal hold; the bucket's default is
	// GOVERNANCE for a day.
	src := putLocked(t, c, bucket, "src", []byte("copy source"), types.ObjectLockModeCompliance, until, true)
	putLockConfig(t, c, bucket, &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}})

	before := time.Now()
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy-default"),
		CopySource: aws.String(bucket + "/src?versionId=" + src)})
	must(t, err, "copy without lock headers")
	after := time.Now()
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy-default"), VersionId: cp.VersionId})
	must(t, err, "head the copy")
	got := aws.ToTime(head.ObjectLockRetainUntilDate)
	if head.ObjectLockMode != types.ObjectLockModeGovernance || head.ObjectLockLegalHoldStatus == types.ObjectLockLegalHoldStatusOn ||
		got.Before(before.Add(24*time.Hour-2*time.Second)) || got.After(after.Add(24*time.Hour+2*time.Second)) {
		t.Fatalf("a copy without lock headers: mode %q until %s, hold %q; want the bucket default (GOVERNANCE until about %s), no hold",
			head.ObjectLockMode, got.Format(time.RFC3339), head.ObjectLockLegalHoldStatus, before.Add(24*time.Hour).Format(time.RFC3339))
	}

	later := until.Add(time.Hour)
	cp, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy-locked"),
		CopySource: aws.String(bucket + "/src"), ObjectLockMode: types.ObjectLockModeCompliance,
		ObjectLockRetainUntilDate: aws.Time(later), ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	must(t, err, "copy with lock headers")
	copied := aws.ToString(cp.VersionId)
	checkLock(t, c, bucket, "copy-locked", copied, types.ObjectLockModeCompliance, later, true)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy-locked"),
		VersionId: aws.String(copied), BypassGovernanceRetention: aws.Bool(true)})
	wantDenied(t, err, "DeleteObject of a locked copy")

	// From a bucket without object lock into the lock bucket, and the
	// other way: the copy's protection is the request's.
	const plainBucket = "plaincopy"
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(plainBucket)})
	must(t, err, "create bucket")
	putBytes(t, c, plainBucket, "p", []byte("unprotected source"))
	cp, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("from-plain"),
		CopySource: aws.String(plainBucket + "/p"), ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(until)})
	must(t, err, "copy from a plain bucket with lock headers")
	checkLock(t, c, bucket, "from-plain", aws.ToString(cp.VersionId), types.ObjectLockModeCompliance, until, false)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(plainBucket), Key: aws.String("to-plain"),
		CopySource: aws.String(bucket + "/src"), ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(until)})
	wantError(t, err, 400, "InvalidRequest", "CopyObject with lock headers into a bucket without object lock")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(plainBucket), Key: aws.String("to-plain"),
		CopySource: aws.String(bucket + "/src")})
	must(t, err, "copy a locked version into a plain bucket")
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(plainBucket), Key: aws.String("to-plain")})
	must(t, err, "head")
	if head.ObjectLockMode != "" || head.ObjectLockLegalHoldStatus == types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("a copy into a plain bucket: mode %q, hold %q; want neither", head.ObjectLockMode, head.ObjectLockLegalHoldStatus)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(plainBucket), Key: aws.String("to-plain")})
	must(t, err, "delete the unprotected copy")

	// A multipart upload with lock headers into a bucket without object lock.
	_, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(plainBucket), Key: aws.String("mpu"),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	wantError(t, err, 400, "InvalidRequest", "CreateMultipartUpload with a legal hold into a bucket without object lock")
}

// TestObjectLockAWSCLI drives Object Lock with the aws CLI: create-bucket
// --object-lock-enabled-for-bucket, a default retention, put-object with
// lock options, get-/put-object-retention, legal hold, and deletions
// refused with AccessDenied. Skipped without the aws CLI (see needTools).
func TestObjectLockAWSCLI(t *testing.T) {
	t.Parallel()
	needTools(t, "aws")
	cl := startCluster(t)
	cs := newClients(t, cl)
	const bucket = "cli-lock"
	dir := t.TempDir()
	src := filepath.Join(dir, "doc.bin")
	writeRandomFile(t, src, 111, 50_000)
	data, err := os.ReadFile(src)
	must(t, err, "read %s", src)
	s3api := func(args ...string) string {
		t.Helper()
		return cs.aws(t, time.Minute, append([]string{"s3api"}, args...)...)
	}
	fails := func(code string, args ...string) {
		t.Helper()
		out, err := cs.run(t, time.Minute, nil, "aws", cs.awsArgs(append([]string{"s3api"}, args...)...)...)
		if err == nil || !strings.Contains(out, code) {
			t.Fatalf("aws s3api %s: exit %v, want a failure with %s; output:\n%s", strings.Join(args, " "), err, code, out)
		}
	}

	s3api("create-bucket", "--bucket", bucket, "--object-lock-enabled-for-bucket")
	var cfg struct {
		ObjectLockConfiguration struct {
			ObjectLockEnabled string
			Rule              *struct {
				DefaultRetention struct {
					Mode string
					Days int
				}
			}
		}
	}
	decodeJSON(t, s3api("get-object-lock-configuration", "--bucket", bucket), &cfg)
	if cfg.ObjectLockConfiguration.ObjectLockEnabled != "Enabled" || cfg.ObjectLockConfiguration.Rule != nil {
		t.Fatalf("get-object-lock-configuration: %+v, want Enabled without a rule", cfg.ObjectLockConfiguration)
	}
	s3api("put-object-lock-configuration", "--bucket", bucket, "--object-lock-configuration",
		`{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}`)
	decodeJSON(t, s3api("get-object-lock-configuration", "--bucket", bucket), &cfg)
	if r := cfg.ObjectLockConfiguration.Rule; r == nil || r.DefaultRetention.Mode != "GOVERNANCE" || r.DefaultRetention.Days != 1 {
		t.Fatalf("get-object-lock-configuration after put: %+v, want GOVERNANCE for 1 day", cfg.ObjectLockConfiguration)
	}

	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	var put struct{ VersionId string }
	decodeJSON(t, s3api("put-object", "--bucket", bucket, "--key", "doc", "--body", src,
		"--object-lock-mode", "COMPLIANCE", "--object-lock-retain-until-date", until.Format(time.RFC3339)), &put)
	if put.VersionId == "" {
		t.Fatal("put-object in an object lock bucket returned no VersionId")
	}
	vid := put.VersionId
	retention := func() (string, time.Time) {
		t.Helper()
		var r struct {
			Retention struct{ Mode, RetainUntilDate string }
		}
		decodeJSON(t, s3api("get-object-retention", "--bucket", bucket, "--key", "doc", "--version-id", vid), &r)
		d, err := time.Parse(time.RFC3339, r.Retention.RetainUntilDate)
		must(t, err, "parse RetainUntilDate %q", r.Retention.RetainUntilDate)
		return r.Retention.Mode, d
	}
	if mode, d := retention(); mode != "COMPLIANCE" || !d.Equal(until) {
		t.Fatalf("get-object-retention: %s until %s, want COMPLIANCE until %s", mode, d, until)
	}
	var head struct{ ObjectLockMode, ObjectLockRetainUntilDate string }
	decodeJSON(t, s3api("head-object", "--bucket", bucket, "--key", "doc", "--version-id", vid), &head)
	if head.ObjectLockMode != "COMPLIANCE" {
		t.Fatalf("head-object: %+v, want COMPLIANCE", head)
	}

	longer := until.Add(time.Hour)
	s3api("put-object-retention", "--bucket", bucket, "--key", "doc", "--version-id", vid,
		"--retention", `{"Mode":"COMPLIANCE","RetainUntilDate":"`+longer.Format(time.RFC3339)+`"}`)
	if mode, d := retention(); mode != "COMPLIANCE" || !d.Equal(longer) {
		t.Fatalf("get-object-retention after lengthening: %s until %s, want COMPLIANCE until %s", mode, d, longer)
	}
	fails("AccessDenied", "put-object-retention", "--bucket", bucket, "--key", "doc", "--version-id", vid,
		"--retention", `{"Mode":"COMPLIANCE","RetainUntilDate":"`+until.Format(time.RFC3339)+`"}`)
	fails("AccessDenied", "delete-object", "--bucket", bucket, "--key", "doc", "--version-id", vid)
	fails("AccessDenied", "delete-object", "--bucket", bucket, "--key", "doc", "--version-id", vid, "--bypass-governance-retention")

	// A version under the default GOVERNANCE retention: refused, then
	// deleted with the bypass.
	decodeJSON(t, s3api("put-object", "--bucket", bucket, "--key", "gov", "--body", src), &put)
	gov := put.VersionId
	decodeJSON(t, s3api("head-object", "--bucket", bucket, "--key", "gov", "--version-id", gov), &head)
	if head.ObjectLockMode != "GOVERNANCE" || head.ObjectLockRetainUntilDate == "" {
		t.Fatalf("head-object of a version under the default: %+v, want GOVERNANCE", head)
	}
	fails("AccessDenied", "delete-object", "--bucket", bucket, "--key", "gov", "--version-id", gov)
	s3api("delete-object", "--bucket", bucket, "--key", "gov", "--version-id", gov, "--bypass-governance-retention")

	// A legal hold.
	decodeJSON(t, s3api("put-object", "--bucket", bucket, "--key", "gov", "--body", src), &put)
	held := put.VersionId
	s3api("put-object-legal-hold", "--bucket", bucket, "--key", "gov", "--version-id", held, "--legal-hold", "Status=ON")
	var hold struct{ LegalHold struct{ Status string } }
	decodeJSON(t, s3api("get-object-legal-hold", "--bucket", bucket, "--key", "gov", "--version-id", held), &hold)
	if hold.LegalHold.Status != "ON" {
		t.Fatalf("get-object-legal-hold: %+v, want ON", hold)
	}
	fails("AccessDenied", "delete-object", "--bucket", bucket, "--key", "gov", "--version-id", held, "--bypass-governance-retention")

	eq(t, getVersionBytes(t, cl.client, bucket, "doc", vid), data, "the locked version")
	fails("InvalidBucketState", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Suspended")
}

// ---- Helpers ----

// createLockBucket creates bucket with object lock enabled.
func createLockBucket(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	_, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)})
	must(t, err, "create object lock bucket %s", bucket)
}

// putLockConfig sets bucket's object lock configuration: Enabled, with
// rule (nil for none).
func putLockConfig(t *testing.T, c *s3.Client, bucket string, rule *types.ObjectLockRule) {
	t.Helper()
	_, err := c.PutObjectLockConfiguration(ctxT(t), &s3.PutObjectLockConfigurationInput{Bucket: aws.String(bucket),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled, Rule: rule}})
	must(t, err, "put object lock configuration of %s", bucket)
}

// putLocked PUTs data as bucket/key with a retention (mode until) and
// optionally a legal hold, and returns the new version's ID.
func putLocked(t *testing.T, c *s3.Client, bucket, key string, data []byte, mode types.ObjectLockMode, until time.Time, hold bool) string {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ObjectLockMode: mode, ObjectLockRetainUntilDate: aws.Time(until)}
	if hold {
		in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn
	}
	out, err := c.PutObject(ctxT(t), in)
	must(t, err, "put %s/%s with %s retention", bucket, key, mode)
	if aws.ToString(out.VersionId) == "" {
		t.Fatalf("put %s/%s into an object lock bucket: no version ID", bucket, key)
	}
	return aws.ToString(out.VersionId)
}

// checkLock fails t unless HEAD of the version shows retention mode until
// and the legal hold hold.
func checkLock(t *testing.T, c *s3.Client, bucket, key, vid string, mode types.ObjectLockMode, until time.Time, hold bool) {
	t.Helper()
	for _, get := range []bool{false, true} {
		var gotMode types.ObjectLockMode
		var gotUntil *time.Time
		var gotHold types.ObjectLockLegalHoldStatus
		if get {
			out, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid)})
			must(t, err, "get %s/%s %s", bucket, key, vid)
			out.Body.Close()
			gotMode, gotUntil, gotHold = out.ObjectLockMode, out.ObjectLockRetainUntilDate, out.ObjectLockLegalHoldStatus
		} else {
			out, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid)})
			must(t, err, "head %s/%s %s", bucket, key, vid)
			gotMode, gotUntil, gotHold = out.ObjectLockMode, out.ObjectLockRetainUntilDate, out.ObjectLockLegalHoldStatus
		}
		wantHold := types.ObjectLockLegalHoldStatus("")
		if hold {
			wantHold = types.ObjectLockLegalHoldStatusOn
		}
		if gotMode != mode || gotUntil == nil || !gotUntil.Equal(until) || gotHold != wantHold {
			t.Fatalf("%s of %s/%s %s (GET %v): mode %q until %v, legal hold %q; want %s until %s, hold %q",
				"lock headers", bucket, key, vid, get, gotMode, gotUntil, gotHold, mode, until.UTC().Format(time.RFC3339Nano), wantHold)
		}
	}
}

// checkRetention fails t unless GetObjectRetention of the version is mode
// until.
func checkRetention(t *testing.T, c *s3.Client, bucket, key, vid string, mode types.ObjectLockRetentionMode, until time.Time) {
	t.Helper()
	out, err := c.GetObjectRetention(ctxT(t), &s3.GetObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid)})
	must(t, err, "get retention of %s/%s %s", bucket, key, vid)
	if r := out.Retention; r == nil || r.Mode != mode || r.RetainUntilDate == nil || !r.RetainUntilDate.Equal(until) {
		t.Fatalf("retention of %s/%s %s: %s, want %s until %s", bucket, key, vid, jsonOf(out.Retention), mode, until.UTC().Format(time.RFC3339Nano))
	}
}

// checkLegalHold fails t unless GetObjectLegalHold of the version is want.
func checkLegalHold(t *testing.T, c *s3.Client, bucket, key, vid string, want types.ObjectLockLegalHoldStatus) {
	t.Helper()
	out, err := c.GetObjectLegalHold(ctxT(t), &s3.GetObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid)})
	must(t, err, "get legal hold of %s/%s %s", bucket, key, vid)
	if out.LegalHold == nil || out.LegalHold.Status != want {
		t.Fatalf("legal hold of %s/%s %s: %s, want %s", bucket, key, vid, jsonOf(out.LegalHold), want)
	}
}

// wantDenied fails t unless err is S3's 403 AccessDenied; what (a format
// with args) names the request.
func wantDenied(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	wantError(t, err, 403, "AccessDenied", what, args...)
}

// wantError fails t unless err is an S3 error with HTTP status and code.
func wantError(t *testing.T, err error, status int, code, what string, args ...any) {
	t.Helper()
	if errCode(err) != code || httpStatus(err) != status {
		t.Fatalf("%s: %v (status %d), want %d %s", fmt.Sprintf(what, args...), err, httpStatus(err), status, code)
	}
}

// getVersionBytes reads one version of bucket/key.
func getVersionBytes(t *testing.T, c *s3.Client, bucket, key, vid string) []byte {
	t.Helper()
	out, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid)})
	must(t, err, "get %s/%s %s", bucket, key, vid)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	must(t, err, "read %s/%s %s", bucket, key, vid)
	return b
}

// versionBlobs returns the IDs (hex) of the blobs a version's parts use,
// in part order.
func versionBlobs(t *testing.T, cl *cluster, bucket, key, vid string) []string {
	t.Helper()
	rows, err := cl.db(t).Query(ctxT(t), `SELECT encode(blob_id, 'hex') FROM object_parts
		WHERE bucket = $1 AND key = $2 AND version_id = $3 ORDER BY part_number`, bucket, key, vid)
	must(t, err, "query the blobs of %s/%s %s", bucket, key, vid)
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		must(t, rows.Scan(&id), "scan a blob ID")
		ids = append(ids, id)
	}
	must(t, rows.Err(), "query the blobs of %s/%s %s", bucket, key, vid)
	return ids
}

// blobShardFiles counts the shard files of the blobs ids (hex) on all
// nodes.
func blobShardFiles(t *testing.T, cl *cluster, ids []string) int {
	t.Helper()
	n := 0
	for _, nd := range cl.nodes.Nodes {
		for _, f := range nd.ShardFiles(t) {
			id, _, _ := strings.Cut(filepath.Base(f), ".")
			for _, want := range ids {
				if id == want {
					n++
				}
			}
		}
	}
	return n
}

// queuedBlobs counts the blobs of ids (hex) waiting in the deletion queue.
func queuedBlobs(t *testing.T, cl *cluster, ids []string) int {
	t.Helper()
	return cl.count(t, `SELECT count(*) FROM deletion_queue WHERE encode(blob_id, 'hex') = ANY($1)`, ids)
}

// deleteErrors shows DeleteObjects' errors for a failure message.
func deleteErrors(errs []types.Error) string {
	var parts []string
	for _, e := range errs {
		parts = append(parts, aws.ToString(e.Key)+" "+aws.ToString(e.VersionId)+": "+aws.ToString(e.Code)+" "+aws.ToString(e.Message))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// jsonOf shows v as JSON for a failure message.
func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// equalStrings reports whether a and b hold the same strings in order.
func equalStrings(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}
