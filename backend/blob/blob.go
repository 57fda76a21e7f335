// Package blob stores and reads erasure-coded blobs on storage nodes.
//
// A write is planned first (Store.Plan picks the nonce and the nodes, so the
// gateway can record a write intent naming them before any shard is sent),
// then carried out (Store.Write; Store.Put does both, for tests and tools).
// It cuts a stream of unknown length into stripes, encodes
// each stripe into K+M pieces with the blob's codec, and streams piece i of
// every stripe to the node holding shard i, all shards concurrently and with
// a fixed number of stripes in memory. When the stream ends, each node is sent
// the blob's manifest (codec parameters, size and every shard root); it checks
// its shard against it, makes the shard durable and acknowledges. The blob ID
// is the hash of the manifest, a commitment to every byte stored.
//
// A read (Store.NewReader) fetches only the stripes covering the requested
// range, prefers data shards so the healthy path does no decoding, verifies
// every block against the manifest, and reads around missing, slow or corrupt
// shards by fetching parity and reconstructing.
package blob

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
	"golang.org/x/sync/semaphore"
)

// Transport moves shards to and from storage nodes. *node.Client implements it.
type Transport interface {
	PutShard(ctx context.Context, addr string, index, blockSize int, body io.Reader, manifest func() []byte) (blobmeta.ID, error)
	GetShard(ctx context.Context, addr string, id blobmeta.ID, index int, off, length int64, opts node.GetOptions) (*node.ShardReader, error)
	DeleteShard(ctx context.Context, addr string, id blobmeta.ID, index int) error
}

// Options tune a Store. The zero value of each field selects its default.
type Options struct {
	// Params are the coding parameters of new blobs (default RS 4+2, 1 MiB stripes).
	Params blobmeta.Params
	// WriteQuorum is how many shards must be durable before Put succeeds.
	// The default is K: every acknowledged blob is readable, and a write
	// survives up to M nodes failing during it. Shards that failed are
	// reported in Result.Failed so repair can restore full redundancy.
	// Values outside [K, K+M] are clamped into it. A replicated blob (see
	// ReplicateBelow) survives as many failures during its write.
	WriteQuorum int
	// ReplicateBelow is the size under which a blob of known size
	// (PlanFor) is stored as M+1 whole copies, a Reed-Solomon code with
	// K=1, rather than with Params: a small blob's shards are tiny anyway
	// (a file system block each), so copies cost little more disk, and a
	// read needs one node instead of K, a write M+1 instead of K+M. 0
	// replicates nothing.
	ReplicateBelow int64
	// StripesInFlight bounds the stripes a write holds in memory (default 4).
	StripesInFlight int
	// WriteMemory bounds the bytes of stripe buffers all writes of the
	// store hold together (default 64 MiB). A write always gets one stripe,
	// waiting for memory if the budget is spent, and more (up to
	// StripesInFlight) only while there is room: many concurrent uploads
	// slow down instead of growing the process without bound.
	WriteMemory int64
	// StallTimeout abandons a shard whose node accepts no data for this
	// long during a write (default 30s).
	StallTimeout time.Duration
	// SegmentStripes is how many consecutive stripes a read fetches per
	// request to each node (default 4).
	SegmentStripes int
	// ReadAhead is how many segments a read fetches ahead (default 2).
	ReadAhead int
	// HedgeDelay is how long a read waits on a shard before asking another
	// node for a substitute piece (default 300ms).
	HedgeDelay time.Duration
	// FetchTimeout bounds one shard request of a read (default 60s).
	FetchTimeout time.Duration
	// OnBadShard, if set, is told about a shard a read found corrupt
	// (err matches node.ErrCorrupt) or its node no longer has (err
	// matches node.ErrNotFound), so it can be queued for repair. It runs
	// in its own goroutine, at most once per shard and read.
	OnBadShard func(id blobmeta.ID, index int, nd blobmeta.Node, err error)
	// Observer, if set, is told how writes and reads went (metrics); nil
	// observes nothing.
	Observer Observer
}

// Observer is told what a Store's writes and reads did. Its methods run on
// the writes' and reads' own goroutines, so they must be cheap and safe
// for concurrent use.
type Observer interface {
	// BlobWritten reports a Write that took d and stored size bytes
	// (0 when it failed with err).
	BlobWritten(d time.Duration, size int64, err error)
	// SegmentRead reports one segment of a read (up to SegmentStripes
	// stripes) fetched, verified and decoded in d; degraded when it had
	// to decode from parity because data shards were missing, corrupt
	// or slow.
	SegmentRead(d time.Duration, degraded bool, err error)
	// Hedged reports a shard fetch that outlived HedgeDelay, so another
	// shard was asked in its place.
	Hedged()
}

func (o Options) withDefaults() Options {
	if o.Params == (blobmeta.Params{}) {
		o.Params = blobmeta.DefaultParams()
	}
	if o.WriteQuorum == 0 {
		o.WriteQuorum = o.Params.K
	}
	if o.StripesInFlight == 0 {
		o.StripesInFlight = 4
	}
	if o.WriteMemory == 0 {
		o.WriteMemory = 64 << 20
	}
	if o.StallTimeout == 0 {
		o.StallTimeout = 30 * time.Second
	}
	if o.SegmentStripes == 0 {
		o.SegmentStripes = 4
	}
	if o.ReadAhead == 0 {
		o.ReadAhead = 2
	}
	if o.HedgeDelay == 0 {
		o.HedgeDelay = 300 * time.Millisecond
	}
	if o.FetchTimeout == 0 {
		o.FetchTimeout = 60 * time.Second
	}
	return o
}

// Store writes and reads blobs through a Transport.
type Store struct {
	t     Transport
	opts  Options
	log   zerolog.Logger
	pools sync.Map // block size → *sync.Pool of read buffers

	writeMem    *semaphore.Weighted // WriteMemory, in bytes
	stripePools sync.Map            // stripeShape → *sync.Pool of *stripe
}

// NewStore returns a Store using t with the given options.
func NewStore(t Transport, opts Options, log zerolog.Logger) *Store {
	opts = opts.withDefaults()
	return &Store{t: t, opts: opts, log: log, writeMem: semaphore.NewWeighted(opts.WriteMemory)}
}

// Options returns the store's options with defaults filled in.
func (s *Store) Options() Options { return s.opts }
