package e2e

// The small helpers every e2e test shares: assertions, waits, S3 clients
// (SDK and raw HTTP), and counts of what the nodes and the metadata hold.
// Starting processes (PostgreSQL, nodes, gateways, command-line clients)
// is harness_test.go's job.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/floe-s3/floe/backend/nodetest"
	"github.com/jackc/pgx/v5"
)

// ---- Assertions ----

// must fails t, naming what failed (a format with args), if err is not nil.
func must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

// eq fails t unless got and want are the same bytes; what names them.
func eq(t testing.TB, got, want []byte, what string) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes that differ from the %d expected", what, len(got), len(want))
	}
}

// errCode returns the S3 error code of an SDK error, or "".
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpResponse is the HTTP status of a failed SDK call (0 if it has none),
// and the response's headers: the SDK turns 304 and 412 into errors.
func httpResponse(err error) (int, http.Header) {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode(), re.Response.Header
	}
	return 0, nil
}

// httpStatus returns the HTTP status of an SDK error, or 0.
func httpStatus(err error) int {
	st, _ := httpResponse(err)
	return st
}

// checkError fails t unless res is an S3 XML error response with status
// and code, carrying a <RequestId> equal to its x-amz-request-id.
func checkError(t *testing.T, res rawResult, status int, code string) {
	t.Helper()
	if res.status != status || res.code != code {
		t.Fatalf("got %d %q, want %d %s; body %.300s", res.status, res.code, status, code, res.body)
	}
	if res.requestID == "" || res.requestID != res.header.Get("X-Amz-Request-Id") {
		t.Fatalf("<RequestId> %q, x-amz-request-id %q", res.requestID, res.header.Get("X-Amz-Request-Id"))
	}
}

// ---- Waiting ----

// waitPoll is how often waitFor asks its condition: often enough that a
// wait ends soon after its condition holds, seldom enough that conditions
// running a floe command do not crowd out the cluster on a small machine.
const waitPoll = 100 * time.Millisecond

// waitFor polls cond every waitPoll until it reports true, and fails t
// once timeout has passed without: "timed out after <timeout> waiting
// until <what>". A non-nil error from cond is not fatal: it says why the
// condition does not hold yet (a database restarting, the state seen so
// far), and the last one is part of the failure message. cond may fail t
// itself for errors that are. It is asked once more after the deadline, so
// a wait never fails sooner than a sleep of timeout followed by one check.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("timed out after %v waiting until %s: %v", timeout, what, err)
			}
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		}
		time.Sleep(waitPoll)
	}
}

// lazyErr is an error whose message is worked out only when it is read:
// for a waitFor condition whose explanation costs something (a command's
// output, a query) and is wanted only if the wait fails.
type lazyErr func() string

// Error works the message out.
func (e lazyErr) Error() string { return e() }

// ctxT returns a context that ends after two minutes or with t.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// ---- The SDK ----

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

// putBytes PUTs data as bucket/key and fails t if that fails.
func putBytes(t testing.TB, c *s3.Client, bucket, key string, data []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	must(t, err, "put %s/%s (%d bytes)", bucket, key, len(data))
	return out
}

// getBytes GETs bucket/key, the byte range rng if not "" (a Range
// header's value), and fails t if that fails.
func getBytes(t testing.TB, c *s3.Client, bucket, key string, rng string) []byte {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	out, err := c.GetObject(ctxT(t), in)
	must(t, err, "get %s/%s %s", bucket, key, rng)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	must(t, err, "read %s/%s", bucket, key)
	return b
}

// getSum reads an object and returns its SHA-256.
func getSum(ctx context.Context, c *s3.Client, bucket, key string) ([32]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return [32]byte{}, err
	}
	defer out.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		return [32]byte{}, err
	}
	return [32]byte(h.Sum(nil)), nil
}

