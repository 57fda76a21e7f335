package node

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/zeebo/blake3"
)

// Errors a node reports, matched by *Error values through errors.Is.
var (
	ErrNotFound     = errors.New("node: shard not found")
	ErrCorrupt      = errors.New("node: shard corrupt")
	ErrUnauthorized = errors.New("node: unauthorized")
	ErrConflict     = errors.New("node: conflicting shard")
	ErrBadDigest    = errors.New("node: shard does not match its manifest")
	// ErrFull means the node refused a shard for want of space: it is down
	// to its free-space reserve, or its disk filled during the upload.
	// Nothing of the shard was kept; another node should take it.
	ErrFull         = errors.New("node: full (insufficient storage)")
	ErrInvalidRange = errors.New("node: invalid range")
)

// codeErrors maps error codes to the sentinels they match.
var codeErrors = map[string]error{
	CodeNotFound:             ErrNotFound,
	CodeShardCorrupt:         ErrCorrupt,
	CodeUnauthorized:         ErrUnauthorized,
	CodeRequestTimeTooSkewed: ErrUnauthorized,
	CodeConflict:             ErrConflict,
	CodeBadDigest:            ErrBadDigest,
	CodeInsufficientStorage:  ErrFull,
	CodeInvalidRange:         ErrInvalidRange,
}

// Error is a non-2xx response from a node.
type Error struct {
	Addr    string // the node
	Status  int    // HTTP status
	Code    string // error code, e.g. CodeNotFound
	Message string
}

// Error names the node, the status, the code and the node's message.
func (e *Error) Error() string {
	return fmt.Sprintf("node %s: %d %s: %s", e.Addr, e.Status, e.Code, e.Message)
}

// Is matches the sentinel error of e's code, e.g. ErrNotFound.
func (e *Error) Is(target error) bool {
	s, ok := codeErrors[e.Code]
	return ok && s == target
}

// Client talks to storage nodes. It is safe for concurrent use.
type Client struct {
	secret []byte
	hc     *http.Client
	now    func() time.Time
}

// NewClient returns a client that signs requests with secret. If hc is nil
// it uses a client tuned for many concurrent shard streams.
func NewClient(secret []byte, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Transport: defaultTransport()}
	}
	return &Client{secret: append([]byte(nil), secret...), hc: hc, now: time.Now}
}

func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil, // nodes talk to each other directly
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Shard data is incompressible, and transparent gzip would hide
		// Content-Length.
		DisableCompression: true,
	}
}

// endpoint builds the URL of path (with its query) on the node at addr,
// which is "host:port" or a base URL such as "http://host:port".
func endpoint(addr, pathQuery string) string {
	if strings.Contains(addr, "://") {
		return strings.TrimSuffix(addr, "/") + pathQuery
	}
	return "http://" + addr + pathQuery
}

func shardPath(id blobmeta.ID, index int) string {
	return "/v1/shards/" + id.String() + "/" + strconv.Itoa(index)
}

// do signs and sends a request and turns non-2xx responses into *Error.
// On success the caller must close the response body.
func (c *Client) do(ctx context.Context, op, addr, method, pathQuery string, body io.Reader, prep func(*http.Request)) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, endpoint(addr, pathQuery), body)
	if err != nil {
		return nil, fmt.Errorf("node %s: %s: %w", addr, op, err)
	}
	if prep != nil {
		prep(req)
	}
	signRequest(c.secret, req, c.now())
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("node %s: %s: %w", addr, op, err)
	}
	if resp.StatusCode/100 != 2 {
		defer closeBody(resp.Body)
		return nil, responseError(addr, op, resp)
	}
	return resp, nil
}

// responseError decodes an error response.
func responseError(addr, op string, resp *http.Response) error {
	e := &Error{Addr: addr, Status: resp.StatusCode, Code: resp.Header.Get(HeaderError)}
	var body errorBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&body); err == nil {
		if e.Code == "" {
			e.Code = body.Code
		}
		e.Message = body.Message
	}
	if e.Code == "" {
		e.Code = http.StatusText(resp.StatusCode)
	}
	if e.Message == "" {
		e.Message = op + " failed"
	} else {
		e.Message = op + ": " + e.Message
	}
	return e
}

// closeBody drains a little of an unread body, so a short remainder does
// not cost the connection, and closes it.
func closeBody(b io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(b, maxErrorBody))
	_ = b.Close()
}

