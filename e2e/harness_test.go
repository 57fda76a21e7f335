// Package e2e drives whole Floe clusters — a throw-away PostgreSQL, six
// `floe node` processes and a `floe server` process, all built from this
// repository — with unmodified S3 clients.
package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/floe-s3/floe/metadata/pgtest"
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
	return startClusterOn(t, pgtest.DSN(t), n, opts, extraArgs...)
}

// startClusterOn is startClusterWith on the database dsn names.
func startClusterOn(t testing.TB, dsn string, n int, opts nodetest.Options, extraArgs ...string) *cluster {
	t.Helper()
	c := &cluster{nodes: nodetest.StartWith(t, n, opts), dsn: dsn}
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

// floeWithSecret runs the floe binary like cluster.floe, with the cluster
// secret in its environment (commands that talk to nodes need it).
func (c *cluster) floeWithSecret(t *testing.T, args ...string) string {
	t.Helper()
	cmd := c.floeCmd(t, args...)
	cmd.Env = append(cmd.Env, "FLOE_CLUSTER_SECRET="+string(c.nodes.Secret))
	out, err := cmd.CombinedOutput()
	must(t, err, "floe %s: %s", strings.Join(args, " "), out)
	return string(out)
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

// tail returns the last n bytes of b, or all of it if shorter.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// freeAddr returns a loopback address with a port free at the time of the
// call.
func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// listenAddr is the address the gateway listens on (its --listen).
func (c *cluster) listenAddr() string {
	for i, a := range c.args {
		if a == "--listen" {
			return c.args[i+1]
		}
	}
	return ""
}

// tls reports whether the gateway serves HTTPS (it has --tls-cert).
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
	// On failure stopAtCleanup, registered before, logs the gateway's log.
	waitFor(t, 30*time.Second, "the gateway accepts connections on "+c.listenAddr(), func() (bool, error) {
		conn, err := net.DialTimeout("tcp", c.listenAddr(), time.Second)
		if err != nil {
			return false, err
		}
		conn.Close()
		return true, nil
	})
	c.client = newClient(t, c.endpoint, c.accessKey, c.secretKey)
}

// startSecondGateway starts another `floe server` process with c's
// arguments, database, nodes and secret, on its own listen address and log
// file. The returned cluster shares c's nodes and database; its client
// talks to the second gateway.
func (c *cluster) startSecondGateway(t *testing.T) *cluster {
	t.Helper()
	g := &cluster{nodes: c.nodes, dsn: c.dsn, accessKey: c.accessKey, secretKey: c.secretKey,
		args: slices.Clone(c.args), logPath: filepath.Join(t.TempDir(), "gateway2.log")}
	i := slices.Index(g.args, "--listen")
	g.args[i+1] = freeAddr(t)
	g.stopAtCleanup(t, "second gateway")
	g.startGateway(t)
	return g
}

// stopGateway kills the gateway process, if it runs, and waits for it.
func (c *cluster) stopGateway() {
	if c.gateway != nil {
		_ = c.gateway.Process.Kill()
		_ = c.gateway.Wait()
		c.gateway = nil
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key, and
// returns their paths.
func selfSignedCert(t testing.TB) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "floe-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// ---- Command-line S3 clients ----

// requireClientsEnv makes a missing command-line client a failure instead
// of a skip; .ci/run sets it, having installed the clients.
const requireClientsEnv = "FLOE_E2E_REQUIRE_CLIENTS"

// needTools returns the path of each named program, found in PATH. A
// missing one skips the test, or fails it when requireClientsEnv is 1.
func needTools(t *testing.T, names ...string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for _, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv(requireClientsEnv) == "1" {
				t.Fatalf("%s not found in PATH (%s=1): %v", name, requireClientsEnv, err)
			}
			t.Skipf("%s not found in PATH; install it (apt-get install awscli s3cmd rclone curl restic) or set %s=1 to fail instead", name, requireClientsEnv)
		}
		paths[name] = p
	}
	return paths
}

// clients runs the command-line S3 clients against one cluster, each
// isolated from the machine's own configuration: a temp HOME, generated
// config files and a scrubbed environment.
type clients struct {
	tools     map[string]string // program name → path, once found
	dir       string            // holds HOME and the generated configs
	env       []string          // environment of every command
	endpoint  string
	s3cmdConf string
}

// The name of the rclone remote, configured through RCLONE_CONFIG_FLOE_*.
const rcloneRemote = "floe"

// newClients writes the clients' configuration for cl into a temp dir.
func newClients(t *testing.T, cl *cluster) *clients {
	t.Helper()
	cs := &clients{tools: map[string]string{}, dir: t.TempDir(), endpoint: cl.endpoint}
	home := filepath.Join(cs.dir, "home")
	must(t, os.Mkdir(home, 0o700), "mkdir home")
	u, err := url.Parse(cl.endpoint)
	must(t, err, "parse endpoint")

	awsConfig := filepath.Join(cs.dir, "aws-config")
	writeFile(t, awsConfig, "[default]\nregion = us-east-1\n"+
		// Path style: the gateway does not serve virtual hosts. SigV4 for
		// presigned URLs too (older CLIs presign with SigV2).
		"s3 =\n  addressing_style = path\n  signature_version = s3v4\n")
	awsCreds := filepath.Join(cs.dir, "aws-credentials")
	writeFile(t, awsCreds, fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		cl.accessKey, cl.secretKey))

	cs.s3cmdConf = filepath.Join(cs.dir, "s3cfg")
	// host_bucket without %(bucket)s makes s3cmd use path-style URLs.
	writeFile(t, cs.s3cmdConf, fmt.Sprintf(`[default]
access_key = %s
secret_key = %s
host_base = %s
host_bucket = %s
use_https = %s
check_ssl_certificate = False
signature_v2 = False
bucket_location = us-east-1
multipart_chunk_size_mb = 15
enable_multipart = True
progress_meter = False
`, cl.accessKey, cl.secretKey, u.Host, u.Host, map[bool]string{false: "False", true: "True"}[u.Scheme == "https"]))

	rcloneConf := filepath.Join(cs.dir, "rclone.conf")
	writeFile(t, rcloneConf, "")
	remote := "RCLONE_CONFIG_" + strings.ToUpper(rcloneRemote) + "_"

	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		up := strings.ToUpper(name)
		if strings.HasPrefix(up, "AWS_") || strings.HasPrefix(up, "RCLONE_") || strings.HasPrefix(up, "S3CMD") ||
			strings.HasSuffix(up, "_PROXY") || up == "HOME" || strings.HasPrefix(up, "XDG_") {
			continue
		}
		cs.env = append(cs.env, kv)
	}
	cs.env = append(cs.env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"AWS_CONFIG_FILE="+awsConfig,
		"AWS_SHARED_CREDENTIALS_FILE="+awsCreds,
		"AWS_ACCESS_KEY_ID="+cl.accessKey,
		"AWS_SECRET_ACCESS_KEY="+cl.secretKey,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
		"RCLONE_CONFIG="+rcloneConf,
		remote+"TYPE=s3",
		remote+"PROVIDER=Other",
		remote+"ENV_AUTH=false",
		remote+"ACCESS_KEY_ID="+cl.accessKey,
		remote+"SECRET_ACCESS_KEY="+cl.secretKey,
		remote+"ENDPOINT="+cl.endpoint,
		remote+"REGION=us-east-1",
		remote+"FORCE_PATH_STYLE=true",
	)
	return cs
}

