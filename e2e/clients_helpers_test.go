package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
			t.Skipf("%s not found in PATH; install it (apt-get install awscli s3cmd rclone curl) or set %s=1 to fail instead", name, requireClientsEnv)
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

var versionArgs = map[string][]string{"aws": {"--version"}, "s3cmd": {"--version"}, "rclone": {"version"}, "curl": {"--version"}}

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

func (cs *clients) s3cmdArgs(args ...string) []string {
	return append([]string{"-c", cs.s3cmdConf}, args...)
}

// rclone runs rclone; it sees the cluster as the remote "floe:". One retry
// only, so that a failing request is not hidden behind a successful rerun.
func (cs *clients) rclone(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	return cs.must(t, timeout, "rclone", rcloneArgs(args...)...)
}

func rcloneArgs(args ...string) []string {
	return append([]string{"--retries", "1", "--no-check-certificate"}, args...)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	must(t, os.WriteFile(path, []byte(content), 0o600), "write %s", path)
}

// writeRandomFile writes n pseudo-random bytes (seeded) to path, streaming,
// and returns their SHA-256.
func writeRandomFile(t *testing.T, path string, seed uint64, n int64) string {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o755), "mkdir for %s", path)
	f, err := os.Create(path)
	must(t, err, "create %s", path)
	defer f.Close()
	h := sha256.New()
	src := io.LimitReader(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'c', 'l'}), n)
	_, err = io.Copy(io.MultiWriter(f, h), src)
	must(t, err, "write %s", path)
	must(t, f.Close(), "close %s", path)
	return hex.EncodeToString(h.Sum(nil))
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	must(t, err, "open %s", path)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	must(t, err, "read %s", path)
	return hex.EncodeToString(h.Sum(nil))
}

// treeSums maps the slash-separated path of every regular file under root
// to "size:sha256".
func treeSums(t *testing.T, root string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		sums[filepath.ToSlash(rel)] = fmt.Sprintf("%d:%s", info.Size(), fileSHA256(t, p))
		return nil
	})
	must(t, err, "walk %s", root)
	return sums
}

// sameTree fails the test unless the trees under got and want hold the
// same files with the same bytes.
func sameTree(t *testing.T, got, want string) {
	t.Helper()
	g, w := treeSums(t, got), treeSums(t, want)
	for p, ws := range w {
		switch gs, ok := g[p]; {
		case !ok:
			t.Errorf("%s: missing from %s", p, got)
		case gs != ws:
			t.Errorf("%s: %s, want %s", p, gs, ws)
		}
	}
	for p := range g {
		if _, ok := w[p]; !ok {
			t.Errorf("%s: unexpected in %s", p, got)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// sampleTree writes the files of a small varied tree under root: nested
// directories, an empty file, a file above the CLIs' 8 MiB multipart
// threshold, and names with spaces and non-ASCII letters. It returns the
// number of files.
func sampleTree(t *testing.T, root string, seed uint64) int {
	t.Helper()
	names := []string{
		"empty", "README.txt", "with space.txt", "a/b/c/deep.bin", "a/b/c/deeper/leaf",
		"a/b/sibling.dat", "a/top.json", "ünïcødé/naïve café.txt", "ünïcødé/日本語.txt",
		"ünïcødé/emoji 🐟.bin", "dir with spaces/file (1).txt", "dir with spaces/file+plus&amp.txt",
		"big/large.bin", "x/1", "x/2", "x/3", "x/4", "x/5", "x/6", "x/7", "x/8", "x/9",
		"y/z/one", "y/z/two", "y/z/three", "percent%20name", "tilde~name", "UPPER/lower.Case",
		"dots/.hidden", "dots/trailing.", "equals=sign,comma",
	}
	r := rand.New(rand.NewPCG(seed, 7))
	for i, n := range names {
		size := int64(r.IntN(200 << 10))
		switch n {
		case "empty":
			size = 0
		case "big/large.bin":
			size = 9<<20 + 123
		case "x/1":
			size = 1
		}
		writeRandomFile(t, filepath.Join(root, filepath.FromSlash(n)), seed*1000+uint64(i), size)
	}
	return len(names)
}

// gatewayRequest is one request as the gateway logs it (--log-level info).
type gatewayRequest struct {
	Method, Bucket, Key, Query string
	Status                     int
}

// gatewayRequests returns the requests cl's gateway has logged so far.
func gatewayRequests(t *testing.T, cl *cluster) []gatewayRequest {
	t.Helper()
	f, err := os.Open(cl.logPath)
	must(t, err, "open gateway log")
	defer f.Close()
	var reqs []gatewayRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			gatewayRequest
			Message string
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "s3" {
			reqs = append(reqs, line.gatewayRequest)
		}
	}
	must(t, sc.Err(), "read gateway log")
	return reqs
}
