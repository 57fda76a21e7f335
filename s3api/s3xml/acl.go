package s3xml

import "encoding/xml"

// AccessControlPolicy is GetBucketAcl's and GetObjectAcl's response, and
// the body PutBucketAcl and PutObjectAcl may send.
type AccessControlPolicy struct {
	XMLName           xml.Name          `xml:"http://s3.amazonaws.com/doc/2006-03-01/ AccessControlPolicy"`
	Owner             Owner             `xml:"Owner"`
	AccessControlList AccessControlList `xml:"AccessControlList"`
}

// AccessControlList is a list of grants.
type AccessControlList struct {
	Grants []Grant `xml:"Grant"`
}

// Grant gives a grantee a permission (FULL_CONTROL, READ, WRITE,
// READ_ACP, WRITE_ACP).
type Grant struct {
	Grantee    Grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

// Grantee is a canonical user, a group (URI) or an e-mail address; Type
// is its xsi:type (CanonicalUser, Group, AmazonCustomerByEmail).
type Grantee struct {
	Type         string `xml:"type,attr"`
	ID           string `xml:"ID,omitempty"`
	DisplayName  string `xml:"DisplayName,omitempty"`
	URI          string `xml:"URI,omitempty"`
	EmailAddress string `xml:"EmailAddress,omitempty"`
}

// xsiNS is the XML Schema instance namespace of xsi:type.
const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// MarshalXML writes the grantee with the conventional xsi prefix, as S3
// does (encoding/xml would invent one).
func (g Grantee) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Attr = []xml.Attr{{Name: xml.Name{Local: "xmlns:xsi"}, Value: xsiNS}, {Name: xml.Name{Local: "xsi:type"}, Value: g.Type}}
	type plain struct {
		ID           string `xml:"ID,omitempty"`
		DisplayName  string `xml:"DisplayName,omitempty"`
		URI          string `xml:"URI,omitempty"`
		EmailAddress string `xml:"EmailAddress,omitempty"`
	}
	return e.EncodeElement(plain{g.ID, g.DisplayName, g.URI, g.EmailAddress}, start)
}
