package postform

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

func TestRead(t *testing.T) {
	big := strings.Repeat("a", MaxPreFileBytes)
	tests := []struct {
		name  string
		parts []part
		// On success:
		fields          map[string]string
		filename, ctype string
		content         string
		// On failure:
		code s3err.Code
		msg  string
	}{
		{
			name: "fields before and after the file",
			parts: []part{
				field("key", "user/${filename}"), field("acl", "private"),
				{name: "file", value: "hello, world", file: true, filename: "photo.jpg", hasName: true, contentType: "image/jpeg"},
				field("submit", "Upload"), field("key", "after"),
			},
			fields:   map[string]string{"key": "user/${filename}", "acl": "private"},
			filename: "photo.jpg", ctype: "image/jpeg", content: "hello, world",
		},
		{
			name: "mixed-case field names are lower-cased, values kept",
			parts: []part{
				field("X-Amz-Credential", "AK/20240517/us-east-1/s3/aws4_request"),
				field("Policy", "eyJ9"), field("KEY", "A/B"), field("Content-Type", "Image/PNG"),
				fileNamed("f", "x"),
			},
			fields: map[string]string{
				"x-amz-credential": "AK/20240517/us-east-1/s3/aws4_request",
				"policy":           "eyJ9", "key": "A/B", "content-type": "Image/PNG",
			},
			filename: "f", content: "x",
		},
		{
			name:   "file part named in another case",
			parts:  []part{field("key", "k"), {name: "File", value: "data", file: true, filename: "a.txt", hasName: true}},
			fields: map[string]string{"key": "k"}, filename: "a.txt", content: "data",
		},
		{
			name:   "file without filename",
			parts:  []part{field("key", "k"), {name: "file", value: "data", file: true}},
			fields: map[string]string{"key": "k"}, content: "data",
		},
		{
			name:   "empty filename",
			parts:  []part{field("key", "k"), fileNamed("", "")},
			fields: map[string]string{"key": "k"},
		},
		{
			name:   "Windows path: base name only",
			parts:  []part{fileNamed(`C:\Program Files\directory1\file.txt`, "x")},
			fields: map[string]string{}, filename: "file.txt", content: "x",
		},
		{
			name:   "Unix path: base name only",
			parts:  []part{fileNamed("a/b/c.txt", "x")},
			fields: map[string]string{}, filename: "c.txt", content: "x",
		},
		{
			name:   "UTF-8 filename",
			parts:  []part{fileNamed("président.jpg", "x")},
			fields: map[string]string{}, filename: "président.jpg", content: "x",
		},
		{
			name:   "empty field value",
			parts:  []part{field("x-amz-meta-tag", ""), fileNamed("f", "x")},
			fields: map[string]string{"x-amz-meta-tag": ""}, filename: "f", content: "x",
		},
		{
			name:   "a large field that fits",
			parts:  []part{field("policy", big[:MaxPreFileBytes-500]), fileNamed("f", "x")},
			fields: map[string]string{"policy": big[:MaxPreFileBytes-500]}, filename: "f", content: "x",
		},
		{
			name:  "no file",
			parts: []part{field("key", "k"), field("policy", "p")},
			code:  s3err.IncorrectNumberOfFilesInPostRequest, msg: "POST requires exactly one file upload per request.",
		},
		{
			name: "empty form",
			code: s3err.IncorrectNumberOfFilesInPostRequest,
		},
		{
			name:  "duplicate field",
			parts: []part{field("key", "a"), field("key", "b"), fileNamed("f", "x")},
			code:  s3err.InvalidArgument, msg: "'key' must appear only once",
		},
		{
			name:  "duplicate field in another case",
			parts: []part{field("x-amz-meta-tag", "a"), field("X-Amz-Meta-Tag", "b"), fileNamed("f", "x")},
			code:  s3err.InvalidArgument, msg: "'X-Amz-Meta-Tag' must appear only once",
		},
		{
			name:  "oversized field",
			parts: []part{field("policy", big+"a"), fileNamed("f", "x")},
			code:  s3err.MalformedPOSTRequest, msg: "Your POST request fields preceding the upload file were too large.",
		},
		{
			name: "fields too large together",
			parts: []part{
				field("x-amz-meta-a", big[:MaxPreFileBytes/2]), field("x-amz-meta-b", big[:MaxPreFileBytes/2]),
				fileNamed("f", "x"),
			},
			code: s3err.MalformedPOSTRequest, msg: "too large",
		},
		{
			name:  "a huge file header",
			parts: []part{fileNamed(big, "x")},
			code:  s3err.MalformedPOSTRequest, msg: "too large",
		},
		{
			name:  "part that is not form-data",
			parts: []part{{raw: `file; name="file"`, value: "x"}},
			code:  s3err.MalformedPOSTRequest, msg: "form-data with a name",
		},
		{
			name:  "part without a name",
			parts: []part{{raw: `form-data`, value: "x"}, fileNamed("f", "x")},
			code:  s3err.MalformedPOSTRequest, msg: "form-data with a name",
		},
		{
			name:  "unparsable Content-Disposition",
			parts: []part{{raw: `form-data; name="unterminated`, value: "x"}, fileNamed("f", "x")},
			code:  s3err.MalformedPOSTRequest, msg: "bad Content-Disposition",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, boundary := buildForm(t, tc.parts...)
			f, err := Read(multipart.NewReader(bytes.NewReader(body), boundary))
			if tc.code != (s3err.Code{}) {
				wantErr(t, err, tc.code, tc.msg)
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !maps.Equal(f.Fields, tc.fields) {
				t.Errorf("fields %q; want %q", f.Fields, tc.fields)
			}
			if f.Filename != tc.filename || f.FileContentType != tc.ctype {
				t.Errorf("filename %q, type %q; want %q, %q", f.Filename, f.FileContentType, tc.filename, tc.ctype)
			}
			got, err := io.ReadAll(f.File)
			if err != nil || string(got) != tc.content {
				t.Errorf("file %q, %v; want %q", got, err, tc.content)
			}
		})
	}
}