// getJSON sends a GET and decodes its JSON response into v.
func (c *Client) getJSON(ctx context.Context, op, addr, pathQuery string, v any) error {
	resp, err := c.do(ctx, op, addr, http.MethodGet, pathQuery, nil, nil)
	if err != nil {
		return err
	}
	defer closeBody(resp.Body)
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSONResponseBody)).Decode(v); err != nil {
		return fmt.Errorf("node %s: %s: decode response: %w", addr, op, err)
	}
	return nil
}

// errAborted ends an upload whose manifest() returned nil.
var errAborted = errors.New("node: upload aborted by the writer")

// PutShard streams body to the node at addr as shard index, whose full
// blocks are blockSize bytes. When body returns io.EOF it calls manifest()
// and sends the result, the blob's encoded manifest, as the X-Floe-Manifest
// trailer; the node checks the shard against it and answers only once the
// shard is durable. If manifest returns nil the upload is aborted and the
// node discards what it received. PutShard returns the blob ID the node
// stored the shard under.
//
// PutShard returns when ctx is done even if a Read of body is blocked; that
// Read is left to finish in the background (a caller feeding body through
// an io.Pipe should close the pipe when it gives up).
func (c *Client) PutShard(ctx context.Context, addr string, index, blockSize int, body io.Reader, manifest func() []byte) (blobmeta.ID, error) {
	const op = "put shard"
	tb := &trailerBody{manifest: manifest}
	var reqBody io.Reader = tb
	if src, ok := body.(ContextWriterTo); ok {
		reqBody = &trailerWriterTo{trailerBody: tb, ctx: ctx, src: src}
	} else {
		cr := newCtxReader(ctx, body)
		defer cr.stop()
		tb.r = cr
	}
	resp, err := c.do(ctx, op, addr, http.MethodPost, "/v1/shards?index="+strconv.Itoa(index), reqBody, func(req *http.Request) {
		req.ContentLength = -1 // chunked: the length is not known up front
		req.Header.Set(HeaderBlockSize, strconv.Itoa(blockSize))
		req.Header.Set("Content-Type", contentTypeOctets)
		req.Trailer = http.Header{TrailerManifest: nil}
		tb.trailer = req.Trailer
	})
	if err != nil {
		return blobmeta.ID{}, err
	}
	defer closeBody(resp.Body)
	var pr putResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&pr); err != nil {
		return blobmeta.ID{}, fmt.Errorf("node %s: %s: decode response: %w", addr, op, err)
	}
	id, err := blobmeta.ParseID(pr.ID)
	if err != nil {
		return blobmeta.ID{}, fmt.Errorf("node %s: %s: %w", addr, op, err)
	}
	// The node must have stored the shard under the manifest we sent.
	sent := tb.sent.Load()
	if sent == nil {
		return blobmeta.ID{}, fmt.Errorf("node %s: %s: node acknowledged a shard before its manifest was sent", addr, op)
	}
	if want := blobmeta.ID(blake3.Sum256(*sent)); id != want || pr.Index != index {
		return blobmeta.ID{}, fmt.Errorf("node %s: %s: node acknowledged %s.%d, sent %s.%d", addr, op, id, pr.Index, want, index)
	}
	return id, nil
}

// ContextWriterTo is a shard body that writes itself to the connection,
// piece by piece, without the copying a Read loop costs; it returns once
// ctx is done. PutShard sends a body that has it that way.
type ContextWriterTo interface {
	WriteToContext(ctx context.Context, w io.Writer) (int64, error)
}

// trailerBody passes body through and, at its end, fills in the manifest
// trailer, which the transport writes after the last chunk.
type trailerBody struct {
	r        io.Reader
	manifest func() []byte
	trailer  http.Header
	// sent is the manifest sent; set by the transport's goroutine.
	sent atomic.Pointer[[]byte]
}

func (b *trailerBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != io.EOF {
		return n, err
	}
	return n, b.finish()
}

// finish sets the trailer at the body's end. It returns io.EOF, or
// errAborted if the write was aborted: failing the body makes the
// transport break off the request without its final chunk, so the node
// never sees a complete shard.
func (b *trailerBody) finish() error {
	m := b.manifest()
	if m == nil {
		return errAborted
	}
	b.sent.Store(&m)
	b.trailer.Set(TrailerManifest, base64.StdEncoding.EncodeToString(m))
	return io.EOF
}

