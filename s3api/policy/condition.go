package policy

import (
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// Keys are the condition keys Floe supplies, lower-cased as a Request's
// Context holds them. A policy testing any other key is refused: Floe
// would have to treat it as always absent, which silently disarms a Deny
// written for AWS. aws:CurrentTime and aws:EpochTime come from
// Request.Now.
var Keys = map[string]bool{
	"aws:currenttime": true, "aws:epochtime": true, "aws:principalarn": true,
	"aws:principaltype": true, "aws:referer": true, "aws:securetransport": true,
	"aws:sourceip": true, "aws:useragent": true, "aws:userid": true, "aws:username": true,
	"s3:authtype": true, "s3:delimiter": true, "s3:max-keys": true, "s3:prefix": true,
	"s3:signatureversion": true, "s3:tlsversion": true, "s3:versionid": true,
	"s3:x-amz-acl": true, "s3:x-amz-content-sha256": true, "s3:x-amz-copy-source": true,
	"s3:x-amz-metadata-directive": true, "s3:x-amz-server-side-encryption": true,
	"s3:x-amz-storage-class": true,
}

// opKind groups condition operators by how they compare.
type opKind uint8

const (
	opString opKind = iota
	opStringFold
	opStringLike
	opNumeric
	opDate
	opBool
	opIP
	opNull
)

// operator is one condition operator, e.g. NumericLessThan.
type operator struct {
	kind    opKind
	negated bool // the Not forms: true when no value matches
	cmp     int  // for numbers and dates: which of <, <=, =, >=, > (-2…2)
}

// operators are the condition operators by lower-cased name.
var operators = map[string]operator{
	"stringequals": {kind: opString}, "stringnotequals": {kind: opString, negated: true},
	"stringequalsignorecase": {kind: opStringFold}, "stringnotequalsignorecase": {kind: opStringFold, negated: true},
	"stringlike": {kind: opStringLike}, "stringnotlike": {kind: opStringLike, negated: true},
	"arnequals": {kind: opStringLike}, "arnlike": {kind: opStringLike},
	"arnnotequals": {kind: opStringLike, negated: true}, "arnnotlike": {kind: opStringLike, negated: true},
	"numericequals": {kind: opNumeric}, "numericnotequals": {kind: opNumeric, negated: true},
	"numericlessthan": {kind: opNumeric, cmp: -2}, "numericlessthanequals": {kind: opNumeric, cmp: -1},
	"numericgreaterthan": {kind: opNumeric, cmp: 2}, "numericgreaterthanequals": {kind: opNumeric, cmp: 1},
	"dateequals": {kind: opDate}, "datenotequals": {kind: opDate, negated: true},
	"datelessthan": {kind: opDate, cmp: -2}, "datelessthanequals": {kind: opDate, cmp: -1},
	"dategreaterthan": {kind: opDate, cmp: 2}, "dategreaterthanequals": {kind: opDate, cmp: 1},
	"bool": {kind: opBool}, "ipaddress": {kind: opIP}, "notipaddress": {kind: opIP, negated: true},
	"null": {kind: opNull},
}

// setQualifier is the ForAnyValue:/ForAllValues: prefix of an operator.
// Floe's keys are single-valued, so they differ from the plain operator
// only when the key is absent.
type setQualifier uint8

const (
	noQualifier setQualifier = iota
	forAnyValue
	forAllValues
)

// condition is one key tested by one operator against its values, which
// match when any of them does (none, for the negated operators).
type condition struct {
	op       operator
	opName   string // as written, for messages
	ifExists bool   // an absent key matches
	set      setQualifier
	key      string // lower-cased
	strs     []pattern
	nums     []float64
	dates    []time.Time
	nets     []*net.IPNet
	bools    []bool
}

// parseCondition builds the condition opName (as written) puts on key
// with values.
func parseCondition(opName, key string, values []string, vars bool) (condition, error) {
	c := condition{opName: opName, key: strings.ToLower(key)}
	name := strings.ToLower(opName)
	switch {
	case strings.HasPrefix(name, "foranyvalue:"):
		c.set, name = forAnyValue, strings.TrimPrefix(name, "foranyvalue:")
	case strings.HasPrefix(name, "forallvalues:"):
		c.set, name = forAllValues, strings.TrimPrefix(name, "forallvalues:")
	}
	if name != "null" && strings.HasSuffix(name, "ifexists") {
		c.ifExists, name = true, strings.TrimSuffix(name, "ifexists")
	}
	op, ok := operators[name]
	if !ok || (op.kind == opNull && c.set != noQualifier) {
		return c, errorf("Invalid Condition type : %s", opName)
	}
	c.op = op
	if !Keys[c.key] {
		return c, errorf("Policy has an invalid condition key: %s (Floe supplies only the keys its documentation lists)", key)
	}
	if len(values) == 0 {
		return c, errorf("Condition %s on %s has no value", opName, key)
	}
	for _, v := range values {
		if err := c.addValue(v, vars); err != nil {
			return c, err
		}
	}
	return c, nil
}

// addValue parses one of the condition's values for its operator.
func (c *condition) addValue(v string, vars bool) error {
	switch c.op.kind {
	case opString, opStringFold, opStringLike:
		p, ok := compilePattern(v, vars)
		if !ok {
			return errorf("Condition value %q has an unterminated ${", v)
		}
		c.strs = append(c.strs, p)
	case opNumeric:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) {
			return errorf("Invalid numeric value %q for %s", v, c.opName)
		}
		c.nums = append(c.nums, n)
	case opDate:
		t, ok := parseDate(v)
		if !ok {
			return errorf("Invalid date value %q for %s", v, c.opName)
		}
		c.dates = append(c.dates, t)
	case opBool, opNull:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return errorf("Invalid boolean value %q for %s", v, c.opName)
		}
		c.bools = append(c.bools, strings.EqualFold(v, "true"))
	case opIP:
		n, err := parseNet(v)
		if err != nil {
			return errorf("Invalid IP address or CIDR %q for %s", v, c.opName)
		}
		c.nets = append(c.nets, n)
	}
	return nil
}

