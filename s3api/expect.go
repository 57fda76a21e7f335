package s3api

import (
	"net/http"
	"strings"
)

// continueEmptyBody answers "Expect: 100-continue" on a request with an
// empty body with an explicit 100 Continue before the final response.
//
// Go's server sends 100 Continue only when a handler reads a non-empty
// body, so an empty PUT gets the final response straight away (RFC 9110
// allows that). botocore (the aws CLI, boto3) sends the expectation on
// every S3 PUT, empty ones too, and on that path keeps the early status
// line for the connection: the next response on the same keep-alive
// connection is parsed against it, loses its headers and hangs until the
// 60 s read timeout, after which the request is silently retried
// (boto/botocore#3755). With the 100 Continue it stays on its normal path.
func continueEmptyBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 && r.ProtoMajor == 1 && r.ProtoMinor >= 1 &&
		strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		w.WriteHeader(http.StatusContinue)
	}
}
