package lifecycle_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/lifecycle"
)

// parse decodes a LifecycleConfiguration document whose rules are body.
func parse(t *testing.T, body string) *lifecycle.Config {
	t.Helper()
	doc := `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + body + `</LifecycleConfiguration>`
	var c lifecycle.Config
	if err := xml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatalf("parsing %s: %v", doc, err)
	}
	return &c
}

// mustParse parses body and fails t unless it validates.
func mustParse(t *testing.T, body string) *lifecycle.Config {
	t.Helper()
	c := parse(t, body)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate(%s): %v", body, err)
	}
	return c
}

// rule wraps the elements of one rule.
func rule(inner string) string { return "<Rule>" + inner + "</Rule>" }

const (
	enabled = "<Status>Enabled</Status>"
	expire1 = "<Expiration><Days>1</Days></Expiration>"
)

// okRules are configurations S3 accepts.
var okRules = map[string]string{
	"top-level Prefix": rule(`<ID>r</ID><Prefix>logs/</Prefix>` + enabled + expire1),
	"empty Prefix":     rule(`<Prefix></Prefix>` + enabled + expire1),
	"no filter":        rule(enabled + expire1),
	"Filter Prefix":    rule(`<Filter><Prefix>logs/</Prefix></Filter>` + enabled + expire1),
	"empty Filter":     rule(`<Filter></Filter>` + enabled + expire1),
	"Filter Tag": rule(`<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>` + enabled +
		`<Expiration><Days>3</Days></Expiration>`),
	"Filter size": rule(`<Filter><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></Filter>` + enabled + expire1),
	"Filter And": rule(`<Filter><And><Prefix>a/</Prefix><Tag><Key>k1</Key><Value>v1</Value></Tag>` +
		`<Tag><Key>k2</Key><Value>v2</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>` +
		`<ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter>` + enabled + expire1),
	"Disabled":           rule(`<Status>Disabled</Status>` + expire1),
	"Date":               rule(enabled + `<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>`),
	"Date with fraction": rule(enabled + `<Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>`),
	"ExpiredObjectDeleteMarker": rule(`<Filter><Prefix>a</Prefix></Filter>` + enabled +
		`<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`),
	"noncurrent": rule(enabled + `<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays>` +
		`<NewerNoncurrentVersions>100</NewerNoncurrentVersions></NoncurrentVersionExpiration>`),
	"noncurrent keep 1": rule(enabled + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>` +
		`<NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>`),
	"abort": rule(`<Filter><Prefix>tmp/</Prefix></Filter>` + enabled +
		`<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
	"all actions": rule(`<ID>all</ID><Filter><Prefix>x/</Prefix></Filter>` + enabled + expire1 +
		`<NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>` +
		`<AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
	"two rules":         rule(`<ID>a</ID>`+enabled+expire1) + rule(`<ID>b</ID>`+enabled+expire1),
	"two unnamed rules": rule(enabled+expire1) + rule(enabled+expire1),
}

func TestValidateAccepts(t *testing.T) {
	for name, body := range okRules {
		t.Run(name, func(t *testing.T) { mustParse(t, body) })
	}
}

