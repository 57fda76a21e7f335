package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/floe-s3/floe/backend/codec"
	"github.com/floe-s3/floe/backend/integrity"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/backend/shardfile"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// InmemCapacity is the disk size every InmemTransport node reports.
const InmemCapacity = 1 << 40

// inmemMaxCorrupt bounds the corrupt shards a fake node remembers for its
// health report, as a real node does.
const inmemMaxCorrupt = 1000

// Fault is what goes wrong on one node of an InmemTransport. The zero
// value is a healthy node. A call looks its node's fault up when it starts;
// changing the fault does not affect calls already under way.
type Fault struct {
	// Down refuses every call with a connection-refused error, as a node
	// whose process is gone does. Such calls do not count in Gets.
	Down bool
	// Hang makes every call block until its context is done, as a node
	// that accepts connections but never answers does.
	Hang bool
	// Delay makes every call wait this long before the node acts on it.
	Delay time.Duration
	// Full makes PutShard fail with node.ErrFull (507 InsufficientStorage)
	// before a byte is read, and Health report no free space.
	Full bool
	// FlipReads flips the first byte of every GetShard body: corruption
	// in flight, after the node's CRC check, that only the reader's
	// BLAKE3 check against the manifest can catch.
	FlipReads bool
}

// InmemTransport is an in-memory set of storage nodes, keyed by address,
// that answers the calls of *node.Client with the same results and error
// values as real nodes, and can be told to misbehave (SetFault, Corrupt,
// Drop). It implements Transport, and also the StatShard, ShardInfo,
// ListShards and Health calls that scrub, GC and membership make. It is
// safe for concurrent use.
//
// Known differences from a real node and client:
//   - A GetShard body that reaches a rotten block after the first yields
//     every good byte before it, then io.ErrUnexpectedEOF. A real node may
//     lose some of those bytes in its write buffers, and if the hash list
//     and the good blocks before the bad one fit in those buffers (a few
//     KiB), nothing was sent and the whole GetShard fails with a transport
//     error instead. Either way no bad byte is delivered.
//   - The fake detects (and counts, for Health) a rotten later block only
//     when the body is read that far; a real node reads ahead of its client.
//   - PutShard checks Full before reading the body; a real node refuses
//     with the upload under way, so part of the body may have been read.
//   - Corrupt damages only shard data. Damage to a real shard file's block
//     table, manifest or tail makes every call on it fail with ErrCorrupt;
//     the fake has no such metadata to damage.
//   - There is no cluster secret, so nothing fails with ErrUnauthorized.
//   - Health's ShardCount counts the shards held. A real node's count does
//     not notice a file lost behind its back (Drop) until it restarts.
type InmemTransport struct {
	mu     sync.Mutex
	nodes  map[string]*inmemNode
	codecs sync.Map // blobmeta.Params → codec.Codec, for shard layouts
}

var _ Transport = (*InmemTransport)(nil)

// inmemNode is one fake node; its fields are guarded by InmemTransport.mu.
type inmemNode struct {
	fault    Fault
	shards   map[string]*inmemShard // by shardfile.Name
	gets     int
	detected int64    // corruptions found since the node was added
	corrupt  []string // recently found corrupt shards, oldest first
}

// inmemShard is a stored shard. It is never modified once stored, so a
// body being read keeps a consistent copy while Corrupt replaces it.
type inmemShard struct {
	id        blobmeta.ID
	index     int
	data      []byte
	blockSize int
	hashes    []blobmeta.Hash
	crcs      []uint32
	manifest  []byte // encoded, as the shard file holds it
	blobSize  int64
	root      blobmeta.Hash
	modTime   time.Time
}

// NewInmemTransport returns a transport with a healthy, empty node at each
// of addrs.
func NewInmemTransport(addrs ...string) *InmemTransport {
	t := &InmemTransport{nodes: make(map[string]*inmemNode)}
	for _, a := range addrs {
		t.AddNode(a)
	}
	return t
}

// AddNode adds a healthy, empty node at addr; an existing node is kept as
// it is. Calls to an address without a node fail as if it were Down.
func (t *InmemTransport) AddNode(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.nodes[addr] == nil {
		t.nodes[addr] = &inmemNode{shards: make(map[string]*inmemShard)}
	}
}

