package s3import

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// errVerify is a copy whose check failed: sizes, ETags or checksums that
// do not match. It is retried (the source may have changed under the
// copy) and fails the object after the last try.
var errVerify = errors.New("verification failed")

// errChanged is a source object that changed between its listing and its
// copy; the next run copies what it has become.
var errChanged = errors.New("the source object changed during the import")

// isStatus reports whether err is an S3 response with HTTP status code.
func isStatus(err error, code int) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == code
}

// errorCode is the S3 error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// transient reports whether a failed copy is worth trying again: network
// failures, timeouts, 5xx and throttling, failed verifications; not the
// 4xx answers that will come again (access denied, no such key, bad
// request) nor a source that changed.
func transient(err error) bool {
	switch {
	case err == nil, errors.Is(err, errChanged), errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, errVerify), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	switch errorCode(err) {
	case "RequestTimeout", "BadDigest", "SlowDown", "Throttling", "ThrottlingException", "IncompleteBody",
		"InternalError", "ServiceUnavailable", "RequestTimeTooSkewed":
		return true
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		st := re.HTTPStatusCode()
		return st >= 500 || st == 408 || st == 429
	}
	return true // no answer at all: the connection failed
}

// backoff is the pause before retry attempt n (from 0): exponential from
// half a second, at most 30 s, with jitter.
func backoff(n int) time.Duration {
	d := 500 * time.Millisecond << min(n, 6)
	d = min(d, 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
