package bucketname

import (
	"errors"
	"strings"
	"testing"

	"github.com/floe-s3/floe/s3api/s3err"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"my-bucket", true},
		{"my.bucket.name", true},
		{"123", true},
		{"a1-b2.c3", true},
		{"docexamplebucket1", true},
		{strings.Repeat("a", 63), true},
		{"1.2.3", true},
		{"1.2.3.4.5", true},
		{"1234.1.1.1", true},
		{"1.2.3.a", true},
		{"x-s3alias-not-suffix", true},
		{"xn-bucket", true},
		{"sthree", true},

		{"", false},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"MyBucket", false},
		{"my_bucket", false},
		{"my bucket", false},
		{"my/bucket", false},
		{"bücket", false},
		{"-bucket", false},
		{"bucket-", false},
		{".bucket", false},
		{"bucket.", false},
		{"my..bucket", false},
		{"my-.bucket", false},
		{"my.-bucket", false},
		{"192.168.5.4", false},
		{"999.999.999.999", false},
		{"0.0.0.0", false},
		{"xn--bucket", false},
		{"sthree-bucket", false},
		{"amzn-s3-demo-bucket", false},
		{"bucket-s3alias", false},
		{"bucket--ol-s3", false},
		{"bucket.mrap", false},
		{"bucket--x-s3", false},
		{"bucket--table-s3", false},
	}
	for _, tt := range tests {
		err := Validate(tt.name)
		if tt.ok {
			if err != nil {
				t.Errorf("Validate(%q) = %v", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) || !errors.Is(err, s3err.InvalidBucketName) {
			t.Errorf("Validate(%q) = %v, want InvalidBucketName", tt.name, err)
		}
	}
}
