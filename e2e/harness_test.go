// Package e2e drives whole Floe clusters — a throw-away PostgreSQL, six
// `floe node` processes and a `floe server` process, all built from this
// repository — with unmodified S3 clients.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// cluster is a running Floe: nodes, a gateway and an S3 client for it.
type cluster struct {
	nodes    *nodetest.Cluster
	dsn      string
	endpoint string
	gateway  *exec.Cmd
	logPath  string
	client   *s3.Client
	args     []string
	// accessKey and secretKey are the S3 credentials every client of the
	// cluster signs with.
	accessKey, secretKey string
}

// startCluster starts Postgres (via pgtest), six nodes and a gateway, after
// creating a fresh access key pair with `floe admin key create`.
func startCluster(t testing.TB, extraArgs ...string) *cluster {
	t.Helper()
	return startClusterN(t, 6, extraArgs...)
}

// startClusterN is startCluster with n storage nodes.
func startClusterN(t testing.TB, n int, extraArgs ...string) *cluster {
	t.Helper()
	return startClusterWith(t, n, nodetest.Options{}, extraArgs...)
}

// startClusterWith is startClusterN with per-node options: a node's own
// data directory, extra `floe node` flags.
func startClusterWith(t testing.TB, n int, opts nodetest.Options, extraArgs ...string) *cluster {
	t.Helper()
	c := &cluster{nodes: nodetest.StartWith(t, n, opts), dsn: pgtest.DSN(t)}
	c.accessKey, c.secretKey = randomKeyPair(t)
	c.floe(t, "admin", "key", "create", "--description", "e2e cluster key",
		"--access-key", c.accessKey, "--secret-key", c.secretKey)
	var addrs []string
	for _, n := range c.nodes.Nodes {
		addrs = append(addrs, n.Addr)
	}
	c.args = append([]string{"server", "--listen", freeAddr(t), "--nodes", strings.Join(addrs, ","),
		"--gc-interval", "200ms", "--log-level", "warn"}, extraArgs...)
	c.logPath = filepath.Join(t.TempDir(), "gateway.log")
	// Registered before the start, so a start that fails still cleans up.
	c.stopAtCleanup(t, "gateway")
	c.startGateway(t)
	return c
}

// stopAtCleanup stops the gateway when the test ends and, if it failed,
// logs the tail of the gateway's log under name.
func (c *cluster) stopAtCleanup(t testing.TB, name string) {
	t.Cleanup(func() {
		c.stopGateway()
		if t.Failed() {
			b, _ := os.ReadFile(c.logPath)
			t.Logf("%s log (tail):\n%s", name, tail(b, 4000))
		}
	})
}

// randomKeyPair returns a new access key ID and secret.
func randomKeyPair(t testing.TB) (id, secret string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "FLOETEST" + strings.ToUpper(hex.EncodeToString(b[:6])), base64.StdEncoding.EncodeToString(b[6:])
}

// floe runs the floe binary with args against the cluster's database and
// returns its standard output; it fails t unless floe exits 0.
func (c *cluster) floe(t testing.TB, args ...string) string {
	t.Helper()
	out, err := c.floeCmd(t, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("floe %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

// floeCmd returns the command running the floe binary with args against
// the cluster's database.
func (c *cluster) floeCmd(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(nodetest.Binary(t), args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+c.dsn)
	return cmd
}

// overHTTPAndHTTPS runs f against a fresh cluster served over plain HTTP
// and again over HTTPS: the SDK sends bodies differently over TLS.
func overHTTPAndHTTPS(t *testing.T, f func(t *testing.T, cl *cluster)) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tlsOn], func(t *testing.T) {
			var args []string
			if tlsOn {
				cert, key := selfSignedCert(t)
				args = []string{"--tls-cert", cert, "--tls-key", key}
			}
			f(t, startCluster(t, args...))
		})
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (c *cluster) listenAddr() string {
	for i, a := range c.args {
		if a == "--listen" {
			return c.args[i+1]
		}
	}
	return ""
}

func (c *cluster) tls() bool {
	for _, a := range c.args {
		if a == "--tls-cert" {
			return true
		}
	}
	return false
}

// startGateway starts the gateway process and waits until it serves.
func (c *cluster) startGateway(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(nodetest.Binary(t), c.args...)
	cmd.Env = append(os.Environ(), "FLOE_CLUSTER_SECRET="+string(c.nodes.Secret), "DATABASE_URL="+c.dsn)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = nodetest.SysProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.gateway = cmd
	scheme := "http"
	if c.tls() {
		scheme = "https"
	}
	c.endpoint = scheme + "://" + c.listenAddr()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", c.listenAddr(), time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(c.logPath)
			t.Fatalf("gateway did not start: %v\n%s", err, tail(b, 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.client = newClient(t, c.endpoint, c.accessKey, c.secretKey)
}

func (c *cluster) stopGateway() {
	if c.gateway != nil {
		_ = c.gateway.Process.Kill()
		_ = c.gateway.Wait()
		c.gateway = nil
	}
}

// newClient returns aws-sdk-go-v2 with its default settings (checksums,
// aws-chunked uploads), pointed at endpoint with path-style addressing.
func newClient(t testing.TB, endpoint, accessKey, secretKey string, opts ...func(*s3.Options)) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")),
		// A buildable client, because LoadDefaultConfig adds AWS_CA_BUNDLE
		// (set on some machines) to it; the test's certificate is
		// self-signed either way.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		})),
	)
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	}}, opts...)...)
}

// shardFiles counts the shard files on all nodes.
func (c *cluster) shardFiles(t testing.TB) int {
	n := 0
	for _, nd := range c.nodes.Nodes {
		n += len(nd.ShardFiles(t))
	}
	return n
}

// waitShardFiles waits until the nodes hold exactly want shard files.
func (c *cluster) waitShardFiles(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := c.shardFiles(t)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes hold %d shard files, want %d", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// count runs a query returning one integer (a count) against the metadata
// database.
func (c *cluster) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := pgx.Connect(ctx, c.dsn)
	must(t, err, "connect to the metadata database")
	defer db.Close(context.Background())
	var n int
	must(t, db.QueryRow(ctx, query, args...).Scan(&n), "query %q", query)
	return n
}

func must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

func eq(t testing.TB, got, want []byte, what string) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes that differ from the %d expected", what, len(got), len(want))
	}
}
