// Package cors holds a bucket's CORS configuration (S3's
// CORSConfiguration) and answers the two questions a gateway asks of it:
// does a rule allow this cross-origin request, and which Access-Control
// headers go on the response.
//
// Rules are tried in order and the first that matches wins, as in S3. A
// rule matches a request when one of its AllowedOrigin patterns matches
// the Origin header, its AllowedMethod list holds the method, and (for a
// preflight) every header named in Access-Control-Request-Headers matches
// one of its AllowedHeader patterns. A pattern holds at most one "*",
// matching any run of characters; header names compare case-insensitively,
// origins exactly.
package cors

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// MaxRules is S3's limit on rules in one configuration.
const MaxRules = 100

// Config is a bucket's CORS configuration.
type Config struct {
	XMLName xml.Name `xml:"CORSConfiguration" json:"-"`
	Rules   []Rule   `xml:"CORSRule" json:"rules"`
}

// Rule is one CORSRule.
type Rule struct {
	ID             string   `xml:"ID,omitempty" json:"id,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader,omitempty" json:"allowed_headers,omitempty"`
	AllowedMethods []string `xml:"AllowedMethod" json:"allowed_methods"`
	AllowedOrigins []string `xml:"AllowedOrigin" json:"allowed_origins"`
	ExposeHeaders  []string `xml:"ExposeHeader,omitempty" json:"expose_headers,omitempty"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds,omitempty" json:"max_age_seconds,omitempty"`
}

// ErrorKind says which S3 error a ConfigError is.
type ErrorKind int

const (
	// Malformed is S3's MalformedXML: a required element is missing.
	Malformed ErrorKind = iota
	// Invalid is S3's InvalidRequest: a value S3 refuses.
	Invalid
)

// ConfigError is a configuration Validate refuses.
type ConfigError struct {
	Kind ErrorKind
	Msg  string
}

func (e *ConfigError) Error() string { return e.Msg }

// methods are the methods a rule may allow.
var methods = map[string]bool{"GET": true, "PUT": true, "HEAD": true, "POST": true, "DELETE": true}

// Validate checks c as S3's PutBucketCors does.
func (c *Config) Validate() error {
	if len(c.Rules) == 0 {
		return &ConfigError{Malformed, "the CORS configuration holds no CORSRule"}
	}
	if len(c.Rules) > MaxRules {
		return &ConfigError{Invalid, fmt.Sprintf("a CORS configuration holds at most %d rules, this one %d", MaxRules, len(c.Rules))}
	}
	for i, r := range c.Rules {
		switch {
		case len(r.ID) > 255:
			return &ConfigError{Invalid, fmt.Sprintf("CORSRule %d: ID longer than 255 characters", i+1)}
		case len(r.AllowedMethods) == 0:
			return &ConfigError{Malformed, fmt.Sprintf("CORSRule %d has no AllowedMethod", i+1)}
		case len(r.AllowedOrigins) == 0:
			return &ConfigError{Malformed, fmt.Sprintf("CORSRule %d has no AllowedOrigin", i+1)}
		case r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0:
			return &ConfigError{Invalid, fmt.Sprintf("CORSRule %d: MaxAgeSeconds must not be negative", i+1)}
		}
		for _, m := range r.AllowedMethods {
			if !methods[m] {
				return &ConfigError{Invalid, "Found unsupported HTTP method in CORS config. Unsupported method is " + m}
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return &ConfigError{Invalid, fmt.Sprintf("AllowedOrigin %q can not have more than one wildcard.", o)}
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return &ConfigError{Invalid, fmt.Sprintf("AllowedHeader %q can not have more than one wildcard.", h)}
			}
		}
		for _, h := range r.ExposeHeaders {
			if strings.Contains(h, "*") {
				return &ConfigError{Invalid, fmt.Sprintf("ExposeHeader %q contains wildcard. We currently do not support wildcard for ExposeHeader.", h)}
			}
		}
	}
	return nil
}

// Match returns the first rule allowing a request from origin with method
// that will send headers (the lower- or mixed-case names of a preflight's
// Access-Control-Request-Headers; nil for an actual request), or nil.
func (c *Config) Match(origin, method string, headers []string) *Rule {
	if c == nil || origin == "" {
		return nil
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.allowsOrigin(origin) && r.allowsMethod(method) && r.allowsHeaders(headers) {
			return r
		}
	}
	return nil
}

func (r *Rule) allowsOrigin(origin string) bool {
	for _, p := range r.AllowedOrigins {
		if wildcard(p, origin) {
			return true
		}
	}
	return false
}

func (r *Rule) allowsMethod(method string) bool {
	for _, m := range r.AllowedMethods {
		if m == method {
			return true
		}
	}
	return false
}

func (r *Rule) allowsHeaders(headers []string) bool {
next:
	for _, h := range headers {
		h = strings.ToLower(h)
		for _, p := range r.AllowedHeaders {
			if wildcard(strings.ToLower(p), h) {
				continue next
			}
		}
		return false
	}
	return true
}

// anyOrigin reports whether the rule allows every origin.
func (r *Rule) anyOrigin() bool {
	for _, p := range r.AllowedOrigins {
		if p == "*" {
			return true
		}
	}
	return false
}

// wildcard matches s against a pattern with at most one "*".
func wildcard(pattern, s string) bool {
	prefix, suffix, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	return len(s) >= len(prefix)+len(suffix) && strings.HasPrefix(s, prefix) && strings.HasSuffix(s, suffix)
}

// SetHeaders adds the Access-Control headers rule r grants a request from
// origin to h. A preflight's requested headers are granted back; an
// actual request passes nil.
func (r *Rule) SetHeaders(h http.Header, origin string, headers []string) {
	if r.anyOrigin() {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	// Responses differ by origin, so caches must key on it.
	h.Add("Vary", "Origin")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
	if len(headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.ToLower(strings.Join(headers, ", ")))
	}
}

// RequestHeaders splits a preflight's Access-Control-Request-Headers.
func RequestHeaders(v string) []string {
	var out []string
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
