package checksum

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/floe-s3/floe/s3api/s3err"
)

// Known digests of "123456789" (the CRC catalogue check input) and of the
// empty string.
func TestVectors(t *testing.T) {
	tests := []struct {
		a        Algorithm
		in       string
		wantHex  string
		wantBase string
	}{
		{CRC32, "123456789", "cbf43926", "y/Q5Jg=="},
		{CRC32C, "123456789", "e3069283", "4waSgw=="},
		{CRC64NVME, "123456789", "ae8b14860a799888", "rosUhgp5mIg="},
		{SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
		{SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{CRC32, "", "00000000", "AAAAAA=="},
		{CRC64NVME, "", "0000000000000000", "AAAAAAAAAAA="},
	}
	for _, tt := range tests {
		h, err := New(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(tt.in))
		sum := h.Sum(nil)
		if got := bytesHex(sum); got != tt.wantHex {
			t.Errorf("%s(%q) = %s, want %s", tt.a, tt.in, got, tt.wantHex)
		}
		if got := Encode(sum); got != tt.wantBase {
			t.Errorf("%s(%q) base64 = %s, want %s", tt.a, tt.in, got, tt.wantBase)
		}
		if len(sum) != tt.a.Size() {
			t.Errorf("%s: Size %d, digest %d", tt.a, tt.a.Size(), len(sum))
		}
	}
}

func bytesHex(b []byte) string {
	const hex = "0123456789abcdef"
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = append(s, hex[c>>4], hex[c&15])
	}
	return string(s)
}

func TestNames(t *testing.T) {
	tests := []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"crc32", CRC32, true},
		{"CRC32C", CRC32C, true},
		{"Crc64Nvme", CRC64NVME, true},
		{"sha1", SHA1, true},
		{"SHA256", SHA256, true},
		{"md5", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		a, err := Parse(tt.in)
		if (err == nil) != tt.ok || a != tt.want {
			t.Errorf("Parse(%q) = %q, %v", tt.in, a, err)
		}
		if !tt.ok {
			if !errors.Is(err, s3err.InvalidRequest) {
				t.Errorf("Parse(%q) error %v", tt.in, err)
			}
			if _, err := New(Algorithm(tt.in)); err == nil {
				t.Errorf("New(%q) succeeded", tt.in)
			}
			continue
		}
		h := "X-Amz-Checksum-" + tt.in
		if got, ok := FromHeader(h); !ok || got != tt.want {
			t.Errorf("FromHeader(%q) = %q, %v", h, got, ok)
		}
		if got, ok := FromHeader(tt.want.Header()); !ok || got != tt.want {
			t.Errorf("FromHeader(%q) = %q, %v", tt.want.Header(), got, ok)
		}
	}
	for _, h := range []string{"x-amz-checksum-", "x-amz-checksum-md5", "x-amz-checksum", "content-md5", "x-amz-checksum-type"} {
		if _, ok := FromHeader(h); ok {
			t.Errorf("FromHeader(%q) succeeded", h)
		}
	}
	if CRC64NVME.Header() != "x-amz-checksum-crc64nvme" {
		t.Error(CRC64NVME.Header())
	}
}

func TestCheck(t *testing.T) {
	sum := []byte{0xcb, 0xf4, 0x39, 0x26}
	tests := []struct {
		want string
		code s3err.Code
	}{
		{"y/Q5Jg==", s3err.Code{}},
		{"AAAAAA==", s3err.BadDigest},
		{"y/Q5Jg", s3err.InvalidRequest},       // unpadded
		{"y/Q5Jg==\n", s3err.InvalidRequest},   // junk
		{"AAAAAAAAAAA=", s3err.InvalidRequest}, // wrong length
		{"!!!!", s3err.InvalidRequest},
	}
	for _, tt := range tests {
		err := Check(CRC32, sum, tt.want)
		if tt.code == (s3err.Code{}) {
			if err != nil {
				t.Errorf("Check(%q) = %v", tt.want, err)
			}
		} else if !errors.Is(err, tt.code) {
			t.Errorf("Check(%q) = %v, want %s", tt.want, err, tt.code.Name)
		}
	}
}

func TestReader(t *testing.T) {
	data := strings.Repeat("123456789", 1000)
	h, _ := New(CRC32C)
	h.Write([]byte(data))
	good := Encode(h.Sum(nil))
	tests := []struct {
		name string
		want string
		code s3err.Code
	}{
		{"match", good, s3err.Code{}},
		{"no check", "", s3err.Code{}},
		{"mismatch", "AAAAAA==", s3err.BadDigest},
		{"malformed", "zz", s3err.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(iotest.OneByteReader(strings.NewReader(data)), CRC32C, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if string(got) != data {
				t.Error("data changed")
			}
			if tt.code == (s3err.Code{}) {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				if !errors.Is(err, tt.code) {
					t.Fatalf("err = %v, want %s", err, tt.code.Name)
				}
				if _, err2 := r.Read(make([]byte, 1)); err2 != err {
					t.Errorf("error not sticky: %v", err2)
				}
			}
			if r.Sum() != good || r.Algorithm() != CRC32C {
				t.Errorf("Sum %s Algorithm %s", r.Sum(), r.Algorithm())
			}
		})
	}
}

func TestReaderFuncLate(t *testing.T) {
	// The expected value is only known once the source is drained, as with
	// an aws-chunked trailer.
	want := ""
	src := &lateSource{r: strings.NewReader("123456789"), done: func() { want = "rosUhgp5mIg=" }}
	r, err := NewReaderFunc(src, CRC64NVME, func() string { return want })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatal(err)
	}
	want = ""
	src = &lateSource{r: strings.NewReader("12345678"), done: func() { want = "rosUhgp5mIg=" }}
	r, _ = NewReaderFunc(src, CRC64NVME, func() string { return want })
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, s3err.BadDigest) {
		t.Fatalf("err = %v", err)
	}
	if _, err := NewReader(bytes.NewReader(nil), "MD5", ""); err == nil {
		t.Error("NewReader(MD5) succeeded")
	}
}

type lateSource struct {
	r    io.Reader
	done func()
}

func (l *lateSource) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if err == io.EOF {
		l.done()
	}
	return n, err
}
