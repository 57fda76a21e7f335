package e2e

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestVirtualHostedStyle: with --domain, aws-sdk-go-v2 in its default
// virtual-hosted addressing (bucket.s3.floe.test) works beside path
// style, signatures included. The test's resolver sends every name to the
// gateway, as a wildcard DNS record would.
func TestVirtualHostedStyle(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, "--domain", "s3.floe.test", "--domain", "storage.example")
	ctx := ctxT(t)
	_, port, _ := net.SplitHostPort(cl.listenAddr())
	var mu sync.Mutex
	var hosts []string
	dialer := &net.Dialer{}
	httpClient := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			hosts = append(hosts, addr)
			mu.Unlock()
			return dialer.DialContext(ctx, network, cl.listenAddr())
		},
	}}
	vhost := func(domain string) *s3.Client {
		return newClient(t, "http://"+domain+":"+port, cl.accessKey, cl.secretKey, func(o *s3.Options) {
			o.UsePathStyle = false
			o.HTTPClient = httpClient
		})
	}
	c := vhost("s3.floe.test")
	const bucket = "hosted.bucket-1" // dots stay in the bucket's label
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	data := []byte("addressed by host name")
	for _, key := range []string{"a/b/c.txt", "/leading-slash", "sp ace+plus%"} {
		putBytes(t, c, bucket, key, data)
		eq(t, getBytes(t, c, bucket, key, ""), data, "virtual-hosted GET of "+key)
		// The same object, path style.
		eq(t, getBytes(t, cl.client, bucket, key, ""), data, "path-style GET of "+key)
	}
	eq(t, getBytes(t, vhost("storage.example"), bucket, "a/b/c.txt", "bytes=0-6"), data[:7], "ranged GET under the second domain")
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("a/")})
	if err != nil || len(lo.Contents) != 1 || aws.ToString(lo.Contents[0].Key) != "a/b/c.txt" {
		t.Fatalf("virtual-hosted listing: %+v, %v", lo, err)
	}
	pre, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b/c.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pre.URL, "http://"+bucket+".s3.floe.test:") {
		t.Fatalf("presigned URL %s is not virtual-hosted", pre.URL)
	}
	res, err := httpClient.Get(pre.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("virtual-hosted presigned GET: %d", res.StatusCode)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b/c.txt")}); err != nil {
		t.Fatal(err)
	}
	if n := cl.count(t, `SELECT count(*) FROM objects WHERE bucket = $1`, bucket); n != 2 {
		t.Fatalf("%d objects left, want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	sawHosted := false
	for _, h := range hosts {
		sawHosted = sawHosted || strings.HasPrefix(h, bucket+".s3.floe.test:")
	}
	if !sawHosted {
		t.Fatalf("the SDK never addressed %s.s3.floe.test (dialled %v)", bucket, hosts)
	}
}
