package s3import

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// objectHeaders is what is copied along with an object's bytes.
type objectHeaders struct {
	contentType, contentEncoding, contentDisposition *string
	contentLanguage, cacheControl                    *string
	expires                                          *time.Time
	metadata                                         map[string]string
	tagCount                                         int32
	tagging                                          *string // x-amz-tagging, once fetched
	// The source's full-object checksum, sent along so the destination
	// checks the bytes against it and keeps it; nil for composite ones.
	crc32, crc32c, crc64nvme, sha1, sha256 *string
}

// fromGet takes the headers of a GetObject answer.
func fromGet(o *s3.GetObjectOutput) objectHeaders {
	h := objectHeaders{contentType: o.ContentType, contentEncoding: cleanEncoding(o.ContentEncoding),
		contentDisposition: o.ContentDisposition, contentLanguage: o.ContentLanguage, cacheControl: o.CacheControl,
		expires: expires(o.ExpiresString, o.Expires), metadata: o.Metadata, tagCount: aws.ToInt32(o.TagCount)}
	if o.ChecksumType != types.ChecksumTypeComposite {
		h.crc32, h.crc32c, h.crc64nvme, h.sha1, h.sha256 = full(o.ChecksumCRC32), full(o.ChecksumCRC32C),
			full(o.ChecksumCRC64NVME), full(o.ChecksumSHA1), full(o.ChecksumSHA256)
	}
	return h
}

// fromHead takes the headers of a HeadObject answer (of a multipart
// object's first part: checksums stay behind, the parts are checked one by
// one).
func fromHead(o *s3.HeadObjectOutput) objectHeaders {
	return objectHeaders{contentType: o.ContentType, contentEncoding: cleanEncoding(o.ContentEncoding),
		contentDisposition: o.ContentDisposition, contentLanguage: o.ContentLanguage, cacheControl: o.CacheControl,
		expires: expires(o.ExpiresString, o.Expires), metadata: o.Metadata, tagCount: aws.ToInt32(o.TagCount)}
}

// hasChecksum reports whether a source checksum goes along.
func (h objectHeaders) hasChecksum() bool {
	return h.crc32 != nil || h.crc32c != nil || h.crc64nvme != nil || h.sha1 != nil || h.sha256 != nil
}

// full is a checksum value unless it is a composite one ("…-N").
func full(s *string) *string {
	if s == nil || strings.Contains(*s, "-") {
		return nil
	}
	return s
}

// cleanEncoding drops aws-chunked, a transfer framing some servers leave
// in Content-Encoding, which is not the object's.
func cleanEncoding(e *string) *string {
	if e == nil {
		return nil
	}
	var keep []string
	for _, t := range strings.Split(*e, ",") {
		if t = strings.TrimSpace(t); t != "" && !strings.EqualFold(t, "aws-chunked") {
			keep = append(keep, t)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return aws.String(strings.Join(keep, ","))
}

// expires parses the Expires header; a value that is no HTTP date is
// dropped (the SDK cannot send it).
func expires(s *string, t *time.Time) *time.Time {
	if s != nil {
		if p, err := http.ParseTime(*s); err == nil {
			return &p
		}
		return nil
	}
	return t
}

// fetchTags reads the source version's tags, if the listing headers say
// it has any, into h.tagging.
func (im *importer) fetchTags(ctx context.Context, bucket, key, versionID string, h *objectHeaders) error {
	if h.tagCount <= 0 {
		return nil
	}
	out, err := call(ctx, im.cfg, "reading tags", func(ctx context.Context) (*s3.GetObjectTaggingOutput, error) {
		return im.src.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: optional(versionID)})
	})
	if err != nil {
		return err
	}
	if len(out.TagSet) == 0 {
		return nil
	}
	v := url.Values{}
	for _, t := range out.TagSet {
		v.Add(aws.ToString(t.Key), aws.ToString(t.Value))
	}
	h.tagging = aws.String(v.Encode())
	return nil
}

// optional is nil for "", else s.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// putInput fills a PutObject with h.
func (h objectHeaders) putInput(in *s3.PutObjectInput) {
	in.ContentType, in.ContentEncoding, in.ContentDisposition = h.contentType, h.contentEncoding, h.contentDisposition
	in.ContentLanguage, in.CacheControl, in.Expires, in.Metadata, in.Tagging = h.contentLanguage, h.cacheControl, h.expires, h.metadata, h.tagging
	in.ChecksumCRC32, in.ChecksumCRC32C, in.ChecksumCRC64NVME, in.ChecksumSHA1, in.ChecksumSHA256 = h.crc32, h.crc32c, h.crc64nvme, h.sha1, h.sha256
}

// createInput fills a CreateMultipartUpload with h.
func (h objectHeaders) createInput(in *s3.CreateMultipartUploadInput) {
	in.ContentType, in.ContentEncoding, in.ContentDisposition = h.contentType, h.contentEncoding, h.contentDisposition
	in.ContentLanguage, in.CacheControl, in.Expires, in.Metadata, in.Tagging = h.contentLanguage, h.cacheControl, h.expires, h.metadata, h.tagging
}
