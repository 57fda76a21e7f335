package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestVersionsSurviveGatewayKill writes and deletes versions of a few keys
// from several clients while the gateway is killed with SIGKILL. After a
// restart every acknowledged version reads back with its own bytes, every
// acknowledged deletion holds, each key has one latest version, and every
// version that exists (acknowledged or caught mid-flight) is whole: its
// bytes hash to its ETag and to a body a client sent.
func TestVersionsSurviveGatewayKill(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	ctx := ctxT(t)
	enableVersioning(t, cl, "crash")
	// One attempt per call: an operation cut off by the kill is reported,
	// not retried against the restarted gateway.
	c := newClient(t, cl.endpoint, cl.accessKey, cl.secretKey, func(o *s3.Options) { o.RetryMaxAttempts = 1 })

	var (
		mu      sync.Mutex
		acked   = map[string][32]byte{} // version ID → SHA-256 of its bytes
		deleted = map[string]bool{}     // acknowledged deletions by version ID
		markers = map[string]bool{}     // acknowledged delete markers
		sent    = map[string]bool{}     // hex MD5 of every body sent
		wg      sync.WaitGroup
		stop    = make(chan struct{})
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			var mine []string // this writer's acknowledged versions
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("k%d", rng.IntN(3))
				switch op := rng.IntN(10); {
				case op < 7: // PUT
					data := make([]byte, 16<<10+rng.IntN(512<<10))
					for j := range data {
						data[j] = byte(rng.Uint32())
					}
					m := md5.Sum(data)
					mu.Lock()
					sent[hex.EncodeToString(m[:])] = true
					mu.Unlock()
					out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("crash"), Key: aws.String(key), Body: bytes.NewReader(data)})
					if err != nil {
						return // the gateway is gone
					}
					mu.Lock()
					acked[aws.ToString(out.VersionId)] = sha256.Sum256(data)
					mu.Unlock()
					mine = append(mine, key+"\x00"+aws.ToString(out.VersionId))
				case op < 9 && len(mine) > 0: // delete one of my versions
					j := rng.IntN(len(mine))
					kv := bytes.SplitN([]byte(mine[j]), []byte{0}, 2)
					mine = append(mine[:j], mine[j+1:]...)
					_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("crash"), Key: aws.String(string(kv[0])),
						VersionId: aws.String(string(kv[1]))})
					if err != nil {
						return
					}
					mu.Lock()
					deleted[string(kv[1])] = true
					mu.Unlock()
				default: // a delete marker
					out, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("crash"), Key: aws.String(key)})
					if err != nil {
						return
					}
					mu.Lock()
					markers[aws.ToString(out.VersionId)] = true
					mu.Unlock()
				}
			}
		}()
	}
	waitFor(t, time.Minute, "some versions acknowledged", func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 20 && len(deleted) >= 2, nil
	})
	must(t, cl.gateway.Process.Kill(), "kill -9 the gateway")
	_ = cl.gateway.Wait()
	cl.gateway = nil
	close(stop)
	wg.Wait()

	cl.startGateway(t)
	c = cl.client
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d versions, %d deletions, %d markers acknowledged before the kill", len(acked), len(deleted), len(markers))

	found := map[string]bool{}
	latest := map[string]int{}
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String("crash")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err, "list versions")
		for _, v := range page.Versions {
			id := aws.ToString(v.VersionId)
			found[id] = true
			if aws.ToBool(v.IsLatest) {
				latest[aws.ToString(v.Key)]++
			}
			checkWholeVersion(t, c, aws.ToString(v.Key), id, v, sent, acked)
		}
		for _, m := range page.DeleteMarkers {
			found[aws.ToString(m.VersionId)] = true
			if aws.ToBool(m.IsLatest) {
				latest[aws.ToString(m.Key)]++
			}
		}
	}
	for id := range acked {
		if !deleted[id] && !found[id] {
			t.Errorf("acknowledged version %s is missing after the restart", id)
		}
	}
	for id := range deleted {
		if found[id] {
			t.Errorf("version %s was deleted (acknowledged) but is listed after the restart", id)
		}
	}
	for id := range markers {
		if !found[id] {
			t.Errorf("acknowledged delete marker %s is missing", id)
		}
	}
	for k, n := range latest {
		if n != 1 {
			t.Errorf("key %s has %d latest versions", k, n)
		}
	}
}

// checkWholeVersion reads one version and checks that it is whole: its
// bytes' MD5 is its ETag and a body some client sent, and, if it was
// acknowledged, their SHA-256 is the acknowledged one.
func checkWholeVersion(t *testing.T, c *s3.Client, key, id string, v types.ObjectVersion,
	sent map[string]bool, acked map[string][32]byte) {
	t.Helper()
	out, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("crash"), Key: aws.String(key), VersionId: aws.String(id)})
	must(t, err, "get %s version %s", key, id)
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	must(t, err, "read %s version %s", key, id)
	m := md5.Sum(b)
	sum := hex.EncodeToString(m[:])
	if `"`+sum+`"` != aws.ToString(v.ETag) || !sent[sum] {
		t.Errorf("version %s of %s: %d bytes with MD5 %s, ETag %s: not a body any client sent", id, key, len(b), sum, aws.ToString(v.ETag))
	}
	if want, ok := acked[id]; ok && sha256.Sum256(b) != want {
		t.Errorf("acknowledged version %s of %s reads back different bytes", id, key)
	}
}
