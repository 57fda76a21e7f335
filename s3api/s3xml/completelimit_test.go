package s3xml

import (
	"fmt"
	"strings"
	"testing"
)

// The largest CompleteMultipartUpload a client could reasonably send — 10,000
// parts, each with an entity-escaped quoted ETag and every checksum, indented
// with CRLF line ends — fits under CompleteMultipartLimit and decodes.
func TestCompleteMultipartLimitFitsMaxParts(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\r\n")
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + "\r\n")
	for n := 1; n <= MaxPartNumber; n++ {
		fmt.Fprintf(&b, "    <Part>\r\n        <PartNumber>%d</PartNumber>\r\n", n)
		fmt.Fprintf(&b, "        <ETag>&quot;%032x&quot;</ETag>\r\n", n)
		for _, c := range []struct {
			name string
			len  int // base64 length of the digest
		}{{"ChecksumCRC32", 8}, {"ChecksumCRC32C", 8}, {"ChecksumCRC64NVME", 12}, {"ChecksumSHA1", 28}, {"ChecksumSHA256", 44}} {
			fmt.Fprintf(&b, "        <%s>%s</%s>\r\n", c.name, strings.Repeat("A", c.len), c.name)
		}
		b.WriteString("    </Part>\r\n")
	}
	b.WriteString("</CompleteMultipartUpload>\r\n")
	t.Logf("%d-part body: %d bytes, limit %d", MaxPartNumber, b.Len(), CompleteMultipartLimit)
	if b.Len() > CompleteMultipartLimit {
		t.Fatalf("a %d-part body of %d bytes exceeds CompleteMultipartLimit %d", MaxPartNumber, b.Len(), CompleteMultipartLimit)
	}
	var c CompleteMultipartUpload
	if err := Decode(strings.NewReader(b.String()), CompleteMultipartLimit, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Parts) != MaxPartNumber || c.Parts[MaxPartNumber-1].PartNumber != MaxPartNumber ||
		UnquoteETag(c.Parts[0].ETag) != fmt.Sprintf("%032x", 1) || c.Parts[0].ChecksumSHA256 == "" {
		t.Fatalf("decoded %d parts; last %+v", len(c.Parts), c.Parts[len(c.Parts)-1])
	}
}
