package s3xml

import (
	"encoding/xml"
	"strconv"

	"github.com/floe-s3/floe/s3api/s3err"
)

// MaxDeleteObjects is the most keys one DeleteObjects request may name.
const MaxDeleteObjects = 1000

// Delete is the DeleteObjects (POST /bucket?delete) request body.
type Delete struct {
	XMLName xml.Name           `xml:"Delete"`
	Quiet   bool               `xml:"Quiet"`
	Objects []ObjectIdentifier `xml:"Object"`
}

// ObjectIdentifier names one object to delete.
type ObjectIdentifier struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	ETag      string `xml:"ETag,omitempty"`
}

// Validate checks that the request names between 1 and MaxDeleteObjects
// objects; S3 answers MalformedXML otherwise. Keys are checked per object by
// the handler, which reports them in DeleteResult.
func (d *Delete) Validate() error {
	switch n := len(d.Objects); {
	case n == 0:
		return s3err.New(s3err.MalformedXML, "The XML you provided did not name any object to delete.")
	case n > MaxDeleteObjects:
		return s3err.New(s3err.MalformedXML, "The request may name at most "+strconv.Itoa(MaxDeleteObjects)+" objects.")
	}
	return nil
}

// DeleteResult is the DeleteObjects response. In quiet mode only errors are
// listed.
type DeleteResult struct {
	XMLName xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
	Deleted []DeletedObject `xml:"Deleted"`
	Errors  []DeleteError   `xml:"Error"`
}

// DeletedObject reports one object that was deleted (or did not exist,
// which S3 also reports as deleted).
type DeletedObject struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

// DeleteError reports one object that could not be deleted; Code and
// Message are those of an s3err.Code.
type DeleteError struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}