// trailerWriterTo is a trailerBody over a ContextWriterTo; the transport
// copies bodies with WriteTo when they have it.
type trailerWriterTo struct {
	*trailerBody
	ctx context.Context
	src ContextWriterTo
}

func (b *trailerWriterTo) WriteTo(w io.Writer) (int64, error) {
	n, err := b.src.WriteToContext(b.ctx, w)
	if err != nil {
		return n, err
	}
	if err := b.finish(); err != io.EOF {
		return n, err
	}
	return n, nil
}

// ctxReader reads r in a helper goroutine so a Read blocked on r (say, an
// io.Pipe waiting for its writer) still returns once ctx is done. The
// transport does not finish a canceled request until its body read
// returns, so without this PutShard could outlive its context.
type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	start   sync.Once
	stopped sync.Once
	next    chan struct{} // asks the pump for one more read
	res     chan readResult
	done    chan struct{} // closed when the consumer is gone
	buf     []byte
	pending []byte // unread part of the pump's last result
	err     error  // returned once pending is consumed
}

type readResult struct {
	data []byte
	err  error
}

const pumpBufSize = 64 << 10

func newCtxReader(ctx context.Context, r io.Reader) *ctxReader {
	return &ctxReader{
		ctx:  ctx,
		r:    r,
		next: make(chan struct{}, 1),
		res:  make(chan readResult),
		done: make(chan struct{}),
	}
}

