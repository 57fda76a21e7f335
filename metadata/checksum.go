package metadata

import "fmt"

// Checksum types, as S3 names them in x-amz-checksum-type.
const (
	// ChecksumFullObject: the checksum of all of the object's bytes.
	ChecksumFullObject = "FULL_OBJECT"
	// ChecksumComposite: the checksum of the concatenated part checksums,
	// with "-N" appended for N parts.
	ChecksumComposite = "COMPOSITE"
)

// Checksum is an S3 additional checksum (x-amz-checksum-*). The zero value
// means none.
type Checksum struct {
	Algorithm string // CRC32, CRC32C, CRC64NVME, SHA1 or SHA256; empty for none
	// Value is as S3 sends it: the standard base64 of the digest, plus "-N"
	// for a composite checksum of N parts. Empty for an upload, whose
	// checksum is only declared.
	Value string
	Type  string // ChecksumFullObject or ChecksumComposite
}

// checkChecksum checks a checksum before it is stored: none at all, or a
// known algorithm and type with (unless declared, as an upload's is) a
// value. A part's value must be plain base64 text.
func checkChecksum(c Checksum, declared bool) error {
	if c == (Checksum{}) {
		return nil
	}
	switch c.Algorithm {
	case "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256":
	default:
		return fmt.Errorf("unknown checksum algorithm %q", c.Algorithm)
	}
	if c.Type != ChecksumFullObject && c.Type != ChecksumComposite {
		return fmt.Errorf("unknown checksum type %q", c.Type)
	}
	if declared != (c.Value == "") {
		return fmt.Errorf("checksum %s: value %q where none or one is expected", c.Algorithm, c.Value)
	}
	return checkText("checksum", c.Value)
}
