package policy

import (
	"strings"
	"unicode/utf8"
)

// A pattern is a resource, action or condition value as written in a
// policy: text with the wildcards * and ?, and, in 2012-10-17 policies,
// variables. Pieces are kept apart so that a variable's value, or a
// ${*} escape, is matched literally even when it contains a wildcard.
type pattern []piece

// piece is one part of a pattern: literal text, a wildcard, or a
// variable to be replaced by a value from the request's context.
type piece struct {
	kind pieceKind
	text string // the literal, or the variable's lower-cased key
}

type pieceKind uint8

const (
	literal  pieceKind = iota
	star               // *: any run of characters
	quest              // ?: any one character
	variable           // ${key}
)

// compilePattern splits s into pieces. With vars false (2008-10-17
// policies) ${...} is plain text. It fails only on a ${ without its }.
func compilePattern(s string, vars bool) (pattern, bool) {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p = append(p, piece{kind: literal, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '*' || c == '?':
			flush()
			k := star
			if c == '?' {
				k = quest
			}
			p = append(p, piece{kind: k})
		case c == '$' && vars && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, false
			}
			name := s[i+2 : i+end]
			i += end
			switch name {
			case "*", "?", "$": // escapes for the literal characters
				lit.WriteString(name)
			default:
				flush()
				p = append(p, piece{kind: variable, text: strings.ToLower(name)})
			}
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p, true
}

// hasVariables reports whether p must be expanded before matching.
func (p pattern) hasVariables() bool {
	for _, pc := range p {
		if pc.kind == variable {
			return true
		}
	}
	return false
}

// expandWith replaces p's variables by their values from get. A
// variable the request does not supply makes the pattern match nothing
// (ok false), as in IAM.
func (p pattern) expandWith(get func(string) (string, bool)) (pattern, bool) {
	if !p.hasVariables() {
		return p, true
	}
	out := make(pattern, 0, len(p))
	for _, pc := range p {
		if pc.kind == variable {
			v, ok := get(pc.text)
			if !ok {
				return nil, false
			}
			pc = piece{kind: literal, text: v}
		}
		out = append(out, pc)
	}
	return out, true
}

// match reports whether s matches p, whose variables must be expanded
// already. With fold, letters compare case-insensitively (actions).
func (p pattern) match(s string, fold bool) bool {
	return globMatch(p.runes(fold), []rune(caseOf(s, fold)), false)
}

// matchPrefix reports whether some string beginning with s matches p:
// used to check that a resource can name an object of the bucket.
func (p pattern) matchPrefix(s string) bool {
	return globMatch(p.runes(false), []rune(s), true)
}

// String returns p as it would be written, for messages.
func (p pattern) String() string {
	var b strings.Builder
	for _, pc := range p {
		switch pc.kind {
		case star:
			b.WriteByte('*')
		case quest:
			b.WriteByte('?')
		case variable:
			b.WriteString("${" + pc.text + "}")
		default:
			b.WriteString(pc.text)
		}
	}
	return b.String()
}

// wildcard runes stand for * and ? in a flattened pattern; they are
// outside Unicode, so no literal character can be mistaken for them.
const (
	runeStar  = utf8.MaxRune + 1
	runeQuest = utf8.MaxRune + 2
)

func (p pattern) runes(fold bool) []rune {
	var rs []rune
	for _, pc := range p {
		switch pc.kind {
		case star:
			rs = append(rs, runeStar)
		case quest:
			rs = append(rs, runeQuest)
		default:
			rs = append(rs, []rune(caseOf(pc.text, fold))...)
		}
	}
	return rs
}

func caseOf(s string, fold bool) string {
	if fold {
		return strings.ToLower(s)
	}
	return s
}

// globMatch matches s against the flattened pattern p in linear time for
// patterns with one star and O(len(p)·len(s)) at worst: on a mismatch it
// backtracks only to the last star, which is enough for * and ?. With
// prefix, running out of s while p still has pieces is a match.
func globMatch(p, s []rune, prefix bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == runeStar:
			starP, starS = pi, si
			pi++
		case pi < len(p) && (p[pi] == runeQuest || p[pi] == s[si]):
			pi++
			si++
		case starP >= 0:
			starS++
			pi, si = starP+1, starS
		default:
			return false
		}
	}
	if prefix {
		return true
	}
	for pi < len(p) && p[pi] == runeStar {
		pi++
	}
	return pi == len(p)
}
