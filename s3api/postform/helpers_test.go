package postform

import (
	"bytes"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

// part is one part of a test form.
type part struct {
	name, value string
	// raw, if set, is the part's whole Content-Disposition header.
	raw string
	// file makes the part a file: filename is sent when hasName is set.
	file        bool
	filename    string
	hasName     bool
	contentType string
}

// field is a plain form field.
func field(name, value string) part { return part{name: name, value: value} }

// fileNamed is a file part named "file" with a filename.
func fileNamed(filename, content string) part {
	return part{name: "file", value: content, file: true, filename: filename, hasName: true}
}

// buildForm writes parts as a multipart/form-data body and returns it
// with its boundary.
func buildForm(t testing.TB, parts ...part) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := make(textproto.MIMEHeader)
		switch {
		case p.raw != "":
			h.Set("Content-Disposition", p.raw)
		case p.file && p.hasName:
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
		default:
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
		}
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write([]byte(p.value)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.Boundary()
}

// codeOf returns the S3 code of err, failing t if err is not an S3 error.
func codeOf(t testing.TB, err error) s3err.Code {
	t.Helper()
	var se *s3err.Error
	if errors.As(err, &se) {
		return se.Code
	}
	var c s3err.Code
	if errors.As(err, &c) {
		return c
	}
	t.Fatalf("error %v (%T) is not an S3 error", err, err)
	return s3err.Code{}
}

// messageOf returns the message S3 would send for err.
func messageOf(err error) string {
	var se *s3err.Error
	if errors.As(err, &se) {
		if se.Message != "" {
			return se.Message
		}
		return se.Code.Message
	}
	return err.Error()
}

// wantErr fails t unless err has code c and, when msg is not empty, a
// message containing msg.
func wantErr(t testing.TB, err error, c s3err.Code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s %q", c.Name, msg)
	}
	if got := codeOf(t, err); got != c {
		t.Fatalf("code %s (%v); want %s", got.Name, err, c.Name)
	}
	if msg != "" && !strings.Contains(messageOf(err), msg) {
		t.Fatalf("message %q; want it to contain %q", messageOf(err), msg)
	}
}
