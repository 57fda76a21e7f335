package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawResult is the gateway's answer to a raw request.
type rawResult struct {
	status    int
	header    http.Header
	body      []byte
	code      string // <Code> of an XML error body
	requestID string // <RequestId> of an XML error body
}

// rawClient sends raw requests; every request has a deadline, so a gateway
// that hangs fails the test instead of stalling it.
var rawClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
}

// send signs a request as an SDK would (SigV4 with the cluster's keys,
// us-east-1, payload hash the body's SHA-256) and sends it. target is the
// escaped path and query.
func (c *cluster) send(t *testing.T, method, target string, hdr http.Header, body []byte) rawResult {
	t.Helper()
	sum := sha256.Sum256(body)
	return c.sendStream(t, method, target, hdr, bytes.NewReader(body), int64(len(body)), hex.EncodeToString(sum[:]))
}

// sendStream is send with a body streamed from r, n bytes long (-1 for
// unknown), signed with payloadHash (such as UNSIGNED-PAYLOAD).
func (c *cluster) sendStream(t *testing.T, method, target string, hdr http.Header, r io.Reader, n int64, payloadHash string) rawResult {
	t.Helper()
	res, err := c.trySend(method, target, hdr, r, n, payloadHash)
	must(t, err, "%s %s", method, target)
	return res
}

func (c *cluster) trySend(method, target string, hdr http.Header, r io.Reader, n int64, payloadHash string) (rawResult, error) {
	req, err := http.NewRequest(method, c.endpoint+target, r)
	if err != nil {
		return rawResult{}, err
	}
	req.ContentLength = n
	if n == 0 {
		req.Body = http.NoBody
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	query := req.URL.RawQuery
	err = signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.accessKey, SecretAccessKey: c.secretKey},
		req, payloadHash, "s3", "us-east-1", time.Now())
	if err != nil {
		return rawResult{}, err
	}
	// The signer rewrites the query from url.Values, which drops what it
	// cannot decode; send it as the test wrote it. (The canonical query
	// the signature covers is the same for any valid encoding.)
	req.URL.RawQuery = query
	resp, err := rawClient.Do(req)
	if err != nil {
		return rawResult{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return rawResult{}, err
	}
	res := rawResult{status: resp.StatusCode, header: resp.Header, body: body}
	var e struct {
		Code      string `xml:"Code"`
		RequestID string `xml:"RequestId"`
	}
	if xml.Unmarshal(body, &e) == nil {
		res.code, res.requestID = e.Code, e.RequestID
	}
	return res, nil
}
