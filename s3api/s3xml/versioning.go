package s3xml

import "encoding/xml"

// VersioningConfiguration is the body of PutBucketVersioning and of
// GetBucketVersioning's response. Status is "Enabled" or "Suspended", and
// empty (the element left out) for a bucket whose versioning was never
// enabled. MfaDelete is read so that a request setting it can be refused.
type VersioningConfiguration struct {
	XMLName   xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ VersioningConfiguration"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

// ObjectVersion is one <Version> of a ListObjectVersions listing.
type ObjectVersion struct {
	Key               string       `xml:"Key"`
	VersionID         string       `xml:"VersionId"`
	IsLatest          bool         `xml:"IsLatest"`
	LastModified      Time         `xml:"LastModified"`
	ETag              ETag         `xml:"ETag"`
	ChecksumAlgorithm string       `xml:"ChecksumAlgorithm,omitempty"`
	Size              int64        `xml:"Size"`
	StorageClass      StorageClass `xml:"StorageClass"`
	Owner             *Owner       `xml:"Owner,omitempty"`
}

// DeleteMarkerEntry is one <DeleteMarker> of a ListObjectVersions listing.
type DeleteMarkerEntry struct {
	Key          string `xml:"Key"`
	VersionID    string `xml:"VersionId"`
	IsLatest     bool   `xml:"IsLatest"`
	LastModified Time   `xml:"LastModified"`
	Owner        *Owner `xml:"Owner,omitempty"`
}

// VersionEntry is a <Version> or a <DeleteMarker>: S3 interleaves the two
// in listing order, so they are marshalled from one slice. Exactly one of
// the two is set.
type VersionEntry struct {
	Version      *ObjectVersion
	DeleteMarker *DeleteMarkerEntry
}

// MarshalXML writes the entry as its own element, with no wrapper.
func (v VersionEntry) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	if v.DeleteMarker != nil {
		return e.EncodeElement(v.DeleteMarker, xml.StartElement{Name: xml.Name{Local: "DeleteMarker"}})
	}
	return e.EncodeElement(v.Version, xml.StartElement{Name: xml.Name{Local: "Version"}})
}

// ListVersionsResult is the ListObjectVersions (GET /bucket?versions)
// response.
type ListVersionsResult struct {
	XMLName             xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListVersionsResult"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	Entries             []VersionEntry `xml:"Version"` // each names its own element
	CommonPrefixes      []CommonPrefix `xml:"CommonPrefixes"`
}

// ApplyEncoding URL-encodes, in place, what S3 encodes when the request
// asked for encoding-type=url: Prefix, Delimiter, KeyMarker, NextKeyMarker,
// every Key and every common prefix. It does nothing unless EncodingType
// is "url", and must be called once, after the result is filled in.
func (l *ListVersionsResult) ApplyEncoding() {
	if l.EncodingType != EncodingURL {
		return
	}
	for _, p := range []*string{&l.Prefix, &l.Delimiter, &l.KeyMarker, &l.NextKeyMarker} {
		*p = URLEncode(*p)
	}
	for _, e := range l.Entries {
		if e.Version != nil {
			e.Version.Key = URLEncode(e.Version.Key)
		}
		if e.DeleteMarker != nil {
			e.DeleteMarker.Key = URLEncode(e.DeleteMarker.Key)
		}
	}
	for i := range l.CommonPrefixes {
		l.CommonPrefixes[i].Prefix = URLEncode(l.CommonPrefixes[i].Prefix)
	}
}
