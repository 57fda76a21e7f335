package policy

import "testing"

func TestPatternMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		vars, fold bool
		want       bool
	}{
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", false, false, true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false, false, false},
		{"arn:aws:s3:::b*", "arn:aws:s3:::b", false, false, true},
		{"arn:aws:s3:::b/?.mp4", "arn:aws:s3:::b/x.mp4", false, false, true},
		{"arn:aws:s3:::b/?.mp4", "arn:aws:s3:::b/xy.mp4", false, false, false},
		{"arn:aws:s3:::b/*.mp4", "arn:aws:s3:::b/a.mp4.txt", false, false, false},
		{"arn:aws:s3:::b/*a*b*", "arn:aws:s3:::b/xxaxxbxx", false, false, true},
		{"arn:aws:s3:::b/*a*b", "arn:aws:s3:::b/xxaxxbxxa", false, false, false},
		{"s3:get*", "s3:getobject", false, true, true},
		{"s3:Get*", "S3:GETOBJECT", false, true, true},
		{"arn:aws:s3:::B/*", "arn:aws:s3:::b/x", false, false, false},  // resources are case-sensitive
		{"arn:aws:s3:::b/é?", "arn:aws:s3:::b/éü", false, false, true}, // ? is one character, not one byte
		{"arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", true, false, true},
		{"arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", true, false, false},
		{"arn:aws:s3:::b/${?}${$}", "arn:aws:s3:::b/?$", true, false, true},
		{"arn:aws:s3:::b/${*}", "arn:aws:s3:::b/${*}", false, false, true}, // 2008-10-17: plain text
		{"", "", false, false, true},
		{"*", "", false, false, true},
	} {
		p, ok := compilePattern(tc.pattern, tc.vars)
		if !ok {
			t.Fatalf("compilePattern(%q) failed", tc.pattern)
		}
		if got := p.match(tc.s, tc.fold); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestPatternVariables(t *testing.T) {
	ctx := map[string]string{"aws:username": "ali*ce"}
	get := func(k string) (string, bool) { v, ok := ctx[k]; return v, ok }
	p, _ := compilePattern("arn:aws:s3:::b/home/${aws:username}/*", true)
	e, ok := p.expandWith(get)
	if !ok {
		t.Fatal("expand failed")
	}
	if !e.match("arn:aws:s3:::b/home/ali*ce/x", false) {
		t.Error("own home does not match")
	}
	// The value is literal: its * is not a wildcard.
	if e.match("arn:aws:s3:::b/home/alibobce/x", false) {
		t.Error("a variable's * acted as a wildcard")
	}
	q, _ := compilePattern("arn:aws:s3:::b/${aws:userid}", true)
	if _, ok := q.expandWith(get); ok {
		t.Error("a missing variable expanded")
	}
	if _, ok := compilePattern("arn:aws:s3:::b/${aws:username", true); ok {
		t.Error("an unterminated variable compiled")
	}
}

func TestMatchPrefix(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/", true},
		{"arn:aws:s3:::b/photos/*", "arn:aws:s3:::b/", true},
		{"arn:aws:s3:::*", "arn:aws:s3:::b/", true},
		{"arn:aws:s3:::b", "arn:aws:s3:::b/", false},
		{"arn:aws:s3:::bc/*", "arn:aws:s3:::b/", false},
		{"arn:aws:s3:::b?/*", "arn:aws:s3:::b/", true}, // ? may be the slash
		{"arn:aws:s3:::other/*", "arn:aws:s3:::b/", false},
	} {
		p, _ := compilePattern(tc.pattern, false)
		if got := p.matchPrefix(tc.s); got != tc.want {
			t.Errorf("%q matchPrefix %q = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
