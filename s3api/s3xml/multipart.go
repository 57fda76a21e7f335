package s3xml

import (
	"encoding/xml"
	"strconv"

	"github.com/floe-s3/floe/s3api/s3err"
)

// Part numbers run from 1 to MaxPartNumber.
const MaxPartNumber = 10000

// InitiateMultipartUploadResult is the CreateMultipartUpload response.
type InitiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

// CompleteMultipartUpload is the CompleteMultipartUpload request body.
type CompleteMultipartUpload struct {
	XMLName xml.Name       `xml:"CompleteMultipartUpload"`
	Parts   []CompletePart `xml:"Part"`
}

// CompletePart names one uploaded part to include in the object. ETag may
// come with or without quotes; compare with UnquoteETag.
type CompletePart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
	Checksums
}

// Validate checks that there is at least one part, that every part number
// is in 1..MaxPartNumber and that they are strictly ascending.
func (c *CompleteMultipartUpload) Validate() error {
	if len(c.Parts) == 0 {
		return s3err.New(s3err.MalformedXML, "You must specify at least one part.")
	}
	for i, p := range c.Parts {
		if p.PartNumber < 1 || p.PartNumber > MaxPartNumber {
			return s3err.New(s3err.InvalidArgument, "Part number must be an integer between 1 and "+strconv.Itoa(MaxPartNumber)+", inclusive.")
		}
		if i > 0 && p.PartNumber <= c.Parts[i-1].PartNumber {
			return s3err.New(s3err.InvalidPartOrder, "")
		}
	}
	return nil
}

// CompleteMultipartUploadResult is the CompleteMultipartUpload response.
// Its ETag is the multipart form "<hex>-<parts>".
type CompleteMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     ETag     `xml:"ETag"`
	Checksums
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// ListPartsResult is the ListParts response.
type ListPartsResult struct {
	XMLName              xml.Name     `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
	Bucket               string       `xml:"Bucket"`
	Key                  string       `xml:"Key"`
	UploadID             string       `xml:"UploadId"`
	PartNumberMarker     int          `xml:"PartNumberMarker"`
	NextPartNumberMarker int          `xml:"NextPartNumberMarker,omitempty"`
	MaxParts             int          `xml:"MaxParts"`
	IsTruncated          bool         `xml:"IsTruncated"`
	Parts                []Part       `xml:"Part"`
	Initiator            *Initiator   `xml:"Initiator,omitempty"`
	Owner                *Owner       `xml:"Owner,omitempty"`
	StorageClass         StorageClass `xml:"StorageClass"`
	ChecksumAlgorithm    string       `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string       `xml:"ChecksumType,omitempty"`
}

// Part is one uploaded part in ListPartsResult.
type Part struct {
	PartNumber   int   `xml:"PartNumber"`
	LastModified Time  `xml:"LastModified"`
	ETag         ETag  `xml:"ETag"`
	Size         int64 `xml:"Size"`
	Checksums
}

// ListMultipartUploadsResult is the ListMultipartUploads response.
type ListMultipartUploadsResult struct {
	XMLName            xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListMultipartUploadsResult"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker,omitempty"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker,omitempty"`
	Prefix             string         `xml:"Prefix"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	Uploads            []Upload       `xml:"Upload"`
	CommonPrefixes     []CommonPrefix `xml:"CommonPrefixes"`
}

// Upload is one in-progress multipart upload in ListMultipartUploadsResult.
type Upload struct {
	Key               string       `xml:"Key"`
	UploadID          string       `xml:"UploadId"`
	Initiator         *Initiator   `xml:"Initiator,omitempty"`
	Owner             *Owner       `xml:"Owner,omitempty"`
	StorageClass      StorageClass `xml:"StorageClass"`
	Initiated         Time         `xml:"Initiated"`
	ChecksumAlgorithm string       `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string       `xml:"ChecksumType,omitempty"`
}

// ApplyEncoding URL-encodes, in place, the elements S3 encodes when the
// request asked for encoding-type=url: Prefix, Delimiter, KeyMarker,
// NextKeyMarker, every upload's Key and every common prefix. It does nothing
// unless EncodingType is "url", and must be called once, after the result is
// filled in.
func (l *ListMultipartUploadsResult) ApplyEncoding() {
	if l.EncodingType != EncodingURL {
		return
	}
	for _, p := range []*string{&l.Prefix, &l.Delimiter, &l.KeyMarker, &l.NextKeyMarker} {
		*p = URLEncode(*p)
	}
	for i := range l.Uploads {
		l.Uploads[i].Key = URLEncode(l.Uploads[i].Key)
	}
	for i := range l.CommonPrefixes {
		l.CommonPrefixes[i].Prefix = URLEncode(l.CommonPrefixes[i].Prefix)
	}
}
