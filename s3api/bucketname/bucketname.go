// Package bucketname checks S3 bucket names against the naming rules for
// general purpose buckets, which keep every name usable as a DNS label in
// virtual-hosted-style URLs.
package bucketname

import (
	"errors"
	"strings"

	"github.com/floe-s3/floe/s3api/s3err"
)

// Name length limits.
const (
	MinLength = 3
	MaxLength = 63
)

// ErrInvalid is wrapped by every error Validate returns.
var ErrInvalid = errors.New("bucketname: invalid bucket name")

// Prefixes and suffixes S3 reserves for its own features (punycode labels,
// access point aliases, Object Lambda, Multi-Region Access Points, directory
// and table buckets).
var (
	reservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// Validate returns nil if name is a valid bucket name, and otherwise an
// *s3err.Error with code InvalidBucketName, wrapping ErrInvalid, that says
// which rule failed.
//
// A valid name is 3 to 63 characters of lower-case letters, digits, hyphens
// and dots; begins and ends with a letter or digit; has no two adjacent dots
// and no dot next to a hyphen; is not formatted as an IPv4 address; and does
// not use a reserved prefix or suffix.
func Validate(name string) error {
	if len(name) < MinLength || len(name) > MaxLength {
		return invalid("Bucket name must be between 3 and 63 characters long.")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !alnum(c) && c != '-' && c != '.' {
			return invalid("Bucket name can contain only lower-case letters, digits, hyphens and dots.")
		}
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return invalid("Bucket name must begin and end with a letter or digit.")
	}
	if strings.Contains(name, "..") {
		return invalid("Bucket name must not contain two adjacent periods.")
	}
	if strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		// Each dot-separated label must be a valid DNS label.
		return invalid("Bucket name must not contain a period next to a hyphen.")
	}
	if isIPv4(name) {
		return invalid("Bucket name must not be formatted as an IP address.")
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(name, p) {
			return invalid("Bucket name must not start with the reserved prefix " + p + ".")
		}
	}
	for _, s := range reservedSuffixes {
		if strings.HasSuffix(name, s) {
			return invalid("Bucket name must not end with the reserved suffix " + s + ".")
		}
	}
	return nil
}

func invalid(msg string) error {
	return &s3err.Error{Code: s3err.InvalidBucketName, Message: msg, Err: ErrInvalid}
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// isIPv4 reports whether name looks like a dotted-quad address: four
// all-digit labels. The values need not be below 256; "999.1.1.1" is still
// formatted as an address and would confuse resolvers.
func isIPv4(name string) bool {
	labels := strings.Split(name, ".")
	if len(labels) != 4 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 3 {
			return false
		}
		for i := 0; i < len(l); i++ {
			if l[i] < '0' || l[i] > '9' {
				return false
			}
		}
	}
	return true
}
