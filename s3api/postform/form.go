package postform

import (
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
)

// MaxPreFileBytes bounds what a form may send before its file: the names,
// values and part headers of every field, and the file part's own headers.
//
// It is S3's limit: "The form data and boundaries (excluding the contents
// of the file) cannot exceed 20KB", which S3 enforces at 20480 bytes
// (MaxPostPreDataLengthBytes in its error). S3 also counts the boundary
// lines, which Read cannot see, so every form S3 accepts fits. The bound
// covers each field, the policy included, so no field needs one of its own.
const MaxPreFileBytes = 20 << 10

// fileField is the name of the part that carries the object.
const fileField = "file"

// Form is what precedes the file in a POST upload form.
type Form struct {
	// Fields are the form fields before the file, by name lower-cased (S3
	// field names are case-insensitive), with their values as sent.
	// "file" is not among them.
	Fields map[string]string
	// File is the file part, positioned at its first byte. The caller
	// streams it (see CheckedBody) and never buffers it.
	File *multipart.Part
	// Filename is the base name of the file part's filename parameter:
	// the text after its last '/' or '\', as S3 takes it. It is "" when
	// the part has none.
	Filename string
	// FileContentType is the Content-Type header of the file part, if any.
	FileContentType string
}

// Read reads parts from mr up to the part named "file" (in any case) and
// returns the fields before it, with that part left unread in Form.File.
// Parts after the file are never read: S3 ignores them.
//
// Errors:
//   - IncorrectNumberOfFilesInPostRequest: the form ends without a file
//     part;
//   - InvalidArgument: a field name appears twice (names compared without
//     case);
//   - MalformedPOSTRequest: the body is not well-formed multipart/form-data
//     (a part is not form-data or has no name, the multipart syntax is
//     broken or the body ends early; a reader's error is kept in the
//     error's chain, not sent), or more than MaxPreFileBytes precede the file. S3 answers
//     the latter with MaxPostPreDataLengthExceeded, which Floe does not
//     define; the message is S3's.
//
// mime/multipart reports a body cut short inside a part's headers as the
// end of the form, so Read answers IncorrectNumberOfFilesInPostRequest to
// that rather than MalformedPOSTRequest; a body cut anywhere else is
// MalformedPOSTRequest, and one cut inside the file is the caller's to
// see, as an error from Form.File.
//
// Parts are read raw: a Content-Transfer-Encoding, which RFC 7578 says
// senders should not use, is not decoded.
//
// mime/multipart itself lets one part's headers take up to 10 MiB while
// it reads them; everything Read keeps is within MaxPreFileBytes.
func Read(mr *multipart.Reader) (*Form, error) {
	fields := make(map[string]string)
	budget := MaxPreFileBytes
	for {
		p, err := mr.NextRawPart()
		// Only a bare io.EOF is the close delimiter: mime/multipart wraps
		// the EOF of a body cut short.
		if err == io.EOF {
			return nil, s3err.New(s3err.IncorrectNumberOfFilesInPostRequest, "POST requires exactly one file upload per request.")
		}
		if err != nil {
			return nil, s3err.Wrap(s3err.MalformedPOSTRequest, err)
		}
		if budget -= headerSize(p); budget < 0 {
			return nil, tooLarge()
		}
		name, params, err := disposition(p)
		if err != nil {
			return nil, err
		}
		lname := strings.ToLower(name)
		if lname == fileField {
			return &Form{
				Fields:          fields,
				File:            p,
				Filename:        baseName(params["filename"]),
				FileContentType: p.Header.Get("Content-Type"),
			}, nil
		}
		if _, dup := fields[lname]; dup {
			return nil, s3err.Errorf(s3err.InvalidArgument, "The form field '%s' must appear only once in a POST form.", name)
		}
		if budget -= len(name); budget < 0 {
			return nil, tooLarge()
		}
		v, err := io.ReadAll(io.LimitReader(p, int64(budget)+1))
		if err != nil {
			return nil, s3err.Wrap(s3err.MalformedPOSTRequest, err)
		}
		if budget -= len(v); budget < 0 {
			return nil, tooLarge()
		}
		fields[lname] = string(v)
	}
}

// tooLarge is the error for a form with more than MaxPreFileBytes before
// its file.
func tooLarge() error {
	return s3err.New(s3err.MalformedPOSTRequest, "Your POST request fields preceding the upload file were too large.")
}

// headerSize approximates the bytes p's header took on the wire.
func headerSize(p *multipart.Part) int {
	n := 0
	for k, vs := range p.Header {
		for _, v := range vs {
			n += len(k) + len(": ") + len(v) + len("\r\n")
		}
	}
	return n
}

// disposition returns the field name and the parameters of p's
// Content-Disposition, which must be form-data with a non-empty name
// (RFC 7578 section 4.2).
func disposition(p *multipart.Part) (string, map[string]string, error) {
	cd := p.Header.Get("Content-Disposition")
	typ, params, err := mime.ParseMediaType(cd)
	if err != nil {
		return "", nil, s3err.Errorf(s3err.MalformedPOSTRequest, "The body of your POST request is not well-formed multipart/form-data: bad Content-Disposition %q.", cd)
	}
	if typ != "form-data" || params["name"] == "" {
		return "", nil, s3err.Errorf(s3err.MalformedPOSTRequest, "The body of your POST request is not well-formed multipart/form-data: each part needs Content-Disposition: form-data with a name, not %q.", cd)
	}
	return params["name"], params, nil
}

// baseName returns what follows the last '/' or '\' of name: "If the
// browser or client provides a full or partial path to the file, only the
// text following the last slash (/) or backslash (\) is used."
func baseName(name string) string {
	return name[strings.LastIndexAny(name, `/\`)+1:]
}
