// Package sigv4 verifies AWS Signature Version 4 authentication on S3
// requests: the Authorization header form, presigned URLs (X-Amz-* query
// parameters) and the chained chunk and trailer signatures of streaming
// (aws-chunked) uploads.
//
// Verify checks the request signature only. When x-amz-content-sha256 is a
// hex digest, checking that the body really has that digest is left to the
// caller (XAmzContentSHA256Mismatch); for streaming payloads Verify returns
// a chunked.ChunkVerifier for the chunked.Reader to use.
package sigv4
