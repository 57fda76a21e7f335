package s3xml

import "github.com/floe-s3/floe/s3api/s3err"

// EncodingURL is the only encoding-type value S3 accepts.
const EncodingURL = "url"

// ParseEncodingType checks the encoding-type query parameter: it must be
// absent (empty) or "url".
func ParseEncodingType(v string) (string, error) {
	if v == "" || v == EncodingURL {
		return v, nil
	}
	return "", s3err.New(s3err.InvalidArgument, "Invalid Encoding Method specified in Request")
}

// URLEncode encodes s the way S3 encodes keys and prefixes in listings with
// encoding-type=url: form encoding, where a space becomes "+", letters,
// digits and "-_.*" stay as they are, and every other byte of the UTF-8 form
// becomes %XX, except that "/" is also kept. (So "a b/c+d" becomes
// "a+b/c%2Bd"; clients decode it with a form, "plus-aware", unescape.)
func URLEncode(s string) string {
	n, changed := 0, false
	for i := 0; i < len(s); i++ {
		if !keepByte(s[i]) {
			changed = true
			if s[i] != ' ' {
				n++
			}
		}
	}
	if !changed {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case keepByte(c):
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// keepByte reports whether URLEncode leaves c unescaped.
func keepByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '.', '*', '/':
		return true
	}
	return false
}
