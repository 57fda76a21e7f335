package s3xml

import (
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/floe-s3/floe/s3api/s3err"
)

// xmlChar reports whether XML 1.0 can carry r (its Char production).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// xmlText reports whether s is UTF-8 made of characters XML can carry.
func xmlText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !xmlChar(r) {
			return false
		}
	}
	return true
}

// checkText refuses a response holding a string XML 1.0 cannot carry
// (control characters, U+FFFE, U+FFFF, invalid UTF-8). Go's encoder would
// silently replace such characters, naming a different key than the one
// stored — and a listing marker built from it would page forever. S3 keys
// may hold them; clients must ask for encoding-type=url to see them.
func checkText(v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !xmlText(s) {
			return s3err.Errorf(s3err.InvalidArgument,
				"the response would hold %q, which has a character XML cannot carry; use encoding-type=url", s)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkText(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if err := checkText(v.Field(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes are encoded as text only by a Marshaler
		}
		for i := range v.Len() {
			if err := checkText(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		return fmt.Errorf("s3xml: cannot encode a map")
	}
	return nil
}

// offersURLEncoding reports whether v is a listing that supports
// encoding-type=url: its type or a pointer to it has ApplyEncoding.
func offersURLEncoding(v any) bool {
	type encodable interface{ ApplyEncoding() }
	t := reflect.TypeOf(v)
	if t == nil {
		return false
	}
	enc := reflect.TypeFor[encodable]()
	return t.Implements(enc) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(enc))
}
