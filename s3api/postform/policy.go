package postform

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/floe-s3/floe/s3api/s3err"
)

// The condition operations.
const (
	OpEq                 = "eq"
	OpStartsWith         = "starts-with"
	OpContentLengthRange = "content-length-range"
)

// Policy is a decoded POST policy document.
type Policy struct {
	// Expiration is when the policy stops being valid.
	Expiration time.Time
	// Conditions are the policy's conditions, in order.
	Conditions []Condition
}

// Condition is one entry of a policy's conditions.
type Condition struct {
	// Op is OpEq, OpStartsWith or OpContentLengthRange. A simple
	// condition {"acl": "public-read"} is OpEq.
	Op string
	// Field names the form field tested, as the policy spells it: "$acl".
	// A simple condition's key gets the "$" it lacks. A name without "$"
	// ("acl" in ["eq", "acl", "x"]) tests no field, and the condition
	// fails, as on S3. Empty for OpContentLengthRange.
	Field string
	// Value is what the field must equal or start with.
	Value string
	// Min and Max bound the file size in bytes, both inclusive, for
	// OpContentLengthRange.
	Min, Max int64
}

// field returns the lower-cased form field c tests, or "" if none.
func (c Condition) field() string {
	name, ok := strings.CutPrefix(c.Field, "$")
	if !ok || c.Op == OpContentLengthRange {
		return ""
	}
	return strings.ToLower(name)
}

// String returns c as S3 quotes it in errors: ["eq", "$key", "x"].
func (c Condition) String() string {
	if c.Op == OpContentLengthRange {
		return fmt.Sprintf("[%s, %d, %d]", jsonQuote(c.Op), c.Min, c.Max)
	}
	return "[" + jsonQuote(c.Op) + ", " + jsonQuote(c.Field) + ", " + jsonQuote(c.Value) + "]"
}

// jsonQuote returns s as a JSON string, without escaping <, > and &.
func jsonQuote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// invalid returns an InvalidPolicyDocument error with S3's "Invalid
// Policy: " prefix.
func invalid(format string, args ...any) error {
	return s3err.Errorf(s3err.InvalidPolicyDocument, "Invalid Policy: "+format, args...)
}

// errInvalidJSON is S3's message for a policy that is not JSON.
const errInvalidJSON = "Invalid JSON."

// ParsePolicy decodes the base64 "policy" form field: a JSON object with
// exactly the members "expiration" (an ISO 8601 UTC time such as
// "2007-12-01T12:00:00.000Z", fractional seconds optional) and
// "conditions" (an array). Each condition is either an object with one
// member, {"field": "value"}, an exact match; or an array ["eq" or
// "starts-with", "$field", "value"], the operation in any case; or
// ["content-length-range", min, max] with min <= max integers >= 0, as
// JSON numbers or strings of digits.
//
// Member names are case-sensitive ("EXPIRATION" is refused), JSON is
// strict (no trailing commas, no "\$" escape), and a member may not appear
// twice. Every problem is InvalidPolicyDocument, with a message in S3's
// words where S3's are known ("Invalid Policy: Invalid JSON.").
func ParsePolicy(b64 string) (*Policy, error) {
	doc, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, invalid("invalid Base64 encoding.")
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, invalid(errInvalidJSON)
	}
	var p Policy
	var haveExp, haveCond bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid(errInvalidJSON)
		}
		name, _ := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, invalid(errInvalidJSON)
		}
		switch name {
		case "expiration":
			if haveExp {
				return nil, invalid("Duplicate 'expiration' member.")
			}
			haveExp = true
			if p.Expiration, err = parseExpiration(raw); err != nil {
				return nil, err
			}
		case "conditions":
			if haveCond {
				return nil, invalid("Duplicate 'conditions' member.")
			}
			haveCond = true
			if p.Conditions, err = parseConditions(raw); err != nil {
				return nil, err
			}
		default:
			return nil, invalid("Unexpected: '%s'", strings.ToLower(name))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, invalid(errInvalidJSON)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid(errInvalidJSON)
	}
	if !haveExp {
		return nil, invalid("Policy missing expiration.")
	}
	if !haveCond {
		return nil, invalid("Policy missing conditions.")
	}
	return &p, nil
}

