package node

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blobtest"
)

// recordingObserver keeps what a node tells its Observer.
type recordingObserver struct {
	mu        sync.Mutex
	kinds     map[string]int
	out       map[string]int64
	committed []int64
	capacity  int64
	shards    int64
}

func (o *recordingObserver) RequestDone(kind string, status int, out int64, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.kinds[kind]++
	o.out[kind] += out
}

func (o *recordingObserver) ShardCommitted(size int64, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.committed = append(o.committed, size)
}

func (o *recordingObserver) Space(capacity, _, shards int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.capacity, o.shards = capacity, shards
}

// TestObserverHooks: requests, commits and health polls reach
// Config.Metrics.
func TestObserverHooks(t *testing.T) {
	obs := &recordingObserver{kinds: map[string]int{}, out: map[string]int64{}}
	n := startNodeWith(t, Config{Dir: t.TempDir(), Metrics: obs})
	b := blobtest.Encode(t, small, 7, 300)
	n.putShard(t, b, 0)
	sr, err := n.client.GetShard(ctx(t), n.addr, b.ID, 0, 0, -1, GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<10)
	for {
		if _, err := sr.Body.Read(buf); err != nil {
			break
		}
	}
	sr.Body.Close()
	if _, err := n.client.Health(ctx(t), n.addr); err != nil {
		t.Fatal(err)
	}
	// A request is reported once its handler returns, which may be just
	// after the client has read the response.
	deadline := time.Now().Add(10 * time.Second)
	for {
		obs.mu.Lock()
		done := obs.kinds["put"] == 1 && obs.kinds["get"] == 1 && obs.kinds["health"] == 1
		obs.mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.kinds["put"] != 1 || obs.kinds["get"] != 1 || obs.kinds["health"] != 1 || obs.out["get"] == 0 {
		t.Errorf("requests %v, bytes out %v", obs.kinds, obs.out)
	}
	if len(obs.committed) != 1 || obs.committed[0] != int64(len(b.Shards[0])) {
		t.Errorf("commits %v, want one of %d bytes", obs.committed, len(b.Shards[0]))
	}
	if obs.capacity <= 0 || obs.shards != 1 {
		t.Errorf("space: capacity %d, shards %d", obs.capacity, obs.shards)
	}
}

// TestRequestKind names every route, and nothing else, by its operation.
func TestRequestKind(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{http.MethodGet, "/v1/health", "health"},
		{http.MethodPost, "/v1/shards", "put"},
		{http.MethodGet, "/v1/shards", "list"},
		{http.MethodGet, "/v1/shards/ab/1", "get"},
		{http.MethodHead, "/v1/shards/ab/1", "head"},
		{http.MethodDelete, "/v1/shards/ab/1", "delete"},
		{http.MethodGet, "/v1/shards/ab/1/info", "info"},
		{http.MethodPut, "/v1/shards", "other"},
		{http.MethodGet, "/secret/path/of/any/length", "other"},
	} {
		if got := RequestKind(tc.method, tc.path); got != tc.want {
			t.Errorf("RequestKind(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}
