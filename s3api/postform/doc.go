// Package postform reads and checks the form of an S3 browser upload
// ("POST Object": POST /bucket with a multipart/form-data body whose fields
// are authorised by a signed POST policy).
//
// A handler uses it in this order:
//
//	form, err := postform.Read(multipart.NewReader(r.Body, boundary))
//	id, err := verifier.VerifyPOST(ctx, form.Fields) // sigv4: the policy's signature
//	policy, err := postform.ParsePolicy(form.Fields["policy"])
//	key, err := postform.Key(form.Fields, form.Filename)
//	form.Fields["bucket"], form.Fields["key"] = bucket, key
//	err = policy.Check(form.Fields, time.Now())
//	min, max, ok := policy.LengthRange() // if !ok: 0, the largest object
//	body := postform.CheckedBody(form.File, min, max) // stream it to storage
//
// The signature is checked before the policy is decoded, as S3 does: a
// policy that was tampered with is SignatureDoesNotMatch, not
// InvalidPolicyDocument.
//
// Every error is an *s3err.Error with the code and, where one has been
// recorded, the message S3 sends. See the functions for which.
package postform
