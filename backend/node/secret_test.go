package node

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/backend/shardfile"
)

// TestNodeRefusesRequestsWithoutTheSecret checks that a `floe node`
// process, which takes the cluster secret from its environment, refuses
// every request that does not prove it. Its subject is the process, so it
// runs one through nodetest; TestAuth covers the signing rules on an
// in-process server.
func TestNodeRefusesRequestsWithoutTheSecret(t *testing.T) {
	c := nodetest.Start(t, 1)
	nd := c.Nodes[0]
	client := NewClient(c.Secret, nil)
	b := blobtest.Encode(t, small, 12, 1000)
	if _, err := client.PutShard(ctx(t), nd.Addr, 0, b.BlockSize, bytes.NewReader(b.Shards[0]), func() []byte { return b.Manifest.Marshal() }); err != nil {
		t.Fatal(err)
	}
	path := shardPath(b.ID, 0)

	for _, req := range []struct{ method, path string }{
		{"GET", path}, {"HEAD", path}, {"DELETE", path}, {"GET", path + "/info"},
		{"GET", "/v1/shards"}, {"GET", "/v1/health"}, {"POST", "/v1/shards?index=0"},
	} {
		hreq, err := http.NewRequestWithContext(ctx(t), req.method, "http://"+nd.Addr+req.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		hreq.Header.Set("Authorization", "Bearer guess")
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || bytes.Contains(body, b.Shards[0][:16]) {
			t.Fatalf("%s %s without the secret: status %d", req.method, req.path, resp.StatusCode)
		}
	}
	wrong := NewClient([]byte("not-the-cluster-secret"), nil)
	if err := wrong.DeleteShard(ctx(t), nd.Addr, b.ID, 0); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("delete with a wrong secret: %v", err)
	}
	if _, err := wrong.GetShard(ctx(t), nd.Addr, b.ID, 0, 0, -1, GetOptions{}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("get with a wrong secret: %v", err)
	}
	// Nothing was deleted: the shard reads back whole, from its file.
	sr, err := client.GetShard(ctx(t), nd.Addr, b.ID, 0, 0, -1, GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(sr.Body)
	sr.Body.Close()
	if err != nil || !bytes.Equal(got, b.Shards[0]) {
		t.Fatalf("shard read back after the refusals: %d bytes, %v", len(got), err)
	}
	id := b.ID.String()
	if _, err := os.Stat(filepath.Join(nd.Dir, "shards", id[:2], shardfile.Name(b.ID, 0))); err != nil {
		t.Fatal(err)
	}
}
