package sigv4

import (
	"context"
	"strings"
	"time"

	"github.com/floe-s3/floe/s3api/s3err"
)

// The form fields of a SigV4-signed browser POST, lower-cased.
const (
	postAlgorithm  = "x-amz-algorithm"
	postCredential = "x-amz-credential"
	postDate       = "x-amz-date"
	postSignature  = "x-amz-signature"
	postPolicy     = "policy"
)

// UnsignedPOST reports whether a browser POST form (fields lower-cased as
// postform.Form.Fields) carries no signature of either version: none of
// x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature,
// AWSAccessKeyId or signature. S3 takes such a form as anonymous, even
// with a policy field; VerifyPOST refuses it with AccessDenied.
func UnsignedPOST(fields map[string]string) bool {
	for _, f := range []string{postAlgorithm, postCredential, postDate, postSignature, "awsaccesskeyid", "signature"} {
		if _, ok := fields[f]; ok {
			return false
		}
	}
	return true
}

// VerifyPOST checks the SigV4 signature of a browser POST form, whose
// fields are lower-cased as postform.Form.Fields are, and returns the
// access key ID. The signature is hex(HMAC-SHA256(signing key, policy)),
// over the base64 policy field as sent, the signing key derived for the
// date and region of x-amz-credential and service s3.
//
// Only the signature is checked: the policy's expiration and conditions
// (which must also name x-amz-algorithm, x-amz-credential and x-amz-date)
// are postform's, and x-amz-date is not compared with the clock.
//
// Errors, in the order they are checked:
//   - InvalidArgument for a Signature Version 2 form (AWSAccessKeyId or
//     signature, without any x-amz-algorithm, x-amz-credential or
//     x-amz-signature): Floe takes only Signature Version 4;
//   - AccessDenied "Anonymous access is not allowed." for an unsigned
//     form (see UnsignedPOST);
//   - InvalidArgument "Bucket POST must contain a field named
//     'X-Amz-Algorithm'.  If it is specified, please check the order of
//     the fields." for the first missing or empty one of X-Amz-Algorithm,
//     X-Amz-Credential, X-Amz-Date, X-Amz-Signature and Policy, as S3;
//   - InvalidArgument for an algorithm other than AWS4-HMAC-SHA256, a
//     malformed credential or x-amz-date, a credential date other than
//     x-amz-date's day, or a region other than the Verifier's;
//   - InvalidAccessKeyId for an unknown access key;
//   - SignatureDoesNotMatch.
func (v *Verifier) VerifyPOST(ctx context.Context, fields map[string]string) (accessKeyID string, err error) {
	_, v2Key := fields["awsaccesskeyid"]
	_, v2Sig := fields["signature"]
	_, v4Alg := fields[postAlgorithm]
	_, v4Cred := fields[postCredential]
	_, v4Sig := fields[postSignature]
	if (v2Key || v2Sig) && !v4Alg && !v4Cred && !v4Sig {
		return "", s3err.New(s3err.InvalidArgument, "AWS Signature Version 2 (AWSAccessKeyId and signature fields) is not supported; sign the POST policy with "+Algorithm+" (x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature fields).")
	}
	if UnsignedPOST(fields) {
		return "", s3err.New(s3err.AccessDenied, "Anonymous access is not allowed.")
	}
	var vals [5]string
	for i, f := range []struct{ key, name string }{
		{postAlgorithm, "X-Amz-Algorithm"},
		{postCredential, "X-Amz-Credential"},
		{postDate, "X-Amz-Date"},
		{postSignature, "X-Amz-Signature"},
		{postPolicy, "Policy"},
	} {
		if vals[i] = fields[f.key]; vals[i] == "" {
			return "", s3err.Errorf(s3err.InvalidArgument, "Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", f.name)
		}
	}
	alg, cred, date, sig, policy := vals[0], vals[1], vals[2], vals[3], vals[4]
	if alg != Algorithm {
		return "", s3err.New(s3err.InvalidArgument, "X-Amz-Algorithm only supports \""+Algorithm+"\".")
	}
	a, err := parsePOSTCredential(cred)
	if err != nil {
		return "", err
	}
	t, err := time.Parse(timeFormat, date)
	if err != nil {
		return "", s3err.Errorf(s3err.InvalidArgument, "X-Amz-Date %q must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".", date)
	}
	if err := v.checkScope(a, t, s3err.InvalidArgument); err != nil {
		return "", err
	}
	key, err := v.key(ctx, a)
	if err != nil {
		return "", err
	}
	if !sigEqual(sig, sign(key, policy)) {
		return "", s3err.SignatureDoesNotMatch
	}
	return a.accessKey, nil
}

// parsePOSTCredential parses x-amz-credential,
// "<key>/<yyyymmdd>/<region>/s3/aws4_request", with S3's messages.
func parsePOSTCredential(cred string) (authParams, error) {
	var a authParams
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return a, s3err.Errorf(s3err.InvalidArgument, "The credential %q is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".", cred)
	}
	switch {
	case parts[0] == "":
		return a, s3err.New(s3err.InvalidArgument, "A non-empty Access Key (AKID) must be provided in the credential.")
	case !isDate(parts[1]):
		return a, s3err.Errorf(s3err.InvalidArgument, "Incorrect date format %q. This date in the credential must be in the format \"yyyyMMdd\".", parts[1])
	case parts[2] == "":
		return a, s3err.New(s3err.InvalidArgument, "The credential has an empty region.")
	case parts[3] != "s3":
		return a, s3err.Errorf(s3err.InvalidArgument, "Incorrect service %q. This endpoint belongs to \"s3\".", parts[3])
	case parts[4] != "aws4_request":
		return a, s3err.Errorf(s3err.InvalidArgument, "Incorrect terminal %q. This endpoint uses \"aws4_request\".", parts[4])
	}
	a.accessKey, a.scopeDate, a.region = parts[0], parts[1], parts[2]
	return a, nil
}
