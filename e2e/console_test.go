package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/floe-s3/floe/s3api"
)

// TestConsole drives the web console in headless Chromium as a person
// would: sign in with the cluster's key, create a bucket, upload a file
// through the file input, download it back, share it, look at the cluster
// and create and delete an access key, with a screenshot of each page.
func TestConsole(t *testing.T) {
	t.Parallel()
	chromium := needTools(t, "chromium")["chromium"]
	cl := startCluster(t)
	start := time.Now()

	// Flags as TestBrowser gives them, through chromedp's allocator.
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Flag("headless", "new"), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	var jsErrors []string
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx, chromedp.Navigate(cl.endpoint+s3api.ConsolePrefix)); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	// Each step gets its own bound, so a hung page fails the test rather
	// than the whole run.
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			html, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v\npage text:\n%s\nJS errors: %v", what, err, html, jsErrors)
		}
	}
	eval := func(what, expr string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 15*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	// until waits for a JavaScript condition to hold.
	until := func(what, cond string) {
		t.Helper()
		run(what, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond))(ctx, tg)
			return chromedp.Void{}, err
		})
	}
	// FLOE_CONSOLE_SHOTS keeps the screenshots, to look at them.
	shots := os.Getenv("FLOE_CONSOLE_SHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	screenshot := func(name string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 15*time.Second)
		defer cancel()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(t, err, "screenshot of %s", name)
		checkScreenshot(t, name, b)
		must(t, os.WriteFile(filepath.Join(shots, name+".png"), b, 0o644), "save screenshot")
	}

	// The hashes the page signs with agree with Go's, on the standard
	// vectors and on what the page must handle (multi-block, UTF-8, long
	// HMAC keys).
	vectors := []string{"", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		strings.Repeat("a", 1000), "ключ/日本語 key", strings.Repeat("x", 55), strings.Repeat("y", 64)}
	in, _ := json.Marshal(vectors)
	got := eval("hash vectors in the page", fmt.Sprintf(`(() => { const S = Floe.sigv4;
		return JSON.stringify(%s.map((v) => [S.hex(S.sha256(S.utf8(v))), S.hex(S.hmac(S.utf8(v + v + v), S.utf8("msg " + v)))])); })()`, in))
	var pairs [][2]string
	must(t, json.Unmarshal([]byte(got), &pairs), "the page's hashes %s", got)
	for i, v := range vectors {
		sum := sha256.Sum256([]byte(v))
		mac := hmac.New(sha256.New, []byte(v+v+v))
		mac.Write([]byte("msg " + v))
		if pairs[i][0] != hex.EncodeToString(sum[:]) || pairs[i][1] != hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("vector %q: page has SHA-256 %s, HMAC %s; Go %x, %x", v, pairs[i][0], pairs[i][1], sum, mac.Sum(nil))
		}
	}

	checkPageSigning(t, eval)

	// Sign in.
	run("sign-in form", chromedp.WaitVisible(chromedp.CSS("#ak")))
	screenshot("signin")
	run("sign in with a wrong secret", chromedp.SetValue(chromedp.CSS("#ak"), cl.accessKey),
		chromedp.SetValue(chromedp.CSS("#sk"), cl.secretKey+"x"), chromedp.Click(chromedp.CSS("#signin-btn")))
	until("the sign-in refused", `document.getElementById("signin-error").textContent.includes("SignatureDoesNotMatch")`)
	// A browser whose clock is two hours slow still signs: the page
	// adopts the gateway's clock from its RequestTimeTooSkewed answer.
	eval("set the page's clock back", `(() => { const real = Date.now.bind(Date); Date.now = () => real() - 2 * 3600 * 1000; return ""; })()`)
	// Loopback origins are secure contexts; a LAN address over plain HTTP
	// is not, and has no crypto.subtle. The page must not need it.
	eval("take crypto.subtle away", `Object.defineProperty(crypto, "subtle", {get: () => undefined}); String(crypto.subtle)`)
	run("sign in", chromedp.SetValue(chromedp.CSS("#sk"), cl.secretKey), chromedp.Click(chromedp.CSS("#signin-btn")))
	until("the buckets page after sign-in", `document.getElementById("app").dataset.ready === "buckets"`)
	if s := eval("the stored session", `sessionStorage.getItem("floe.session") || ""`); !strings.Contains(s, cl.accessKey) {
		t.Errorf("session storage holds %q", s)
	}
	if s := eval("local storage", `JSON.stringify(Object.keys(localStorage))`); s != "[]" {
		t.Errorf("the console left %s in localStorage", s)
	}

	// Create a bucket.
	const bucket = "console-bucket"
	run("create a bucket", chromedp.SetValue(chromedp.CSS("#new-bucket"), bucket),
		chromedp.Click(chromedp.CSS("#create-bucket button")))
	until("the new bucket listed", `!!document.querySelector('tr[data-bucket="`+bucket+`"]')`)
	_, err := cl.client.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	must(t, err, "HeadBucket of the bucket the console created")
	screenshot("buckets")

	// Upload a file into a "folder" through the file input.
	run("open the bucket", chromedp.Click(chromedp.CSS(`tr[data-bucket="`+bucket+`"] a.open`)))
	until("the bucket's page", `document.getElementById("app").dataset.ready === "browse"`)
	// Names with spaces, non-ASCII and URL syntax in them go through the
	// page's path and query encoding, which SigV4 must agree with.
	const folder = "fotos ü+/"
	eval("open a folder", `location.hash = "#/b/`+bucket+`/" + encodeURIComponent("`+folder+`"); ""`)
	until("the folder's page", `document.getElementById("app").dataset.ready === "browse"`)
	data := make([]byte, 300<<10+17)
	_, _ = rand.Read(data)
	file := filepath.Join(t.TempDir(), "naïve cat+%&=.bin")
	must(t, os.WriteFile(file, data, 0o644), "write the upload")
	run("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#upload"), []string{file}, chromedp.NodeReady))
	key := folder + "naïve cat+%&=.bin"
	until("the uploaded object listed", `!!document.querySelector('tr[data-key="`+key+`"]')`)
	if s := eval("the upload's progress", `(() => { const r = document.querySelector('[data-upload="`+key+`"]');
		return r ? r.className + " " + r.querySelector("progress").value : "removed"; })()`); s != "upload ok 1" && s != "removed" {
		t.Errorf("upload progress row: %q", s)
	}
	eq(t, getBytes(t, cl.client, bucket, key, ""), data, "the object the console uploaded")

	// A large file goes as a multipart upload: thresholds lowered so that
	// 6 MiB make two parts (S3's smallest part is 5 MiB).
	eval("lower the multipart threshold", `Floe.uploadConfig = {threshold: 1 << 20, partSize: 5 << 20}; ""`)
	big := make([]byte, 6<<20+123)
	_, _ = rand.Read(big)
	bigFile := filepath.Join(t.TempDir(), "big.bin")
	must(t, os.WriteFile(bigFile, big, 0o644), "write the large upload")
	run("choose the large file", chromedp.SetUploadFiles(chromedp.CSS("#upload"), []string{bigFile}, chromedp.NodeReady))
	until("the large object listed", `!!document.querySelector('tr[data-key="`+folder+`big.bin"]')`)
	head, err := cl.client.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(folder + "big.bin")})
	must(t, err, "HeadObject of the large upload")
	if etag := aws.ToString(head.ETag); !strings.HasSuffix(etag, `-2"`) {
		t.Errorf("the large upload's ETag %s is not that of two parts", etag)
	}
	eq(t, getBytes(t, cl.client, bucket, folder+"big.bin", ""), big, "the object the console uploaded in parts")
	if n := cl.count(t, `SELECT count(*) FROM multipart_uploads`); n != 0 {
		t.Errorf("%d multipart uploads left unfinished", n)
	}
	screenshot("objects")

	// Download it as the Download button does: the same presigned URL.
	b64 := eval("download in the page", `Floe.fetchObjectBase64("`+bucket+`", "`+key+`")`)
	down, err := base64.StdEncoding.DecodeString(b64)
	must(t, err, "decode the page's download")
	eq(t, down, data, "the object the page downloaded")
	if u := eval("download URL", `Floe.downloadURL("`+bucket+`", "`+key+`")`); !strings.Contains(u, "response-content-disposition=attachment") {
		t.Errorf("download URL %s is not an attachment", u)
	}
	// And as a person does: the Download button, into a directory.
	downloads := t.TempDir()
	run("allow downloads", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return chromedp.Void{}, err
	}, chromedp.Click(chromedp.CSS(`tr[data-key="`+key+`"] button.download`)))
	var saved string
	waitFor(t, 15*time.Second, "the download saved", func() (bool, error) {
		files, err := os.ReadDir(downloads)
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), ".crdownload") {
				saved = f.Name()
				return true, nil
			}
		}
		return false, err
	})
	// The name comes from the presigned URL's Content-Disposition
	// (filename*=UTF-8''…), which must survive the encoding.
	if saved != "naïve cat+%&=.bin" {
		t.Errorf("the browser saved the download as %q", saved)
	}
	dl, err := os.ReadFile(filepath.Join(downloads, saved))
	must(t, err, "read the download")
	eq(t, dl, data, "the file the Download button saved")

	// Share a link for a day: anyone (here, Go's HTTP client) may GET it.
	run("share", chromedp.Click(chromedp.CSS(`tr[data-key="`+key+`"] button.share-btn`)),
		chromedp.WaitVisible(chromedp.CSS("#share-url")), chromedp.SetValue(chromedp.CSS("#share-expiry"), "86400"))
	eval("pick the expiry", `document.getElementById("share-expiry").dispatchEvent(new Event("change")); ""`)
	link := eval("the shared link", `document.getElementById("share-url").value`)
	if !strings.Contains(link, "X-Amz-Expires=86400") {
		t.Errorf("shared link %s does not last a day", link)
	}
	resp, err := http.Get(link)
	must(t, err, "GET the shared link")
	shared, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET the shared link: %d %s", resp.StatusCode, shared)
	}
	eq(t, shared, data, "the object behind the shared link")

	// Delete it (two clicks: the first arms the button).
	del := chromedp.CSS(`tr[data-key="` + key + `"] button.danger`)
	run("delete the object", chromedp.Click(del), chromedp.Click(del))
	until("the object gone from the list", `!document.querySelector('tr[data-key="`+key+`"]')`)
	if _, err := cl.client.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err == nil {
		t.Errorf("the object the console deleted is still there")
	}

	bigDel := chromedp.CSS(`tr[data-key="` + folder + `big.bin"] button.danger`)
	run("delete the large object", chromedp.Click(bigDel), chromedp.Click(bigDel))
	until("the large object gone", `!document.querySelector('tr[data-key="`+folder+`big.bin"]')`)

	// The bucket is empty now: delete it.
	eval("back to the buckets", `location.hash = "#/buckets"; ""`)
	until("the buckets page", `document.getElementById("app").dataset.ready === "buckets"`)
	delBucket := chromedp.CSS(`tr[data-bucket="` + bucket + `"] button.danger`)
	run("delete the bucket", chromedp.Click(delBucket), chromedp.Click(delBucket))
	until("the bucket gone from the list", `!document.querySelector('tr[data-bucket="`+bucket+`"]')`)
	if _, err := cl.client.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		t.Errorf("the bucket the console deleted is still there")
	}

	// The cluster: six nodes, and a throughput sample drawn.
	_, err = cl.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("chart")})
	must(t, err, "CreateBucket chart")
	eval("open the cluster view", `location.hash = "#/cluster"; ""`)
	until("six nodes listed", `document.querySelectorAll("#nodes tr").length === 6`)
	until("a throughput sample", `!!document.querySelector("#rates .in")`)
	// Traffic for the chart to show, over a few samples.
	traffic := make([]byte, 2<<20)
	for i := range 3 {
		putBytes(t, cl.client, "chart", fmt.Sprint(i), traffic)
		getBytes(t, cl.client, "chart", fmt.Sprint(i), "")
		time.Sleep(300 * time.Millisecond)
	}
	until("three throughput samples", `Number(document.getElementById("chart").dataset.samples) >= 3`)
	if s := eval("node states", `Array.from(document.querySelectorAll("#nodes .state")).map((e) => e.textContent).join(",")`); s != strings.Repeat("alive,", 5)+"alive" {
		t.Errorf("node states %q", s)
	}
	screenshot("cluster")

	// Access keys: create one, see it in PostgreSQL, delete it.
	eval("open the keys page", `location.hash = "#/keys"; ""`)
	until("the keys page", `document.getElementById("app").dataset.ready === "keys"`)
	run("create a key", chromedp.SetValue(chromedp.CSS("#key-desc"), "made in the console"),
		chromedp.Click(chromedp.CSS("#create-key button")), chromedp.WaitVisible(chromedp.CSS("#new-key-id")))
	id := eval("the new key's ID", `document.getElementById("new-key-id").textContent`)
	secret := eval("the new key's secret", `document.getElementById("new-key-secret").textContent`)
	until("the new key listed", `!!document.querySelector('tr[data-key-id="`+id+`"]')`)
	if n := cl.count(t, `SELECT count(*) FROM access_keys WHERE access_key_id = $1 AND description = 'made in the console' AND user_name = 'admin'`, id); n != 1 {
		t.Fatalf("key %s in PostgreSQL: %d rows", id, n)
	}
	// The new pair works for S3 at once.
	if _, err := newClient(t, cl.endpoint, id, secret).ListBuckets(ctxT(t), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets with the key the console made: %v", err)
	}
	screenshot("keys")
	delKey := chromedp.CSS(`tr[data-key-id="` + id + `"] button.danger`)
	run("delete the key", chromedp.Click(delKey), chromedp.Click(delKey))
	until("the key gone from the list", `!document.querySelector('tr[data-key-id="`+id+`"]')`)
	if n := cl.count(t, `SELECT count(*) FROM access_keys WHERE access_key_id = $1`, id); n != 0 {
		t.Errorf("key %s still in PostgreSQL after the console deleted it", id)
	}

	// Signing out forgets the key.
	run("sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#ak")))
	if s := eval("session after sign-out", `sessionStorage.getItem("floe.session") || ""`); s != "" {
		t.Errorf("session storage after sign-out: %q", s)
	}
	// Another user signs in: no cluster tab, only its own keys.
	dave, _ := cl.newUser(t, "dave")
	dc, err := dave.Options().Credentials.Retrieve(ctxT(t))
	must(t, err, "dave's key")
	run("sign in as dave", chromedp.SetValue(chromedp.CSS("#ak"), dc.AccessKeyID),
		chromedp.SetValue(chromedp.CSS("#sk"), dc.SecretAccessKey), chromedp.Click(chromedp.CSS("#signin-btn")))
	until("dave's buckets page", `document.getElementById("app").dataset.ready === "buckets"`)
	if s := eval("dave's tabs", `document.getElementById("nav-cluster").hidden ? "hidden" : "shown"`); s != "hidden" {
		t.Errorf("the cluster tab is %s to a user other than admin", s)
	}
	eval("dave opens the keys page", `location.hash = "#/keys"; ""`)
	until("dave's keys page", `document.getElementById("app").dataset.ready === "keys"`)
	if s := eval("dave's keys", `Array.from(document.querySelectorAll("#keys tr")).map((r) => r.dataset.keyId).join(",")`); s != dc.AccessKeyID {
		t.Errorf("dave sees keys %q, want only his own %s", s, dc.AccessKeyID)
	}
	t.Logf("console walk-through took %v; screenshots in %s", time.Since(start).Round(time.Millisecond), shots)
}

