package s3api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/checksum"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// Every new object gets an additional checksum, as in Amazon S3 since
// 2025: the one its client sent, verified, or else CRC64NVME computed as
// the bytes stream in. A multipart object's comes from its parts'
// checksums (composite, or CRCs combined into a full-object one), so
// completing an upload reads no bytes.

// defaultAlgorithm is the checksum S3 gives an object whose client sent
// none, and the one parts of an upload that declared none carry.
const defaultAlgorithm = checksum.CRC64NVME

// checksumAlgorithmHeader declares a multipart upload's algorithm, or a
// copy's.
const checksumAlgorithmHeader = "x-amz-checksum-algorithm"

// ensureChecksum makes b compute a as it streams and returns the reader
// whose Sum is a's checksum of the payload once b.r hit EOF. If the
// client's checksum is a, that reader (which also verifies it) is reused.
func (b *objectBody) ensureChecksum(a checksum.Algorithm) (*checksum.Reader, error) {
	if b.checksum != nil && b.checksum.Algorithm() == a {
		return b.checksum, nil
	}
	cr, err := checksum.NewReader(b.r, a, "")
	if err != nil {
		return nil, err
	}
	b.r = cr
	return cr, nil
}

// putChecksum sets b up to compute the checksum a PutObject stores: the
// client's algorithm, or the default.
func (b *objectBody) putChecksum() *checksum.Reader {
	if b.checksum != nil {
		return b.checksum
	}
	cr, _ := b.ensureChecksum(defaultAlgorithm) // a valid algorithm: cannot fail
	return cr
}

// fullObject returns the full-object checksum sum computed.
func fullObject(sum *checksum.Reader) metadata.Checksum {
	return metadata.Checksum{Algorithm: string(sum.Algorithm()), Value: sum.Sum(), Type: metadata.ChecksumFullObject}
}

// setChecksumHeaders sets x-amz-checksum-<algorithm> and
// x-amz-checksum-type to c, if there is one.
func setChecksumHeaders(h http.Header, c metadata.Checksum) {
	if c.Algorithm == "" {
		return
	}
	h.Set(checksum.Algorithm(c.Algorithm).Header(), c.Value)
	h.Set(checksum.TypeHeader, c.Type)
}

// setGetChecksumHeaders adds obj's checksum to a GET or HEAD response that
// asked for it (x-amz-checksum-mode: ENABLED) and returns bytes
// [start, start+length) of obj: only when those are the whole object,
// since the checksum covers nothing less.
func setGetChecksumHeaders(h http.Header, r *http.Request, obj metadata.Object, start, length int64) {
	if !strings.EqualFold(r.Header.Get("x-amz-checksum-mode"), "ENABLED") || start != 0 || length != obj.Size {
		return
	}
	setChecksumHeaders(h, obj.Checksum)
}

