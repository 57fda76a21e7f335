package s3err

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an S3 error response together with its internal cause.
type Error struct {
	// Code selects the <Code> element and the HTTP status.
	Code Code
	// Message is sent in <Message>; empty means Code.Message.
	Message string
	// Resource is sent in <Resource>; empty means the request path.
	Resource string
	// RequestID is sent in <RequestId>; empty means the ID given to Write.
	RequestID string
	// Err is the underlying cause. It is for logs and errors.Is/As only and
	// is never sent to the client.
	Err error
	// Header is sent with the error, after Write has dropped the
	// headers that describe an object (a delete marker's Last-Modified).
	Header http.Header
}

// New returns an Error with code c and message msg (Code.Message if empty).
func New(c Code, msg string) *Error { return &Error{Code: c, Message: msg} }

// Errorf returns an Error with code c and a formatted message. As with
// fmt.Errorf, a %w verb also records the wrapped error as the cause.
func Errorf(c Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: c, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap returns an Error with code c whose cause is err. The client sees only
// c's default message.
func Wrap(c Code, err error) *Error { return &Error{Code: c, Err: err} }

// Error returns "Name: message", followed by the cause if there is one.
func (e *Error) Error() string {
	s := e.Code.Name + ": " + e.message()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Code, so errors.Is(err, NoSuchKey) holds
// for an *Error carrying that code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// message returns the text sent in <Message>.
func (e *Error) message() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Code.Message
}

// From converts err to the *Error that Write would send: an *Error or Code
// found in err's chain is used as is, and anything else becomes a generic
// InternalError wrapping err. From(nil) is nil.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var c Code
	if errors.As(err, &c) {
		return &Error{Code: c, Err: err}
	}
	return &Error{Code: InternalError, Err: err}
}
