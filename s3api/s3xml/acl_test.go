package s3xml

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestGranteeXML checks that a grantee is written with S3's xsi prefix and
// that such a document reads back.
func TestGranteeXML(t *testing.T) {
	p := AccessControlPolicy{Owner: Owner{ID: "o"}, AccessControlList: AccessControlList{Grants: []Grant{{
		Grantee: Grantee{Type: "CanonicalUser", ID: "o", DisplayName: "d"}, Permission: "FULL_CONTROL"}}}}
	b, err := xml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>o</ID><DisplayName>d</DisplayName></Grantee>`
	if !strings.Contains(string(b), want) {
		t.Fatalf("marshalled\n%s\nwant it to contain\n%s", b, want)
	}
	var back AccessControlPolicy
	if err := xml.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if g := back.AccessControlList.Grants; len(g) != 1 || g[0].Grantee != p.AccessControlList.Grants[0].Grantee || g[0].Permission != "FULL_CONTROL" {
		t.Fatalf("read back %+v", back)
	}
}
