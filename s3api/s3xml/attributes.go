package s3xml

import "encoding/xml"

// GetObjectAttributesResponse is the GetObjectAttributes response; only
// the attributes asked for are set.
type GetObjectAttributesResponse struct {
	XMLName      xml.Name           `xml:"http://s3.amazonaws.com/doc/2006-03-01/ GetObjectAttributesResponse"`
	ETag         string             `xml:"ETag,omitempty"` // without quotes, as S3 sends it here
	Checksum     *AttributeChecksum `xml:"Checksum,omitempty"`
	ObjectParts  *ObjectParts       `xml:"ObjectParts,omitempty"`
	StorageClass StorageClass       `xml:"StorageClass,omitempty"`
	ObjectSize   *int64             `xml:"ObjectSize,omitempty"`
}

// AttributeChecksum is an object's checksum and its type.
type AttributeChecksum struct {
	Checksums
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// ObjectParts pages through a multipart object's parts.
type ObjectParts struct {
	TotalPartsCount      int          `xml:"TotalPartsCount"`
	PartNumberMarker     int          `xml:"PartNumberMarker"`
	NextPartNumberMarker int          `xml:"NextPartNumberMarker"`
	MaxParts             int          `xml:"MaxParts"`
	IsTruncated          bool         `xml:"IsTruncated"`
	Parts                []ObjectPart `xml:"Part"`
}

// ObjectPart is one part of a multipart object.
type ObjectPart struct {
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
	Checksums
}