// parseExpiration parses the expiration member.
func parseExpiration(raw json.RawMessage) (time.Time, error) {
	s, ok := jsonString(raw)
	if !ok {
		return time.Time{}, invalid("Invalid 'expiration' value: must be a string.")
	}
	// Fractional seconds are accepted after the seconds though the
	// layout has none; a zone other than Z is refused, as S3 refuses
	// "+02:00" and "2015-10-17 03:15:59 UTC".
	t, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil {
		return time.Time{}, invalid("Invalid 'expiration' value: '%s'", s)
	}
	return t, nil
}

// parseConditions parses the conditions member.
func parseConditions(raw json.RawMessage) ([]Condition, error) {
	var list []json.RawMessage
	if first(raw) != '[' || json.Unmarshal(raw, &list) != nil {
		return nil, invalid("Invalid 'conditions' value: must be a List.")
	}
	conds := make([]Condition, 0, len(list))
	for _, c := range list {
		var cond Condition
		var err error
		switch first(c) {
		case '{':
			cond, err = parseSimple(c)
		case '[':
			cond, err = parseArray(c)
		default:
			err = invalid("Invalid condition test: must be a List or Object.")
		}
		if err != nil {
			return nil, err
		}
		conds = append(conds, cond)
	}
	return conds, nil
}

// parseSimple parses {"field": "value"}.
func parseSimple(raw json.RawMessage) (Condition, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		return Condition{}, invalid(errInvalidJSON)
	}
	var c Condition
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Condition{}, invalid(errInvalidJSON)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return Condition{}, invalid(errInvalidJSON)
		}
		value, ok := jsonString(v)
		if !ok {
			return Condition{}, invalid("Invalid Simple-Condition: value must be a string.")
		}
		name, _ := tok.(string)
		c = Condition{Op: OpEq, Field: "$" + name, Value: value}
		n++
	}
	if n != 1 {
		return Condition{}, invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
	}
	return c, nil
}

// parseArray parses [op, ...].
func parseArray(raw json.RawMessage) (Condition, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(raw, &args); err != nil {
		return Condition{}, invalid(errInvalidJSON)
	}
	if len(args) == 0 {
		return Condition{}, invalid("Invalid Condition: missing operation identifier.")
	}
	op, ok := jsonString(args[0])
	if !ok {
		return Condition{}, invalid("Invalid Condition: missing operation identifier.")
	}
	op = strings.ToLower(op)
	switch op {
	case OpEq, OpStartsWith:
		if len(args) != 3 {
			return Condition{}, invalid("Invalid %s: wrong number of arguments.", op)
		}
		field, ok1 := jsonString(args[1])
		value, ok2 := jsonString(args[2])
		if !ok1 || !ok2 {
			return Condition{}, invalid("Invalid %s: the field name and value must be strings.", op)
		}
		return Condition{Op: op, Field: field, Value: value}, nil
	case OpContentLengthRange:
		if len(args) != 3 {
			return Condition{}, invalid("Invalid %s: wrong number of arguments.", op)
		}
		lo, ok1 := jsonSize(args[1])
		hi, ok2 := jsonSize(args[2])
		if !ok1 || !ok2 {
			return Condition{}, invalid("Invalid %s: the bounds must be whole numbers of bytes, 0 or more.", op)
		}
		if lo > hi {
			return Condition{}, invalid("Invalid %s: the minimum %d is larger than the maximum %d.", op, lo, hi)
		}
		return Condition{Op: op, Min: lo, Max: hi}, nil
	}
	return Condition{}, invalid("Invalid Condition: unknown operation '%s'.", op)
}