// putRandomObjects PUTs n objects named prefix-NN of 0.5 to 6 MiB of random
// bytes and adds their SHA-256s to sums.
func putRandomObjects(t *testing.T, c *cluster, bucket, prefix string, n int, seed uint64, sums map[string][32]byte) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 42))
	for i := range n {
		key := fmt.Sprintf("%s-%02d", prefix, i)
		data := make([]byte, 512<<10+rng.IntN(6<<20-512<<10+1))
		_, _ = rand.NewChaCha8([32]byte{byte(seed), byte(i), 'l', 'c'}).Read(data)
		putBytes(t, c.client, bucket, key, data)
		sums[key] = sha256.Sum256(data)
	}
}

// readAllSums GETs every object in sums and fails t on any error or
// SHA-256 mismatch.
func readAllSums(t *testing.T, c *cluster, bucket string, sums map[string][32]byte) {
	t.Helper()
	for key, want := range sums {
		got, err := getSum(ctxT(t), c.client, bucket, key)
		must(t, err, "get %s", key)
		if got != want {
			t.Fatalf("%s reads back with a different SHA-256", key)
		}
	}
}

// ---- Raw HTTP ----

// rawClient sends raw requests; every request has a deadline, so a gateway
// that hangs fails the test instead of stalling it. The test gateway's
// certificate is self-signed.
var rawClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
}

// rawResult is the gateway's answer to a raw request.
type rawResult struct {
	status    int
	header    http.Header
	body      []byte
	code      string // <Code> of an XML error body
	requestID string // <RequestId> of an XML error body
}

// s3Error returns the <Code> and <RequestId> of an S3 XML error body, ""
// for what it does not have.
func s3Error(body []byte) (code, requestID string) {
	var e struct {
		Code      string `xml:"Code"`
		RequestID string `xml:"RequestId"`
	}
	_ = xml.Unmarshal(body, &e)
	return e.Code, e.RequestID
}

// signV4 signs r as an S3 SDK does (SigV4, us-east-1, no second escaping
// of the path) with key ak/secret at time at; payloadHash goes into the
// signature and should be in x-amz-content-sha256.
func signV4(r *http.Request, ak, secret, payloadHash string, at time.Time) error {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: ak, SecretAccessKey: secret}, r, payloadHash, "s3", "us-east-1", at)
}

// send signs a request as an SDK would (SigV4 with the cluster's keys,
// us-east-1, payload hash the body's SHA-256) and sends it. target is the
// escaped path and query.
func (c *cluster) send(t *testing.T, method, target string, hdr http.Header, body []byte) rawResult {
	t.Helper()
	return c.sendStream(t, method, target, hdr, bytes.NewReader(body), int64(len(body)), hexSHA256(body))
}

// sendStream is send with a body streamed from r, n bytes long (-1 for
// unknown), signed with payloadHash (such as UNSIGNED-PAYLOAD).
func (c *cluster) sendStream(t *testing.T, method, target string, hdr http.Header, r io.Reader, n int64, payloadHash string) rawResult {
	t.Helper()
	res, err := c.trySend(method, target, hdr, r, n, payloadHash)
	must(t, err, "%s %s", method, target)
	return res
}

