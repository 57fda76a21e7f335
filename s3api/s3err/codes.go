package s3err

import "net/http"

// Code is an S3 error code: the name sent in <Code>, the HTTP status, and
// the default message used when an Error carries none.
//
// Code values are comparable, and a Code is itself an error, so a handler may
// return a bare code (return s3err.NoSuchKey) and test for it with
// errors.Is(err, s3err.NoSuchKey).
type Code struct {
	Name    string
	Status  int
	Message string
}

// Error returns the code's name and default message.
func (c Code) Error() string { return c.Name + ": " + c.Message }

// The S3 error codes Floe sends. Names, statuses and messages follow the
// Amazon S3 API reference so that SDKs classify (and retry) them correctly.
var (
	AccessDenied = Code{"AccessDenied", http.StatusForbidden, "Access Denied"}
	// CORSForbidden is S3's answer to a CORS preflight no rule allows.
	CORSForbidden                        = Code{"AccessForbidden", http.StatusForbidden, "CORSResponse: This CORS request is not allowed."}
	BadRequest                           = Code{"BadRequest", http.StatusBadRequest, "Bad Request"}
	AuthorizationHeaderMalformed         = Code{"AuthorizationHeaderMalformed", http.StatusBadRequest, "The authorization header you provided is invalid."}
	AuthorizationQueryParametersError    = Code{"AuthorizationQueryParametersError", http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter."}
	BadDigest                            = Code{"BadDigest", http.StatusBadRequest, "The Content-MD5 or checksum value that you specified did not match what the server received."}
	BucketAlreadyExists                  = Code{"BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."}
	BucketAlreadyOwnedByYou              = Code{"BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it."}
	BucketNotEmpty                       = Code{"BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty."}
	EntityTooLarge                       = Code{"EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size."}
	EntityTooSmall                       = Code{"EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size."}
	ExpiredToken                         = Code{"ExpiredToken", http.StatusBadRequest, "The provided token has expired."}
	IncompleteBody                       = Code{"IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header."}
	InternalError                        = Code{"InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again."}
	IllegalVersioningConfiguration       = Code{"IllegalVersioningConfigurationException", http.StatusBadRequest, "The versioning configuration specified in the request is invalid."}
	InvalidAccessKeyID                   = Code{"InvalidAccessKeyId", http.StatusForbidden, "The AWS access key ID you provided does not exist in our records."}
	InvalidArgument                      = Code{"InvalidArgument", http.StatusBadRequest, "Invalid Argument"}
	InvalidBucketState                   = Code{"InvalidBucketState", http.StatusConflict, "The request is not valid with the current state of the bucket."}
	InvalidBucketName                    = Code{"InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid."}
	InvalidDigest                        = Code{"InvalidDigest", http.StatusBadRequest, "The Content-MD5 you specified is not valid."}
	InvalidPart                          = Code{"InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."}
	InvalidPartNumber                    = Code{"InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable"}
	InvalidPartOrder                     = Code{"InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number."}
	InvalidRange                         = Code{"InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable"}
	InvalidRequest                       = Code{"InvalidRequest", http.StatusBadRequest, "Invalid Request"}
	InvalidRetentionPeriod               = Code{"InvalidRetentionPeriod", http.StatusBadRequest, "Default retention period must be a positive integer value."}
	InvalidTag                           = Code{"InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag."}
	InvalidURI                           = Code{"InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI."}
	KeyTooLongError                      = Code{"KeyTooLongError", http.StatusBadRequest, "Your key is too long."}
	MalformedTrailerError                = Code{"MalformedTrailerError", http.StatusBadRequest, "The request contained trailing data that was not well-formed or did not conform to our published schema."}
	MalformedPolicy                      = Code{"MalformedPolicy", http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'"}
	MalformedPOSTRequest                 = Code{"MalformedPOSTRequest", http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data."}
	InvalidPolicyDocument                = Code{"InvalidPolicyDocument", http.StatusBadRequest, "The content of the form does not meet the conditions specified in the policy document."}
	IncorrectNumberOfFilesInPostRequest  = Code{"IncorrectNumberOfFilesInPostRequest", http.StatusBadRequest, "POST requires exactly one file upload per request."}
	NoSuchBucketPolicy                   = Code{"NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist"}
	NoSuchPublicAccessBlockConfiguration = Code{"NoSuchPublicAccessBlockConfiguration", http.StatusNotFound, "The public access block configuration was not found"}
	MalformedXML                         = Code{"MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema."}
	MetadataTooLarge                     = Code{"MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size."}
	MethodNotAllowed                     = Code{"MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."}
	MissingContentLength                 = Code{"MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header."}
	MissingRequestBodyError              = Code{"MissingRequestBodyError", http.StatusBadRequest, "Request Body is empty."}
	MissingSecurityHeader                = Code{"MissingSecurityHeader", http.StatusBadRequest, "Your request was missing a required header."}
	NoSuchBucket                         = Code{"NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist."}
	NoSuchKey                            = Code{"NoSuchKey", http.StatusNotFound, "The specified key does not exist."}
	NoSuchLifecycleConfiguration         = Code{"NoSuchLifecycleConfiguration", http.StatusNotFound, "The lifecycle configuration does not exist"}
	NoSuchObjectLockConfiguration        = Code{"NoSuchObjectLockConfiguration", http.StatusNotFound, "The specified object does not have a ObjectLock configuration"}
	ObjectLockConfigurationNotFound      = Code{"ObjectLockConfigurationNotFoundError", http.StatusNotFound, "Object Lock configuration does not exist for this bucket"}
	NoSuchVersion                        = Code{"NoSuchVersion", http.StatusNotFound, "The specified version does not exist."}
	NoSuchTagSet                         = Code{"NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist"}
	NoSuchCORSConfiguration              = Code{"NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist"}
	NoSuchUpload                         = Code{"NoSuchUpload", http.StatusNotFound, "The specified multipart upload does not exist. The upload ID might not be valid, or the multipart upload might have been aborted or completed."}
	NotImplemented                       = Code{"NotImplemented", http.StatusNotImplemented, "A header you provided implies functionality that is not implemented."}
	NotModified                          = Code{"NotModified", http.StatusNotModified, "Not Modified"}
	PreconditionFailed                   = Code{"PreconditionFailed", http.StatusPreconditionFailed, "At least one of the preconditions you specified did not hold."}
	RequestTimeTooSkewed                 = Code{"RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the server's time is too large."}
	RequestTimeout                       = Code{"RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period."}
	ServiceUnavailable                   = Code{"ServiceUnavailable", http.StatusServiceUnavailable, "Service is unable to handle request."}
	SignatureDoesNotMatch                = Code{"SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	SlowDown                             = Code{"SlowDown", http.StatusServiceUnavailable, "Please reduce your request rate."}
	XAmzContentSHA256Mismatch            = Code{"XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed."}
)

// all lists every code above, for Lookup and the tests.
var all = []Code{
	AccessDenied, AuthorizationHeaderMalformed, AuthorizationQueryParametersError,
	BadDigest, BucketAlreadyExists, BucketAlreadyOwnedByYou, BucketNotEmpty,
	EntityTooLarge, EntityTooSmall, ExpiredToken, IncompleteBody, InternalError,
	IllegalVersioningConfiguration, InvalidAccessKeyID, InvalidArgument, InvalidBucketName, InvalidBucketState, InvalidDigest,
	InvalidPart, InvalidPartNumber, InvalidPartOrder, InvalidRange, InvalidRequest, InvalidRetentionPeriod, InvalidTag, InvalidURI, KeyTooLongError,
	MalformedTrailerError, MalformedXML, MalformedPolicy, MalformedPOSTRequest, InvalidPolicyDocument,
	IncorrectNumberOfFilesInPostRequest, NoSuchBucketPolicy, NoSuchPublicAccessBlockConfiguration, MetadataTooLarge, MethodNotAllowed, MissingContentLength,
	MissingRequestBodyError, MissingSecurityHeader, NoSuchBucket, NoSuchKey,
	CORSForbidden, BadRequest, NoSuchCORSConfiguration, NoSuchLifecycleConfiguration, NoSuchObjectLockConfiguration, NoSuchTagSet, NoSuchUpload, NoSuchVersion, NotImplemented, ObjectLockConfigurationNotFound, NotModified, PreconditionFailed,
	RequestTimeTooSkewed, RequestTimeout, ServiceUnavailable,
	SignatureDoesNotMatch, SlowDown, XAmzContentSHA256Mismatch,
}

// byName indexes all by Name.
var byName = func() map[string]Code {
	m := make(map[string]Code, len(all))
	for _, c := range all {
		m[c.Name] = c
	}
	return m
}()

// Lookup returns the code named name (as sent in <Code>), if Floe knows it.
func Lookup(name string) (Code, bool) {
	c, ok := byName[name]
	return c, ok
}