// versionArgs are the arguments that make each tool print its version.
var versionArgs = map[string][]string{"aws": {"--version"}, "s3cmd": {"--version"}, "rclone": {"version"}, "curl": {"--version"},
	"restic": {"version"}}

// need finds the named tools (see needTools) and logs the version of each
// the first time.
func (cs *clients) need(t *testing.T, names ...string) {
	t.Helper()
	for name, path := range needTools(t, names...) {
		if _, ok := cs.tools[name]; ok {
			continue
		}
		cs.tools[name] = path
		out, err := cs.run(t, 30*time.Second, nil, name, versionArgs[name]...)
		must(t, err, "%s version: %s", name, out)
		first, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
		t.Logf("%s: %s", path, first)
	}
}

// run runs tool with args under a timeout and returns its combined output.
// extraEnv entries override the clients' environment.
func (cs *clients) run(t *testing.T, timeout time.Duration, extraEnv []string, tool string, args ...string) (string, error) {
	t.Helper()
	cs.need(t, tool)
	path := cs.tools[tool]
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(append([]string(nil), cs.env...), extraEnv...)
	cmd.Dir = cs.dir
	// Output pipes held open by a grandchild must not hang the test.
	cmd.WaitDelay = 5 * time.Second
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", timeout, err)
	}
	t.Logf("%s %s (%v)", tool, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return out.String(), err
}

// must runs tool like run and fails the test, showing the output, if the
// command fails.
func (cs *clients) must(t *testing.T, timeout time.Duration, tool string, args ...string) string {
	t.Helper()
	out, err := cs.run(t, timeout, nil, tool, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return out
}

// aws runs the aws CLI against the cluster's endpoint.
func (cs *clients) aws(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	return cs.must(t, timeout, "aws", cs.awsArgs(args...)...)
}

// awsArgs prefixes args with the options pointing the aws CLI at the
// cluster.
func (cs *clients) awsArgs(args ...string) []string {
	pre := []string{"--endpoint-url", cs.endpoint}
	if strings.HasPrefix(cs.endpoint, "https:") {
		pre = append(pre, "--no-verify-ssl") // the test certificate is self-signed
	}
	return append(pre, args...)
}

// s3cmd runs s3cmd with the generated config.
func (cs *clients) s3cmd(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	return cs.must(t, timeout, "s3cmd", cs.s3cmdArgs(args...)...)
}

// s3cmdArgs prefixes args with the option pointing s3cmd at the generated
// config.
func (cs *clients) s3cmdArgs(args ...string) []string {
	return append([]string{"-c", cs.s3cmdConf}, args...)
}

// rclone runs rclone; it sees the cluster as the remote "floe:". One retry
// only, so that a failing request is not hidden behind a successful rerun.
func (cs *clients) rclone(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	return cs.must(t, timeout, "rclone", rcloneArgs(args...)...)
}

// rcloneArgs prefixes args with the options every rclone command gets: one
// retry, and no check of the test's self-signed certificate.
func rcloneArgs(args ...string) []string {
	return append([]string{"--retries", "1", "--no-check-certificate"}, args...)
}
