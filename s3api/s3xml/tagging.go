package s3xml

import "encoding/xml"

// Tagging is the body of PutObjectTagging and PutBucketTagging and of
// their Get responses.
type Tagging struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ Tagging"`
	TagSet  TagSet   `xml:"TagSet"`
}

// TagSet is a list of tags.
type TagSet struct {
	Tags []Tag `xml:"Tag"`
}

// Tag is one key and value.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}
