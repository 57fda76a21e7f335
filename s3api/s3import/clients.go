package s3import

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// sdkAttempts is how often the SDK sends a request that fails
// transiently (throttling, 5xx, a dropped connection), with exponential
// backoff and jitter between attempts. Requests with streamed bodies
// cannot be resent by the SDK; streamOnce turns its retries off and the
// copy is retried whole instead.
const sdkAttempts = 5

// newClient returns an S3 client for ep. The configuration is built by
// hand, not from the environment's AWS profile, so that nothing but ep
// decides where requests go and how they are signed.
func newClient(ep Endpoint) *s3.Client {
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = 64
		tr.ResponseHeaderTimeout = 2 * time.Minute
		if ep.Insecure {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		}
	})
	var creds aws.CredentialsProvider = credentials.NewStaticCredentialsProvider(ep.AccessKey, ep.SecretKey, ep.SessionToken)
	if ep.AccessKey == "" && ep.SecretKey == "" {
		// A public bucket: requests go unsigned.
		creds = aws.AnonymousCredentials{}
	}
	cfg := aws.Config{
		Region:      ep.Region,
		Credentials: creds,
		HTTPClient:  hc,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = sdkAttempts
				o.MaxBackoff = 10 * time.Second
			})
		},
		// Streamed bodies cannot be read twice, so checksums the SDK
		// would compute up front are off; what this package knows in
		// advance (Content-MD5, the source's checksum) it sends itself.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(ep.URL)
		o.UsePathStyle = ep.PathStyle
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// streamOnce are the options of a request whose body is a stream: signed
// as UNSIGNED-PAYLOAD (the body is not read ahead to hash it) and sent
// once.
func streamOnce(o *s3.Options) {
	o.RetryMaxAttempts = 1
	o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
}

// call runs f under a context with the call timeout.
func call[T any](ctx context.Context, c Config, what string, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, c.CallTimeout)
	defer cancel()
	v, err := f(ctx)
	if err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
