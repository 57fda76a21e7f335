// Package s3err defines the Amazon S3 error codes Floe returns and writes
// them as S3 XML error responses:
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<Error><Code>NoSuchKey</Code><Message>...</Message><Resource>/b/k</Resource><RequestId>...</RequestId></Error>
//
// Handlers return either a bare Code or an *Error (which adds a specific
// message, the resource and a wrapped cause); Write maps anything else to
// InternalError without revealing the internal message to the client.
package s3err