// pump reads r on request. It owns buf between a request and the result.
func (c *ctxReader) pump() {
	c.buf = make([]byte, pumpBufSize)
	for {
		select {
		case <-c.next:
		case <-c.done:
			return
		}
		n, err := c.r.Read(c.buf)
		select {
		case c.res <- readResult{c.buf[:n], err}:
		case <-c.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.start.Do(func() { go c.pump() })
		c.next <- struct{}{} // never blocks: the pump holds no request
		select {
		case r := <-c.res:
			c.pending, c.err = r.data, r.err
		case <-c.ctx.Done():
			c.stop()
			c.err = c.ctx.Err()
			return 0, c.err
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	if len(c.pending) == 0 && c.err != nil {
		return n, c.err
	}
	return n, nil
}

// stop releases the pump; it exits once any read of r in progress returns.
func (c *ctxReader) stop() { c.stopped.Do(func() { close(c.done) }) }

// ShardReader is a shard read in progress.
type ShardReader struct {
	// Hashes is the BLAKE3 hash of every block of the shard, if requested.
	Hashes []blobmeta.Hash
	// CRCs is the stored CRC32C of each block the requested range touches,
	// from the first; nil from a node that does not send them.
	CRCs []uint32
	// Body yields exactly the requested bytes; it fails with
	// io.ErrUnexpectedEOF if the node breaks off (e.g. on finding a corrupt
	// block mid-stream). Close it when done.
	Body io.ReadCloser
}

// GetOptions are what a GetShard asks for besides the bytes.
type GetOptions struct {
	// Hashes fetches the shard's full block hash list too, before
	// GetShard returns.
	Hashes bool
	// Unchecked lets the node send the bytes straight from its page cache
	// (sendfile) without checking each block's CRC32C first: for a caller
	// that checks every block itself, against ShardReader.CRCs or the
	// hashes. A node that predates it checks them anyway.
	Unchecked bool
}

// GetShard reads length bytes (to the end if length < 0) of shard index
// of blob id from offset off. Unless opts.Unchecked, the node checks each
// block's CRC32C before sending it; if the first requested block is
// corrupt the error matches ErrCorrupt.
func (c *Client) GetShard(ctx context.Context, addr string, id blobmeta.ID, index int, off, length int64, opts GetOptions) (*ShardReader, error) {
	const op = "get shard"
	q := url.Values{}
	q.Set("offset", strconv.FormatInt(off, 10))
	if length >= 0 {
		q.Set("length", strconv.FormatInt(length, 10))
	}
	if opts.Hashes {
		q.Set("hashes", "1")
	}
	if opts.Unchecked {
		q.Set("unchecked", "1")
	}
	resp, err := c.do(ctx, op, addr, http.MethodGet, shardPath(id, index)+"?"+q.Encode(), nil, nil)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) (*ShardReader, error) {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("node %s: %s %s.%d: %s", addr, op, id, index, fmt.Sprintf(format, args...))
	}
	shardLen, err := strconv.ParseInt(resp.Header.Get(HeaderShardLength), 10, 64)
	if err != nil || shardLen < 0 {
		return fail("bad %s %q", HeaderShardLength, resp.Header.Get(HeaderShardLength))
	}
	want := length
	if want < 0 {
		want = shardLen - off
	}
	sr := &ShardReader{}
	var hashLen int64
	if opts.Hashes {
		hashLen, err = strconv.ParseInt(resp.Header.Get(HeaderHashesLength), 10, 64)
		// Bound the allocation: a shard has at most MaxBlocks blocks.
		if err != nil || hashLen < 0 || hashLen%blobmeta.HashSize != 0 || hashLen > shardfile.MaxBlocks*blobmeta.HashSize {
			return fail("bad %s %q", HeaderHashesLength, resp.Header.Get(HeaderHashesLength))
		}
		raw := make([]byte, hashLen)
		if _, err := io.ReadFull(resp.Body, raw); err != nil {
			return fail("read block hashes: %v", err)
		}
		sr.Hashes = make([]blobmeta.Hash, hashLen/blobmeta.HashSize)
		for i := range sr.Hashes {
			copy(sr.Hashes[i][:], raw[i*blobmeta.HashSize:])
		}
	}
	var crcLen int64
	if v := resp.Header.Get(HeaderCRCsLength); v != "" {
		crcLen, err = strconv.ParseInt(v, 10, 64)
		if err != nil || crcLen < 0 || crcLen%4 != 0 || crcLen > shardfile.MaxBlocks*4 {
			return fail("bad %s %q", HeaderCRCsLength, v)
		}
		raw := make([]byte, crcLen)
		if _, err := io.ReadFull(resp.Body, raw); err != nil {
			return fail("read block CRCs: %v", err)
		}
		for i := 0; i < len(raw); i += 4 {
			sr.CRCs = append(sr.CRCs, binary.BigEndian.Uint32(raw[i:]))
		}
	}
	if resp.ContentLength >= 0 && resp.ContentLength != hashLen+crcLen+want {
		return fail("response of %d bytes, want %d", resp.ContentLength, hashLen+crcLen+want)
	}
	sr.Body = &exactBody{rc: resp.Body, left: want}
	return sr, nil
}

// exactBody yields exactly left bytes and reports a short body as
// io.ErrUnexpectedEOF.
type exactBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *exactBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if err == io.EOF {
		if b.left > 0 {
			return n, io.ErrUnexpectedEOF
		}
	}
	if b.left == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// Close releases the connection, draining a small remainder so it can be
// reused.
func (b *exactBody) Close() error {
	if b.left <= maxErrorBody {
		_, _ = io.Copy(io.Discard, io.LimitReader(b.rc, b.left+1))
	}
	return b.rc.Close()
}

// ShardStat is what HEAD tells about a stored shard.
type ShardStat struct {
	Size     int64         // shard data bytes
	Root     blobmeta.Hash // shard root
	BlobSize int64         // size of the whole blob
}

// StatShard returns the size and root of a stored shard.
func (c *Client) StatShard(ctx context.Context, addr string, id blobmeta.ID, index int) (ShardStat, error) {
	const op = "stat shard"
	resp, err := c.do(ctx, op, addr, http.MethodHead, shardPath(id, index), nil, nil)
	if err != nil {
		return ShardStat{}, err
	}
	closeBody(resp.Body)
	var st ShardStat
	var errs []error
	st.Size, err = strconv.ParseInt(resp.Header.Get(HeaderShardLength), 10, 64)
	errs = append(errs, err)
	st.BlobSize, err = strconv.ParseInt(resp.Header.Get(HeaderBlobSize), 10, 64)
	errs = append(errs, err)
	st.Root, err = blobmeta.ParseHash(resp.Header.Get(HeaderShardRoot))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return ShardStat{}, fmt.Errorf("node %s: %s %s.%d: bad response headers: %w", addr, op, id, index, err)
	}
	return st, nil
}

// ShardInfo describes a stored shard.
type ShardInfo struct {
	ID       blobmeta.ID
	Index    int
	Size     int64 // shard data bytes
	BlobSize int64
	Root     blobmeta.Hash
	Manifest *blobmeta.Manifest
	ModTime  time.Time
	Verified bool // the node checked every block's BLAKE3 hash just now
}

// ShardInfo returns a stored shard's description and manifest. With verify
// the node first checks the whole shard; corruption matches ErrCorrupt.
func (c *Client) ShardInfo(ctx context.Context, addr string, id blobmeta.ID, index int, verify bool) (ShardInfo, error) {
	const op = "shard info"
	pq := shardPath(id, index) + "/info"
	if verify {
		pq += "?verify=1"
	}
	var ir infoResponse
	if err := c.getJSON(ctx, op, addr, pq, &ir); err != nil {
		return ShardInfo{}, err
	}
	bad := func(err error) (ShardInfo, error) {
		return ShardInfo{}, fmt.Errorf("node %s: %s %s.%d: bad response: %w", addr, op, id, index, err)
	}
	gotID, err := blobmeta.ParseID(ir.ID)
	if err != nil {
		return bad(err)
	}
	root, err := blobmeta.ParseHash(ir.Root)
	if err != nil {
		return bad(err)
	}
	m, err := blobmeta.UnmarshalManifest(ir.Manifest)
	if err != nil {
		return bad(err)
	}
	return ShardInfo{
		ID:       gotID,
		Index:    ir.Index,
		Size:     ir.Size,
		BlobSize: ir.BlobSize,
		Root:     root,
		Manifest: m,
		ModTime:  ir.ModTime,
		Verified: ir.Verified,
	}, nil
}

// DeleteShard removes a shard from the node; ErrNotFound if it is absent.
func (c *Client) DeleteShard(ctx context.Context, addr string, id blobmeta.ID, index int) error {
	resp, err := c.do(ctx, "delete shard", addr, http.MethodDelete, shardPath(id, index), nil, nil)
	if err != nil {
		return err
	}
	closeBody(resp.Body)
	return nil
}

// ListEntry is one shard in a listing.
type ListEntry struct {
	ID      blobmeta.ID
	Index   int
	Size    int64 // shard data bytes; -1 if the node could not read it
	ModTime time.Time
}

// ListPage is one page of a node's shards.
type ListPage struct {
	Shards []ListEntry
	Next   string // cursor for the next page; "" after the last
}

// ListShards lists up to limit shards (the node's default if limit <= 0)
// whose names ("<id>.<index>") sort after the cursor after.
func (c *Client) ListShards(ctx context.Context, addr string, after string, limit int) (ListPage, error) {
	const op = "list shards"
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	pq := "/v1/shards"
	if len(q) > 0 {
		pq += "?" + q.Encode()
	}
	var lr listResponse
	if err := c.getJSON(ctx, op, addr, pq, &lr); err != nil {
		return ListPage{}, err
	}
	page := ListPage{Shards: make([]ListEntry, len(lr.Shards)), Next: lr.Next}
	for i, e := range lr.Shards {
		id, err := blobmeta.ParseID(e.ID)
		if err != nil {
			return ListPage{}, fmt.Errorf("node %s: %s: bad response: %w", addr, op, err)
		}
		page.Shards[i] = ListEntry{ID: id, Index: e.Index, Size: e.Size, ModTime: e.ModTime}
	}
	return page, nil
}

// Health is a node's self-report.
type Health struct {
	NodeID          string
	CapacityBytes   int64
	FreeBytes       int64 // space the node still accepts shards into: available above ReserveBytes
	ReserveBytes    int64 // space the node keeps free
	ShardCount      int64
	CorruptDetected int64    // corruptions detected since the node started
	CorruptShards   []string // recently found corrupt shards, "<id>.<index>"
}

// Health asks the node at addr for its health report.
func (c *Client) Health(ctx context.Context, addr string) (Health, error) {
	var hr healthResponse
	if err := c.getJSON(ctx, "health", addr, "/v1/health", &hr); err != nil {
		return Health{}, err
	}
	return Health{
		NodeID:          hr.NodeID,
		CapacityBytes:   hr.CapacityBytes,
		FreeBytes:       hr.FreeBytes,
		ReserveBytes:    hr.ReserveBytes,
		ShardCount:      hr.ShardCount,
		CorruptDetected: hr.CorruptDetected,
		CorruptShards:   hr.CorruptShards,
	}, nil
}