// parseNet reads an address range, or a single address as its own range.
func parseNet(v string) (*net.IPNet, error) {
	if !strings.Contains(v, "/") {
		ip := net.ParseIP(v)
		if ip == nil {
			return nil, errorf("not an IP address")
		}
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	_, n, err := net.ParseCIDR(v)
	return n, err
}

// parseDate reads the date forms IAM accepts: ISO 8601 date or time, or
// seconds since the epoch.
func parseDate(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// holds reports whether the condition is met by the request's context.
func (c *condition) holds(get func(string) (string, bool)) bool {
	v, present := get(c.key)
	if c.op.kind == opNull {
		for _, want := range c.bools {
			if want == !present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists || c.set == forAllValues:
			return true
		case c.set == forAnyValue:
			return false
		}
		return c.op.negated
	}
	return c.anyMatches(v, get) != c.op.negated
}

// anyMatches reports whether v matches one of the condition's values
// under the positive form of its operator.
func (c *condition) anyMatches(v string, get func(string) (string, bool)) bool {
	switch c.op.kind {
	case opString, opStringFold, opStringLike:
		for _, p := range c.strs {
			p, ok := p.expandWith(get)
			if !ok {
				continue
			}
			switch c.op.kind {
			case opStringLike:
				if p.match(v, false) {
					return true
				}
			default:
				if lit := p.String(); lit == v || (c.op.kind == opStringFold && strings.EqualFold(lit, v)) {
					return true
				}
			}
		}
	case opNumeric:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for _, want := range c.nums {
			if compare(n, want, c.op.cmp) {
				return true
			}
		}
	case opDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, want := range c.dates {
			if compare(float64(t.UnixNano()), float64(want.UnixNano()), c.op.cmp) {
				return true
			}
		}
	case opBool:
		for _, want := range c.bools {
			if strings.EqualFold(v, strconv.FormatBool(want)) {
				return true
			}
		}
	case opIP:
		ip := net.ParseIP(v)
		if ip == nil {
			return false
		}
		for _, n := range c.nets {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// compare applies the comparison cmp names (see operator) to a and b.
func compare(a, b float64, cmp int) bool {
	switch cmp {
	case -2:
		return a < b
	case -1:
		return a <= b
	case 1:
		return a >= b
	case 2:
		return a > b
	}
	return a == b
}