// SetFault sets the fault of the node at addr; Fault{} heals it. It panics
// if there is no node at addr, which is a mistake in the test.
func (t *InmemTransport) SetFault(addr string, f Fault) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[addr]
	if n == nil {
		panic("blob: InmemTransport.SetFault: no node at " + addr)
	}
	n.fault = f
}

// Corrupt flips one bit of the byte at offset off of the stored data of
// shard index of blob id on the node at addr: bitrot at rest, which the
// node's CRC check on GetShard and ShardInfo's verification find. It
// fails, matching node.ErrNotFound, if the node does not hold the shard.
func (t *InmemTransport) Corrupt(addr string, id blobmeta.ID, index int, off int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, name := t.nodes[addr], shardfile.Name(id, index)
	var sh *inmemShard
	if n != nil {
		sh = n.shards[name]
	}
	if sh == nil {
		return fmt.Errorf("blob: inmem corrupt %s on %s: %w", name, addr, node.ErrNotFound)
	}
	if off < 0 || off >= int64(len(sh.data)) {
		return fmt.Errorf("blob: inmem corrupt %s on %s: offset %d outside its %d data bytes", name, addr, off, len(sh.data))
	}
	// Copy on write: bodies being read keep the shard they started on.
	c := *sh
	c.data = slices.Clone(sh.data)
	c.data[off] ^= 0x40
	n.shards[name] = &c
	return nil
}

// Drop loses shard index of blob id on the node at addr without the node
// noticing, like a shard file removed behind its back. It fails, matching
// node.ErrNotFound, if the node does not hold the shard.
func (t *InmemTransport) Drop(addr string, id blobmeta.ID, index int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, name := t.nodes[addr], shardfile.Name(id, index)
	if n == nil || n.shards[name] == nil {
		return fmt.Errorf("blob: inmem drop %s on %s: %w", name, addr, node.ErrNotFound)
	}
	delete(n.shards, name)
	return nil
}

