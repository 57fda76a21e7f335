package policy

import (
	"strconv"
	"strings"
	"time"
)

// Principal is who makes a request.
type Principal struct {
	Anonymous   bool   // an unsigned request
	User        string // the Floe user, when signed
	CanonicalID string // the user's canonical ID
}

// Request is what a policy is asked about.
type Request struct {
	Principal Principal
	Action    string // e.g. "s3:GetObject"
	Resource  string // e.g. "arn:aws:s3:::bucket/key"
	// Context holds the condition keys of Keys the request supplies,
	// lower-cased; aws:CurrentTime and aws:EpochTime come from Now.
	Context map[string]string
	Now     time.Time // zero: time.Now()
}

// Decision is a policy's answer.
type Decision uint8

const (
	// NoMatch means no statement applies: the caller's default decides.
	NoMatch Decision = iota
	// Allow means an Allow statement applies and no Deny does.
	Allow
	// Deny means a Deny statement applies; nothing overrides it.
	Deny
)

func (d Decision) String() string {
	return [...]string{"NoMatch", "Allow", "Deny"}[d]
}

// Evaluate decides r: an explicit Deny wins over any Allow.
func (p *Policy) Evaluate(r Request) Decision {
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	get := func(key string) (string, bool) {
		switch key {
		case "aws:currenttime":
			return now.UTC().Format(time.RFC3339), true
		case "aws:epochtime":
			return strconv.FormatInt(now.Unix(), 10), true
		}
		v, ok := r.Context[key]
		return v, ok
	}
	action := strings.ToLower(r.Action)
	d := NoMatch
	for i := range p.statements {
		st := &p.statements[i]
		if !st.applies(r.Principal, action, r.Resource, get) {
			continue
		}
		if !st.allow {
			return Deny
		}
		d = Allow
	}
	return d
}

// IsPublic reports whether the policy grants anything to everyone,
// anonymous requests included, without a condition that ties it to fixed
// source addresses or principals — S3's definition behind
// GetBucketPolicyStatus and the PublicAccessBlock settings.
func (p *Policy) IsPublic() bool { return p.public }

// Users returns the Floe user names the policy's principals name, so
// that the caller can check they exist.
func (p *Policy) Users() []string { return p.users }

// applies reports whether every element of st matches.
func (st *statement) applies(who Principal, action, resource string, get func(string) (string, bool)) bool {
	if st.principals.has(who) == st.notPrincipal {
		return false
	}
	if anyMatch(st.actions, action, true, nil) == st.notAction {
		return false
	}
	if anyMatch(st.resources, resource, false, get) == st.notResource {
		return false
	}
	for i := range st.conditions {
		if !st.conditions[i].holds(get) {
			return false
		}
	}
	return true
}

// has reports whether who is in ps.
func (ps principalSet) has(who Principal) bool {
	switch {
	case ps.everyone:
		return true
	case who.Anonymous:
		return false
	}
	return ps.users[who.User] || ps.canonical[strings.ToLower(who.CanonicalID)]
}

// anyMatch reports whether s matches one of ps, after expanding their
// variables with get.
func anyMatch(ps []pattern, s string, fold bool, get func(string) (string, bool)) bool {
	for _, p := range ps {
		if get != nil {
			var ok bool
			if p, ok = p.expandWith(get); !ok {
				continue
			}
		}
		if p.match(s, fold) {
			return true
		}
	}
	return false
}

// public reports whether st grants something to anonymous requests from
// anywhere (see IsPublic).
func (st *statement) public() bool {
	if !st.allow || st.principals.has(Principal{Anonymous: true}) == st.notPrincipal {
		return false
	}
	for _, c := range st.conditions {
		if c.limitsPrincipals() {
			return false
		}
	}
	return true
}

// limitsPrincipals reports whether c confines a statement to fixed
// source addresses or to signed requests of named principals.
func (c *condition) limitsPrincipals() bool {
	if c.op.negated || c.ifExists || c.set == forAllValues {
		return false
	}
	switch c.key {
	case "aws:sourceip":
		for _, n := range c.nets {
			if ones, _ := n.Mask.Size(); ones == 0 {
				return false
			}
		}
		return c.op.kind == opIP
	case "aws:username", "aws:userid", "aws:principalarn":
		if c.op.kind != opString && c.op.kind != opStringFold && c.op.kind != opStringLike {
			return false
		}
		for _, p := range c.strs {
			if _, fixed := literalOf(p); !fixed {
				return false
			}
		}
		return true
	case "aws:principaltype":
		for _, p := range c.strs {
			if lit, fixed := literalOf(p); !fixed || strings.EqualFold(lit, "anonymous") {
				return false
			}
		}
		return c.op.kind == opString || c.op.kind == opStringFold
	}
	return false
}