func TestValidateAcceptsMaxRules(t *testing.T) {
	c := parse(t, strings.Repeat(rule(enabled+expire1), lifecycle.MaxRules))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRefuses(t *testing.T) {
	tag := `<Tag><Key>k</Key><Value>v</Value></Tag>`
	cases := []struct {
		name string
		body string
		kind lifecycle.ErrorKind
	}{
		{"no rules", ``, lifecycle.Malformed},
		{"negative size bound", rule(`<Filter><ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan></Filter>` + enabled + expire1), lifecycle.Invalid},
		{"zero upper size bound", rule(`<Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter>` + enabled + expire1), lifecycle.Invalid},
		{"crossed size bounds", rule(`<Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>` +
			`<ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter>` + enabled + expire1), lifecycle.Invalid},
		{"no Status", rule(expire1), lifecycle.Malformed},
		{"bad Status", rule(`<Status>enabled</Status>` + expire1), lifecycle.Malformed},
		{"Prefix and Filter", rule(`<Prefix>a</Prefix><Filter><Prefix>a</Prefix></Filter>` + enabled + expire1), lifecycle.Malformed},
		{"Filter Prefix and Tag", rule(`<Filter><Prefix>a</Prefix>` + tag + `</Filter>` + enabled + expire1), lifecycle.Malformed},
		{"Filter Prefix and And", rule(`<Filter><Prefix>a</Prefix><And><Prefix>b</Prefix>` + tag + `</And></Filter>` + enabled + expire1), lifecycle.Malformed},
		{"Filter two sizes", rule(`<Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>9</ObjectSizeLessThan></Filter>` + enabled + expire1), lifecycle.Malformed},
		{"no action", rule(`<Filter><Prefix>a</Prefix></Filter>` + enabled), lifecycle.Malformed},
		{"empty Expiration", rule(enabled + `<Expiration></Expiration>`), lifecycle.Malformed},
		{"Days 0", rule(enabled + `<Expiration><Days>0</Days></Expiration>`), lifecycle.Invalid},
		{"Days negative", rule(enabled + `<Expiration><Days>-1</Days></Expiration>`), lifecycle.Invalid},
		{"Date not midnight", rule(enabled + `<Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration>`), lifecycle.Invalid},
		{"Date midnight elsewhere", rule(enabled + `<Expiration><Date>2030-01-01T00:00:00+01:00</Date></Expiration>`), lifecycle.Invalid},
		{"Date not a time", rule(enabled + `<Expiration><Date>tomorrow</Date></Expiration>`), lifecycle.Invalid},
		{"Days and Date", rule(enabled + `<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>`), lifecycle.Malformed},
		{"Days and ExpiredObjectDeleteMarker", rule(enabled + `<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`), lifecycle.Malformed},
		{"ExpiredObjectDeleteMarker with Tag", rule(`<Filter>` + tag + `</Filter>` + enabled +
			`<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`), lifecycle.Invalid},
		{"ExpiredObjectDeleteMarker with And tags", rule(`<Filter><And><Prefix>a</Prefix>` + tag + `</And></Filter>` + enabled +
			`<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`), lifecycle.Invalid},
		{"NoncurrentDays 0", rule(enabled + `<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>`), lifecycle.Invalid},
		{"NoncurrentDays missing", rule(enabled + `<NoncurrentVersionExpiration></NoncurrentVersionExpiration>`), lifecycle.Invalid},
		{"NewerNoncurrentVersions 0", rule(enabled + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>` +
			`<NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>`), lifecycle.Invalid},
		{"NewerNoncurrentVersions 101", rule(enabled + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>` +
			`<NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>`), lifecycle.Invalid},
		{"DaysAfterInitiation 0", rule(enabled + `<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>`), lifecycle.Invalid},
		{"AbortIncomplete with Tag", rule(`<Filter>` + tag + `</Filter>` + enabled +
			`<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`), lifecycle.Invalid},
		{"AbortIncomplete with And tags", rule(`<Filter><And><Prefix>a</Prefix>` + tag + `</And></Filter>` + enabled +
			`<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`), lifecycle.Invalid},
		{"duplicate IDs", rule(`<ID>x</ID>`+enabled+expire1) + rule(`<ID>y</ID>`+enabled+expire1) + rule(`<ID>x</ID>`+enabled+expire1), lifecycle.Invalid},
		{"ID of 256", rule(`<ID>` + strings.Repeat("i", 256) + `</ID>` + enabled + expire1), lifecycle.Invalid},
		{"Transition", rule(enabled + expire1 + `<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`), lifecycle.Unsupported},
		{"NoncurrentVersionTransition", rule(enabled + `<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays>` +
			`<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>`), lifecycle.Unsupported},
		{"too many rules", strings.Repeat(rule(enabled+expire1), lifecycle.MaxRules+1), lifecycle.Invalid},
		{"bad rule after good ones", strings.Repeat(rule(enabled+expire1), 3) + rule(`<Status>On</Status>`+expire1), lifecycle.Malformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := parse(t, tc.body).Validate()
			var ce *lifecycle.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v, want a *ConfigError", err)
			}
			if ce.Kind != tc.kind {
				t.Fatalf("Validate = %v of kind %d, want kind %d", err, ce.Kind, tc.kind)
			}
		})
	}
	// The longest ID S3 allows is fine.
	mustParse(t, rule(`<ID>`+strings.Repeat("i", 255)+`</ID>`+enabled+expire1))
}

