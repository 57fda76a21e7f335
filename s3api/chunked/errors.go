package chunked

import (
	"errors"
	"fmt"
	"io"

	"github.com/floe-s3/floe/s3api/s3err"
)

// Errors a Reader reports, wrapped in an *s3err.Error carrying the S3 code
// to send; test for them with errors.Is.
var (
	// ErrMalformed means the framing or a trailer line is invalid, or the
	// body ends early (then io.ErrUnexpectedEOF is wrapped too).
	ErrMalformed = errors.New("chunked: malformed aws-chunked body")
	// ErrLengthMismatch means the payload length differs from
	// Options.DecodedLength.
	ErrLengthMismatch = errors.New("chunked: payload length does not match x-amz-decoded-content-length")
	// ErrMissingTrailer means a trailer named in Options.DeclaredTrailers
	// was not sent.
	ErrMissingTrailer = errors.New("chunked: declared trailer missing")
)

// malformed reports a framing error: InvalidRequest.
func malformed(format string, args ...any) error {
	return &s3err.Error{
		Code:    s3err.InvalidRequest,
		Message: "The aws-chunked request body is malformed.",
		Err:     fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...),
	}
}

// truncated reports a body that ended inside the framing: IncompleteBody.
func truncated(where string) error {
	return &s3err.Error{
		Code: s3err.IncompleteBody,
		Err:  fmt.Errorf("%w: %w in %s", ErrMalformed, io.ErrUnexpectedEOF, where),
	}
}

// badTrailer reports an invalid trailer section: MalformedTrailerError.
func badTrailer(format string, args ...any) error {
	return &s3err.Error{
		Code: s3err.MalformedTrailerError,
		Err:  fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...),
	}
}

// lengthMismatch reports a payload of the wrong size: IncompleteBody.
func lengthMismatch(got, want int64, atLeast bool) error {
	more := ""
	if atLeast {
		more = "at least "
	}
	return &s3err.Error{
		Code: s3err.IncompleteBody,
		Err:  fmt.Errorf("%w: payload is %s%d bytes, want %d", ErrLengthMismatch, more, got, want),
	}
}
