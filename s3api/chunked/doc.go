// Package chunked decodes aws-chunked request bodies, the framing S3 clients
// use for streaming uploads, selected by the x-amz-content-sha256 header:
//
//	STREAMING-UNSIGNED-PAYLOAD-TRAILER
//		<hex-size>\r\n<data>\r\n ... 0\r\n<trailer lines>\r\n
//	STREAMING-AWS4-HMAC-SHA256-PAYLOAD
//		<hex-size>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n\r\n
//	STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
//		signed chunks as above, then after the zero chunk
//		<trailer lines>x-amz-trailer-signature:<sig>\r\n\r\n
//
// where each trailer line is "name:value\r\n", typically
// "x-amz-checksum-crc32c:<base64>\r\n", and sig is 64 hex digits.
//
// The Reader streams: it holds at most one framing line (MaxLineLength) in
// memory, never a chunk, so chunk data reaches the caller before the chunk's
// signature can be checked at its end. Signature and checksum failures
// therefore surface as a Read error at or before io.EOF, and the caller
// must read to io.EOF and discard everything on error.
package chunked
