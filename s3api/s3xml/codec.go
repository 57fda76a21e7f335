package s3xml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"

	"github.com/floe-s3/floe/s3api/s3err"
)

// Body size limits for Decode. They bound what a client can make the server
// read and allocate; the largest legitimate bodies are a 1000-key Delete and
// a 10000-part CompleteMultipartUpload, each well under its limit. (10,000
// indented parts with every checksum and escaped ETags come to 4.5 MB.)
const (
	DefaultLimit           = 1 << 20
	DeleteLimit            = 4 << 20
	CompleteMultipartLimit = 8 << 20
)

// Decode errors, found with errors.Is in the *s3err.Error Decode returns.
var (
	// ErrEmpty means the body held no XML element at all. Requests whose
	// body is optional (CreateBucket) treat it as absent.
	ErrEmpty = errors.New("s3xml: empty request body")
	// ErrTooLarge means the body exceeded the limit given to Decode.
	ErrTooLarge = errors.New("s3xml: request body too large")
	// ErrTrailingData means something other than whitespace or comments
	// followed the root element.
	ErrTrailingData = errors.New("s3xml: data after the root element")
)

// Decode reads one XML document from r into v, reading at most limit bytes
// (DefaultLimit if limit <= 0). The document must consist of a single root
// element, optionally preceded by an XML declaration and followed by nothing
// but whitespace and comments. If v has a Validate method it is called after
// decoding.
//
// Every malformed, empty or oversized body yields an *s3err.Error with code
// MalformedXML. An error reading r is returned as is if it already is an S3
// error (such as a signature failure from an aws-chunked body), and
// otherwise as IncompleteBody (RequestTimeout for a timeout).
func Decode(r io.Reader, limit int64, v any) error {
	if limit <= 0 {
		limit = DefaultLimit
	}
	lr := &limitReader{r: r, n: limit}
	d := xml.NewDecoder(lr)
	root, err := rootElement(d)
	if err != nil {
		return lr.classify(err)
	}
	if root.Name.Space == "" {
		// A body without xmlns (S3 accepts them) decodes as if in S3's
		// namespace, which the types shared with responses name.
		root.Name.Space = Namespace
	}
	if err := d.DecodeElement(v, &root); err != nil {
		return lr.classify(err)
	}
	if err := expectEnd(d); err != nil {
		return lr.classify(err)
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		return val.Validate()
	}
	return nil
}

// rootElement skips the prolog and returns the root start element.
func rootElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, ErrEmpty
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return xml.StartElement{}, errors.New("s3xml: text before the root element")
			}
		case xml.ProcInst, xml.Comment:
		default:
			// Directives (<!DOCTYPE ...>) have no place in an S3 request.
			return xml.StartElement{}, errors.New("s3xml: unexpected token before the root element")
		}
	}
}

// expectEnd checks that only whitespace and comments remain.
func expectEnd(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Comment:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return ErrTrailingData
			}
		default:
			return ErrTrailingData
		}
	}
}

// limitReader reads at most n bytes from r and remembers why reading
// stopped, so that Decode can tell a client's read error or an oversized
// body from a syntax error.
type limitReader struct {
	r       io.Reader
	n       int64
	tooBig  bool
	readErr error
}

// Read reads from l.r, reporting ErrTooLarge past the limit.
func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Probe for one more byte: a body of exactly the limit is fine.
		var b [1]byte
		n, err := io.ReadFull(l.r, b[:])
		if n > 0 {
			l.tooBig = true
			return 0, ErrTooLarge
		}
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			l.readErr = err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if err != nil && err != io.EOF {
		l.readErr = err
	}
	return n, err
}

// classify turns a decoding error into the S3 error to send.
func (l *limitReader) classify(err error) error {
	switch {
	case l.tooBig:
		return s3err.Wrap(s3err.MalformedXML, ErrTooLarge)
	case l.readErr != nil:
		var se *s3err.Error
		if errors.As(l.readErr, &se) {
			return l.readErr
		}
		var c s3err.Code
		if errors.As(l.readErr, &c) {
			return l.readErr
		}
		var ne net.Error
		if errors.As(l.readErr, &ne) && ne.Timeout() {
			return s3err.Wrap(s3err.RequestTimeout, l.readErr)
		}
		return s3err.Wrap(s3err.IncompleteBody, l.readErr)
	}
	var se *s3err.Error
	if errors.As(err, &se) {
		return err
	}
	return s3err.Wrap(s3err.MalformedXML, err)
}

// xmlHeader precedes every response body.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// Marshal returns v as a complete XML document, header included. In a
// listing (a type with an ApplyEncoding method, i.e. one the client can ask
// for with encoding-type=url), a string XML cannot carry is an
// InvalidArgument error (see checkText); elsewhere keys are only echoed
// back to the client that sent them, and the encoder's replacement of such
// characters misleads nobody.
func Marshal(v any) ([]byte, error) {
	if offersURLEncoding(v) {
		if err := checkText(reflect.ValueOf(v)); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write sends v as an XML response with the given status. Nothing is written
// if v fails to marshal, so the caller can still send an error response.
func Write(w http.ResponseWriter, status int, v any) error {
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}
