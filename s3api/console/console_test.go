package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api"
	"github.com/rs/zerolog"
)

// fakeStore is an in-memory Store: users' keys, and a fixed cluster.
type fakeStore struct {
	mu   sync.Mutex
	keys map[string]metadata.AccessKey
}

func newFakeStore() *fakeStore {
	s := &fakeStore{keys: map[string]metadata.AccessKey{}}
	for _, k := range []metadata.AccessKey{
		{ID: "ADMINKEY", Secret: "admin-secret", User: metadata.DefaultUser, UserID: "a1"},
		{ID: "ALICEKEY", Secret: "alice-secret", User: "alice", UserID: "b2"},
		{ID: "ALICEKEY2", Secret: "alice-secret2", User: "alice", UserID: "b2"},
		{ID: "BOBKEY", Secret: "bob-secret", User: "bob", UserID: "c3"},
	} {
		k.CreatedAt = time.Now()
		s.keys[k.ID] = k
	}
	return s
}

func (s *fakeStore) NodeUsage(context.Context) ([]metadata.NodeUsage, error) {
	return []metadata.NodeUsage{{NodeInfo: metadata.NodeInfo{ID: "n1", Addr: "127.0.0.2:1", State: "alive",
		CapacityBytes: 100, FreeBytes: 40}, Shards: 7}}, nil
}

func (s *fakeStore) RepairStatus(context.Context) (metadata.RepairStatus, error) {
	return metadata.RepairStatus{Queued: 3, ByReadable: map[int]int{4: 2, 5: 1}}, nil
}

func (s *fakeStore) ListScrubProgress(context.Context) ([]metadata.ScrubProgress, error) {
	return []metadata.ScrubProgress{{NodeID: "n1", Cursor: "80000000aa.1"}}, nil
}

func (s *fakeStore) ListAccessKeys(context.Context) ([]metadata.AccessKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []metadata.AccessKey
	for _, k := range s.keys {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b metadata.AccessKey) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *fakeStore) GetAccessKey(_ context.Context, id string) (metadata.AccessKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok {
		return metadata.AccessKey{}, fmt.Errorf("%w: %s", metadata.ErrNoSuchAccessKey, id)
	}
	return k, nil
}

func (s *fakeStore) CreateAccessKey(_ context.Context, k metadata.AccessKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k.User != metadata.DefaultUser && k.User != "alice" && k.User != "bob" {
		return fmt.Errorf("%w: %s", metadata.ErrNoSuchUser, k.User)
	}
	s.keys[k.ID] = k
	return nil
}

func (s *fakeStore) DeleteAccessKey(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[id]; !ok {
		return metadata.ErrNoSuchAccessKey
	}
	delete(s.keys, id)
	return nil
}

// testServer serves a Handler over the real SigV4 authenticator, as the
// gateway mounts it.
func testServer(t *testing.T) (*httptest.Server, *fakeStore) {
	t.Helper()
	st := newFakeStore()
	h := New(Config{Auth: s3api.NewSigV4(st, "us-east-1", -1), Store: st, Region: "us-east-1", Logger: zerolog.Nop(),
		Traffic: func() s3api.Traffic { return s3api.Traffic{Requests: 5, BytesIn: 10, BytesOut: 20} }})
	srv := httptest.NewServer(s3api.New(s3api.Config{Console: h}))
	t.Cleanup(srv.Close)
	return srv, st
}

// call makes an API request signed with id and secret (unsigned if id is
// empty) and returns the status and body.
func call(t *testing.T, srv *httptest.Server, method, name, id, secret string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+s3api.ConsolePrefix+"api/"+name, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if id != "" {
		sign(t, req, id, secret, body)
	}
	return do(t, req)
}

