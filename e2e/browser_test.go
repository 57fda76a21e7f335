package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// browserPage is served by the test on its own origin. Its script does
// what a video site's page does against the bucket and posts what it saw
// back to the page's server, where the test checks it.
var browserPage = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Floe browser test</title></head>
<body><p id="status">running</p>
<script>
const cfg = {{.}};
async function step(name, f) {
  try { return Object.assign({step: name}, await f()); }
  catch (e) { return {step: name, error: String(e)}; }
}
function b64(buf) {
  let s = ""; for (const c of new Uint8Array(buf)) s += String.fromCharCode(c); return btoa(s);
}
async function run() {
  const out = [];
  // A video player's ranged read of a public object, unsigned.
  out.push(await step("range", async () => {
    const r = await fetch(cfg.publicURL, {headers: {Range: "bytes=100-199"}});
    return {status: r.status, contentRange: r.headers.get("Content-Range"), body: b64(await r.arrayBuffer())};
  }));
  // A presigned PUT: PUT and its Content-Type make the browser send a
  // preflight first.
  out.push(await step("put", async () => {
    const r = await fetch(cfg.putURL, {method: "PUT", headers: {"Content-Type": "video/mp4"}, body: cfg.putBody});
    return {status: r.status, etag: r.headers.get("ETag")};
  }));
  // A presigned POST: the form an upload page builds.
  out.push(await step("post", async () => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(cfg.postFields)) fd.append(k, v);
    fd.append("file", new Blob([cfg.postBody], {type: "video/mp4"}), "clip.mp4");
    const r = await fetch(cfg.postURL, {method: "POST", body: fd});
    return {status: r.status, etag: r.headers.get("ETag"), body: await r.text()};
  }));
  // A bucket without CORS rules: the browser must refuse the response.
  out.push(await step("nocors", async () => {
    const r = await fetch(cfg.privateURL);
    return {status: r.status};
  }));
  await fetch("/result", {method: "POST", body: JSON.stringify(out)});
  document.getElementById("status").textContent = "done";
}
run();
</script></body></html>`))

// browserResult is what the page reports for one step.
type browserResult struct {
	Step, Error  string
	Status       int
	ContentRange string
	ETag         string
	Body         string
}

// TestBrowser drives headless Chromium (Debian's chromium) through a page
// on another origin: a CORS preflight, a presigned PUT, a presigned-POST
// upload, and a ranged GET of an object a public-read policy exposes.
func TestBrowser(t *testing.T) {
	t.Parallel()
	chromium := needTools(t, "chromium")["chromium"]
	cl := startCluster(t, "--log-level", "info") // request lines: the preflights
	ctx := ctxT(t)

	// The page's server: its origin is what the bucket's CORS rules name.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://" + ln.Addr().String()

	const bucket, private = "videos", "private"
	for _, b := range []string{bucket, private} {
		if _, err := cl.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = cl.client.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{
			AllowedOrigins: []string{origin}, AllowedMethods: []string{"GET", "PUT", "POST", "HEAD"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "Content-Range"}, MaxAgeSeconds: aws.Int32(60),
		}}}})
	must(t, err, "PutBucketCors")
	_, err = cl.client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket),
		Policy: aws.String(strings.ReplaceAll(publicReadPolicy(bucket), "/*", "/public/*"))})
	must(t, err, "PutBucketPolicy")
	video := make([]byte, 4096)
	for i := range video {
		video[i] = byte(i * 7)
	}
	putBytes(t, cl.client, bucket, "public/clip.mp4", video)
	putBytes(t, cl.client, private, "secret", []byte("no CORS here"))

	presign := s3.NewPresignClient(cl.client)
	put, err := presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/put.mp4"),
		ContentType: aws.String("video/mp4")}, s3.WithPresignExpires(10*time.Minute))
	must(t, err, "PresignPutObject")
	post := with(presignPOST(t, cl.accessKey, cl.secretKey, bucket, 10*time.Minute,
		[]any{"starts-with", "$key", "uploads/"}, []any{"content-length-range", 1, 1 << 20},
		[]any{"starts-with", "$Content-Type", "video/"}, map[string]string{"success_action_status": "201"}),
		"key", "uploads/${filename}", "Content-Type", "video/mp4", "success_action_status", "201")
	putBody, postBody := "bytes a page PUT", "bytes a page POSTed"
	cfg := map[string]any{
		"publicURL": cl.endpoint + "/" + bucket + "/public/clip.mp4", "privateURL": cl.endpoint + "/" + private + "/secret",
		"putURL": put.URL, "putBody": putBody, "postURL": cl.endpoint + "/" + bucket, "postFields": post, "postBody": postBody,
	}

	results := make(chan []browserResult, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := browserPage.Execute(w, cfg); err != nil {
			t.Errorf("page: %v", err)
		}
	})
	mux.HandleFunc("/result", func(w http.ResponseWriter, r *http.Request) {
		var res []browserResult
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &res); err != nil {
			t.Errorf("page's report %q: %v", b, err)
		}
		select {
		case results <- res:
		default:
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	// Flags as the machine's notes give them: no sandbox as root, and no
	// background connections, which this closed network refuses.
	cmd := exec.CommandContext(ctx, chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), origin+"/")
	var chromeLog bytes.Buffer
	cmd.Stdout, cmd.Stderr = &chromeLog, &chromeLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var got []browserResult
	select {
	case got = <-results:
	case <-time.After(90 * time.Second):
		t.Fatalf("the page reported nothing in 90 s; chromium said:\n%s", tail(chromeLog.Bytes(), 4000))
	}
	steps := map[string]browserResult{}
	for _, r := range got {
		steps[r.Step] = r
		t.Logf("page: %+v", r)
	}

	// The ranged read: 206, the exposed Content-Range, the right bytes.
	rg := steps["range"]
	body, _ := base64.StdEncoding.DecodeString(rg.Body)
	if rg.Error != "" || rg.Status != 206 || rg.ContentRange != "bytes 100-199/4096" || !bytes.Equal(body, video[100:200]) {
		t.Errorf("ranged GET in the browser: %+v", rg)
	}
	// The presigned PUT and POST: stored, ETag exposed to the page.
	if p := steps["put"]; p.Error != "" || p.Status != 200 || p.ETag != md5ETag([]byte(putBody)) {
		t.Errorf("presigned PUT in the browser: %+v", p)
	}
	eq(t, getBytes(t, cl.client, bucket, "uploads/put.mp4", ""), []byte(putBody), "the object the page PUT")
	if p := steps["post"]; p.Error != "" || p.Status != 201 || p.ETag != md5ETag([]byte(postBody)) ||
		!strings.Contains(p.Body, "<Key>uploads/clip.mp4</Key>") {
		t.Errorf("presigned POST in the browser: %+v", p)
	}
	eq(t, getBytes(t, cl.client, bucket, "uploads/clip.mp4", ""), []byte(postBody), "the object the page POSTed")
	// Without CORS rules the browser hides the response from the page.
	if p := steps["nocors"]; p.Error == "" {
		t.Errorf("the page read a response from a bucket without CORS rules: %+v", p)
	}

	// The browser did preflight the PUT, and the gateway answered it.
	logText, err := os.ReadFile(cl.logPath)
	if err != nil {
		t.Fatal(err)
	}
	preflights := 0
	for _, line := range strings.Split(string(logText), "\n") {
		if strings.Contains(line, `"method":"OPTIONS"`) && strings.Contains(line, `"status":200`) && strings.Contains(line, `"key":"uploads/put.mp4"`) {
			preflights++
		}
	}
	if preflights == 0 {
		t.Errorf("no answered preflight of the PUT in the gateway's log")
	}
}
