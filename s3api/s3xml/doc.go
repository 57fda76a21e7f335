// Package s3xml holds the XML documents of the S3 REST API that Floe reads
// and writes, with S3's element names and namespace, and the helpers to
// decode request bodies safely (Decode) and send responses (Write).
//
// Response types carry XMLName in the S3 namespace so that they marshal as
//
//	<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//
// Request types accept their root element in any namespace (or none), since
// clients differ on whether they send one.
package s3xml

// Namespace is the XML namespace of every S3 response document.
const Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"
