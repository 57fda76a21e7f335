package s3xml

import "encoding/xml"

// Object is one <Contents> entry of a ListObjects listing.
type Object struct {
	Key               string       `xml:"Key"`
	LastModified      Time         `xml:"LastModified"`
	ETag              ETag         `xml:"ETag"`
	ChecksumAlgorithm string       `xml:"ChecksumAlgorithm,omitempty"`
	Size              int64        `xml:"Size"`
	StorageClass      StorageClass `xml:"StorageClass"`
	Owner             *Owner       `xml:"Owner,omitempty"`
}

// ListBucketResult is the ListObjects (version 1) response.
type ListBucketResult struct {
	XMLName        xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name           string         `xml:"Name"`
	Prefix         string         `xml:"Prefix"`
	Marker         string         `xml:"Marker"`
	NextMarker     string         `xml:"NextMarker,omitempty"`
	MaxKeys        int            `xml:"MaxKeys"`
	Delimiter      string         `xml:"Delimiter,omitempty"`
	IsTruncated    bool           `xml:"IsTruncated"`
	EncodingType   string         `xml:"EncodingType,omitempty"`
	Contents       []Object       `xml:"Contents"`
	CommonPrefixes []CommonPrefix `xml:"CommonPrefixes"`
}

// ListBucketV2Result is the ListObjectsV2 (list-type=2) response; its
// element is also named ListBucketResult.
type ListBucketV2Result struct {
	XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	KeyCount              int            `xml:"KeyCount"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	Contents              []Object       `xml:"Contents"`
	CommonPrefixes        []CommonPrefix `xml:"CommonPrefixes"`
}

// ApplyEncoding URL-encodes, in place, the elements S3 encodes when the
// request asked for encoding-type=url: Prefix, Delimiter, Marker, NextMarker,
// every Key and every common prefix. It does nothing unless EncodingType is
// "url", and must be called once, after the result is filled in.
func (l *ListBucketResult) ApplyEncoding() {
	if l.EncodingType != EncodingURL {
		return
	}
	for _, p := range []*string{&l.Prefix, &l.Delimiter, &l.Marker, &l.NextMarker} {
		*p = URLEncode(*p)
	}
	encodeEntries(l.Contents, l.CommonPrefixes)
}

// ApplyEncoding URL-encodes, in place, the elements S3 encodes when the
// request asked for encoding-type=url: Prefix, Delimiter, StartAfter, every
// Key and every common prefix (continuation tokens are opaque and left
// alone). It does nothing unless EncodingType is "url", and must be called
// once, after the result is filled in.
func (l *ListBucketV2Result) ApplyEncoding() {
	if l.EncodingType != EncodingURL {
		return
	}
	for _, p := range []*string{&l.Prefix, &l.Delimiter, &l.StartAfter} {
		*p = URLEncode(*p)
	}
	encodeEntries(l.Contents, l.CommonPrefixes)
}

func encodeEntries(objs []Object, prefixes []CommonPrefix) {
	for i := range objs {
		objs[i].Key = URLEncode(objs[i].Key)
	}
	for i := range prefixes {
		prefixes[i].Prefix = URLEncode(prefixes[i].Prefix)
	}
}