func sign(t *testing.T, req *http.Request, id, secret string, body []byte) {
	t.Helper()
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req, hash, "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestAPIRefusesUnauthenticated(t *testing.T) {
	srv, _ := testServer(t)
	for _, name := range []string{"whoami", "cluster", "traffic", "keys"} {
		if st, b := call(t, srv, "GET", name, "", "", nil); st != 403 {
			t.Errorf("anonymous GET %s: %d %s", name, st, b)
		}
		if st, b := call(t, srv, "GET", name, "ADMINKEY", "wrong-secret", nil); st != 403 || !strings.Contains(string(b), "SignatureDoesNotMatch") {
			t.Errorf("GET %s with a bad signature: %d %s", name, st, b)
		}
		if st, b := call(t, srv, "GET", name, "NOSUCHKEY", "x", nil); st != 403 {
			t.Errorf("GET %s with an unknown key: %d %s", name, st, b)
		}
	}
	// A presigned URL is refused: the API wants a signed header.
	req, _ := http.NewRequest("GET", srv.URL+s3api.ConsolePrefix+"api/whoami", nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "ADMINKEY", SecretAccessKey: "admin-secret"},
		req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	preq, _ := http.NewRequest("GET", u, nil)
	if st, b := do(t, preq); st != 403 {
		t.Errorf("presigned GET whoami: %d %s", st, b)
	}
	// A body other than the one x-amz-content-sha256 names.
	body := []byte(`{"description":"x"}`)
	req, _ = http.NewRequest("POST", srv.URL+s3api.ConsolePrefix+"api/keys", bytes.NewReader(body))
	sign(t, req, "ADMINKEY", "admin-secret", body)
	req.Body = io.NopCloser(strings.NewReader(`{"user":"bob"}`))
	req.ContentLength = int64(len(`{"user":"bob"}`))
	if st, b := do(t, req); st != 403 {
		t.Errorf("POST keys with a body its hash does not name: %d %s", st, b)
	}
}

func TestWhoamiAndCluster(t *testing.T) {
	srv, _ := testServer(t)
	st, b := call(t, srv, "GET", "whoami", "ALICEKEY", "alice-secret", nil)
	var me whoami
	if err := json.Unmarshal(b, &me); st != 200 || err != nil || me.User != "alice" || me.Admin || me.AccessKeyID != "ALICEKEY" {
		t.Fatalf("whoami as alice: %d %s", st, b)
	}
	for _, name := range []string{"cluster", "traffic"} {
		if st, b := call(t, srv, "GET", name, "ALICEKEY", "alice-secret", nil); st != 403 {
			t.Errorf("GET %s as alice: %d %s", name, st, b)
		}
	}
	st, b = call(t, srv, "GET", "cluster", "ADMINKEY", "admin-secret", nil)
	var c clusterView
	if err := json.Unmarshal(b, &c); st != 200 || err != nil {
		t.Fatalf("cluster as admin: %d %s", st, b)
	}
	if len(c.Nodes) != 1 || c.Nodes[0].Shards != 7 || c.Nodes[0].FreeBytes != 40 || c.Repair.Queued != 3 ||
		c.Repair.ByReadable["4"] != 2 || len(c.Scrub) != 1 || c.Scrub[0].Progress != 0.5 {
		t.Errorf("cluster view: %s", b)
	}
	st, b = call(t, srv, "GET", "traffic", "ADMINKEY", "admin-secret", nil)
	var tr trafficView
	if err := json.Unmarshal(b, &tr); st != 200 || err != nil || tr.Requests != 5 || tr.BytesOut != 20 || tr.TimeMillis == 0 {
		t.Errorf("traffic: %d %s", st, b)
	}
	if st, b := call(t, srv, "PUT", "cluster", "ADMINKEY", "admin-secret", nil); st != 405 {
		t.Errorf("PUT cluster: %d %s", st, b)
	}
	if st, b := call(t, srv, "GET", "nothing", "ADMINKEY", "admin-secret", nil); st != 404 {
		t.Errorf("GET an unknown endpoint: %d %s", st, b)
	}
}

