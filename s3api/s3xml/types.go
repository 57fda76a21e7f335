package s3xml

import (
	"strings"
	"time"
)

// TimeFormat is how S3 writes timestamps in XML: RFC 3339 in UTC with
// exactly three fractional digits, e.g. 2006-02-03T16:45:09.000Z.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Time is a time.Time that marshals in TimeFormat.
type Time time.Time

// MarshalText formats t in UTC in TimeFormat.
func (t Time) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format(TimeFormat)), nil
}

// UnmarshalText parses an RFC 3339 timestamp, with or without fraction.
func (t *Time) UnmarshalText(b []byte) error {
	v, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	*t = Time(v)
	return nil
}

// ETag is an entity tag. It marshals in double quotes, as S3 sends it, adding
// them if missing, so callers may hold ETags with or without quotes.
type ETag string

// MarshalText returns the quoted ETag.
func (e ETag) MarshalText() ([]byte, error) { return []byte(QuoteETag(string(e))), nil }

// QuoteETag returns etag in double quotes, unless it already is quoted
// (a weak W/"..." tag is left alone too).
func QuoteETag(etag string) string {
	if len(etag) >= 2 && strings.HasSuffix(etag, `"`) &&
		(strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, `W/"`)) {
		return etag
	}
	return `"` + etag + `"`
}

// UnquoteETag strips the double quotes (and any surrounding whitespace) that
// clients may or may not send around an ETag, as in a CompleteMultipartUpload
// part list, so ETags can be compared.
func UnquoteETag(etag string) string {
	etag = strings.TrimSpace(etag)
	if len(etag) >= 2 && etag[0] == '"' && etag[len(etag)-1] == '"' {
		return etag[1 : len(etag)-1]
	}
	return etag
}

// StorageClassStandard is the only storage class Floe has.
const StorageClassStandard = "STANDARD"

// StorageClass is an S3 storage class; the empty value marshals as
// STANDARD, so responses always name one.
type StorageClass string

// MarshalText returns the class, or STANDARD if empty.
func (s StorageClass) MarshalText() ([]byte, error) {
	if s == "" {
		return []byte(StorageClassStandard), nil
	}
	return []byte(s), nil
}

// Owner identifies the owner of a bucket, object or upload.
type Owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

// Initiator identifies who started a multipart upload.
type Initiator struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

// CommonPrefix is a key prefix rolled up by the delimiter in a listing.
type CommonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// Checksums are the additional checksums S3 reports for an object or part,
// each the base64 of the digest. Empty ones are omitted.
type Checksums struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}
