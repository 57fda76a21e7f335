package cors

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func intp(n int) *int { return &n }

func TestValidate(t *testing.T) {
	ok := Rule{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}}
	many := make([]Rule, MaxRules+1)
	for i := range many {
		many[i] = ok
	}
	tests := []struct {
		name string
		cfg  Config
		kind ErrorKind // checked when wantErr
		want bool      // valid
	}{
		{"one rule", Config{Rules: []Rule{ok}}, 0, true},
		{"no rules", Config{}, Malformed, false},
		{"too many rules", Config{Rules: many}, Invalid, false},
		{"no method", Config{Rules: []Rule{{AllowedOrigins: []string{"*"}}}}, Malformed, false},
		{"no origin", Config{Rules: []Rule{{AllowedMethods: []string{"GET"}}}}, Malformed, false},
		{"unsupported method", Config{Rules: []Rule{{AllowedMethods: []string{"PATCH"}, AllowedOrigins: []string{"*"}}}}, Invalid, false},
		{"lower-case method", Config{Rules: []Rule{{AllowedMethods: []string{"get"}, AllowedOrigins: []string{"*"}}}}, Invalid, false},
		{"two wildcards in an origin", Config{Rules: []Rule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"https://*.*.com"}}}}, Invalid, false},
		{"two wildcards in a header", Config{Rules: []Rule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}, AllowedHeaders: []string{"x-*-*"}}}}, Invalid, false},
		{"wildcard expose header", Config{Rules: []Rule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}, ExposeHeaders: []string{"x-amz-*"}}}}, Invalid, false},
		{"negative max age", Config{Rules: []Rule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}, MaxAgeSeconds: intp(-1)}}}, Invalid, false},
		{"long ID", Config{Rules: []Rule{{ID: strings.Repeat("x", 256), AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}}}}, Invalid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Kind != tt.kind {
				t.Fatalf("Validate: %v, want a ConfigError of kind %d", err, tt.kind)
			}
		})
	}
}

// testConfig is S3's documentation example, plus a rule for any origin.
const testConfig = `<CORSConfiguration>
 <CORSRule>
   <AllowedOrigin>http://www.example.com</AllowedOrigin>
   <AllowedMethod>PUT</AllowedMethod>
   <AllowedMethod>POST</AllowedMethod>
   <AllowedMethod>DELETE</AllowedMethod>
   <AllowedHeader>*</AllowedHeader>
 </CORSRule>
 <CORSRule>
   <ID>videos</ID>
   <AllowedOrigin>https://*.videos.test</AllowedOrigin>
   <AllowedMethod>GET</AllowedMethod>
   <AllowedMethod>HEAD</AllowedMethod>
   <AllowedHeader>Range</AllowedHeader>
   <AllowedHeader>x-amz-*</AllowedHeader>
   <ExposeHeader>ETag</ExposeHeader>
   <ExposeHeader>Content-Range</ExposeHeader>
   <MaxAgeSeconds>3000</MaxAgeSeconds>
 </CORSRule>
 <CORSRule>
   <AllowedOrigin>*</AllowedOrigin>
   <AllowedMethod>GET</AllowedMethod>
 </CORSRule>
</CORSConfiguration>`

func parse(t *testing.T) *Config {
	t.Helper()
	var c Config
	if err := xml.Unmarshal([]byte(testConfig), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestMatch(t *testing.T) {
	c := parse(t)
	tests := []struct {
		origin, method string
		headers        []string
		want           int // index of the matching rule, -1 for none
	}{
		{"http://www.example.com", "PUT", []string{"content-type", "x-amz-date"}, 0},
		{"http://www.example.com", "GET", nil, 2}, // only the any-origin rule has GET
		{"http://www.example.com", "HEAD", nil, -1},
		{"https://www.example.com", "PUT", nil, -1}, // scheme is part of the origin
		{"https://cdn.videos.test", "GET", []string{"Range"}, 1},
		{"https://a.b.videos.test", "HEAD", []string{"x-amz-content-sha256", "RANGE"}, 1},
		{"https://cdn.videos.test", "GET", []string{"authorization"}, -1}, // rule 1 lacks it, rule 2 allows no headers
		{"https://videos.test", "HEAD", nil, -1},                          // "*." needs something before it
		{"https://anyone.example", "GET", nil, 2},
		{"https://anyone.example", "DELETE", nil, -1},
		{"", "GET", nil, -1}, // no Origin: not a CORS request
	}
	for _, tt := range tests {
		got := c.Match(tt.origin, tt.method, tt.headers)
		want := (*Rule)(nil)
		if tt.want >= 0 {
			want = &c.Rules[tt.want]
		}
		if got != want {
			t.Errorf("Match(%q, %s, %q) = rule %v, want rule %d", tt.origin, tt.method, tt.headers, index(c, got), tt.want)
		}
	}
	var none *Config
	if none.Match("https://x", "GET", nil) != nil {
		t.Error("a nil Config matched")
	}
}

func index(c *Config, r *Rule) int {
	for i := range c.Rules {
		if &c.Rules[i] == r {
			return i
		}
	}
	return -1
}

func TestSetHeaders(t *testing.T) {
	c := parse(t)
	h := http.Header{}
	c.Rules[1].SetHeaders(h, "https://cdn.videos.test", []string{"Range", "X-Amz-Date"})
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://cdn.videos.test",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, HEAD",
		"Access-Control-Expose-Headers":    "ETag, Content-Range",
		"Access-Control-Max-Age":           "3000",
		"Access-Control-Allow-Headers":     "range, x-amz-date",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if v := h.Values("Vary"); len(v) == 0 || v[0] != "Origin" {
		t.Errorf("Vary: %q, want Origin first", v)
	}

	h = http.Header{}
	c.Rules[2].SetHeaders(h, "https://anyone.example", nil)
	if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("any-origin rule: %v, want Allow-Origin * without credentials", h)
	}
	if h.Get("Access-Control-Allow-Headers") != "" || h.Get("Access-Control-Max-Age") != "" {
		t.Errorf("actual request got preflight headers: %v", h)
	}
}

func TestRequestHeaders(t *testing.T) {
	got := RequestHeaders(" content-type ,x-amz-date,, range")
	if strings.Join(got, "|") != "content-type|x-amz-date|range" {
		t.Fatalf("RequestHeaders: %q", got)
	}
	if RequestHeaders("") != nil {
		t.Fatal("RequestHeaders of empty: not nil")
	}
}
