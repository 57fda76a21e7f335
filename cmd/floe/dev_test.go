package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runningDev is a floe dev command running in-process.
type runningDev struct {
	endpoint       string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	code           chan int // receives the exit status
}

var (
	endpointLine = regexp.MustCompile(`(?m)^\s*Endpoint:\s+(\S+)\s*$`)
	databaseLine = regexp.MustCompile(`(?m)^\s*DATABASE_URL:\s+(\S+)\s*$`)
)

// startDev runs `floe dev --data data` in-process, as a user would (no
// DATABASE_URL), and waits until it prints its endpoint.
func startDev(t *testing.T, data string) *runningDev {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &runningDev{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, code: make(chan int, 1)}
	env := &environ{stdout: d.stdout, stderr: d.stderr, getenv: func(string) string { return "" }}
	go func() {
		d.code <- run(ctx, env, []string{"dev", "--data", data, "--listen", "127.0.0.1:0", "--log-level", "warn"})
	}()
	t.Cleanup(func() {
		d.stop(t)
		if t.Failed() {
			t.Logf("floe dev stdout:\n%s\nstderr:\n%s", d.stdout, d.stderr)
		}
	})
	deadline := time.After(60 * time.Second)
	for {
		if m := endpointLine.FindStringSubmatch(d.stdout.String()); m != nil {
			d.endpoint = m[1]
			return d
		}
		select {
		case code := <-d.code:
			d.code <- code // for stop
			t.Fatalf("floe dev exited with status %d before serving\nstderr:\n%s", code, d.stderr)
		case <-deadline:
			t.Fatalf("floe dev printed no endpoint within 60s\nstdout:\n%s\nstderr:\n%s", d.stdout, d.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop cancels the command's context, as SIGINT does, and checks that it
// exits cleanly. Stopping twice does nothing.
func (d *runningDev) stop(t *testing.T) {
	t.Helper()
	if d.cancel == nil {
		return
	}
	d.cancel()
	d.cancel = nil
	select {
	case code := <-d.code:
		if code != 0 {
			t.Errorf("floe dev exited with status %d, want 0\nstderr:\n%s", code, d.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("floe dev did not stop within 30s")
	}
}

// devTempDir returns a fresh directory that user postgres can enter when the
// test runs as root (t.TempDir's parent is private to root).
func devTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "floe-dev-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// do sends an S3 request, signed with key unless key.ID is empty, and
// returns the status and body.
func do(t *testing.T, key devKey, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key.ID != "" {
		sum := sha256.Sum256(body)
		payload := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", payload)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret},
			req, payload, "s3", devRegion, time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp.StatusCode, b
}

// closed fails t unless nothing listens on addr.
func closed(t *testing.T, what, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("%s %s still accepts connections after floe dev stopped", what, addr)
	}
}

func TestDev(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, six nodes and a gateway")
	}
	data := filepath.Join(devTempDir(t), "data")
	d := startDev(t, data)

	// The banner names the key pair stored in the data directory.
	keyText, err := os.ReadFile(filepath.Join(data, devKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err := parseDevKey(keyText)
	if err != nil {
		t.Fatal(err)
	}
	out := d.stdout.String()
	for _, want := range []string{
		"Region:             us-east-1",
		"Access key ID:      " + key.ID,
		"Secret access key:  " + key.Secret,
		"AWS_ACCESS_KEY_ID=" + key.ID + " AWS_SECRET_ACCESS_KEY=" + key.Secret + " aws --endpoint-url " + d.endpoint + " s3 ls",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for _, name := range []string{devKeyFile, devSecretFile} {
		fi, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, perm)
		}
	}

	// A second floe dev on the same directory is refused.
	if code, _, stderr := runFloe(t, nil, "dev", "--data", data, "--listen", "127.0.0.1:0"); code != 1 || !strings.Contains(stderr, "in use by another floe dev") {
		t.Errorf("second floe dev: status %d, stderr %q; want 1 and \"in use by another floe dev\"", code, stderr)
	}

	body := bytes.Repeat([]byte("floe dev says hello\n"), 10000) // 200 KB: several shards' worth
	// The printed key is in the database: requests signed with it work,
	// and nothing else does.
	if code, b := do(t, devKey{}, http.MethodGet, d.endpoint+"/", nil); code != http.StatusForbidden || !bytes.Contains(b, []byte("<Code>AccessDenied</Code>")) {
		t.Fatalf("anonymous GET /: %d %s, want 403 AccessDenied", code, b)
	}
	if code, b := do(t, key, http.MethodPut, d.endpoint+"/bkt", nil); code != http.StatusOK {
		t.Fatalf("PUT /bkt: %d %s", code, b)
	}
	if code, b := do(t, key, http.MethodPut, d.endpoint+"/bkt/hello", body); code != http.StatusOK {
		t.Fatalf("PUT /bkt/hello: %d %s", code, b)
	}
	if code, b := do(t, key, http.MethodGet, d.endpoint+"/bkt/hello", nil); code != http.StatusOK || !bytes.Equal(b, body) {
		t.Fatalf("GET /bkt/hello: %d, %d bytes; want 200 and the %d bytes put", code, len(b), len(body))
	}

	// What to check is closed after the stop.
	pidFile := filepath.Join(data, devPostgresDir, "postmaster.pid")
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("PostgreSQL's pid file: %v", err)
	}
	pidLines := strings.Split(string(pid), "\n")
	if len(pidLines) < 4 {
		t.Fatalf("postmaster.pid: %q", pid)
	}
	pgAddr := net.JoinHostPort("127.0.0.1", strings.TrimSpace(pidLines[3]))
	var nodes devNodesState
	b, err := os.ReadFile(filepath.Join(data, devNodesFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &nodes); err != nil || len(nodes.Nodes) != devNodes {
		t.Fatalf("nodes.json: %s (%v)", b, err)
	}

	d.stop(t)
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("PostgreSQL's pid file after stop: %v, want it gone", err)
	}
	closed(t, "PostgreSQL", pgAddr)
	for _, a := range nodes.Nodes {
		closed(t, "storage node", a)
	}
	closed(t, "S3 gateway", strings.TrimPrefix(d.endpoint, "http://"))

	// A restart on the same directory keeps the object, the key pair and
	// the node addresses.
	d2 := startDev(t, data)
	if code, b := do(t, key, http.MethodGet, d2.endpoint+"/bkt/hello", nil); code != http.StatusOK || !bytes.Equal(b, body) {
		t.Fatalf("GET /bkt/hello after restart: %d, %d bytes; want 200 and the %d bytes put", code, len(b), len(body))
	}
	if !strings.Contains(d2.stdout.String(), "Access key ID:      "+key.ID) {
		t.Errorf("after restart, stdout lacks the same access key ID %s:\n%s", key.ID, d2.stdout)
	}
	b2, err := os.ReadFile(filepath.Join(data, devNodesFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("nodes.json changed across a restart:\n%s\nthen\n%s", b, b2)
	}
	d2.stop(t)
}

// TestDevAdmin runs floe admin against a floe dev, as a test suite that
// needs a second user would: through --data DIR, through the DATABASE_URL
// the banner prints, and through $FLOE_DEV_DATA.
func TestDevAdmin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, six nodes and a gateway")
	}
	data := filepath.Join(devTempDir(t), "data")
	d := startDev(t, data)
	out := d.stdout.String()
	m := databaseLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout has no DATABASE_URL line:\n%s", out)
	}
	dsn := m[1]
	if want := "floe admin key create --data " + data + "\n"; !strings.Contains(out, want) {
		t.Errorf("stdout lacks %q:\n%s", want, out)
	}
	dsnFile := filepath.Join(data, devDatabaseFile)
	recorded, err := os.ReadFile(dsnFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(recorded)); got != dsn {
		t.Errorf("%s holds %q, the banner printed %q", devDatabaseFile, got, dsn)
	}
	if fi, err := os.Stat(dsnFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, %v; want mode 0600", devDatabaseFile, fi.Mode(), err)
	}

	floe := func(vars map[string]string, args ...string) string {
		t.Helper()
		code, stdout, stderr := runFloe(t, vars, args...)
		if code != 0 {
			t.Fatalf("floe %s: status %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	create := func(vars map[string]string, args ...string) devKey {
		t.Helper()
		out := floe(vars, append([]string{"admin", "key", "create"}, args...)...)
		id, secret := createdID.FindStringSubmatch(out), createdSecret.FindStringSubmatch(out)
		if id == nil || secret == nil {
			t.Fatalf("key create printed %q, want the key ID and secret", out)
		}
		return devKey{ID: id[1], Secret: secret[1]}
	}
	keys := map[string]devKey{
		"--data":        create(nil, "--data", data, "--description", "second user"),
		"DATABASE_URL":  create(map[string]string{"DATABASE_URL": dsn}),
		"FLOE_DEV_DATA": create(map[string]string{devDataEnv: data}),
	}
	// Each new key works against the dev endpoint: it creates a bucket
	// and sees it listed.
	list := floe(nil, "admin", "key", "list", "--data", data)
	i := 0
	for via, key := range keys {
		i++
		bucket := "user" + string(rune('0'+i))
		if code, b := do(t, key, http.MethodPut, d.endpoint+"/"+bucket, nil); code != http.StatusOK {
			t.Errorf("key made via %s: PUT /%s: %d %s", via, bucket, code, b)
		}
		if code, b := do(t, key, http.MethodGet, d.endpoint+"/", nil); code != http.StatusOK || !bytes.Contains(b, []byte("<Name>"+bucket+"</Name>")) {
			t.Errorf("key made via %s: GET /: %d %s, want 200 listing %s", via, code, b, bucket)
		}
		if !strings.Contains(list, key.ID) {
			t.Errorf("key list --data lacks the key made via %s:\n%s", via, list)
		}
	}
	if strings.Contains(list, keys["--data"].Secret) {
		t.Errorf("key list shows a secret:\n%s", list)
	}
	// The other admin commands find the database the same way.
	if out := floe(nil, "admin", "node", "list", "--data", data); strings.Count(out, "alive") != devNodes {
		t.Errorf("node list --data: want %d alive nodes:\n%s", devNodes, out)
	}
	if out := floe(nil, "admin", "repair", "status", "--data", data); !strings.Contains(out, "queued: 0") {
		t.Errorf("repair status --data:\n%s", out)
	}

	// Stopped, floe dev leaves no URL behind, and --data says so.
	d.stop(t)
	if _, err := os.Stat(dsnFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after stop: %v, want it gone", devDatabaseFile, err)
	}
	if code, _, stderr := runFloe(t, nil, "admin", "key", "list", "--data", data); code != 1 || !strings.Contains(stderr, "is floe dev running?") {
		t.Errorf("key list --data after stop: status %d, stderr %q; want 1 and \"is floe dev running?\"", code, stderr)
	}
	// A floe dev killed outright leaves a stale URL: the connection fails.
	if err := os.WriteFile(dsnFile, recorded, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runFloe(t, nil, "admin", "key", "list", "--data", data); code != 1 || !strings.Contains(stderr, "is floe dev running?") {
		t.Errorf("key list --data with a stale URL: status %d, stderr %q; want 1 and \"is floe dev running?\"", code, stderr)
	}
}

func TestDevBanner(t *testing.T) {
	var b bytes.Buffer
	key := devKey{ID: "FLOEAAAAAAAAAAAAAAAA", Secret: "s3cret"}
	printDevBanner(&b, "/tmp/my data", "http://127.0.0.1:9000", "postgres://floe:hunter2@db.example:5432/floe?sslmode=disable", key)
	out := b.String()
	for _, want := range []string{
		"  DATABASE_URL:       postgres://floe:xxxxx@db.example:5432/floe?sslmode=disable\n",
		"  floe admin key create --data '/tmp/my data'\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("banner shows the database password:\n%s", out)
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable": "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"postgres://u:pw@h/db":                          "postgres://u:xxxxx@h/db",
		"postgresql://u:p%40ss@h:5/db":                  "postgresql://u:xxxxx@h:5/db",
		"postgres://u@h/db?password=pw&sslmode=require": "postgres://u@h/db?password=xxxxx&sslmode=require",
		"postgres://u:a/b#c@h/db":                       "postgres://u:xxxxx@h/db",                 // unparsable
		"postgres://u:p?w@h/db?sslmode=disable":         "postgres://u:xxxxx@h/db?sslmode=disable", // unparsable
		"host=h user=u password=pw dbname=d":            "host=h user=u password=xxxxx dbname=d",
		"host=h password = 'p w\\'x' dbname=d":          "host=h password = xxxxx dbname=d",
		"host=/var/run/postgresql dbname=d":             "host=/var/run/postgresql dbname=d",
	} {
		if got := redactDSN(in); got != want {
			t.Errorf("redactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/floe-dev_1.x": "/tmp/floe-dev_1.x",
		"my data":           "'my data'",
		"it's":              `'it'\''s'`,
		"":                  "''",
		"$HOME":             "'$HOME'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDevFlags(t *testing.T) {
	dir := t.TempDir()
	runCLICases(t, []cliCase{
		{"help", nil, []string{"help", "dev"}, 0, "-database-url", ""},
		{"-h", nil, []string{"dev", "-h"}, 0, "Usage: floe dev", ""},
		{"bad flag", nil, []string{"dev", "--bogus"}, 2, "", "-bogus"},
		{"positional", nil, []string{"dev", "extra"}, 2, "", `unexpected argument "extra"`},
		{"empty data", nil, []string{"dev", "--data", ""}, 2, "", "--data"},
		{"empty listen", nil, []string{"dev", "--data", dir, "--listen", ""}, 2, "", "--listen"},
		{"bad level", nil, []string{"dev", "--data", dir, "--log-level", "loud"}, 2, "", `"loud"`},
	})
}

func TestDevKey(t *testing.T) {
	b, err := newDevKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := parseDevKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^FLOE[A-Z2-7]{16}$`).MatchString(k.ID) {
		t.Errorf("access key ID %q: want FLOE and 16 characters of A-Z, 2-7", k.ID)
	}
	if len(k.Secret) != 40 {
		t.Errorf("secret %q: want 40 characters", k.Secret)
	}
	for _, bad := range []string{"", "AWS_ACCESS_KEY_ID=x\n", "AWS_SECRET_ACCESS_KEY=y\n", "garbage\n"} {
		if _, err := parseDevKey([]byte(bad)); err == nil {
			t.Errorf("parseDevKey(%q) succeeded", bad)
		}
	}
	if k, err := parseDevKey([]byte("# comment\nAWS_ACCESS_KEY_ID=a\r\n\nAWS_SECRET_ACCESS_KEY=b=c\n")); err != nil || k != (devKey{"a", "b=c"}) {
		t.Errorf("parseDevKey = %+v, %v; want {a b=c}", k, err)
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	calls := 0
	create := func() ([]byte, error) { calls++; return []byte("first\n"), nil }
	for range 2 {
		got, err := loadOrCreate(path, create)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "first" {
			t.Errorf("loadOrCreate = %q, want %q", got, "first")
		}
	}
	if calls != 1 {
		t.Errorf("create called %d times, want once", calls)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %v, want 0600", perm)
	}
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreate(path, create); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: err = %v, want one saying it is empty", err)
	}
}

func TestClientEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:9000":  "http://127.0.0.1:9000",
		"http://0.0.0.0:9000":    "http://127.0.0.1:9000",
		"http://[::]:9000":       "http://127.0.0.1:9000",
		"https://[::1]:9443":     "https://[::1]:9443",
		"http://10.1.2.3:9000":   "http://10.1.2.3:9000",
		"not a url":              "not a url",
		"http://no-port-example": "http://no-port-example",
	} {
		if got := clientEndpoint(in); got != want {
			t.Errorf("clientEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}
