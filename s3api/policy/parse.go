package policy

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Error is a policy Floe refuses, with the reason S3 would give in a
// MalformedPolicy error.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return "malformed policy: " + e.Msg }

func errorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// Policy is a parsed bucket policy.
type Policy struct {
	statements []statement
	public     bool
	users      []string
}

// statement is one element of a policy's Statement.
type statement struct {
	allow        bool
	principals   principalSet
	notPrincipal bool
	actions      []pattern // lower-cased
	notAction    bool
	resources    []pattern
	notResource  bool
	conditions   []condition
}

// principalSet is who a Principal (or NotPrincipal) element names.
type principalSet struct {
	everyone  bool            // "*" or {"AWS": "*"}: anonymous requests too
	users     map[string]bool // by Floe user name
	canonical map[string]bool // by canonical user ID
}

// versions are the policy language versions; only the newer one has
// variables.
var versions = map[string]bool{"2012-10-17": true, "2008-10-17": false}

// Parse reads doc, a bucket policy for bucket, refusing with *Error what
// S3 would refuse and what Floe cannot evaluate exactly.
func Parse(doc []byte, bucket string) (*Policy, error) {
	if t := bytes.TrimLeft(doc, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errorf("Policies must be valid JSON and the first byte must be '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, errorf("This policy contains invalid Json")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf("This policy contains invalid Json")
	}
	vars := false
	for name, v := range top {
		switch name {
		case "Version":
			s, ok := v.(string)
			if _, known := versions[s]; !ok || !known {
				return nil, errorf("The policy must contain a valid version string")
			}
			vars = versions[s]
		case "Id":
			if _, ok := v.(string); !ok {
				return nil, errorf("Id must be a string")
			}
		case "Statement":
		default:
			return nil, errorf("Unknown field %s", name)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, errorf("Missing required field Statement")
	}
	list, ok := raw.([]any)
	if !ok {
		list = []any{raw}
	}
	if len(list) == 0 {
		return nil, errorf("Could not parse the policy: Statement is empty!")
	}
	p := &Policy{}
	sids := make(map[string]bool)
	users := make(map[string]bool)
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, errorf("Statement must be an object")
		}
		st, sid, err := parseStatement(m, bucket, vars)
		if err != nil {
			return nil, err
		}
		if sid != "" {
			if sids[sid] {
				return nil, errorf("Statement IDs (SID) in a single policy must be unique: %s", sid)
			}
			sids[sid] = true
		}
		for u := range st.principals.users {
			users[u] = true
		}
		p.public = p.public || st.public()
		p.statements = append(p.statements, st)
	}
	for u := range users {
		p.users = append(p.users, u)
	}
	sort.Strings(p.users)
	return p, nil
}

// parseStatement reads one statement of a policy for bucket.
func parseStatement(m map[string]any, bucket string, vars bool) (statement, string, error) {
	var st statement
	var sid string
	for name, v := range m {
		switch name {
		case "Sid":
			s, ok := v.(string)
			if !ok {
				return st, "", errorf("Sid must be a string")
			}
			sid = s
		case "Effect":
			switch v {
			case "Allow":
				st.allow = true
			case "Deny":
			default:
				return st, "", errorf("Invalid effect: %v", v)
			}
		case "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
		default:
			return st, "", errorf("Unknown field %s", name)
		}
	}
	if _, ok := m["Effect"]; !ok {
		return st, "", errorf("Missing required field Effect")
	}
	var err error
	var raw any
	if raw, st.notPrincipal, err = either(m, "Principal"); err != nil {
		return st, "", err
	}
	if st.principals, err = parsePrincipal(raw); err != nil {
		return st, "", err
	}
	if raw, st.notAction, err = either(m, "Action"); err != nil {
		return st, "", err
	}
	if st.actions, err = parseActions(raw); err != nil {
		return st, "", err
	}
	if raw, st.notResource, err = either(m, "Resource"); err != nil {
		return st, "", err
	}
	if st.resources, err = parseResources(raw, bucket, vars); err != nil {
		return st, "", err
	}
	if !st.notAction && !st.notResource && !actionsFitResources(st.actions, st.resources, bucket) {
		return st, "", errorf("Action does not apply to any resource(s) in statement")
	}
	if c, ok := m["Condition"]; ok {
		if st.conditions, err = parseConditions(c, vars); err != nil {
			return st, "", err
		}
	}
	return st, sid, nil
}

// either returns the value of the element name or of its Not form,
// which must not both be there, and which of them it was.
func either(m map[string]any, name string) (any, bool, error) {
	v, plain := m[name]
	nv, not := m["Not"+name]
	switch {
	case plain && not:
		return nil, false, errorf("A statement may not have both %s and Not%s", name, name)
	case not:
		return nv, true, nil
	case plain:
		return v, false, nil
	}
	return nil, false, errorf("Missing required field %s", name)
}

// stringList returns v, a string or an array of strings (numbers and
// booleans read as their JSON text, as IAM does for condition values).
func stringList(v any, what string) ([]string, error) {
	one := func(e any) (string, bool) {
		switch e := e.(type) {
		case string:
			return e, true
		case json.Number:
			return e.String(), true
		case bool:
			return fmt.Sprint(e), true
		}
		return "", false
	}
	if s, ok := one(v); ok {
		return []string{s}, nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, errorf("%s must be a string or a non-empty array of strings", what)
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := one(e)
		if !ok {
			return nil, errorf("%s must be a string or a non-empty array of strings", what)
		}
		out = append(out, s)
	}
	return out, nil
}