// uploadChecksum reads the algorithm and type a CreateMultipartUpload
// declares. Without a type, CRC64NVME is FULL_OBJECT (its only type) and
// the others COMPOSITE, as in S3.
func uploadChecksum(h http.Header) (metadata.Checksum, error) {
	as, ts := h.Get(checksumAlgorithmHeader), h.Get(checksum.TypeHeader)
	if as == "" {
		if ts != "" {
			return metadata.Checksum{}, s3err.New(s3err.InvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		return metadata.Checksum{}, nil
	}
	a, err := checksum.Parse(as)
	if err != nil {
		return metadata.Checksum{}, err
	}
	t := checksum.Composite
	if a == checksum.CRC64NVME {
		t = checksum.FullObject
	}
	if ts != "" {
		var ok bool
		if t, ok = checksum.ParseType(ts); !ok {
			return metadata.Checksum{}, s3err.New(s3err.InvalidRequest, "Value for x-amz-checksum-type header is invalid.")
		}
	}
	switch {
	case t == checksum.FullObject && !a.IsCRC():
		return metadata.Checksum{}, s3err.Errorf(s3err.InvalidRequest, "The FULL_OBJECT checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(string(a)))
	case t == checksum.Composite && a == checksum.CRC64NVME:
		return metadata.Checksum{}, s3err.New(s3err.InvalidRequest, "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
	}
	return metadata.Checksum{Algorithm: string(a), Type: string(t)}, nil
}

// partAlgorithm is the algorithm up's parts carry: the declared one, or
// the default.
func partAlgorithm(up metadata.Upload) checksum.Algorithm {
	if up.Checksum.Algorithm == "" {
		return defaultAlgorithm
	}
	return checksum.Algorithm(up.Checksum.Algorithm)
}

// partChecksum sets b, the body of an UploadPart of up, up to compute the
// checksum the part stores. A part of an upload that declared an algorithm
// must not carry another's checksum, nor, for a composite checksum, none
// at all (the client needs each part's for the Complete request); S3
// refuses both with InvalidRequest. A part of an upload that declared
// nothing may carry any checksum, which is verified; it stores CRC64NVME.
func partChecksum(up metadata.Upload, b *objectBody) (*checksum.Reader, error) {
	if want := up.Checksum.Algorithm; want != "" {
		got := "null"
		if b.checksum != nil {
			got = string(b.checksum.Algorithm())
		}
		if got != want && (b.checksum != nil || up.Checksum.Type == metadata.ChecksumComposite) {
			return nil, s3err.Errorf(s3err.InvalidRequest, "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s", strings.ToLower(want), strings.ToLower(got))
		}
	}
	return b.ensureChecksum(partAlgorithm(up))
}

// xmlChecksums returns value as the Checksum<algorithm> element of a.
func xmlChecksums(a checksum.Algorithm, value string) s3xml.Checksums {
	var c s3xml.Checksums
	if f := checksumField(&c, a); f != nil {
		*f = value
	}
	return c
}

// checksumField returns c's field for a, or nil.
func checksumField(c *s3xml.Checksums, a checksum.Algorithm) *string {
	switch a {
	case checksum.CRC32:
		return &c.ChecksumCRC32
	case checksum.CRC32C:
		return &c.ChecksumCRC32C
	case checksum.CRC64NVME:
		return &c.ChecksumCRC64NVME
	case checksum.SHA1:
		return &c.ChecksumSHA1
	case checksum.SHA256:
		return &c.ChecksumSHA256
	}
	return nil
}

// checkCompletePart checks the checksums a CompleteMultipartUpload gives
// for part p of upload up against the one stored: a mismatch is
// InvalidPart, as is a checksum of an algorithm the upload did not declare.
// A composite upload's Complete must give every part's. An upload that
// declared nothing has its parts' CRC64NVME checked; other algorithms'
// values cannot be, and are ignored.
func checkCompletePart(up metadata.Upload, cp s3xml.CompletePart, p metadata.UploadPart) error {
	alg := partAlgorithm(up)
	for _, a := range checksum.Algorithms {
		given := *checksumField(&cp.Checksums, a)
		switch {
		case given == "":
		case a == alg:
			if p.Checksum != "" && given != p.Checksum {
				return s3err.Errorf(s3err.InvalidPart, "One or more of the specified parts could not be found. The %s checksum of part %d does not match the one uploaded.", a, cp.PartNumber)
			}
		case up.Checksum.Algorithm != "":
			return s3err.Errorf(s3err.InvalidPart, "One or more of the specified parts could not be found. Part %d has no %s checksum: the upload uses %s.", cp.PartNumber, a, alg)
		}
	}
	if up.Checksum.Type == metadata.ChecksumComposite && *checksumField(&cp.Checksums, alg) == "" {
		return s3err.Errorf(s3err.InvalidRequest, "The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.", strings.ToLower(string(alg)), cp.PartNumber)
	}
	return nil
}

// completedChecksum returns the checksum of the object made of parts of
// up: composite or full-object as the upload declared, or a CRC64NVME
// full-object checksum if it declared nothing. It is none if a part has no
// checksum (one uploaded before Floe kept them).
func completedChecksum(up metadata.Upload, parts []metadata.UploadPart) (metadata.Checksum, error) {
	alg, typ := partAlgorithm(up), checksum.Type(up.Checksum.Type)
	if typ == "" {
		typ = checksum.FullObject
	}
	sums := make([][]byte, len(parts))
	for i, p := range parts {
		if p.Checksum == "" {
			return metadata.Checksum{}, nil
		}
		var err error
		if sums[i], err = checksum.Decode(alg, p.Checksum); err != nil {
			return metadata.Checksum{}, fmt.Errorf("part %d: stored checksum: %w", p.Number, err)
		}
	}
	c := metadata.Checksum{Algorithm: string(alg), Type: string(typ)}
	if typ == checksum.Composite {
		v, err := checksum.CompositeOf(alg, sums)
		c.Value = v
		return c, err
	}
	var sum []byte
	for i, p := range parts {
		if i == 0 {
			sum = sums[0]
			continue
		}
		var err error
		if sum, err = checksum.Combine(alg, sum, sums[i], p.Size); err != nil {
			return metadata.Checksum{}, fmt.Errorf("part %d: %w", p.Number, err)
		}
	}
	c.Value = checksum.Encode(sum)
	return c, nil
}

// checkCompleteHeaders checks the object checksum and type a
// CompleteMultipartUpload may send against c, the one computed: a
// mismatch is BadDigest. A composite value matches with or without its
// "-N".
func checkCompleteHeaders(h http.Header, c metadata.Checksum) error {
	if t := h.Get(checksum.TypeHeader); t != "" && !strings.EqualFold(t, c.Type) {
		return s3err.Errorf(s3err.BadDigest, "The checksum type %s does not match the upload's %s.", t, c.Type)
	}
	bare, _, _ := strings.Cut(c.Value, "-") // base64 has no "-"
	for _, a := range checksum.Algorithms {
		v := h.Get(a.Header())
		if v == "" {
			continue
		}
		if string(a) != c.Algorithm || (v != c.Value && v != bare) {
			return s3err.Errorf(s3err.BadDigest, "The %s you specified did not match the calculated checksum.", a)
		}
	}
	return nil
}

// copyAlgorithm picks the checksum algorithm of a copy of src: the one the
// request names in x-amz-checksum-algorithm, else the source's if it has a
// full-object checksum, else the default.
func copyAlgorithm(h http.Header, src metadata.Object) (checksum.Algorithm, error) {
	if v := h.Get(checksumAlgorithmHeader); v != "" {
		return checksum.Parse(v)
	}
	if src.Checksum.Type == metadata.ChecksumFullObject && checksum.Algorithm(src.Checksum.Algorithm).Valid() {
		return checksum.Algorithm(src.Checksum.Algorithm), nil
	}
	return defaultAlgorithm, nil
}

// checkCopied compares c, the checksum computed over the bytes a copy
// read, with src's stored one when they are comparable: a mismatch means
// the stored bytes are corrupt, and the copy must not be committed.
func checkCopied(src metadata.Object, c metadata.Checksum) error {
	s := src.Checksum
	if s.Type == metadata.ChecksumFullObject && s.Algorithm == c.Algorithm && s.Value != c.Value {
		return fmt.Errorf("copy of %s/%s: read bytes with %s %s, stored checksum is %s", src.Bucket, src.Key, c.Algorithm, c.Value, s.Value)
	}
	return nil
}
