package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// publicReadPolicy lets everyone, anonymous requests too, read bucket's
// objects: what a video site puts on its media bucket.
func publicReadPolicy(bucket string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow",
		"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, bucket)
}

// anonClient is an aws-sdk-go-v2 client that signs nothing.
func anonClient(t *testing.T, cl *cluster) *s3.Client {
	return newClient(t, cl.endpoint, "", "", func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} })
}

// TestBucketPolicy: policies grant to anonymous requests and to other
// users exactly what they say, an explicit Deny beats everything but the
// owner's right to manage the policy, PublicAccessBlock blocks and
// restricts public policies, and bad documents are MalformedPolicy.
func TestBucketPolicy(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	ctx := ctxT(t)
	owner := cl.client
	bob, _ := cl.newUser(t, "bob")
	anon := anonClient(t, cl)
	const bucket = "media"
	b := aws.String(bucket)
	if _, err := owner.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	video := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	putBytes(t, owner, bucket, "videos/intro.mp4", video)
	putBytes(t, owner, bucket, "private/notes.txt", []byte("not for you"))
	setPolicy := func(t *testing.T, doc string) {
		t.Helper()
		if _, err := owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(doc)}); err != nil {
			t.Fatalf("PutBucketPolicy: %v", err)
		}
	}
	anonGet := func(key, rng string) (int, string, []byte) {
		r, err := http.NewRequest(http.MethodGet, cl.endpoint+"/"+bucket+"/"+key, nil)
		must(t, err, "request")
		if rng != "" {
			r.Header.Set("Range", rng)
		}
		return sendRaw(t, r)
	}

	t.Run("no policy: anonymous refused", func(t *testing.T) {
		if st, code, _ := anonGet("videos/intro.mp4", ""); st != 403 || code != "AccessDenied" {
			t.Fatalf("anonymous GET without a policy: %d %s", st, code)
		}
		_, err := owner.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
		wantAPIError(t, err, "NoSuchBucketPolicy")
	})

	t.Run("public read", func(t *testing.T) {
		doc := strings.ReplaceAll(publicReadPolicy(bucket), "/*", "/videos/*")
		setPolicy(t, doc)
		got, err := owner.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
		if err != nil || aws.ToString(got.Policy) != doc {
			t.Fatalf("GetBucketPolicy = %q, %v; want the document as put", aws.ToString(got.Policy), err)
		}
		st, err := owner.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b})
		if err != nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
			t.Fatalf("GetBucketPolicyStatus = %+v, %v; want public", st, err)
		}
		// A video player's ranged GET, unsigned.
		status, _, body := anonGet("videos/intro.mp4", "bytes=1000-1999")
		if status != http.StatusPartialContent || !bytes.Equal(body, video[1000:2000]) {
			t.Fatalf("anonymous ranged GET: %d, %d bytes", status, len(body))
		}
		out, err := anon.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("videos/intro.mp4")})
		must(t, err, "anonymous SDK GetObject")
		data, err := io.ReadAll(out.Body)
		out.Body.Close()
		must(t, err, "read")
		eq(t, data, video, "anonymous GetObject")
		// Only what the policy names: not another prefix, not a write,
		// not a listing, not a delete.
		if st, code, _ := anonGet("private/notes.txt", ""); st != 403 || code != "AccessDenied" {
			t.Fatalf("anonymous GET outside the granted prefix: %d %s", st, code)
		}
		_, err = anon.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("videos/intro.mp4"), Body: strings.NewReader("defaced")})
		if httpStatus(err) != 403 || errCode(err) != "AccessDenied" {
			t.Fatalf("anonymous PUT: %v", err)
		}
		_, err = anon.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
		wantAPIError(t, err, "AccessDenied")
		_, err = anon.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("videos/intro.mp4")})
		wantAPIError(t, err, "AccessDenied")
		_, err = anon.ListBuckets(ctx, &s3.ListBucketsInput{})
		wantAPIError(t, err, "AccessDenied")
		// Presentation overrides stay for signed requests.
		r, err := http.NewRequest(http.MethodGet, cl.endpoint+"/"+bucket+"/videos/intro.mp4?response-content-type=text%2Fhtml", nil)
		must(t, err, "request")
		if st, code, _ := sendRaw(t, r); st != 400 || code != "InvalidRequest" {
			t.Fatalf("anonymous GET with response-content-type: %d %s, want 400 InvalidRequest", st, code)
		}
		// Bob is everyone too, but still cannot write or manage the policy.
		eq(t, getBytes(t, bob, bucket, "videos/intro.mp4", ""), video, "bob's GET of a public object")
		_, err = bob.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("videos/x"), Body: strings.NewReader("x")})
		wantAPIError(t, err, "AccessDenied")
		_, err = bob.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b})
		wantAPIError(t, err, "AccessDenied")
		_, err = bob.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
		wantAPIError(t, err, "AccessDenied")
		eq(t, getBytes(t, owner, bucket, "videos/intro.mp4", ""), video, "object after refused writes")
		if n := cl.count(t, `SELECT count(*) FROM objects WHERE bucket = $1`, bucket); n != 2 {
			t.Fatalf("%d objects in the bucket, want 2", n)
		}
	})

	t.Run("user grant with prefix condition", func(t *testing.T) {
		setPolicy(t, `{"Version":"2012-10-17","Statement":[
			{"Sid":"BobWritesUploads","Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/bob"},
			 "Action":["s3:PutObject","s3:Get*"],"Resource":"arn:aws:s3:::media/uploads/${aws:username}/*"},
			{"Sid":"BobListsUploads","Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/bob"},
			 "Action":"s3:ListBucket","Resource":"arn:aws:s3:::media","Condition":{"StringLike":{"s3:prefix":"uploads/bob/*"}}}]}`)
		st, err := owner.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b})
		if err != nil || aws.ToBool(st.PolicyStatus.IsPublic) {
			t.Fatalf("GetBucketPolicyStatus = %+v, %v; want not public", st, err)
		}
		putBytes(t, bob, bucket, "uploads/bob/clip.mp4", []byte("bob's clip"))
		eq(t, getBytes(t, bob, bucket, "uploads/bob/clip.mp4", ""), []byte("bob's clip"), "bob's upload")
		_, err = bob.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("uploads/alice/x"), Body: strings.NewReader("x")})
		wantAPIError(t, err, "AccessDenied")
		_, err = bob.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("uploads/bob/clip.mp4")})
		wantAPIError(t, err, "AccessDenied")
		lo, err := bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("uploads/bob/")})
		if err != nil || len(lo.Contents) != 1 || aws.ToString(lo.Contents[0].Key) != "uploads/bob/clip.mp4" {
			t.Fatalf("bob's listing of his prefix: %+v, %v", lo, err)
		}
		_, err = bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
		wantAPIError(t, err, "AccessDenied")
		// The object bob wrote belongs to the bucket's owner.
		if st, code, _ := anonGet("uploads/bob/clip.mp4", ""); st != 403 || code != "AccessDenied" {
			t.Fatalf("anonymous GET under a non-public policy: %d %s", st, code)
		}
	})

	t.Run("explicit deny beats the owner", func(t *testing.T) {
		setPolicy(t, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*"},
			{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::media","arn:aws:s3:::media/*"],
			 "Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)
		// Requests come from 127.0.0.1: denied to everyone, the owner too.
		_, err := owner.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("videos/intro.mp4")})
		wantAPIError(t, err, "AccessDenied")
		_, err = owner.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("videos/y"), Body: strings.NewReader("y")})
		wantAPIError(t, err, "AccessDenied")
		if st, code, _ := anonGet("videos/intro.mp4", ""); st != 403 || code != "AccessDenied" {
			t.Fatalf("anonymous GET under a deny: %d %s", st, code)
		}
		// ...but the owner cannot lock itself out of its policy.
		if _, err := owner.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b}); err != nil {
			t.Fatalf("owner's DeleteBucketPolicy under a deny-all: %v", err)
		}
		eq(t, getBytes(t, owner, bucket, "videos/intro.mp4", ""), video, "owner's GET after deleting the policy")
		_, err = owner.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b})
		wantAPIError(t, err, "NoSuchBucketPolicy")
	})

	t.Run("public access block", func(t *testing.T) {
		setPolicy(t, publicReadPolicy(bucket))
		if st, _, _ := anonGet("videos/intro.mp4", ""); st != 200 {
			t.Fatalf("anonymous GET before RestrictPublicBuckets: %d", st)
		}
		_, err := owner.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: b,
			PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
				BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}})
		must(t, err, "PutPublicAccessBlock")
		got, err := owner.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
		must(t, err, "GetPublicAccessBlock")
		c := got.PublicAccessBlockConfiguration
		if !aws.ToBool(c.BlockPublicPolicy) || !aws.ToBool(c.RestrictPublicBuckets) || aws.ToBool(c.BlockPublicAcls) || aws.ToBool(c.IgnorePublicAcls) {
			t.Fatalf("GetPublicAccessBlock = %+v", c)
		}
		// The public policy in place grants nothing to others any more...
		if st, code, _ := anonGet("videos/intro.mp4", ""); st != 403 || code != "AccessDenied" {
			t.Fatalf("anonymous GET with RestrictPublicBuckets: %d %s", st, code)
		}
		_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("videos/intro.mp4")})
		wantAPIError(t, err, "AccessDenied")
		eq(t, getBytes(t, owner, bucket, "videos/intro.mp4", ""), video, "owner's GET with RestrictPublicBuckets")
		// ...and a new public one is refused, a private one is not.
		_, err = owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(publicReadPolicy(bucket))})
		wantAPIError(t, err, "AccessDenied")
		setPolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*"}]}`)
		eq(t, getBytes(t, bob, bucket, "videos/intro.mp4", ""), video, "bob's GET under a private grant")
		_, err = bob.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: b,
			PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{}})
		wantAPIError(t, err, "AccessDenied")
		_, err = owner.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b})
		must(t, err, "DeletePublicAccessBlock")
		_, err = owner.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
		wantAPIError(t, err, "NoSuchPublicAccessBlockConfiguration")
	})

	t.Run("anonymous POST upload to a drop box", func(t *testing.T) {
		setPolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
			"Action":"s3:PutObject","Resource":"arn:aws:s3:::media/dropbox/*"}]}`)
		target := cl.endpoint + "/" + bucket
		res, body := postForm(t, target, map[string]string{"key": "dropbox/${filename}"}, "drop.txt", []byte("dropped"))
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("anonymous POST into the drop box: %d %.300s", res.StatusCode, body)
		}
		eq(t, getBytes(t, owner, bucket, "dropbox/drop.txt", ""), []byte("dropped"), "the dropped object")
		res, body = postForm(t, target, map[string]string{"key": "videos/intro.mp4"}, "x", []byte("defaced"))
		if code, _ := s3Error(body); res.StatusCode != 403 || code != "AccessDenied" {
			t.Fatalf("anonymous POST outside the drop box: %d %s", res.StatusCode, code)
		}
		eq(t, getBytes(t, owner, bucket, "videos/intro.mp4", ""), video, "the video after a refused POST")
	})

	t.Run("malformed policies", func(t *testing.T) {
		before, err := owner.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
		must(t, err, "GetBucketPolicy")
		for _, doc := range []string{
			`not json`, `{`, `{"Version":"2012-10-17"}`, `{"Version":"2012-10-17","Statement":[]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:Steal","Resource":"arn:aws:s3:::media/*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/nobody"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/secret":"yes"}}}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*","Condition":{"IpAddress":{"aws:SourceIp":"300.0.0.0/8"}}}]}`,
		} {
			_, err := owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(doc)})
			if httpStatus(err) != 400 || errCode(err) != "MalformedPolicy" {
				t.Errorf("PutBucketPolicy(%s): %v, want 400 MalformedPolicy", doc, err)
			}
		}
		after, err := owner.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
		must(t, err, "GetBucketPolicy")
		if aws.ToString(after.Policy) != aws.ToString(before.Policy) {
			t.Fatal("a refused policy replaced the bucket's")
		}
	})

	t.Run("aws cli", func(t *testing.T) {
		cs := newClients(t, cl)
		cs.need(t, "aws")
		cs.aws(t, time.Minute, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", publicReadPolicy(bucket))
		var out struct{ Policy string }
		decodeJSON(t, cs.aws(t, time.Minute, "s3api", "get-bucket-policy", "--bucket", bucket), &out)
		if out.Policy != publicReadPolicy(bucket) {
			t.Fatalf("get-bucket-policy: %q", out.Policy)
		}
		if st, _, body := anonGet("videos/intro.mp4", ""); st != 200 || !bytes.Equal(body, video) {
			t.Fatalf("anonymous GET after the CLI's policy: %d", st)
		}
		cs.aws(t, time.Minute, "s3api", "delete-bucket-policy", "--bucket", bucket)
		if st, _, _ := anonGet("videos/intro.mp4", ""); st != 403 {
			t.Fatalf("anonymous GET after delete-bucket-policy: %d", st)
		}
	})
}