// first returns the first non-space byte of raw, or 0.
func first(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// jsonString decodes raw if it is a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if first(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// jsonSize decodes a content-length-range bound: a JSON integer, or a
// string of one (S3 accepts ["content-length-range", "5", "10"]), >= 0.
func jsonSize(raw json.RawMessage) (int64, bool) {
	s, ok := jsonString(raw)
	if !ok {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] < '0' || raw[0] > '9' {
			return 0, false
		}
		s = string(raw)
	}
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false // also a fraction, an exponent or a sign
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// exempt reports whether a form field needs no condition: "Each form field
// that you specify in a form (except x-amz-signature, file, policy, and
// field names that have an x-ignore- prefix) must appear in the list of
// conditions."
func exempt(field string) bool {
	switch field {
	case "x-amz-signature", fileField, "policy":
		return true
	}
	return strings.HasPrefix(field, "x-ignore-")
}

// Check checks the form fields against p at time now. fields is
// Form.Fields (names lower-cased) with "bucket" set by the caller to the
// bucket uploaded to and "key" set to the key Key returned, after
// ${filename} is replaced: conditions are matched against expanded fields.
//
// It fails with AccessDenied, in S3's words:
//   - "Invalid according to Policy: Policy expired." once now is after
//     the expiration;
//   - "Invalid according to Policy: Policy Condition failed: [...]" for
//     the first eq or starts-with condition that does not hold. Field
//     names match without case, values with. A condition on a field the
//     form lacks fails, even ["starts-with", "$f", ""], as on S3. For
//     Content-Type, starts-with applies to each comma-separated value
//     (spaces around them trimmed): "image/jpg,image/png" starts with
//     "image/", "image/jpg,text/plain" does not; any other field is one
//     string, commas and all;
//   - "Invalid according to Policy: Extra input fields: <name>" for a
//     field (the first in sort order) no condition names, except
//     x-amz-signature, file, policy and x-ignore-*.
//
// content-length-range is not checked here: see LengthRange and
// CheckedBody.
func (p *Policy) Check(fields map[string]string, now time.Time) error {
	if now.After(p.Expiration) {
		return s3err.New(s3err.AccessDenied, "Invalid according to Policy: Policy expired.")
	}
	named := make(map[string]bool, len(p.Conditions))
	for _, c := range p.Conditions {
		if c.Op == OpContentLengthRange {
			continue
		}
		name := c.field()
		v, ok := fields[name]
		if name == "" || !ok || !c.holds(name, v) {
			return s3err.New(s3err.AccessDenied, "Invalid according to Policy: Policy Condition failed: "+c.String())
		}
		named[name] = true
	}
	var extra []string
	for f := range fields {
		if !named[f] && !exempt(f) {
			extra = append(extra, f)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return s3err.New(s3err.AccessDenied, "Invalid according to Policy: Extra input fields: "+extra[0])
	}
	return nil
}

// holds reports whether value v of the field name meets c.
func (c Condition) holds(name, v string) bool {
	if c.Op == OpEq {
		return v == c.Value
	}
	if name != "content-type" {
		return strings.HasPrefix(v, c.Value)
	}
	for _, t := range strings.Split(v, ",") {
		if !strings.HasPrefix(strings.Trim(t, " \t"), c.Value) {
			return false
		}
	}
	return true
}

// LengthRange returns the file sizes the policy allows, both inclusive:
// the content-length-range condition, or the intersection of all of them
// if there are several. ok is false when the policy has none. min > max
// when several conditions leave no size allowed.
func (p *Policy) LengthRange() (min, max int64, ok bool) {
	for _, c := range p.Conditions {
		if c.Op != OpContentLengthRange {
			continue
		}
		if !ok {
			min, max, ok = c.Min, c.Max, true
			continue
		}
		min, max = maxInt(min, c.Min), minInt(max, c.Max)
	}
	return min, max, ok
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func minInt(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}
