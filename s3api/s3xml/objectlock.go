package s3xml

import "encoding/xml"

// ObjectLockConfiguration is the body of PutObjectLockConfiguration and
// of GetObjectLockConfiguration's response.
type ObjectLockConfiguration struct {
	XMLName           xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ObjectLockConfiguration"`
	ObjectLockEnabled string          `xml:"ObjectLockEnabled,omitempty"` // "Enabled"
	Rule              *ObjectLockRule `xml:"Rule,omitempty"`
}

// ObjectLockRule holds a bucket's default retention.
type ObjectLockRule struct {
	DefaultRetention DefaultRetention `xml:"DefaultRetention"`
}

// DefaultRetention is a retention mode and a period of Days or Years
// (exactly one).
type DefaultRetention struct {
	Mode  string `xml:"Mode"`
	Days  *int   `xml:"Days,omitempty"`
	Years *int   `xml:"Years,omitempty"`
}

// Retention is the body of PutObjectRetention and of GetObjectRetention's
// response.
type Retention struct {
	XMLName         xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ Retention"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate *Time    `xml:"RetainUntilDate,omitempty"`
}

// LegalHold is the body of PutObjectLegalHold and of GetObjectLegalHold's
// response; Status is "ON" or "OFF".
type LegalHold struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LegalHold"`
	Status  string   `xml:"Status"`
}