// Shards returns the sorted names ("<id>.<index>", as shardfile.Name
// spells them) of the shards the node at addr holds.
func (t *InmemTransport) Shards(addr string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[addr]
	if n == nil {
		return nil
	}
	names := make([]string, 0, len(n.shards))
	for name := range n.shards {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Gets returns how many GetShard calls reached the node at addr: all but
// those refused because it was Down.
func (t *InmemTransport) Gets(addr string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.nodes[addr]; n != nil {
		return n.gets
	}
	return 0
}

// enter starts call op on the node at addr: it fails as the client would
// on a done context or a node that is down, then applies the node's Hang
// and Delay. It returns the node's fault as of the start of the call.
func (t *InmemTransport) enter(ctx context.Context, addr, op string, get bool) (Fault, error) {
	if err := ctx.Err(); err != nil {
		return Fault{}, fmt.Errorf("node %s: %s: %w", addr, op, err)
	}
	t.mu.Lock()
	n := t.nodes[addr]
	var f Fault
	if n != nil {
		f = n.fault
		if get && !f.Down {
			n.gets++
		}
	}
	t.mu.Unlock()
	if n == nil || f.Down {
		// What dialing a port nobody listens on returns.
		refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
		return f, fmt.Errorf("node %s: %s: %w", addr, op, refused)
	}
	if f.Hang {
		<-ctx.Done()
		return f, fmt.Errorf("node %s: %s: %w", addr, op, ctx.Err())
	}
	if f.Delay > 0 {
		timer := time.NewTimer(f.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return f, fmt.Errorf("node %s: %s: %w", addr, op, ctx.Err())
		}
	}
	return f, nil
}

// nodeErr builds the *node.Error the client returns for an error response
// with code and the node's message.
func nodeErr(addr, op, code, format string, args ...any) error {
	return &node.Error{Addr: addr, Status: inmemStatus[code], Code: code, Message: op + ": " + fmt.Sprintf(format, args...)}
}

// inmemStatus is the HTTP status a node answers each error code with.
var inmemStatus = map[string]int{
	node.CodeNotFound:            http.StatusNotFound,
	node.CodeShardCorrupt:        http.StatusUnprocessableEntity,
	node.CodeBadDigest:           http.StatusBadRequest,
	node.CodeBadRequest:          http.StatusBadRequest,
	node.CodeInvalidRange:        http.StatusRequestedRangeNotSatisfiable,
	node.CodeInsufficientStorage: http.StatusInsufficientStorage,
}

// checkIndex fails as a node does on a shard index it cannot parse. head
// marks a HEAD request, whose error responses carry no message.
func checkIndex(addr, op string, id blobmeta.ID, index int, head bool) error {
	if index >= 0 && index < blobmeta.MaxShards {
		return nil
	}
	if head {
		return &node.Error{Addr: addr, Status: http.StatusBadRequest, Code: node.CodeBadRequest, Message: op + " failed"}
	}
	return nodeErr(addr, op, node.CodeBadRequest, "bad shard %q/%q", id.String(), strconv.Itoa(index))
}

// notFound is the error a node answers for an absent shard.
func notFound(addr, op, name string, head bool) error {
	if head {
		return &node.Error{Addr: addr, Status: http.StatusNotFound, Code: node.CodeNotFound, Message: op + " failed"}
	}
	return nodeErr(addr, op, node.CodeNotFound, "%v: %s", shardfile.ErrNotFound, name)
}

// lookup returns the stored shard, or the error a node answers for an
// absent one or a bad index.
func (t *InmemTransport) lookup(addr, op string, id blobmeta.ID, index int, head bool) (*inmemShard, error) {
	if err := checkIndex(addr, op, id, index, head); err != nil {
		return nil, err
	}
	name := shardfile.Name(id, index)
	t.mu.Lock()
	sh := t.nodes[addr].shards[name] // enter saw the node; nodes are never removed
	t.mu.Unlock()
	if sh == nil {
		return nil, notFound(addr, op, name, head)
	}
	return sh, nil
}

// recordCorrupt counts a detected corruption of shard name on the node at
// addr and remembers the name for health, newest last.
func (t *InmemTransport) recordCorrupt(addr, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[addr]
	if n == nil {
		return
	}
	n.detected++
	n.forgetCorrupt(name) // to come back as the newest
	if len(n.corrupt) == inmemMaxCorrupt {
		n.corrupt = slices.Delete(n.corrupt, 0, 1)
	}
	n.corrupt = append(n.corrupt, name)
}

// forgetCorrupt drops name from the corrupt list once it was replaced or
// deleted. The caller holds t.mu.
func (n *inmemNode) forgetCorrupt(name string) {
	n.corrupt = slices.DeleteFunc(n.corrupt, func(s string) bool { return s == name })
}

// codecFor returns a codec for p, cached because building one costs more
// than the layout arithmetic it is needed for.
func (t *InmemTransport) codecFor(p blobmeta.Params) (codec.Codec, error) {
	if c, ok := t.codecs.Load(p); ok {
		return c.(codec.Codec), nil
	}
	c, err := codec.New(p)
	if err != nil {
		return nil, err
	}
	t.codecs.Store(p, c)
	return c, nil
}

// block returns the bytes of block b.
func (sh *inmemShard) block(b int64) []byte {
	bs := int64(sh.blockSize)
	return sh.data[b*bs : min((b+1)*bs, int64(len(sh.data)))]
}

// checkCRC returns the *shardfile.CorruptError a node's read reports for
// block b, or nil if its CRC32C is intact.
func (sh *inmemShard) checkCRC(b int64) error {
	if crc := integrity.Sum32C(sh.block(b)); crc != sh.crcs[b] {
		return &shardfile.CorruptError{ID: sh.id, Index: sh.index, Block: b, Reason: fmt.Sprintf("CRC32C %08x, want %08x", crc, sh.crcs[b])}
	}
	return nil
}

// verify checks every block's BLAKE3 hash and CRC32C, as a node's full
// verification does, reporting the first bad block.
func (sh *inmemShard) verify() error {
	for b := range int64(len(sh.hashes)) {
		if h := integrity.BlockHash(sh.block(b)); h != sh.hashes[b] {
			return &shardfile.CorruptError{ID: sh.id, Index: sh.index, Block: b, Reason: fmt.Sprintf("BLAKE3 %x does not match block table", h[:8])}
		}
		if err := sh.checkCRC(b); err != nil {
			return err
		}
	}
	return nil
}

// fileSize is the size of the shard's file on a real node.
func (sh *inmemShard) fileSize() int64 {
	return int64(len(sh.data)) + int64(len(sh.hashes))*shardfile.EntrySize + int64(len(sh.manifest)) + shardfile.TailSize
}

// errInmemAborted ends an upload whose manifest() returned nil.
var errInmemAborted = errors.New("node: upload aborted by the writer")

// received is what the body reader of a PutShard produced.
type received struct {
	data     []byte
	manifest []byte
	err      error
}

// PutShard reads body as shard index, whose full blocks are blockSize
// bytes, calls manifest() once body ends and, if the shard matches the
// manifest, stores it and returns the blob ID, as a node does. Errors are
// the client's: *node.Error values matching node.ErrBadDigest, node.ErrFull
// or (code BadRequest) nothing, or the context's error.
//
// Like the real client, PutShard returns when ctx is done even if a Read
// of body is blocked; that Read is left to finish in the background, so a
// caller feeding body through an io.Pipe should close the pipe.
func (t *InmemTransport) PutShard(ctx context.Context, addr string, index, blockSize int, body io.Reader, manifest func() []byte) (blobmeta.ID, error) {
	const op = "put shard"
	f, err := t.enter(ctx, addr, op, false)
	if err != nil {
		return blobmeta.ID{}, err
	}
	if index < 0 {
		return blobmeta.ID{}, nodeErr(addr, op, node.CodeBadRequest, "bad or missing index %q", strconv.Itoa(index))
	}
	if blockSize < 1 || blockSize > node.MaxBlockSize {
		return blobmeta.ID{}, nodeErr(addr, op, node.CodeBadRequest, "bad %s %q: want 1..%d", node.HeaderBlockSize, strconv.Itoa(blockSize), node.MaxBlockSize)
	}
	if f.Full {
		return blobmeta.ID{}, nodeErr(addr, op, node.CodeInsufficientStorage, "node full: 0 bytes available, %d kept in reserve", node.DefaultReserve(InmemCapacity))
	}
	// Read in a goroutine so a Read blocked on body cannot hold up the
	// return on a done ctx; the channel is buffered so it never blocks.
	got := make(chan received, 1)
	go func() { got <- receive(ctx, body, blockSize, manifest) }()
	var r received
	select {
	case r = <-got:
	case <-ctx.Done():
		return blobmeta.ID{}, fmt.Errorf("node %s: %s: %w", addr, op, ctx.Err())
	}
	switch {
	case r.err != nil && ctx.Err() != nil:
		return blobmeta.ID{}, fmt.Errorf("node %s: %s: %w", addr, op, ctx.Err())
	case errors.Is(r.err, shardfile.ErrTooLarge):
		return blobmeta.ID{}, nodeErr(addr, op, node.CodeBadRequest, "%v", r.err)
	case r.err != nil:
		// The real client fails with the transport's error, not a node's.
		return blobmeta.ID{}, fmt.Errorf("node %s: %s: %w", addr, op, r.err)
	}
	sh, err := t.check(addr, op, index, blockSize, r.data, r.manifest)
	if err != nil {
		return blobmeta.ID{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[addr]
	name := shardfile.Name(sh.id, index)
	// An intact identical copy stays (with its time); a damaged one is
	// replaced, which is how repair rewrites a shard.
	if old := n.shards[name]; old == nil || old.verify() != nil {
		n.shards[name] = sh
	}
	n.forgetCorrupt(name)
	return sh.id, nil
}

// receive reads a shard body, at most as many bytes as a node accepts,
// then asks for the manifest. It runs in its own goroutine and stops
// reading once ctx is done.
func receive(ctx context.Context, body io.Reader, blockSize int, manifest func() []byte) received {
	limit := min(int64(node.MaxShardBody), int64(shardfile.MaxBlocks)*int64(blockSize))
	var buf bytes.Buffer
	chunk := make([]byte, 64<<10)
	for {
		n, err := body.Read(chunk)
		buf.Write(chunk[:n])
		if int64(buf.Len()) > limit {
			return received{err: fmt.Errorf("%w: more than %d blocks", shardfile.ErrTooLarge, shardfile.MaxBlocks)}
		}
		if ctx.Err() != nil {
			return received{err: ctx.Err()}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return received{err: fmt.Errorf("reading body after %d bytes: %w", buf.Len(), err)}
		}
	}
	m := manifest()
	if m == nil {
		return received{err: errInmemAborted}
	}
	return received{data: buf.Bytes(), manifest: slices.Clone(m)}
}

// check validates a received shard against its encoded manifest mb, as a
// node does before committing it, and returns the shard to store.
func (t *InmemTransport) check(addr, op string, index, blockSize int, data, mb []byte) (*inmemShard, error) {
	bad := func(format string, args ...any) (*inmemShard, error) {
		return nil, nodeErr(addr, op, node.CodeBadRequest, format, args...)
	}
	if len(mb) == 0 {
		return bad("missing %s trailer", node.TrailerManifest)
	}
	if len(mb) > blobmeta.MaxManifestSize {
		return bad("%s trailer too long", node.TrailerManifest)
	}
	m, err := blobmeta.UnmarshalManifest(mb)
	if err != nil {
		return bad("%s trailer: %v", node.TrailerManifest, err)
	}
	if index >= len(m.ShardRoots) {
		return bad("%v: shard index %d, blob has %d shards", shardfile.ErrInvalid, index, len(m.ShardRoots))
	}
	c, err := t.codecFor(m.Params)
	if err != nil {
		return bad("%v: %v", shardfile.ErrInvalid, err)
	}
	l := codec.NewLayout(c, m.Size)
	n := int64(len(data))
	nblocks := (n + int64(blockSize) - 1) / int64(blockSize)
	switch {
	case l.BlockSize() != blockSize:
		return bad("%v: block size %d, manifest (%s) implies %d", shardfile.ErrInvalid, blockSize, m.Params, l.BlockSize())
	case n != l.ShardLen():
		return bad("%v: received %d bytes, shard of a %d-byte blob holds %d", shardfile.ErrInvalid, n, m.Size, l.ShardLen())
	case nblocks != l.Stripes():
		return bad("%v: %d blocks, manifest implies %d", shardfile.ErrInvalid, nblocks, l.Stripes())
	}
	if nblocks > 0 {
		if got, want := n-l.BlockOffset(nblocks-1), int64(l.BlockLen(nblocks-1)); got != want {
			return bad("%v: last block is %d bytes, want %d", shardfile.ErrInvalid, got, want)
		}
	}
	sh := &inmemShard{
		id:        m.ID(),
		index:     index,
		data:      data,
		blockSize: blockSize,
		hashes:    make([]blobmeta.Hash, nblocks),
		crcs:      make([]uint32, nblocks),
		manifest:  mb,
		blobSize:  m.Size,
		root:      m.ShardRoots[index],
		modTime:   time.Now().UTC(),
	}
	for b := range nblocks {
		blk := sh.block(b)
		sh.hashes[b], sh.crcs[b] = integrity.BlockHash(blk), integrity.Sum32C(blk)
	}
	if root := integrity.ShardRoot(sh.hashes); root != sh.root {
		return nil, nodeErr(addr, op, node.CodeBadDigest, "%v: shard %d root %s, manifest says %s", shardfile.ErrBadDigest, index, root, sh.root)
	}
	return sh, nil
}

// GetShard reads length bytes (to the end if length < 0) of shard index
// of blob id from offset off, with the shard's block hashes if withHashes
// and the stored CRC32C of each block the range touches, as a node does
// (unchecked with opts.Unchecked): a range outside the shard fails with node.ErrInvalidRange,
// an absent shard with node.ErrNotFound, and a first requested block whose
// CRC32C is wrong with node.ErrCorrupt; a later bad block breaks the body
// off with io.ErrUnexpectedEOF.
func (t *InmemTransport) GetShard(ctx context.Context, addr string, id blobmeta.ID, index int, off, length int64, opts node.GetOptions) (*node.ShardReader, error) {
	const op = "get shard"
	f, err := t.enter(ctx, addr, op, true)
	if err != nil {
		return nil, err
	}
	sh, err := t.lookup(addr, op, id, index, false)
	if err != nil {
		return nil, err
	}
	size := int64(len(sh.data))
	if off < 0 || off > size {
		return nil, nodeErr(addr, op, node.CodeInvalidRange, "offset %d outside shard of %d bytes", off, size)
	}
	if length < 0 {
		length = size - off
	} else if length > size-off {
		return nil, nodeErr(addr, op, node.CodeInvalidRange, "range [%d,+%d) outside shard of %d bytes", off, length, size)
	}
	body := &inmemBody{t: t, addr: addr, ctx: ctx, sh: sh, pos: off, start: off, end: off + length, flip: f.FlipReads}
	if opts.Unchecked {
		body.checked = off + length // sent as stored, for the caller to check
	} else if length > 0 {
		// The node checks the first block before it answers, so its
		// damage is an error status rather than a broken body.
		b := off / int64(sh.blockSize)
		if err := sh.checkCRC(b); err != nil {
			t.recordCorrupt(addr, shardfile.Name(id, index))
			return nil, nodeErr(addr, op, node.CodeShardCorrupt, "%v", err)
		}
		body.checked = min((b+1)*int64(sh.blockSize), size)
	}
	sr := &node.ShardReader{Body: body}
	if crcs := shardfile.RangeCRCs(sh.crcs, sh.blockSize, off, length); len(crcs) > 0 {
		sr.CRCs = slices.Clone(crcs)
	}
	if opts.Hashes {
		sr.Hashes = slices.Clone(sh.hashes)
		if sr.Hashes == nil {
			sr.Hashes = []blobmeta.Hash{}
		}
	}
	return sr, nil
}

// errInmemClosed is what a Read of a closed GetShard body returns.
var errInmemClosed = errors.New("blob: inmem read on closed shard body")

// inmemBody yields a range of a stored shard, checking each block's CRC32C
// when it gets to it, as a node's response stream does.
type inmemBody struct {
	t       *InmemTransport
	addr    string
	ctx     context.Context
	sh      *inmemShard
	start   int64 // first byte of the range, flipped under FlipReads
	pos     int64 // next byte to yield
	end     int64 // end of the range
	checked int64 // end of the blocks whose CRC passed
	flip    bool
	err     error       // sticky
	closed  atomic.Bool // Close may race a Read, as on an HTTP body
}

func (b *inmemBody) Read(p []byte) (int, error) {
	switch {
	case b.closed.Load():
		return 0, errInmemClosed
	case b.err != nil:
		return 0, b.err
	case b.pos >= b.end:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	if err := b.ctx.Err(); err != nil {
		b.err = err
		return 0, err
	}
	if b.pos >= b.checked {
		blk := b.pos / int64(b.sh.blockSize)
		if err := b.sh.checkCRC(blk); err != nil {
			// The node breaks the response off; the client sees it end
			// short. The detection still counts on the node.
			b.t.recordCorrupt(b.addr, shardfile.Name(b.sh.id, b.sh.index))
			b.err = io.ErrUnexpectedEOF
			return 0, b.err
		}
		b.checked = min((blk+1)*int64(b.sh.blockSize), int64(len(b.sh.data)))
	}
	n := copy(p, b.sh.data[b.pos:min(b.checked, b.end)])
	if b.flip && b.pos == b.start {
		p[0] ^= 0x40
	}
	b.pos += int64(n)
	if b.pos == b.end {
		return n, io.EOF
	}
	return n, nil
}

// Close ends the read.
func (b *inmemBody) Close() error {
	b.closed.Store(true)
	return nil
}

// StatShard returns the size and root of a stored shard, as a node's HEAD
// does; an absent shard fails with node.ErrNotFound.
func (t *InmemTransport) StatShard(ctx context.Context, addr string, id blobmeta.ID, index int) (node.ShardStat, error) {
	const op = "stat shard"
	if _, err := t.enter(ctx, addr, op, false); err != nil {
		return node.ShardStat{}, err
	}
	sh, err := t.lookup(addr, op, id, index, true)
	if err != nil {
		return node.ShardStat{}, err
	}
	return node.ShardStat{Size: int64(len(sh.data)), Root: sh.root, BlobSize: sh.blobSize}, nil
}

// ShardInfo returns a stored shard's description and manifest. With verify
// every block is checked first, and damage fails with node.ErrCorrupt.
func (t *InmemTransport) ShardInfo(ctx context.Context, addr string, id blobmeta.ID, index int, verify bool) (node.ShardInfo, error) {
	const op = "shard info"
	if _, err := t.enter(ctx, addr, op, false); err != nil {
		return node.ShardInfo{}, err
	}
	sh, err := t.lookup(addr, op, id, index, false)
	if err != nil {
		return node.ShardInfo{}, err
	}
	if verify {
		if err := sh.verify(); err != nil {
			t.recordCorrupt(addr, shardfile.Name(id, index))
			return node.ShardInfo{}, nodeErr(addr, op, node.CodeShardCorrupt, "%v", err)
		}
	}
	m, err := blobmeta.UnmarshalManifest(sh.manifest) // a copy the caller may keep
	if err != nil {
		return node.ShardInfo{}, fmt.Errorf("node %s: %s %s.%d: bad response: %w", addr, op, id, index, err)
	}
	return node.ShardInfo{
		ID:       sh.id,
		Index:    sh.index,
		Size:     int64(len(sh.data)),
		BlobSize: sh.blobSize,
		Root:     sh.root,
		Manifest: m,
		ModTime:  sh.modTime,
		Verified: verify,
	}, nil
}

// DeleteShard removes a shard; an absent one fails with node.ErrNotFound.
func (t *InmemTransport) DeleteShard(ctx context.Context, addr string, id blobmeta.ID, index int) error {
	const op = "delete shard"
	if _, err := t.enter(ctx, addr, op, false); err != nil {
		return err
	}
	if err := checkIndex(addr, op, id, index, false); err != nil {
		return err
	}
	name := shardfile.Name(id, index)
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[addr]
	if n.shards[name] == nil {
		return notFound(addr, op, name, false)
	}
	delete(n.shards, name)
	n.forgetCorrupt(name)
	return nil
}

// Node list limits, as a node applies them.
const (
	inmemDefaultListLimit = 1000
	inmemMaxListLimit     = 10000
)

// ListShards lists up to limit shards (1000 if limit <= 0, at most 10000)
// whose names sort after the cursor after, in name order; Next is the last
// name listed if more follow, else "".
func (t *InmemTransport) ListShards(ctx context.Context, addr string, after string, limit int) (node.ListPage, error) {
	const op = "list shards"
	if _, err := t.enter(ctx, addr, op, false); err != nil {
		return node.ListPage{}, err
	}
	if limit <= 0 {
		limit = inmemDefaultListLimit
	}
	limit = min(limit, inmemMaxListLimit)
	t.mu.Lock()
	defer t.mu.Unlock()
	var names []string
	for name := range t.nodes[addr].shards {
		if name > after {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	page := node.ListPage{Shards: make([]node.ListEntry, 0, min(len(names), limit))}
	for _, name := range names[:min(len(names), limit)] {
		sh := t.nodes[addr].shards[name]
		page.Shards = append(page.Shards, node.ListEntry{ID: sh.id, Index: sh.index, Size: int64(len(sh.data)), ModTime: sh.modTime})
	}
	if len(names) > limit {
		page.Next = names[limit-1]
	}
	return page, nil
}

// Health reports the node at addr as a node does, with its address as
// NodeID, InmemCapacity bytes of disk and the default reserve; FreeBytes
// is 0 while the node is Full.
func (t *InmemTransport) Health(ctx context.Context, addr string) (node.Health, error) {
	f, err := t.enter(ctx, addr, "health", false)
	if err != nil {
		return node.Health{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[addr]
	var used int64
	for _, sh := range n.shards {
		used += sh.fileSize()
	}
	reserve := node.DefaultReserve(InmemCapacity)
	free := max(0, InmemCapacity-used-reserve)
	if f.Full {
		free = 0
	}
	corrupt := slices.Clone(n.corrupt)
	if corrupt == nil {
		corrupt = []string{}
	}
	return node.Health{
		NodeID:          addr,
		CapacityBytes:   InmemCapacity,
		FreeBytes:       free,
		ReserveBytes:    reserve,
		ShardCount:      int64(len(n.shards)),
		CorruptDetected: n.detected,
		CorruptShards:   corrupt,
	}, nil
}