// checkScreenshot fails t unless b is a PNG of a real page: a sensible
// size and more than a handful of colours.
func checkScreenshot(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	r := img.Bounds()
	if r.Dx() < 800 || r.Dy() < 400 {
		t.Errorf("screenshot %s is %dx%d", name, r.Dx(), r.Dy())
	}
	colors := map[uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colors[cr>>8<<16|cg>>8<<8|cb>>8] = true
		}
	}
	if len(colors) < 20 {
		t.Errorf("screenshot %s has only %d colours: a blank page?", name, len(colors))
	}
}

// TestConsoleAPIAuth: the console's JSON API, on a real gateway, answers
// only requests SigV4 signed by a key in PostgreSQL, and its cluster view
// only the admin; a user made with the real CLI sees only its own keys.
func TestConsoleAPIAuth(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	ctx := ctxT(t)
	carol, _ := cl.newUser(t, "carol")
	cc, err := carol.Options().Credentials.Retrieve(ctx)
	must(t, err, "carol's key")

	call := func(method, name, id, secret string, body []byte) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, cl.endpoint+s3api.ConsolePrefix+"api/"+name, bytes.NewReader(body))
		must(t, err, "request")
		if id != "" {
			sum := sha256.Sum256(body)
			req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
			must(t, v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req,
				hex.EncodeToString(sum[:]), "s3", "us-east-1", time.Now()), "sign")
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err, "%s %s", method, name)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, name := range []string{"whoami", "cluster", "traffic", "keys"} {
		if st, b := call("GET", name, "", "", nil); st != 403 {
			t.Errorf("anonymous GET %s: %d %s", name, st, b)
		}
		if st, b := call("GET", name, cl.accessKey, cl.secretKey+"x", nil); st != 403 || !strings.Contains(b, "SignatureDoesNotMatch") {
			t.Errorf("GET %s with a bad signature: %d %s", name, st, b)
		}
	}
	if st, b := call("POST", "keys", "", "", []byte(`{}`)); st != 403 {
		t.Errorf("anonymous POST keys: %d %s", st, b)
	}
	if st, b := call("GET", "whoami", cc.AccessKeyID, cc.SecretAccessKey, nil); st != 200 || !strings.Contains(b, `"user":"carol"`) || !strings.Contains(b, `"admin":false`) {
		t.Errorf("carol's whoami: %d %s", st, b)
	}
	for _, name := range []string{"cluster", "traffic"} {
		if st, b := call("GET", name, cc.AccessKeyID, cc.SecretAccessKey, nil); st != 403 {
			t.Errorf("carol GETs %s: %d %s", name, st, b)
		}
	}
	st, b := call("GET", "cluster", cl.accessKey, cl.secretKey, nil)
	var view struct{ Nodes []struct{ State string } }
	if err := json.Unmarshal([]byte(b), &view); st != 200 || err != nil || len(view.Nodes) != 6 {
		t.Errorf("admin GETs cluster: %d %s", st, b)
	}
	// Carol lists her own key only, and cannot delete the admin's.
	if st, b := call("GET", "keys", cc.AccessKeyID, cc.SecretAccessKey, nil); st != 200 || !strings.Contains(b, cc.AccessKeyID) || strings.Contains(b, cl.accessKey) {
		t.Errorf("carol lists keys: %d %s", st, b)
	}
	if st, b := call("DELETE", "keys/"+cl.accessKey, cc.AccessKeyID, cc.SecretAccessKey, nil); st != 404 {
		t.Errorf("carol deletes the admin's key: %d %s", st, b)
	}
	if n := cl.count(t, `SELECT count(*) FROM access_keys WHERE access_key_id = $1`, cl.accessKey); n != 1 {
		t.Errorf("the admin's key after carol's attempt: %d rows", n)
	}
}

