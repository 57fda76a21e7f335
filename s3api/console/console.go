// Package console is Floe's web console, served by the gateway under
// s3api.ConsolePrefix ("/_floe/console/"): buckets and objects (browse by
// "/" prefixes, upload with progress, download, delete, share presigned
// links), a cluster view for the admin (nodes, repair queue, scrub
// progress, this gateway's live throughput) and access keys.
//
// Sign-in and signing. The console holds no session on the server. The
// user types an access key ID and secret; the page keeps them in
// sessionStorage only (gone when the tab closes, never sent anywhere) and
// signs every request itself with SigV4 in JavaScript (assets/sigv4.js, a
// small SHA-256 and HMAC of its own, so it works on plain-HTTP LAN
// origins where crypto.subtle is missing). Object and bucket operations
// are ordinary S3 requests to the same origin, path style, so they pass
// exactly the SigV4 checks and bucket authorization any S3 client meets;
// uploads go UNSIGNED-PAYLOAD (the browser streams the file, the headers
// are signed), as multipart uploads above 64 MiB; downloads and shared
// links are presigned GETs. Sign-in is a signed call to api/whoami: a
// wrong key or secret fails there. A browser whose clock is off by more
// than SigV4 allows takes the gateway's from the Date of the
// RequestTimeTooSkewed answer and signs again.
//
// What is not S3 (the cluster view, access keys) is a small JSON API under
// ConsolePrefix+"api/" in this package. Its requests are SigV4-signed in
// the Authorization header like the S3 calls and checked by the gateway's
// own s3api.Authenticator; their x-amz-content-sha256 must be the hex
// SHA-256 of the body, which the handler checks. Unsigned (anonymous)
// requests, presigned URLs and bad signatures get 403. The cluster view
// and traffic are for metadata.DefaultUser (the admin) only; every user
// lists, creates and deletes its own access keys, and the admin those of
// every user (and may create keys for another user).
//
// No cookie is involved, so another site cannot make the browser act on
// the console's behalf (no CSRF); every page is sent with a strict
// Content-Security-Policy (scripts from this origin only, no inline code)
// and the page inserts data as text, never as markup, so the secret is no
// easier to reach than any S3 client's.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/floe-s3/floe/s3api"
	"github.com/rs/zerolog"
)

//go:embed assets
var assets embed.FS

// indexPage is assets/index.html with the gateway's region filled in: the
// page signs for it.
var indexPage = template.Must(template.ParseFS(assets, "assets/index.html"))

// Config wires a Handler to the gateway.
type Config struct {
	// Auth checks the signature of every API request: the gateway's
	// own SigV4, so a key works here exactly as it does for S3.
	Auth s3api.Authenticator
	// Store answers the cluster and key endpoints; *metadata.Postgres
	// in a gateway.
	Store Store
	// Traffic returns the gateway's cumulative request and byte counts
	// ((*s3api.Server).Traffic); nil reports zeros.
	Traffic func() s3api.Traffic
	// Region is what the page signs for; default us-east-1.
	Region string
	Logger zerolog.Logger
}

// Handler serves the console's pages and its JSON API. Mount it as
// s3api.Config.Console.
type Handler struct {
	cfg Config
	// files are the assets by name ("console.js"), "" the index page.
	files map[string]asset
}

// asset is a file the console serves, with its validator.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	h := &Handler{cfg: cfg, files: map[string]asset{}}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
		".html": "text/html; charset=utf-8"}
	entries, err := fs.ReadDir(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	for _, e := range entries {
		b, err := fs.ReadFile(assets, "assets/"+e.Name())
		if err != nil {
			panic(err)
		}
		h.files[e.Name()] = newAsset(b, types[path.Ext(e.Name())])
	}
	var index bytes.Buffer
	if err := indexPage.Execute(&index, map[string]string{"Region": cfg.Region}); err != nil {
		panic(err)
	}
	h.files[""] = newAsset(index.Bytes(), types[".html"])
	h.files["index.html"] = h.files[""]
	return h
}

func newAsset(b []byte, contentType string) asset {
	sum := sha256.Sum256(b)
	return asset{body: b, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// ServeHTTP implements http.Handler for paths under s3api.ConsolePrefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, s3api.ConsolePrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if api, ok := strings.CutPrefix(rest, "api/"); ok {
		h.serveAPI(w, r, api)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a, ok := h.files[rest]
	if !ok {
		http.NotFound(w, r)
		return
	}
	securityHeaders(w.Header())
	// Assets change with the binary: the browser revalidates each time
	// (a 304 by ETag), so a page of one version never runs the script
	// of another.
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Content-Type", a.contentType)
	http.ServeContent(w, r, rest, time.Time{}, bytes.NewReader(a.body))
}

// securityHeaders are sent with every page and asset: scripts, styles and
// connections from this origin only, no framing, no sniffing. Downloads
// and shared links are presigned S3 URLs on the same origin.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
		"img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}
