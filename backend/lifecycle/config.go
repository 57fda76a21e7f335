// Package lifecycle applies S3 lifecycle rules: current versions expire
// (to a delete marker in a versioned bucket), noncurrent versions and
// lone delete markers are removed, stale multipart uploads aborted.
//
// Config is the rules as S3 defines them (PutBucketLifecycleConfiguration's
// XML, stored as JSON by the metadata store). A Worker in each gateway
// claims one bucket's run at a time with a lease in PostgreSQL, walks its
// versions page by page with ListObjectVersions, saves its place after
// each page (a run that dies is resumed by whoever claims it next), and
// deletes at a bounded rate through the same metadata calls as S3's
// DeleteObject: a version under Object Lock is refused by the database
// and stays. Ages are judged by the database's clock, in units of a
// configurable day (S3's is 24 h; tests use seconds, as Ceph RGW's
// rgw_lc_debug_interval).
package lifecycle

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// Config is a bucket's lifecycle configuration.
type Config struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LifecycleConfiguration" json:"-"`
	Rules   []Rule   `xml:"Rule" json:"rules"`
}

// Rule is one lifecycle rule: which objects (Filter, or the older
// top-level Prefix) and what happens to them.
type Rule struct {
	ID                             string                `xml:"ID,omitempty" json:"id,omitempty"`
	Prefix                         *string               `xml:"Prefix,omitempty" json:"prefix,omitempty"`
	Filter                         *Filter               `xml:"Filter,omitempty" json:"filter,omitempty"`
	Status                         string                `xml:"Status" json:"status"`
	Expiration                     *Expiration           `xml:"Expiration,omitempty" json:"expiration,omitempty"`
	NoncurrentVersionExpiration    *NoncurrentExpiration `xml:"NoncurrentVersionExpiration,omitempty" json:"noncurrentVersionExpiration,omitempty"`
	AbortIncompleteMultipartUpload *AbortIncomplete      `xml:"AbortIncompleteMultipartUpload,omitempty" json:"abortIncompleteMultipartUpload,omitempty"`
	// Transitions to other storage classes are read only to be refused:
	// Floe has one storage class.
	Transition                  []struct{} `xml:"Transition" json:"-"`
	NoncurrentVersionTransition []struct{} `xml:"NoncurrentVersionTransition" json:"-"`
}

// Filter selects objects by prefix, one tag, size, or an And of those.
type Filter struct {
	Prefix                *string `xml:"Prefix,omitempty" json:"prefix,omitempty"`
	Tag                   *Tag    `xml:"Tag,omitempty" json:"tag,omitempty"`
	And                   *And    `xml:"And,omitempty" json:"and,omitempty"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan,omitempty" json:"sizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan,omitempty" json:"sizeLessThan,omitempty"`
}

// And is a conjunction of a prefix, tags and sizes.
type And struct {
	Prefix                *string `xml:"Prefix,omitempty" json:"prefix,omitempty"`
	Tags                  []Tag   `xml:"Tag" json:"tags,omitempty"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan,omitempty" json:"sizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan,omitempty" json:"sizeLessThan,omitempty"`
}

// Tag is a tag a rule's objects must carry.
type Tag struct {
	Key   string `xml:"Key" json:"key"`
	Value string `xml:"Value" json:"value"`
}

// Expiration expires current versions Days days after their creation or
// on Date (midnight UTC), or removes delete markers that are a key's only
// version (ExpiredObjectDeleteMarker).
type Expiration struct {
	Days                      *int   `xml:"Days,omitempty" json:"days,omitempty"`
	Date                      string `xml:"Date,omitempty" json:"date,omitempty"`
	ExpiredObjectDeleteMarker *bool  `xml:"ExpiredObjectDeleteMarker,omitempty" json:"expiredObjectDeleteMarker,omitempty"`
}

// NoncurrentExpiration removes versions NoncurrentDays days after they
// became noncurrent, keeping the NewerNoncurrentVersions newest of them.
type NoncurrentExpiration struct {
	NoncurrentDays          int  `xml:"NoncurrentDays" json:"noncurrentDays"`
	NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions,omitempty" json:"newerNoncurrentVersions,omitempty"`
}

// AbortIncomplete aborts multipart uploads DaysAfterInitiation days after
// they began.
type AbortIncomplete struct {
	DaysAfterInitiation int `xml:"DaysAfterInitiation" json:"daysAfterInitiation"`
}

// ConfigError is a configuration S3 would refuse; Kind says how.
type ConfigError struct {
	Kind ErrorKind
	Msg  string
}

// ErrorKind classifies a ConfigError as S3 answers it.
type ErrorKind int

// Kinds of ConfigError.
const (
	Malformed   ErrorKind = iota // MalformedXML
	Invalid                      // InvalidArgument
	Unsupported                  // NotImplemented
)

func (e *ConfigError) Error() string { return "lifecycle: " + e.Msg }

