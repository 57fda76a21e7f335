package postform

import (
	"bytes"
	"encoding/base64"
	"mime/multipart"
	"testing"
	"time"

	"github.com/floe-s3/floe/s3api/s3err"
)

// FuzzParsePolicy feeds ParsePolicy arbitrary documents, base64-encoded
// and raw: it must never panic, fail only with InvalidPolicyDocument, and
// give a policy that Check, LengthRange and String handle.
func FuzzParsePolicy(f *testing.F) {
	for _, doc := range []string{
		awsExamplePolicy,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"acl": "x"}, ["eq", "$key", "k"], ["starts-with", "$Content-Type", "image/"], ["content-length-range", 1, 10]]}`,
		`{"expiration": "2030-01-01T00:00:00.000Z", "conditions": [["StArTs-WiTh", "$KeY", ""], ["content-length-range", "5", "10"], ["eq", "key", "x"]]}`,
		`{"conditions": [{}, [], ["x"], [1, 2, 3], {"a": 1}], "expiration": 5}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 1e3]]} trailing`,
		`{"EXPIRATION": null, "conditions": null, "conditions": []}`,
		`[[[[[[[[[[`,
		``,
	} {
		f.Add(base64.StdEncoding.EncodeToString([]byte(doc)))
	}
	f.Add("not base64!")
	f.Add("eyJ")
	f.Fuzz(func(t *testing.T, in string) {
		for _, s := range []string{in, base64.StdEncoding.EncodeToString([]byte(in))} {
			p, err := ParsePolicy(s)
			if err != nil {
				if c := codeOf(t, err); c != s3err.InvalidPolicyDocument {
					t.Fatalf("code %s: %v", c.Name, err)
				}
				continue
			}
			if min, max, ok := p.LengthRange(); ok && (min < 0 || max < 0) {
				t.Fatalf("negative range %d..%d", min, max)
			}
			for _, c := range p.Conditions {
				_ = c.String()
				if c.Op != OpEq && c.Op != OpStartsWith && c.Op != OpContentLengthRange {
					t.Fatalf("operation %q", c.Op)
				}
			}
			fields := map[string]string{"bucket": "b", "key": "k", "acl": "x", "content-type": "image/png,image/gif"}
			if err := p.Check(fields, time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
				if c := codeOf(t, err); c != s3err.AccessDenied {
					t.Fatalf("Check: code %s: %v", c.Name, err)
				}
			}
		}
	})
}

// FuzzRead feeds Read arbitrary bodies: it must never panic, fail only
// with the form errors, and keep within MaxPreFileBytes.
func FuzzRead(f *testing.F) {
	good, _ := buildForm(f, field("key", "k"), field("Policy", "p"), fileNamed(`C:\a\b.txt`, "content"), field("after", "x"))
	f.Add(good)
	dup, _ := buildForm(f, field("key", "k"), field("KEY", "k"), fileNamed("f", "x"))
	f.Add(dup)
	nofile, _ := buildForm(f, field("key", "k"))
	f.Add(nofile)
	f.Add([]byte("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, body []byte) {
		// buildForm's boundaries are random: use the body's own, if any.
		boundary := "b"
		if i := bytes.Index(body, []byte("\r\n")); i > 2 && body[0] == '-' && body[1] == '-' {
			boundary = string(body[2:i])
		}
		mr := multipart.NewReader(bytes.NewReader(body), boundary)
		form, err := Read(mr)
		if err != nil {
			switch c := codeOf(t, err); c {
			case s3err.MalformedPOSTRequest, s3err.InvalidArgument, s3err.IncorrectNumberOfFilesInPostRequest:
			default:
				t.Fatalf("code %s: %v", c.Name, err)
			}
			return
		}
		n := 0
		for k, v := range form.Fields {
			n += len(k) + len(v)
			if k == "file" {
				t.Fatal(`"file" among the fields`)
			}
		}
		if n > MaxPreFileBytes {
			t.Fatalf("kept %d bytes of fields", n)
		}
		if form.File == nil {
			t.Fatal("no file part")
		}
	})
}
