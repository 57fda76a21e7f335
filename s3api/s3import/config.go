package s3import

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Endpoint is an S3 server and the credentials to use on it.
type Endpoint struct {
	URL    string // e.g. http://127.0.0.1:9000
	Region string // the region requests are signed for
	// AccessKey and SecretKey sign requests; both empty sends them
	// unsigned, for public buckets.
	AccessKey string
	SecretKey string
	// SessionToken is for temporary credentials; usually empty.
	SessionToken string
	// PathStyle addresses buckets as /bucket/key rather than
	// bucket.host/key.
	PathStyle bool
	// Insecure accepts any TLS certificate.
	Insecure bool
}

// BucketPair is one source bucket and the destination bucket it is
// copied into.
type BucketPair struct{ Source, Dest string }

// ParseBucketPair parses SRC or SRC:DST.
func ParseBucketPair(s string) (BucketPair, error) {
	src, dst, ok := strings.Cut(s, ":")
	if !ok {
		dst = src
	}
	if src == "" || dst == "" {
		return BucketPair{}, fmt.Errorf("bucket %q: want SRC or SRC:DST", s)
	}
	return BucketPair{Source: src, Dest: dst}, nil
}

// Config is one import run.
type Config struct {
	Source, Dest Endpoint
	// Buckets to copy; with AllBuckets, every bucket of the source, each
	// into a destination bucket of the same name.
	Buckets    []BucketPair
	AllBuckets bool
	// Workers copy objects in parallel.
	Workers int
	// DryRun lists what would be copied on Out and changes nothing: no
	// bucket, no object, no progress row.
	DryRun bool
	// Out receives the progress display and the summary.
	Out io.Writer
	// Bar draws a progress bar (Out is a terminal); otherwise a plain
	// line goes to Out every ProgressEvery.
	Bar           bool
	ProgressEvery time.Duration
	// Retries is how often a failed object copy is tried again.
	Retries int
	// CallTimeout bounds each request that carries no object body.
	CallTimeout time.Duration
	// MinRate bounds a body transfer: it must finish within CallTimeout
	// plus its size at this many bytes a second.
	MinRate int64
	Log     zerolog.Logger
}

// Defaults of Config.
const (
	DefaultWorkers       = 8
	DefaultRetries       = 4
	DefaultCallTimeout   = time.Minute
	DefaultMinRate       = 256 << 10
	DefaultProgressEvery = 5 * time.Second
)

// withDefaults fills in zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Retries < 0 {
		c.Retries = 0
	} else if c.Retries == 0 {
		c.Retries = DefaultRetries
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.MinRate <= 0 {
		c.MinRate = DefaultMinRate
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = DefaultProgressEvery
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if len(c.Buckets) == 0 && !c.AllBuckets {
		return c, errors.New("s3import: no bucket to import: name one or ask for all")
	}
	if len(c.Buckets) > 0 && c.AllBuckets {
		return c, errors.New("s3import: name buckets or ask for all of them, not both")
	}
	for _, e := range []struct {
		what string
		ep   *Endpoint
	}{{"source", &c.Source}, {"destination", &c.Dest}} {
		u, err := url.Parse(e.ep.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("s3import: %s endpoint %q: want http://host[:port] or https://…", e.what, e.ep.URL)
		}
		e.ep.URL = strings.TrimRight(e.ep.URL, "/")
		if e.ep.Region == "" {
			e.ep.Region = "us-east-1"
		}
	}
	return c, nil
}

// transferTimeout bounds a request that moves size body bytes.
func (c Config) transferTimeout(size int64) time.Duration {
	return c.CallTimeout + time.Duration(size/c.MinRate)*time.Second
}