func TestKeys(t *testing.T) {
	srv, store := testServer(t)
	list := func(id, secret string) []string {
		t.Helper()
		st, b := call(t, srv, "GET", "keys", id, secret, nil)
		var ks []keyView
		if err := json.Unmarshal(b, &ks); st != 200 || err != nil {
			t.Fatalf("list keys as %s: %d %s", id, st, b)
		}
		var ids []string
		for _, k := range ks {
			ids = append(ids, k.AccessKeyID)
			if k.Current != (k.AccessKeyID == id) {
				t.Errorf("key %s listed with current=%v for %s", k.AccessKeyID, k.Current, id)
			}
		}
		return ids
	}
	if got := list("ALICEKEY", "alice-secret"); !slices.Equal(got, []string{"ALICEKEY", "ALICEKEY2"}) {
		t.Errorf("alice lists %v", got)
	}
	if got := list("ADMINKEY", "admin-secret"); len(got) != 4 {
		t.Errorf("admin lists %v", got)
	}

	// Alice makes a key of her own, but none for bob.
	st, b := call(t, srv, "POST", "keys", "ALICEKEY", "alice-secret", []byte(`{"description":"laptop"}`))
	var nk newKey
	if err := json.Unmarshal(b, &nk); st != 200 || err != nil || nk.User != "alice" || nk.Description != "laptop" ||
		len(nk.AccessKeyID) != 20 || len(nk.SecretAccessKey) != 40 {
		t.Fatalf("alice creates a key: %d %s", st, b)
	}
	if k, err := store.GetAccessKey(context.Background(), nk.AccessKeyID); err != nil || k.Secret != nk.SecretAccessKey || k.User != "alice" {
		t.Errorf("stored key %+v, %v", k, err)
	}
	if st, b := call(t, srv, "GET", "whoami", nk.AccessKeyID, nk.SecretAccessKey, nil); st != 200 {
		t.Errorf("the new key signs: %d %s", st, b)
	}
	if st, b := call(t, srv, "POST", "keys", "ALICEKEY", "alice-secret", []byte(`{"user":"bob"}`)); st != 403 {
		t.Errorf("alice creates a key for bob: %d %s", st, b)
	}
	if st, b := call(t, srv, "POST", "keys", "ALICEKEY", "alice-secret", []byte(`{"description":"`+strings.Repeat("x", 300)+`"}`)); st != 400 {
		t.Errorf("a 300-byte description: %d %s", st, b)
	}
	if st, b := call(t, srv, "POST", "keys", "ALICEKEY", "alice-secret", []byte(`{"description":"a\u0000b"}`)); st != 400 {
		t.Errorf("a description with NUL: %d %s", st, b)
	}
	if st, b := call(t, srv, "POST", "keys", "ADMINKEY", "admin-secret", []byte(`{"user":"no/such user"}`)); st != 404 {
		t.Errorf("a key for an impossible user name: %d %s", st, b)
	}
	if st, b := call(t, srv, "POST", "keys", "ALICEKEY", "alice-secret", []byte(`{"description":`)); st != 400 {
		t.Errorf("malformed JSON: %d %s", st, b)
	}
	// The admin makes one for bob; for nobody, none.
	st, b = call(t, srv, "POST", "keys", "ADMINKEY", "admin-secret", []byte(`{"user":"bob"}`))
	if err := json.Unmarshal(b, &nk); st != 200 || err != nil || nk.User != "bob" {
		t.Errorf("admin creates a key for bob: %d %s", st, b)
	}
	if st, b := call(t, srv, "POST", "keys", "ADMINKEY", "admin-secret", []byte(`{"user":"nobody"}`)); st != 404 {
		t.Errorf("admin creates a key for nobody: %d %s", st, b)
	}

	// Alice cannot delete bob's key, and learns nothing of it.
	if st, b := call(t, srv, "DELETE", "keys/BOBKEY", "ALICEKEY", "alice-secret", nil); st != 404 {
		t.Errorf("alice deletes bob's key: %d %s", st, b)
	}
	if _, err := store.GetAccessKey(context.Background(), "BOBKEY"); err != nil {
		t.Errorf("bob's key after alice's attempt: %v", err)
	}
	if st, b := call(t, srv, "DELETE", "keys/ALICEKEY2", "ALICEKEY", "alice-secret", nil); st != 200 {
		t.Errorf("alice deletes her own key: %d %s", st, b)
	}
	if st, b := call(t, srv, "DELETE", "keys/BOBKEY", "ADMINKEY", "admin-secret", nil); st != 200 {
		t.Errorf("admin deletes bob's key: %d %s", st, b)
	}
	if st, b := call(t, srv, "DELETE", "keys/BOBKEY", "ADMINKEY", "admin-secret", nil); st != 404 {
		t.Errorf("deleting it again: %d %s", st, b)
	}
}

func TestStatic(t *testing.T) {
	srv, _ := testServer(t)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get(s3api.ConsolePrefix)
	if resp.StatusCode != 200 || !strings.Contains(body, `<meta name="floe-region" content="us-east-1">`) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("index: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	for _, f := range []string{"console.js", "sigv4.js", "console.css"} {
		resp, body := get(s3api.ConsolePrefix + f)
		if resp.StatusCode != 200 || len(body) < 1000 || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %v", f, resp.StatusCode, resp.Header)
		}
	}
	// Revalidation by ETag.
	req, _ := http.NewRequest("GET", srv.URL+s3api.ConsolePrefix+"console.js", nil)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if ct := resp.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("console.js is served as %q", ct)
	}
	req.Header.Set("If-None-Match", etag)
	if resp, _ := http.DefaultClient.Do(req); etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Errorf("console.js again with If-None-Match %s: %d %v", etag, resp.StatusCode, resp.Header)
	}
	for _, p := range []string{"nothing.js", "../console.go", "%2e%2e/console.go", "assets/console.js", "api"} {
		if resp, _ := get(s3api.ConsolePrefix + p); resp.StatusCode != 404 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}
