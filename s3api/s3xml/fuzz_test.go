package s3xml

import (
	"bytes"
	"errors"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

// fuzzLimit keeps fuzz inputs' decoded size small but still exercises the
// limit path.
const fuzzLimit = 64 << 10

// checkDecodeErr requires every failure to be an S3 error a handler can send.
func checkDecodeErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var se *s3err.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not an *s3err.Error", err, err)
	}
	switch se.Code {
	case s3err.MalformedXML, s3err.InvalidArgument, s3err.InvalidPartOrder:
	default:
		t.Fatalf("unexpected code %s for %v", se.Code.Name, err)
	}
}

func FuzzDecodeDelete(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key><VersionId>v</VersionId></Object></Delete>`))
	f.Add([]byte(`<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>&lt;</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key>a</Key></Object></Delete><x/>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var d Delete
		err := Decode(bytes.NewReader(body), fuzzLimit, &d)
		checkDecodeErr(t, err)
		if err == nil && (len(d.Objects) == 0 || len(d.Objects) > MaxDeleteObjects) {
			t.Fatalf("accepted %d objects", len(d.Objects))
		}
	})
}

func FuzzDecodeCompleteMultipart(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber></Part><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ChecksumCRC32C>x</ChecksumCRC32C></Part></CompleteMultipartUpload>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var c CompleteMultipartUpload
		err := Decode(bytes.NewReader(body), fuzzLimit, &c)
		checkDecodeErr(t, err)
		if err != nil {
			return
		}
		for i, p := range c.Parts {
			if p.PartNumber < 1 || p.PartNumber > MaxPartNumber || (i > 0 && p.PartNumber <= c.Parts[i-1].PartNumber) {
				t.Fatalf("accepted parts %+v", c.Parts)
			}
		}
	})
}

func FuzzDecodeCreateBucket(f *testing.F) {
	f.Add([]byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`))
	f.Add([]byte(`<CreateBucketConfiguration/>`))
	f.Add([]byte(" \n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var c CreateBucketConfiguration
		checkDecodeErr(t, Decode(bytes.NewReader(body), fuzzLimit, &c))
	})
}
