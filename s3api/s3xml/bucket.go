package s3xml

import (
	"encoding/xml"
)

// ListAllMyBucketsResult is the ListBuckets (GET /) response.
type ListAllMyBucketsResult struct {
	XMLName           xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
	Owner             *Owner   `xml:"Owner,omitempty"`
	Buckets           Buckets  `xml:"Buckets"`
	ContinuationToken string   `xml:"ContinuationToken,omitempty"`
	Prefix            string   `xml:"Prefix,omitempty"`
}

// Bucket is one entry of ListAllMyBucketsResult.
type Bucket struct {
	Name         string `xml:"Name"`
	CreationDate Time   `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

// Buckets is the <Buckets> list. Unlike a plain "Buckets>Bucket" field it
// is written even when empty, as S3 does.
type Buckets []Bucket

// MarshalXML writes <Buckets> with one <Bucket> per entry.
func (bs Buckets) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		Bucket []Bucket `xml:"Bucket"`
	}{bs}, start)
}

// UnmarshalXML reads <Buckets>.
func (bs *Buckets) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var v struct {
		Bucket []Bucket `xml:"Bucket"`
	}
	if err := d.DecodeElement(&v, &start); err != nil {
		return err
	}
	*bs = v.Bucket
	return nil
}

// LocationConstraint is the GetBucketLocation response. S3 sends an empty
// element for us-east-1.
type LocationConstraint struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	Location string   `xml:",chardata"`
}

// CreateBucketConfiguration is the optional CreateBucket request body.
type CreateBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint,omitempty"`
}