// checkPageSigning compares the page's SigV4 (header-signed and presigned)
// with aws-sdk-go-v2's signer on one fixed request whose path and query
// need every kind of encoding.
func checkPageSigning(t *testing.T, eval func(what, expr string) string) {
	t.Helper()
	const id, secret, host = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "example.com:9000"
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	path := "/bucket/d%C3%BCr%20k%2By%25%2Fz~"
	query := url.Values{"prefix": {"a b/ü+&="}, "list-type": {"2"}, "delimiter": {"/"}}
	rawQuery := strings.ReplaceAll(query.Encode(), "+", "%20")
	jsArgs := fmt.Sprintf(`{method: "GET", path: %q, query: [["prefix", "a b/ü+&="], ["list-type", "2"], ["delimiter", "/"]],
		creds: {id: %q, secret: %q}, region: "us-east-1", now: new Date(%d), host: %q`, path, id, secret, at.UnixMilli(), host)
	empty := sha256.Sum256(nil)
	got := eval("the page signs", `(() => { const r = Floe.sigv4.sign(`+jsArgs+`, headers: {"content-type": "text/plain"},
		payloadHash: "`+hex.EncodeToString(empty[:])+`"}); return r.url + "\n" + r.headers.authorization; })()`)
	req, err := http.NewRequest("GET", "http://"+host+path+"?"+rawQuery, nil)
	must(t, err, "request")
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(empty[:]))
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	must(t, signer.SignHTTP(context.Background(), creds, req, hex.EncodeToString(empty[:]), "s3", "us-east-1", at), "sign")
	if want := req.URL.EscapedPath() + "?" + rawQuery + "\n" + req.Header.Get("Authorization"); !sameSigned(got, want) {
		t.Errorf("the page signed\n%s\nwhere aws-sdk-go-v2 signs\n%s", got, want)
	}

	pre := eval("the page presigns", `Floe.sigv4.presign(`+jsArgs+`, expires: 3600})`)
	preq, err := http.NewRequest("GET", "http://"+host+path+"?"+rawQuery+"&X-Amz-Expires=3600", nil)
	must(t, err, "request")
	u, _, err := signer.PresignHTTP(context.Background(), creds, preq, "UNSIGNED-PAYLOAD", "s3", "us-east-1", at)
	must(t, err, "presign")
	pu, err := url.Parse(u)
	must(t, err, "parse presigned URL")
	if want := pu.Query().Get("X-Amz-Signature"); !strings.HasSuffix(pre, "&X-Amz-Signature="+want) {
		t.Errorf("the page presigned\n%s\nwhere aws-sdk-go-v2 presigns\n%s", pre, u)
	}
}

// sameSigned compares a URL and Authorization header pair, allowing the
// query in either order (only its canonical form is signed).
func sameSigned(got, want string) bool {
	g, w := strings.SplitN(got, "\n", 2), strings.SplitN(want, "\n", 2)
	if len(g) != 2 || len(w) != 2 || g[1] != w[1] {
		return false
	}
	gu, err1 := url.Parse(g[0])
	wu, err2 := url.Parse(w[0])
	return err1 == nil && err2 == nil && gu.EscapedPath() == wu.EscapedPath() && gu.Query().Encode() == wu.Query().Encode()
}
