package node

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

var testSecret = []byte("test-cluster-secret")

// small makes many 16-byte blocks out of little data.
var small = blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 64}

// testNode is a node served over HTTP on a loopback port.
type testNode struct {
	srv    *Server
	ts     *httptest.Server
	addr   string
	dir    string
	client *Client
}

func startNode(t testing.TB) *testNode {
	t.Helper()
	return startNodeIn(t, t.TempDir())
}

func startNodeIn(t testing.TB, dir string) *testNode {
	t.Helper()
	return startNodeWith(t, Config{Dir: dir})
}

// startNodeWith starts a node with cfg, filling in the secret and logger.
func startNodeWith(t testing.TB, cfg Config) *testNode {
	t.Helper()
	dir := cfg.Dir
	cfg.Secret, cfg.Logger = testSecret, zerolog.New(zerolog.NewTestWriter(t))
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return &testNode{srv: srv, ts: ts, addr: ts.Listener.Addr().String(), dir: dir, client: NewClient(testSecret, nil)}
}

func ctx(t testing.TB) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// putShard stores shard idx of b on n through the client.
func (n *testNode) putShard(t testing.TB, b *blobtest.Blob, idx int) {
	t.Helper()
	id, err := n.client.PutShard(ctx(t), n.addr, idx, b.BlockSize, bytes.NewReader(b.Shards[idx]), func() []byte { return b.Manifest.Marshal() })
	if err != nil {
		t.Fatalf("put shard %d: %v", idx, err)
	}
	if id != b.ID {
		t.Fatalf("put shard %d: id %s, want %s", idx, id, b.ID)
	}
}

func (n *testNode) shardFile(id blobmeta.ID, idx int) string {
	return n.srv.store.Path(id, idx)
}

// rawDo sends a request signed with secret at date (unsigned if secret is
// nil) and returns the response and its body.
func rawDo(t testing.TB, addr string, secret []byte, date time.Time, method, pathQuery string, body io.Reader, prep func(*http.Request)) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, "http://"+addr+pathQuery, body)
	if err != nil {
		t.Fatal(err)
	}
	if prep != nil {
		prep(req)
	}
	if secret != nil {
		signRequest(secret, req, date)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathQuery, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, pathQuery, err)
	}
	return resp, b
}

// chunkedPut prepares a raw upload with the given trailer value ("" for
// none) and block size header.
func chunkedPut(blockSize string, trailer string) func(*http.Request) {
	return func(req *http.Request) {
		req.ContentLength = -1
		if blockSize != "" {
			req.Header.Set(HeaderBlockSize, blockSize)
		}
		if trailer != "" {
			req.Trailer = http.Header{TrailerManifest: {trailer}}
		}
	}
}

// waitNoTemp waits until the node has no upload in progress on disk.
func (n *testNode) waitNoTemp(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ents, err := os.ReadDir(filepath.Join(n.dir, "tmp"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("temp files left behind: %v", ents)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
