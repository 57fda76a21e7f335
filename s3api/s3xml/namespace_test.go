package s3xml

import (
	"strings"
	"testing"
)

// TestDecodeWithoutNamespace checks that request bodies decode with or
// without S3's xmlns (S3 accepts both) into types that marshal in it, and
// that a foreign namespace is refused.
func TestDecodeWithoutNamespace(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`, true},
		{`<Tagging xmlns="` + Namespace + `"><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`, true},
		{`<Tagging xmlns="urn:other"><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`, false},
	} {
		var tg Tagging
		err := Decode(strings.NewReader(tc.body), 0, &tg)
		if tc.ok != (err == nil) {
			t.Errorf("%s: %v", tc.body, err)
			continue
		}
		if tc.ok && (len(tg.TagSet.Tags) != 1 || tg.TagSet.Tags[0] != (Tag{"a", "b"})) {
			t.Errorf("%s: decoded %+v", tc.body, tg)
		}
	}
}
