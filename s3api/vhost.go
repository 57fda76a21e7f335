package s3api

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
)

// Virtual-hosted–style addressing: with a domain configured
// (Config.Domains, floe server --domain), a request to
// "photos.s3.example.com/cat.jpg" names bucket "photos" and key
// "cat.jpg", as "s3.example.com/photos/cat.jpg" does. A Host that is a
// domain itself, or none of them (an IP address, localhost), is
// path-style. SigV4 needs nothing of this: clients sign the Host and the
// path they send, whichever the style.

// CheckDomain reports whether d can be a virtual-host domain: a host
// name without port, scheme or trailing dot.
func CheckDomain(d string) error {
	if d == "" || strings.ContainsAny(d, ":/ ") || strings.HasSuffix(d, ".") || strings.HasPrefix(d, ".") {
		return fmt.Errorf("domain %q: want a host name such as s3.example.com", d)
	}
	return nil
}

// hostBucket returns the bucket r's Host names under one of domains, if
// it does.
func hostBucket(r *http.Request, domains []string) (string, bool) {
	if len(domains) == 0 {
		return "", false
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range domains {
		if b, ok := strings.CutSuffix(host, "."+strings.ToLower(d)); ok && b != "" {
			return b, true
		}
	}
	return "", false
}

// splitHostedPath is splitRequestPath for a virtual-hosted request: the
// whole path, less its first slash, is the key ("/" names the bucket
// itself, "//a" the key "/a").
func splitHostedPath(u *url.URL) (string, error) {
	p := u.EscapedPath()
	if p != "" && !strings.HasPrefix(p, "/") {
		return "", s3err.Errorf(s3err.InvalidURI, "path %q does not start with /", p)
	}
	key, err := url.PathUnescape(strings.TrimPrefix(p, "/"))
	if err != nil {
		return "", s3err.Errorf(s3err.InvalidURI, "path %q: %w", p, err)
	}
	return key, nil
}