// trySend is sendStream returning the error instead of failing a test, for
// requests sent from another goroutine or expected to break.
func (c *cluster) trySend(method, target string, hdr http.Header, r io.Reader, n int64, payloadHash string) (rawResult, error) {
	req, err := http.NewRequest(method, c.endpoint+target, r)
	if err != nil {
		return rawResult{}, err
	}
	req.ContentLength = n
	if n == 0 {
		req.Body = http.NoBody
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	query := req.URL.RawQuery
	if err := signV4(req, c.accessKey, c.secretKey, payloadHash, time.Now()); err != nil {
		return rawResult{}, err
	}
	// The signer rewrites the query from url.Values, which drops what it
	// cannot decode; send it as the test wrote it. (The canonical query
	// the signature covers is the same for any valid encoding.)
	req.URL.RawQuery = query
	resp, err := rawClient.Do(req)
	if err != nil {
		return rawResult{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return rawResult{}, err
	}
	res := rawResult{status: resp.StatusCode, header: resp.Header, body: body}
	res.code, res.requestID = s3Error(body)
	return res, nil
}

// sendRaw sends r as it is (signed or not) and returns the status, the S3
// error code (of an answer of 300 or above) and the body.
func sendRaw(t *testing.T, r *http.Request) (int, string, []byte) {
	t.Helper()
	resp, err := rawClient.Do(r)
	must(t, err, "%s %s", r.Method, r.URL)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err, "read the response to %s %s", r.Method, r.URL)
	var code string
	if resp.StatusCode >= 300 {
		code, _ = s3Error(b)
	}
	return resp.StatusCode, code, b
}

// rawPut opens a TCP connection to the gateway and sends the head of a
// SigV4-signed PutObject: Content-Length contentLength, payloadHash as
// x-amz-content-sha256, plus hdr. The caller writes the body.
func rawPut(t *testing.T, cl *cluster, bucket, key string, contentLength int64, payloadHash string, hdr http.Header) net.Conn {
	t.Helper()
	r, err := http.NewRequest(http.MethodPut, cl.endpoint+"/"+bucket+"/"+key, nil)
	must(t, err, "request")
	r.ContentLength = contentLength
	for k, vs := range hdr {
		r.Header[k] = vs
	}
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	must(t, signV4(r, cl.accessKey, cl.secretKey, payloadHash, time.Now()), "sign")
	var head bytes.Buffer
	fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.URL.RequestURI(), r.URL.Host, contentLength)
	must(t, r.Header.Write(&head), "header")
	head.WriteString("\r\n")
	conn, err := net.DialTimeout("tcp", cl.listenAddr(), 5*time.Second)
	must(t, err, "dial the gateway")
	t.Cleanup(func() { conn.Close() })
	_, err = conn.Write(head.Bytes())
	must(t, err, "send request head")
	return conn
}

// readResponse reads the gateway's answer from conn: status, S3 error
// code and headers. halfClose first shuts conn's sending side, the only way
// a client can end a body shorter than its Content-Length and still hear
// back. (Go's HTTP server cancels the request's context when it reads EOF
// from the client, so a half-close after a complete body is not the same
// as waiting: the gateway abandons the write.)
func readResponse(t *testing.T, conn net.Conn, halfClose bool) (int, string, http.Header) {
	t.Helper()
	if halfClose {
		must(t, conn.(*net.TCPConn).CloseWrite(), "half-close")
	}
	must(t, conn.SetReadDeadline(time.Now().Add(time.Minute)), "deadline")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err, "read response")
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	code, _ := s3Error(body)
	return resp.StatusCode, code, resp.Header
}

// hexSHA256 is the SHA-256 of b in hex, as x-amz-content-sha256 carries it.
func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// md5ETag is the ETag S3 gives an object of a single PUT of b: its MD5 in
// hex, quoted.
func md5ETag(b []byte) string {
	s := md5.Sum(b)
	return `"` + hex.EncodeToString(s[:]) + `"`
}

