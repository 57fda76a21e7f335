// Package policy parses and evaluates S3 bucket policies: the part of the
// IAM policy language that bucket policies use.
//
// A policy is parsed once, when the owner puts it, and refused as
// malformed when it is not valid JSON, when an element is missing or
// unknown, or when it uses something Floe cannot evaluate exactly (an
// unknown action, a resource outside the bucket, a condition key Floe
// does not supply). Refusing is deliberate: a Deny statement whose
// condition Floe silently ignored would grant what the owner meant to
// forbid.
//
// Evaluation follows IAM's rule for a single resource-based policy: an
// explicit Deny that applies wins; otherwise an Allow that applies
// allows; otherwise the policy says nothing (NoMatch) and the caller
// falls back to its default, which for Floe is "only the owner".
//
// A statement applies when its principal, action, resource and every
// condition match. Actions match case-insensitively, resources
// case-sensitively, both with the wildcards * (any run of characters) and
// ? (any one). Version 2012-10-17 policies may use variables such as
// ${aws:username} in resources and condition values; in 2008-10-17 ones
// they are plain text, as in AWS.
package policy