func configErr(kind ErrorKind, format string, args ...any) error {
	return &ConfigError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// MaxRules is the most rules a configuration may hold, as in S3.
const MaxRules = 1000

// Validate checks c as S3 does.
func (c *Config) Validate() error {
	if len(c.Rules) == 0 {
		return configErr(Malformed, "a lifecycle configuration needs at least one Rule")
	}
	if len(c.Rules) > MaxRules {
		return configErr(Invalid, "at most %d rules", MaxRules)
	}
	ids := map[string]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if len(r.ID) > 255 {
			return configErr(Invalid, "ID length should not exceed allowed limit of 255")
		}
		if r.ID != "" {
			if ids[r.ID] {
				return configErr(Invalid, "Rule ID must be unique. Found same ID for more than one rule")
			}
			ids[r.ID] = true
		}
		if err := r.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) validate() error {
	if r.Status != "Enabled" && r.Status != "Disabled" {
		return configErr(Malformed, "Status must be Enabled or Disabled, not %q", r.Status)
	}
	if len(r.Transition) > 0 || len(r.NoncurrentVersionTransition) > 0 {
		return configErr(Unsupported, "transitions to other storage classes are not implemented")
	}
	if r.Prefix != nil && r.Filter != nil {
		return configErr(Malformed, "a rule takes Prefix or Filter, not both")
	}
	if f := r.Filter; f != nil {
		n := 0
		for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.And != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			return configErr(Malformed, "a Filter holds one condition; combine them with And")
		}
	}
	if gt, lt := r.sizeBounds(); (gt != nil && *gt < 0) || (lt != nil && *lt <= 0) || (gt != nil && lt != nil && *gt >= *lt) {
		return configErr(Invalid, "ObjectSizeGreaterThan must be at least 0 and less than ObjectSizeLessThan, which must be positive")
	}
	if r.Expiration == nil && r.NoncurrentVersionExpiration == nil && r.AbortIncompleteMultipartUpload == nil {
		return configErr(Malformed, "a rule needs at least one action")
	}
	if e := r.Expiration; e != nil {
		n := 0
		if e.Days != nil {
			n++
			if *e.Days <= 0 {
				return configErr(Invalid, "'Days' for Expiration action must be a positive integer")
			}
		}
		if e.Date != "" {
			n++
			d, err := time.Parse(time.RFC3339Nano, e.Date)
			if err != nil || !d.Equal(d.UTC().Truncate(24*time.Hour)) {
				return configErr(Invalid, "'Date' must be at midnight GMT")
			}
		}
		if e.ExpiredObjectDeleteMarker != nil {
			n++
			if r.tags() != nil {
				return configErr(Invalid, "ExpiredObjectDeleteMarker cannot be specified with tags")
			}
		}
		if n != 1 {
			return configErr(Malformed, "Expiration takes exactly one of Days, Date and ExpiredObjectDeleteMarker")
		}
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		if n.NoncurrentDays <= 0 {
			return configErr(Invalid, "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		}
		if v := n.NewerNoncurrentVersions; v != nil && (*v < 1 || *v > 100) {
			return configErr(Invalid, "NewerNoncurrentVersions must be between 1 and 100")
		}
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		if a.DaysAfterInitiation <= 0 {
			return configErr(Invalid, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		}
		if r.tags() != nil {
			return configErr(Invalid, "AbortIncompleteMultipartUpload cannot be specified with tags")
		}
	}
	return nil
}

// prefix returns the rule's key prefix ("" for all keys).
func (r *Rule) prefix() string {
	switch f := r.Filter; {
	case r.Prefix != nil:
		return *r.Prefix
	case f == nil:
		return ""
	case f.Prefix != nil:
		return *f.Prefix
	case f.And != nil && f.And.Prefix != nil:
		return *f.And.Prefix
	}
	return ""
}

// tags returns the tags the rule's objects must carry, nil for none.
func (r *Rule) tags() []Tag {
	switch f := r.Filter; {
	case f == nil:
		return nil
	case f.Tag != nil:
		return []Tag{*f.Tag}
	case f.And != nil && len(f.And.Tags) > 0:
		return f.And.Tags
	}
	return nil
}

// sizeBounds returns the rule's exclusive size bounds (nil: none).
func (r *Rule) sizeBounds() (greater, less *int64) {
	if f := r.Filter; f != nil {
		if f.And != nil {
			return f.And.ObjectSizeGreaterThan, f.And.ObjectSizeLessThan
		}
		return f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
	}
	return nil, nil
}

// Matches reports whether the rule is enabled and selects an object with
// this key, size and tags.
func (r *Rule) Matches(key string, size int64, tags map[string]string) bool {
	if r.Status != "Enabled" || !strings.HasPrefix(key, r.prefix()) {
		return false
	}
	if gt, lt := r.sizeBounds(); (gt != nil && size <= *gt) || (lt != nil && size >= *lt) {
		return false
	}
	for _, t := range r.tags() {
		if v, ok := tags[t.Key]; !ok || v != t.Value {
			return false
		}
	}
	return true
}

// Expiry returns when a current version created at modified expires
// under the rule, day being the length of a lifecycle day; ok is false
// when the rule does not expire current versions.
func (r *Rule) Expiry(modified time.Time, day time.Duration) (at time.Time, ok bool) {
	e := r.Expiration
	switch {
	case e == nil:
		return time.Time{}, false
	case e.Days != nil:
		at = modified.Add(time.Duration(*e.Days) * day)
		if day == 24*time.Hour {
			// S3 expires at the midnight (UTC) that follows.
			at = at.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		}
		return at, true
	case e.Date != "":
		d, err := time.Parse(time.RFC3339Nano, e.Date)
		return d, err == nil
	}
	return time.Time{}, false
}

// Expiration returns the earliest expiry of a current version under c's
// rules and the rule's ID, for x-amz-expiration; ok is false if no rule
// expires it.
func (c *Config) Expiration(key string, size int64, tags map[string]string, modified time.Time, day time.Duration) (at time.Time, ruleID string, ok bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.Matches(key, size, tags) {
			continue
		}
		if t, yes := r.Expiry(modified, day); yes && (!ok || t.Before(at)) {
			at, ruleID, ok = t, r.ID, true
		}
	}
	return at, ruleID, ok
}