// crc32Base64 is the CRC32 of b as x-amz-checksum-crc32 carries it.
func crc32Base64(b []byte) string {
	var s [4]byte
	binary.BigEndian.PutUint32(s[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(s[:])
}

// ---- What the nodes hold ----

// shardFiles counts the shard files on all nodes.
func (c *cluster) shardFiles(t testing.TB) int {
	n := 0
	for _, nd := range c.nodes.Nodes {
		n += len(nd.ShardFiles(t))
	}
	return n
}

// smallShards is how many shard files a blob under the gateway's
// --replicate-below (16 KiB by default) has on a cluster coded 4+2, as
// startCluster's is: M+1 whole copies.
const smallShards = 3

// waitShardFiles waits up to 30 seconds until the nodes hold exactly want
// shard files.
func (c *cluster) waitShardFiles(t testing.TB, want int) {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("the nodes hold %d shard files", want), func() (bool, error) {
		got := c.shardFiles(t)
		return got == want, fmt.Errorf("they hold %d", got)
	})
}

// tmpFilesOn counts the shard writes in progress on node nd.
func tmpFilesOn(t testing.TB, nd *nodetest.Node) int {
	ents, err := os.ReadDir(filepath.Join(nd.Dir, "tmp"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(ents)
}

// tmpFiles counts the shard writes in progress on all nodes.
func (c *cluster) tmpFiles(t testing.TB) int {
	n := 0
	for _, nd := range c.nodes.Nodes {
		n += tmpFilesOn(t, nd)
	}
	return n
}

// waitNodeState polls `floe admin node list` until the node at addr shows
// state, failing after limit.
func (c *cluster) waitNodeState(t testing.TB, addr, state string, limit time.Duration) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\S+\s+` + regexp.QuoteMeta(addr) + `\s+` + state + `\s`)
	waitFor(t, limit, fmt.Sprintf("node %s is %s", addr, state), func() (bool, error) {
		out := c.floe(t, "admin", "node", "list")
		return re.MatchString(out), fmt.Errorf("node list:\n%s", out)
	})
}

// ---- What the metadata holds ----

// db connects to the cluster's metadata database for the test's duration.
func (c *cluster) db(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := pgx.Connect(ctx, c.dsn)
	must(t, err, "connect to the metadata database")
	t.Cleanup(func() { db.Close(context.Background()) })
	return db
}

// count runs a query returning one integer (a count) against the metadata
// database, on a connection of its own.
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

// shardsOn counts the shards the metadata places on the node at addr.
func (c *cluster) shardsOn(t testing.TB, addr string) int {
	return c.count(t, `SELECT count(*) FROM shards s JOIN nodes n ON n.id = s.node_id WHERE n.addr = $1`, addr)
}

// missingShardsOn counts the shards the metadata records as missing on the
// node at addr.
func (c *cluster) missingShardsOn(t testing.TB, addr string) int {
	return c.count(t, `SELECT count(*) FROM shards s JOIN nodes n ON n.id = s.node_id
		WHERE n.addr = $1 AND s.state = 'missing'`, addr)
}

// badShards counts shards not in state ok.
func (c *cluster) badShards(t testing.TB) int {
	return c.count(t, `SELECT count(*) FROM shards WHERE state <> 'ok'`)
}

// liveShards counts the shards the nodes should hold once garbage
// collection has caught up: those of blobs not queued for deletion.
func (c *cluster) liveShards(t testing.TB) int {
	return c.count(t, `SELECT count(*) FROM shards s
		WHERE NOT EXISTS (SELECT 1 FROM deletion_queue q WHERE q.blob_id = s.blob_id)`)
}

// queuedDeletions counts blobs waiting for garbage collection.
func (c *cluster) queuedDeletions(t testing.TB) int {
	return c.count(t, `SELECT count(*) FROM deletion_queue`)
}

// intents counts the write intents in the metadata database.
func (c *cluster) intents(t testing.TB) int {
	return c.count(t, `SELECT count(*) FROM write_intents`)
}

// repairsLeft counts repair queue entries plus shards not ok: 0 once
// repair has settled.
func (c *cluster) repairsLeft(t testing.TB) int {
	return c.count(t, `SELECT (SELECT count(*) FROM repair_queue) + (SELECT count(*) FROM shards WHERE state <> 'ok')`)
}

// repairState is `floe admin repair status` and `floe admin node list`,
// for a failure message; their own failures are shown, not fatal.
func (c *cluster) repairState(t testing.TB) string {
	status, _ := c.floeCmd(t, "admin", "repair", "status").CombinedOutput()
	nodes, _ := c.floeCmd(t, "admin", "node", "list").CombinedOutput()
	return string(status) + "\n" + string(nodes)
}

// waitRepairsDone waits until the repair queue is empty and every shard
// row is ok, and done (may be nil) holds; it fails after limit, showing
// the repair and node state.
func (c *cluster) waitRepairsDone(t testing.TB, limit time.Duration, done func() bool) {
	t.Helper()
	waitFor(t, limit, "repairs are done", func() (bool, error) {
		left := c.repairsLeft(t)
		ok := left == 0 && (done == nil || done())
		return ok, lazyErr(func() string {
			return fmt.Sprintf("%d queue entries and unhealthy shards left\n%s", left, c.repairState(t))
		})
	})
}

// ---- Files ----

// writeFile writes content to path, failing t if that fails.
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

// fileSHA256 returns the SHA-256, in hex, of the file at path.
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

// ---- The gateway's log ----

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