func TestReadMalformed(t *testing.T) {
	good, boundary := buildForm(t, field("key", "k"), fileNamed("f", "content"))
	cut := bytes.Index(good, []byte("k\r\n--")) // inside the key field
	tests := []struct {
		name, body string
	}{
		{"not multipart", "hello world"},
		{"truncated inside a field", string(good[:cut+1])},
		{"bad header line", "--" + boundary + "\r\nthis is not a header\r\n\r\nx\r\n--" + boundary + "--\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(multipart.NewReader(strings.NewReader(tc.body), boundary))
			wantErr(t, err, s3err.MalformedPOSTRequest, "")
		})
	}
}

// A body cut short inside a part's headers ends, for mime/multipart, with
// a bare io.EOF, as the close delimiter does: Read cannot tell it from a
// form that lacks a file, and answers that.
func TestReadTruncatedInHeaders(t *testing.T) {
	good, boundary := buildForm(t, field("key", "k"), fileNamed("f", "content"))
	body := good[:bytes.Index(good, []byte("\r\n"))+2] // the first delimiter line
	body = append(body, "Content-Disposition: form-data; name=\"key\"\r\n"...)
	_, err := Read(multipart.NewReader(bytes.NewReader(body), boundary))
	wantErr(t, err, s3err.IncorrectNumberOfFilesInPostRequest, "")
}

// failingReader fails every read: it stands for whatever follows the
// file, which Read must not touch.
type failingReader struct{}

var errPastFile = errors.New("read past the start of the file")

func (failingReader) Read([]byte) (int, error) { return 0, errPastFile }

func TestReadStopsAtFile(t *testing.T) {
	body, boundary := buildForm(t, field("key", "k"), fileNamed("f.txt", "0123456789"), field("after", "x"))
	// Keep the headers and the file's first bytes; fail beyond.
	end := bytes.Index(body, []byte("01234")) + len("01234")
	r := io.MultiReader(bytes.NewReader(body[:end]), failingReader{})
	f, err := Read(multipart.NewReader(r, boundary))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if f.Fields["key"] != "k" || len(f.Fields) != 1 || f.Filename != "f.txt" {
		t.Fatalf("form %+v", f)
	}
	got, err := io.ReadAll(f.File)
	if !errors.Is(err, errPastFile) {
		t.Fatalf("file read %q, %v; want the underlying error", got, err)
	}
}

func TestReadUnderlyingErrorKept(t *testing.T) {
	r := io.MultiReader(strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nva"), failingReader{})
	_, err := Read(multipart.NewReader(r, "b"))
	wantErr(t, err, s3err.MalformedPOSTRequest, "")
	if !errors.Is(err, errPastFile) {
		t.Fatalf("cause lost: %v", err)
	}
	if got := messageOf(err); got != s3err.MalformedPOSTRequest.Message {
		t.Fatalf("message %q: the cause must not reach the client", got)
	}
}