func TestMatches(t *testing.T) {
	cfg := mustParse(t,
		rule(`<ID>prefix</ID><Prefix>logs/</Prefix>`+enabled+expire1)+
			rule(`<ID>filter-prefix</ID><Filter><Prefix>tmp/</Prefix></Filter>`+enabled+expire1)+
			rule(`<ID>tag</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>`+enabled+expire1)+
			rule(`<ID>and</ID><Filter><And><Prefix>a/</Prefix><Tag><Key>k1</Key><Value>v1</Value></Tag>`+
				`<Tag><Key>k2</Key><Value>v2</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>`+
				`<ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter>`+enabled+expire1)+
			rule(`<ID>gt</ID><Filter><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></Filter>`+enabled+expire1)+
			rule(`<ID>lt</ID><Filter><ObjectSizeLessThan>10</ObjectSizeLessThan></Filter>`+enabled+expire1)+
			rule(`<ID>all</ID><Filter></Filter>`+enabled+expire1)+
			rule(`<ID>off</ID><Status>Disabled</Status>`+expire1)+
			rule(`<ID>off-tag</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Disabled</Status>`+expire1))
	byID := map[string]*lifecycle.Rule{}
	for i := range cfg.Rules {
		byID[cfg.Rules[i].ID] = &cfg.Rules[i]
	}
	both := map[string]string{"k1": "v1", "k2": "v2", "other": "x"}
	cases := []struct {
		rule string
		key  string
		size int64
		tags map[string]string
		want bool
	}{
		{"prefix", "logs/a", 0, nil, true},
		{"prefix", "logs/", 0, nil, true},
		{"prefix", "log", 0, nil, false},
		{"prefix", "x/logs/a", 0, nil, false},
		{"filter-prefix", "tmp/x", 5, nil, true},
		{"filter-prefix", "tm", 5, nil, false},
		{"tag", "any", 0, map[string]string{"k": "v"}, true},
		{"tag", "any", 0, map[string]string{"k": "v", "j": "w"}, true},
		{"tag", "any", 0, map[string]string{"k": "w"}, false},
		{"tag", "any", 0, map[string]string{"K": "v"}, false},
		{"tag", "any", 0, nil, false},
		{"and", "a/x", 50, both, true},
		{"and", "b/x", 50, both, false},
		{"and", "a/x", 50, map[string]string{"k1": "v1"}, false},
		{"and", "a/x", 50, map[string]string{"k1": "v1", "k2": "v3"}, false},
		{"and", "a/x", 10, both, false},
		{"and", "a/x", 11, both, true},
		{"and", "a/x", 99, both, true},
		{"and", "a/x", 100, both, false},
		{"gt", "x", 10, nil, false},
		{"gt", "x", 11, nil, true},
		{"lt", "x", 9, nil, true},
		{"lt", "x", 10, nil, false},
		{"lt", "x", 0, nil, true},
		{"all", "anything", 1 << 40, nil, true},
		{"all", "", 0, nil, true},
		{"off", "anything", 0, nil, false},
		{"off-tag", "anything", 0, map[string]string{"k": "v"}, false},
	}
	for _, tc := range cases {
		if got := byID[tc.rule].Matches(tc.key, tc.size, tc.tags); got != tc.want {
			t.Errorf("rule %s: Matches(%q, %d, %v) = %v, want %v", tc.rule, tc.key, tc.size, tc.tags, got, tc.want)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestExpiry(t *testing.T) {
	days := func(n int) *lifecycle.Rule {
		c := mustParse(t, rule(enabled+fmt.Sprintf(`<Expiration><Days>%d</Days></Expiration>`, n)))
		return &c.Rules[0]
	}
	cases := []struct {
		rule     *lifecycle.Rule
		modified string
		day      time.Duration
		want     string
	}{
		// S3's example: created 1/15 10:30, 3 days: expires 1/19 00:00.
		{days(3), "2014-01-15T10:30:00Z", 24 * time.Hour, "2014-01-19T00:00:00Z"},
		{days(1), "2024-02-28T23:59:59.999999Z", 24 * time.Hour, "2024-03-01T00:00:00Z"},
		{days(1), "2024-02-28T00:00:01Z", 24 * time.Hour, "2024-03-01T00:00:00Z"},
		// The midnight is UTC's, whatever the zone modified is in.
		{days(1), "2024-06-10T23:30:00-02:00", 24 * time.Hour, "2024-06-13T00:00:00Z"},
		// A short test day is not rounded.
		{days(1), "2024-01-01T10:00:03Z", 10 * time.Second, "2024-01-01T10:00:13Z"},
		{days(3), "2024-01-01T10:00:03.5Z", 10 * time.Second, "2024-01-01T10:00:33.5Z"},
	}
	for _, tc := range cases {
		at, ok := tc.rule.Expiry(mustTime(t, tc.modified), tc.day)
		if want := mustTime(t, tc.want); !ok || !at.Equal(want) {
			t.Errorf("Days %d, day %v: Expiry(%s) = %v, %v; want %v", *tc.rule.Expiration.Days, tc.day, tc.modified, at, ok, want)
		}
	}

	date := mustParse(t, rule(enabled+`<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>`)).Rules[0]
	for _, day := range []time.Duration{24 * time.Hour, time.Second} {
		at, ok := date.Expiry(mustTime(t, "2024-05-05T05:05:05Z"), day)
		if !ok || !at.Equal(mustTime(t, "2030-01-01T00:00:00Z")) {
			t.Errorf("Date rule, day %v: Expiry = %v, %v", day, at, ok)
		}
	}
	for name, body := range map[string]string{
		"marker":     rule(enabled + `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`),
		"noncurrent": rule(enabled + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`),
	} {
		r := mustParse(t, body).Rules[0]
		if at, ok := r.Expiry(time.Now(), time.Second); ok {
			t.Errorf("%s rule: Expiry = %v, true; want none", name, at)
		}
	}
}

func TestConfigExpiration(t *testing.T) {
	cfg := mustParse(t,
		rule(`<ID>ten</ID>`+enabled+`<Expiration><Days>10</Days></Expiration>`)+
			rule(`<ID>logs-two</ID><Filter><Prefix>logs/</Prefix></Filter>`+enabled+`<Expiration><Days>2</Days></Expiration>`)+
			rule(`<ID>off-one</ID><Status>Disabled</Status>`+expire1)+
			rule(`<ID>tag-five</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>`+enabled+`<Expiration><Days>5</Days></Expiration>`)+
			rule(`<ID>date</ID><Filter><Prefix>old/</Prefix></Filter>`+enabled+`<Expiration><Date>2024-01-01T00:00:00Z</Date></Expiration>`)+
			rule(`<ID>marker</ID>`+enabled+`<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`))
	mod := mustTime(t, "2024-03-01T12:00:00Z")
	const day = time.Hour
	cases := []struct {
		key  string
		tags map[string]string
		id   string
		at   time.Time
	}{
		{"x", nil, "ten", mod.Add(10 * day)},
		{"logs/x", nil, "logs-two", mod.Add(2 * day)},
		{"x", map[string]string{"k": "v"}, "tag-five", mod.Add(5 * day)},
		{"logs/x", map[string]string{"k": "v"}, "logs-two", mod.Add(2 * day)},
		{"old/x", nil, "date", mustTime(t, "2024-01-01T00:00:00Z")},
	}
	for _, tc := range cases {
		at, id, ok := cfg.Expiration(tc.key, 0, tc.tags, mod, day)
		if !ok || id != tc.id || !at.Equal(tc.at) {
			t.Errorf("Expiration(%q, %v) = %v, %q, %v; want %v, %q", tc.key, tc.tags, at, id, ok, tc.at, tc.id)
		}
	}
	none := mustParse(t, rule(`<Filter><Prefix>a/</Prefix></Filter>`+enabled+expire1)+
		rule(enabled+`<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`))
	if at, id, ok := none.Expiration("b/x", 0, nil, mod, day); ok {
		t.Errorf("Expiration of an unmatched key = %v, %q, true", at, id)
	}
}

// allRules is every accepted configuration's rules in one.
func allRules() string {
	var b strings.Builder
	for _, body := range okRules {
		b.WriteString(body)
	}
	return b.String()
}

// Rules stored as JSON come back as parsed.
func TestJSONRoundTrip(t *testing.T) {
	for name, body := range okRules {
		t.Run(name, func(t *testing.T) {
			c := mustParse(t, body)
			raw, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var back lifecycle.Config
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Rules, c.Rules) {
				t.Fatalf("JSON %s decodes to\n%+v\nwant\n%+v", raw, back.Rules, c.Rules)
			}
		})
	}
}

// GET returns what PUT stored: a Config marshalled to XML (as it is once
// read back from its JSON) parses to the same rules.
func TestXMLRoundTrip(t *testing.T) {
	body := allRules()
	c := parse(t, body) // IDs repeat across okRules: not validated
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var stored lifecycle.Config
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	out, err := xml.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`) {
		t.Fatalf("marshalled as %.100s…", out)
	}
	var back lifecycle.Config
	if err := xml.Unmarshal(out, &back); err != nil {
		t.Fatalf("re-parsing %s: %v", out, err)
	}
	if !reflect.DeepEqual(back.Rules, c.Rules) {
		t.Fatalf("%s re-parses to\n%+v\nwant\n%+v", out, back.Rules, c.Rules)
	}
	if len(back.Rules) != len(okRules)+2 { // two configurations have two rules
		t.Fatalf("%d rules, want %d", len(back.Rules), len(okRules)+2)
	}
	// Elements S3 distinguishes by presence survive: an empty Filter, an
	// empty Prefix, a false ExpiredObjectDeleteMarker.
	for _, want := range []string{`<Filter></Filter>`, `<Prefix></Prefix>`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s lost %s", out, want)
		}
	}
	f := mustParse(t, rule(enabled+`<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>`))
	out, err = xml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `<ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker>`) {
		t.Errorf("false ExpiredObjectDeleteMarker marshalled as %s", out)
	}
}
