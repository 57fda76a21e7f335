package s3xml

import "encoding/xml"

// CopyObjectResult is the CopyObject response.
type CopyObjectResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
	ETag         ETag     `xml:"ETag"`
	LastModified Time     `xml:"LastModified"`
	Checksums
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// CopyPartResult is the UploadPartCopy response.
type CopyPartResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyPartResult"`
	ETag         ETag     `xml:"ETag"`
	LastModified Time     `xml:"LastModified"`
	Checksums
}