// parsePrincipal reads a Principal element: "*", or an object with AWS
// (user ARNs, or "*"), CanonicalUser (canonical IDs), or Service and
// Federated principals, which never sign requests to Floe and so match
// nothing.
func parsePrincipal(v any) (principalSet, error) {
	var ps principalSet
	if v == "*" {
		ps.everyone = true
		return ps, nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return ps, errorf("Invalid principal in policy")
	}
	ps.users, ps.canonical = make(map[string]bool), make(map[string]bool)
	for kind, raw := range m {
		ids, err := stringList(raw, "Principal")
		if err != nil {
			return ps, errorf("Invalid principal in policy")
		}
		for _, id := range ids {
			switch kind {
			case "AWS":
				if id == "*" {
					ps.everyone = true
					continue
				}
				name, ok := userOfARN(id)
				if !ok {
					return ps, errorf("Invalid principal in policy: %s (Floe's principals are arn:aws:iam:::user/NAME)", id)
				}
				ps.users[name] = true
			case "CanonicalUser":
				if b, err := hex.DecodeString(id); err != nil || len(b) != 32 {
					return ps, errorf("Invalid principal in policy: %s is not a canonical user ID", id)
				}
				ps.canonical[strings.ToLower(id)] = true
			case "Service", "Federated":
			default:
				return ps, errorf("Invalid principal in policy")
			}
		}
	}
	return ps, nil
}

// userOfARN returns the user name of arn:aws:iam::ACCOUNT:user/NAME,
// the form `floe admin user create` prints (with no account). Floe has
// no accounts above users, so any account part is accepted.
func userOfARN(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "iam" || parts[3] != "" {
		return "", false
	}
	name, ok := strings.CutPrefix(parts[5], "user/")
	if !ok || !validUserName(name) {
		return "", false
	}
	return name, true
}

// validUserName mirrors metadata.CheckUserName's alphabet, so that a
// principal that can never exist is refused when it is written.
func validUserName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("+=,.@_-", c) >= 0) {
			return false
		}
	}
	return true
}

// parseActions reads an Action element: S3 action names, with
// wildcards, each matching at least one S3 action.
func parseActions(v any) ([]pattern, error) {
	names, err := stringList(v, "Action")
	if err != nil {
		return nil, err
	}
	var out []pattern
	for _, n := range names {
		p, _ := compilePattern(strings.ToLower(n), false)
		if len(matchingKinds(p)) == 0 {
			return nil, errorf("Policy has invalid action: %s", n)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseResources reads a Resource element: ARNs, with wildcards, of
// bucket or of objects in it.
func parseResources(v any, bucket string, vars bool) ([]pattern, error) {
	arns, err := stringList(v, "Resource")
	if err != nil {
		return nil, err
	}
	var out []pattern
	for _, a := range arns {
		p, ok := compilePattern(a, vars)
		if !ok || !refersTo(p, bucket) {
			return nil, errorf("Policy has invalid resource: %s", a)
		}
		out = append(out, p)
	}
	return out, nil
}

// bucketARN and objectARNPrefix name bucket and its objects.
func bucketARN(bucket string) string       { return "arn:aws:s3:::" + bucket }
func objectARNPrefix(bucket string) string { return "arn:aws:s3:::" + bucket + "/" }

// refersTo reports whether p can name bucket or an object in it. Where p
// has variables, only the text before the first one is checked.
func refersTo(p pattern, bucket string) bool {
	fixed := p
	for i, pc := range p {
		if pc.kind == variable {
			fixed = append(p[:i:i], piece{kind: star})
			break
		}
	}
	return fixed.match(bucketARN(bucket), false) || fixed.matchPrefix(objectARNPrefix(bucket))
}

// actionsFitResources reports whether some action of the statement
// applies to the kind of resource one of its resources names (IAM's
// "Action does not apply to any resource(s) in statement").
func actionsFitResources(acts, res []pattern, bucket string) bool {
	kinds := make(map[resourceKind]bool)
	for _, a := range acts {
		for k := range matchingKinds(a) {
			kinds[k] = true
		}
	}
	for _, r := range res {
		fixed := r
		if r.hasVariables() {
			fixed = pattern{{kind: star}}
		}
		if kinds[bucketResource] && fixed.match(bucketARN(bucket), false) {
			return true
		}
		if kinds[objectResource] && fixed.matchPrefix(objectARNPrefix(bucket)) {
			return true
		}
	}
	return false
}

// parseConditions reads a Condition element: operator → key → values.
func parseConditions(v any, vars bool) ([]condition, error) {
	ops, ok := v.(map[string]any)
	if !ok {
		return nil, errorf("Condition must be an object")
	}
	var out []condition
	for opName, keysRaw := range ops {
		keys, ok := keysRaw.(map[string]any)
		if !ok || len(keys) == 0 {
			return nil, errorf("Invalid Condition type : %s", opName)
		}
		for key, raw := range keys {
			values, err := stringList(raw, "Condition value")
			if err != nil {
				return nil, err
			}
			c, err := parseCondition(opName, key, values, vars)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}
