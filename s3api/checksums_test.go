package s3api

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/checksum"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// code returns err's S3 error code, or "" for none.
func code(err error) string {
	if err == nil {
		return ""
	}
	var se *s3err.Error
	if errors.As(err, &se) {
		return se.Code.Name
	}
	return "not an S3 error: " + err.Error()
}

func sumOf(t *testing.T, a checksum.Algorithm, b []byte) string {
	t.Helper()
	h, err := checksum.New(a)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(b)
	return checksum.Encode(h.Sum(nil))
}

func TestUploadChecksum(t *testing.T) {
	tests := []struct {
		alg, typ string
		want     metadata.Checksum
		code     string
	}{
		{"", "", metadata.Checksum{}, ""},
		{"crc32", "", metadata.Checksum{Algorithm: "CRC32", Type: "COMPOSITE"}, ""},
		{"CRC32C", "FULL_OBJECT", metadata.Checksum{Algorithm: "CRC32C", Type: "FULL_OBJECT"}, ""},
		{"CRC64NVME", "", metadata.Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT"}, ""},
		{"SHA256", "composite", metadata.Checksum{Algorithm: "SHA256", Type: "COMPOSITE"}, ""},
		{"SHA1", "FULL_OBJECT", metadata.Checksum{}, "InvalidRequest"},
		{"CRC64NVME", "COMPOSITE", metadata.Checksum{}, "InvalidRequest"},
		{"MD5", "", metadata.Checksum{}, "InvalidRequest"},
		{"CRC32", "PARTIAL", metadata.Checksum{}, "InvalidRequest"},
		{"", "FULL_OBJECT", metadata.Checksum{}, "InvalidRequest"},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.alg != "" {
			h.Set("X-Amz-Checksum-Algorithm", tt.alg)
		}
		if tt.typ != "" {
			h.Set("X-Amz-Checksum-Type", tt.typ)
		}
		got, err := uploadChecksum(h)
		if code(err) != tt.code || got != tt.want {
			t.Errorf("uploadChecksum(%q, %q) = %+v, %v; want %+v, %q", tt.alg, tt.typ, got, err, tt.want, tt.code)
		}
	}
}

// partBody is an UploadPart body of payload, with the client's checksum
// header for alg unless alg is empty.
func partBody(t *testing.T, alg checksum.Algorithm, payload []byte) *objectBody {
	t.Helper()
	r := httptest.NewRequest(http.MethodPut, "/b/k?partNumber=1&uploadId=u", bytes.NewReader(payload))
	if alg != "" {
		r.Header.Set(alg.Header(), sumOf(t, alg, payload))
	}
	b, err := newObjectBody(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPartChecksum(t *testing.T) {
	payload := []byte("the part's bytes")
	composite := metadata.Checksum{Algorithm: "SHA256", Type: "COMPOSITE"}
	full := metadata.Checksum{Algorithm: "CRC32C", Type: "FULL_OBJECT"}
	tests := []struct {
		name   string
		upload metadata.Checksum
		sent   checksum.Algorithm // the client's checksum; "" for none
		stored checksum.Algorithm // "" when refused
	}{
		{"composite, same algorithm", composite, checksum.SHA256, checksum.SHA256},
		{"composite, none sent", composite, "", ""},
		{"composite, other algorithm", composite, checksum.CRC32, ""},
		{"full object, same algorithm", full, checksum.CRC32C, checksum.CRC32C},
		{"full object, none sent: computed", full, "", checksum.CRC32C},
		{"full object, other algorithm", full, checksum.CRC64NVME, ""},
		{"undeclared, none sent", metadata.Checksum{}, "", checksum.CRC64NVME},
		{"undeclared, CRC32 sent: verified, CRC64NVME stored", metadata.Checksum{}, checksum.CRC32, checksum.CRC64NVME},
	}
	for _, tt := range tests {
		b := partBody(t, tt.sent, payload)
		sum, err := partChecksum(metadata.Upload{Checksum: tt.upload}, b)
		if tt.stored == "" {
			if code(err) != "InvalidRequest" {
				t.Errorf("%s: %v, want InvalidRequest", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := io.ReadAll(b.r)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("%s: read %q, %v", tt.name, got, err)
		}
		if sum.Algorithm() != tt.stored || sum.Sum() != sumOf(t, tt.stored, payload) {
			t.Errorf("%s: stores %s %s, want %s %s", tt.name, sum.Algorithm(), sum.Sum(), tt.stored, sumOf(t, tt.stored, payload))
		}
	}
}

func TestCompletedChecksum(t *testing.T) {
	p1, p2 := bytes.Repeat([]byte("a"), 1000), []byte("tail")
	parts := func(a checksum.Algorithm) []metadata.UploadPart {
		return []metadata.UploadPart{{Number: 1, Size: int64(len(p1)), Checksum: sumOf(t, a, p1)},
			{Number: 3, Size: int64(len(p2)), Checksum: sumOf(t, a, p2)}}
	}
	whole := append(append([]byte{}, p1...), p2...)
	sha := func(b []byte) []byte {
		h, _ := checksum.New(checksum.SHA256)
		h.Write(b)
		return h.Sum(nil)
	}
	tests := []struct {
		name   string
		upload metadata.Checksum
		parts  []metadata.UploadPart
		want   metadata.Checksum
	}{
		{"composite", metadata.Checksum{Algorithm: "SHA256", Type: "COMPOSITE"}, parts(checksum.SHA256),
			metadata.Checksum{Algorithm: "SHA256", Type: "COMPOSITE", Value: checksum.Encode(sha(append(sha(p1), sha(p2)...))) + "-2"}},
		{"full object", metadata.Checksum{Algorithm: "CRC32", Type: "FULL_OBJECT"}, parts(checksum.CRC32),
			metadata.Checksum{Algorithm: "CRC32", Type: "FULL_OBJECT", Value: sumOf(t, checksum.CRC32, whole)}},
		{"undeclared", metadata.Checksum{}, parts(checksum.CRC64NVME),
			metadata.Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT", Value: sumOf(t, checksum.CRC64NVME, whole)}},
		{"a part without one", metadata.Checksum{}, append(parts(checksum.CRC64NVME), metadata.UploadPart{Number: 4, Size: 1}),
			metadata.Checksum{}},
	}
	for _, tt := range tests {
		got, err := completedChecksum(metadata.Upload{Checksum: tt.upload}, tt.parts)
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestCheckCompletePart(t *testing.T) {
	stored := metadata.UploadPart{Number: 2, Checksum: "AAAAAA=="}
	composite := metadata.Upload{Checksum: metadata.Checksum{Algorithm: "CRC32", Type: "COMPOSITE"}}
	full := metadata.Upload{Checksum: metadata.Checksum{Algorithm: "CRC32", Type: "FULL_OBJECT"}}
	undeclared := metadata.Upload{}
	tests := []struct {
		name  string
		up    metadata.Upload
		given s3xml.Checksums
		code  string
	}{
		{"composite, matching", composite, s3xml.Checksums{ChecksumCRC32: "AAAAAA=="}, ""},
		{"composite, wrong", composite, s3xml.Checksums{ChecksumCRC32: "AAAAAQ=="}, "InvalidPart"},
		{"composite, missing", composite, s3xml.Checksums{}, "InvalidRequest"},
		{"composite, other algorithm", composite, s3xml.Checksums{ChecksumCRC32: "AAAAAA==", ChecksumSHA1: "x"}, "InvalidPart"},
		{"full object, missing", full, s3xml.Checksums{}, ""},
		{"full object, wrong", full, s3xml.Checksums{ChecksumCRC32: "AAAAAQ=="}, "InvalidPart"},
		{"undeclared, CRC64NVME wrong", undeclared, s3xml.Checksums{ChecksumCRC64NVME: "AAAAAAAAAAE="}, "InvalidPart"},
		{"undeclared, CRC32 not kept", undeclared, s3xml.Checksums{ChecksumCRC32: "AAAAAQ=="}, ""},
	}
	for _, tt := range tests {
		if tt.up.Checksum.Algorithm == "" {
			stored.Checksum = "AAAAAAAAAAA="
		} else {
			stored.Checksum = "AAAAAA=="
		}
		err := checkCompletePart(tt.up, s3xml.CompletePart{PartNumber: 2, Checksums: tt.given}, stored)
		if code(err) != tt.code {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.code)
		}
	}
}

func TestCheckCompleteHeaders(t *testing.T) {
	c := metadata.Checksum{Algorithm: "CRC32", Value: "AAAAAA==-2", Type: "COMPOSITE"}
	tests := []struct {
		headers map[string]string
		code    string
	}{
		{nil, ""},
		{map[string]string{"X-Amz-Checksum-Type": "composite"}, ""},
		{map[string]string{"X-Amz-Checksum-Type": "FULL_OBJECT"}, "BadDigest"},
		{map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA==-2"}, ""},
		{map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}, ""},
		{map[string]string{"X-Amz-Checksum-Crc32": "AAAAAQ=="}, "BadDigest"},
		{map[string]string{"X-Amz-Checksum-Sha256": "AAAAAA=="}, "BadDigest"},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.headers {
			h.Set(k, v)
		}
		if err := checkCompleteHeaders(h, c); code(err) != tt.code {
			t.Errorf("%v: %v, want %q", tt.headers, err, tt.code)
		}
	}
}

func TestGetChecksumHeaders(t *testing.T) {
	obj := metadata.Object{Size: 10, Checksum: metadata.Checksum{Algorithm: "CRC64NVME", Value: "v", Type: "FULL_OBJECT"}}
	tests := []struct {
		mode          string
		start, length int64
		want          bool
	}{
		{"ENABLED", 0, 10, true},
		{"enabled", 0, 10, true},
		{"", 0, 10, false},
		{"ENABLED", 0, 9, false},
		{"ENABLED", 1, 9, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/b/k", nil)
		r.Header.Set("X-Amz-Checksum-Mode", tt.mode)
		h := http.Header{}
		setGetChecksumHeaders(h, r, obj, tt.start, tt.length)
		got := h.Get("X-Amz-Checksum-Crc64nvme") == "v" && h.Get("X-Amz-Checksum-Type") == "FULL_OBJECT"
		if got != tt.want || (!tt.want && len(h) != 0) {
			t.Errorf("mode %q, bytes %d+%d: headers %v, want them %v", tt.mode, tt.start, tt.length, h, tt.want)
		}
	}
	// An object stored before checksums has none to return.
	h := http.Header{}
	r := httptest.NewRequest(http.MethodGet, "/b/k", nil)
	r.Header.Set("X-Amz-Checksum-Mode", "ENABLED")
	setGetChecksumHeaders(h, r, metadata.Object{Size: 10}, 0, 10)
	if len(h) != 0 {
		t.Errorf("object without a checksum: headers %v", h)
	}
}

func TestCopyAlgorithm(t *testing.T) {
	full := metadata.Object{Checksum: metadata.Checksum{Algorithm: "SHA1", Value: "v", Type: "FULL_OBJECT"}}
	composite := metadata.Object{Checksum: metadata.Checksum{Algorithm: "SHA1", Value: "v-2", Type: "COMPOSITE"}}
	tests := []struct {
		header string
		src    metadata.Object
		want   checksum.Algorithm
		code   string
	}{
		{"", full, checksum.SHA1, ""},
		{"", composite, checksum.CRC64NVME, ""},
		{"", metadata.Object{}, checksum.CRC64NVME, ""},
		{"crc32c", full, checksum.CRC32C, ""},
		{"md5", full, "", "InvalidRequest"},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("X-Amz-Checksum-Algorithm", tt.header)
		}
		got, err := copyAlgorithm(h, tt.src)
		if got != tt.want || code(err) != tt.code {
			t.Errorf("copyAlgorithm(%q, %+v) = %q, %v; want %q, %q", tt.header, tt.src.Checksum, got, err, tt.want, tt.code)
		}
	}
	// A mismatch is the server's fault (corrupt data): an internal error,
	// not an S3 error blaming the client.
	if err := checkCopied(full, metadata.Checksum{Algorithm: "SHA1", Value: "w", Type: "FULL_OBJECT"}); err == nil || !strings.HasPrefix(code(err), "not an S3 error") {
		t.Errorf("checkCopied with a mismatch: %v, want an internal error", err)
	}
	if err := checkCopied(composite, metadata.Checksum{Algorithm: "SHA1", Value: "w", Type: "FULL_OBJECT"}); err != nil {
		t.Errorf("checkCopied of a composite source: %v", err)
	}
}

// MD5s from the md5-simd lanes are MD5s, from many bodies at once as from
// one; a closed body's hash refuses work instead of panicking; only large
// payloads go to the lanes.
func TestLanedETag(t *testing.T) {
	payloads := make([][]byte, 20)
	for i := range payloads {
		payloads[i] = bytes.Repeat([]byte{byte(i), 7, byte(i * 3)}, (256<<10+i*4099)/3+1)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(payloads))
	for _, p := range payloads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := &lanedMD5{Hasher: md5Server().NewHash()}
			for rest := p; len(rest) > 0; {
				n := min(len(rest), 10007)
				h.Write(rest[:n])
				rest = rest[n:]
			}
			want := md5.Sum(p)
			if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
				errs <- fmt.Errorf("%d bytes: MD5 %x, want %x", len(p), got, want)
			}
			h.close()
			if _, err := h.Write(p[:10]); err == nil || len(h.Sum(nil)) != 0 {
				errs <- fmt.Errorf("a closed hash took a write or gave a sum")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, ok := newETagHash(simdMD5From).(*lanedMD5); !ok {
		t.Error("a large payload is not hashed in the lanes")
	}
	if _, ok := newETagHash(simdMD5From - 1).(*lanedMD5); ok {
		t.Error("a small payload went to the lanes")
	}
}
