package metadata

import (
	"context"
	"errors"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Errors returned by Store methods, possibly wrapped: test with errors.Is.
var (
	ErrNoSuchBucket   = errors.New("metadata: no such bucket")
	ErrBucketExists   = errors.New("metadata: bucket already exists")
	ErrBucketNotEmpty = errors.New("metadata: bucket not empty")
	ErrNoSuchKey      = errors.New("metadata: no such key")
	ErrNoSuchUpload   = errors.New("metadata: no such upload")
	// ErrInvalidPart: CompleteUpload named a part number the upload does
	// not have, or with another blob than the one uploaded as that part.
	ErrInvalidPart = errors.New("metadata: invalid part")
	// ErrInvalidKey: an object key, or a listing's prefix, delimiter or
	// start-after, is not valid UTF-8 or contains NUL; or a key is empty.
	ErrInvalidKey = errors.New("metadata: invalid key")
	// ErrKeyTooLong: an object key is longer than MaxKeyLen bytes.
	ErrKeyTooLong = errors.New("metadata: key too long")
	// ErrIntentExpired: PutObject or SetIntentBlob named a write intent
	// that does not exist or that garbage collection has claimed. The
	// write's blobs may be deleted at any moment, so it must fail.
	ErrIntentExpired = errors.New("metadata: write intent expired or unknown")
	// ErrNoSuchBlob: no blob has this ID (it was deleted, or never was).
	ErrNoSuchBlob = errors.New("metadata: no such blob")
	// ErrSchemaTooNew: the database was migrated by a newer Floe.
	ErrSchemaTooNew = errors.New("metadata: database schema is newer than this binary")
	// ErrAccessKeyExists: CreateAccessKey was given an ID already in use.
	ErrAccessKeyExists = errors.New("metadata: access key already exists")
	// ErrNoSuchAccessKey: no access key has this ID.
	ErrNoSuchAccessKey = errors.New("metadata: no such access key")
)

// MaxKeyLen is the longest object key in bytes, as in S3.
const MaxKeyLen = 1024

// Node states.
const (
	NodeAlive    = "alive"    // takes new shards and serves reads
	NodeSuspect  = "suspect"  // missed heartbeats; readers try it last
	NodeDead     = "dead"     // gone; its shards need repair
	NodeDraining = "draining" // serves reads, takes no new shards
)

// Bucket is a bucket's metadata.
type Bucket struct {
	Name      string
	CreatedAt time.Time
}

// Headers are the content headers and user metadata an object is stored
// with and returns on GET; empty means unset.
type Headers struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	UserMeta           map[string]string // x-amz-meta-*; nil when there is none
}

// Object is an object's metadata. Its bytes are the concatenation of its
// parts' blobs in part order.
type Object struct {
	Bucket  string
	Key     string
	Size    int64
	ETag    string
	Headers // stored with the object and returned on GET
	// LastModified is set by the store when PutObject is given the zero
	// time. PostgreSQL keeps microseconds.
	LastModified time.Time
	Parts        []Part // in part order; none for an empty object
	// Checksum is the object's additional checksum; objects stored before
	// Floe kept checksums have none.
	Checksum Checksum
}

// Part is one part of an object, held in one blob.
type Part struct {
	Number int // 1 for a single PUT; the upload's part number for multipart
	Size   int64
	Blob   Blob
	// Checksum is the part's checksum in the object's checksum algorithm
	// (base64); empty if unknown.
	Checksum string
}

// Blob is an erasure-coded blob and where its shards are.
type Blob struct {
	ID       blobmeta.ID
	Manifest *blobmeta.Manifest
	// Placement[i] is the node holding shard i. Addr is the node's current
	// address from the nodes table, empty if the node is not registered.
	Placement []blobmeta.Node
}

// Upload is an in-progress multipart upload; its headers become the
// object's.
type Upload struct {
	ID     string // chosen by the caller; unique among uploads
	Bucket string
	Key    string
	// Initiated is set by the store when CreateUpload is given the zero
	// time.
	Initiated time.Time
	Headers   // given to the object by CompleteUpload
	// Checksum is the algorithm and type CreateMultipartUpload declared,
	// without a Value; zero if it declared none.
	Checksum Checksum
}

// UploadPart is one uploaded part, held in its own blob.
type UploadPart struct {
	Number int // 1 to MaxPartNumber
	Size   int64
	ETag   string
	// LastModified is set by the store when PutUploadPart is given the zero
	// time.
	LastModified time.Time
	Blob         Blob
	// Checksum is the part's checksum (base64) in the upload's algorithm,
	// or CRC64NVME if the upload declared none; empty if unknown.
	Checksum string
}

// MaxPartNumber is the highest part number of a multipart upload, as in S3.
const MaxPartNumber = 10000

// NodeInfo is a storage node's registration.
type NodeInfo struct {
	ID            string
	Addr          string
	State         string // one of the Node* constants
	LastHeartbeat time.Time
	CapacityBytes int64
	FreeBytes     int64
}

// Intent is a write intent: a blob whose shards may have been written to
// NodeIDs but that no object references yet.
type Intent struct {
	Nonce     []byte
	NodeIDs   []string     // shard i's node, as RecordIntent was told
	BlobID    *blobmeta.ID // nil until SetIntentBlob
	CreatedAt time.Time
}

// ListParams selects the objects ListObjects returns.
type ListParams struct {
	Bucket    string
	Prefix    string // only keys starting with Prefix
	Delimiter string // if not empty, roll keys up into common prefixes
	// StartAfter lists entries (keys or common prefixes) after it in byte
	// order only. A common prefix equal to StartAfter is not returned again,
	// nor are the keys under it.
	StartAfter string
	MaxKeys    int // keys plus common prefixes to return; 0 returns none
}

// ListResult is one page of a listing.
type ListResult struct {
	// Objects have Bucket, Key, Size, ETag and LastModified set, not Parts.
	Objects        []Object
	CommonPrefixes []string
	// IsTruncated reports that entries follow; list again with StartAfter
	// set to NextStartAfter to get them.
	IsTruncated bool
	// NextStartAfter is the last key or common prefix returned, whichever
	// is greater (empty if none was).
	NextStartAfter string
}

// ListUploadsParams selects the in-progress uploads ListUploads returns.
type ListUploadsParams struct {
	Bucket    string
	Prefix    string // only uploads of keys starting with Prefix
	Delimiter string // if not empty, roll keys up into common prefixes
	// KeyMarker lists uploads of keys after it only (or, when it is a
	// common prefix of the listing, after every key under it). With
	// UploadIDMarker, the uploads of KeyMarker itself initiated after that
	// upload are listed too; if that upload is gone, those whose ID sorts
	// after UploadIDMarker are. UploadIDMarker without KeyMarker is ignored.
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int // uploads plus common prefixes to return; 0 returns none
}

// ListUploadsResult is one page of an upload listing.
type ListUploadsResult struct {
	// Uploads are ordered by key, then initiation time; only ID, Bucket, Key
	// and Initiated are set.
	Uploads        []Upload
	CommonPrefixes []string
	// IsTruncated reports that entries follow; list again with KeyMarker
	// and UploadIDMarker set to NextKeyMarker and NextUploadIDMarker.
	IsTruncated bool
	// NextKeyMarker is the key of the last upload or the last common prefix
	// returned, whichever comes later; NextUploadIDMarker is that upload's
	// ID, empty if a common prefix came last.
	NextKeyMarker      string
	NextUploadIDMarker string
}

// Store is Floe's metadata store. Every method that changes several rows
// does so in one transaction.
type Store interface {
	// CreateBucket creates an empty bucket; ErrBucketExists if it exists.
	CreateBucket(ctx context.Context, name string) error
	// DeleteBucket deletes an empty bucket: ErrBucketNotEmpty if it holds
	// an object or a multipart upload, ErrNoSuchBucket if it is missing.
	DeleteBucket(ctx context.Context, name string) error
	// GetBucket returns a bucket, or ErrNoSuchBucket.
	GetBucket(ctx context.Context, name string) (Bucket, error)
	// ListBuckets returns every bucket in name order.
	ListBuckets(ctx context.Context) ([]Bucket, error)

	// RecordIntent records that a blob with this nonce is about to be
	// written to nodeIDs (shard order); call it before writing any shard.
	RecordIntent(ctx context.Context, nonce []byte, nodeIDs []string) error
	// SetIntentBlob records the ID of the blob the intent's write produced.
	SetIntentBlob(ctx context.Context, nonce []byte, id blobmeta.ID) error

	// PutObject creates or replaces obj with its parts, and deletes the
	// write intents of nonces; it reports whether an object was replaced.
	// The replaced object's blobs are queued for deletion. If cond does not
	// hold (ErrPreconditionFailed, or ErrNoSuchKey for If-Match on a
	// missing key) nothing is stored and obj's new blobs are queued for
	// deletion along with the intents' removal.
	PutObject(ctx context.Context, obj Object, nonces [][]byte, cond Precondition) (replaced bool, err error)
	// GetObject returns an object with its parts, manifests and placement.
	GetObject(ctx context.Context, bucket, key string) (Object, error)
	// DeleteObject deletes an object, queueing its blobs for deletion, and
	// reports whether it existed.
	DeleteObject(ctx context.Context, bucket, key string) (existed bool, err error)
	// ListObjects returns one page of a bucket's objects in key order.
	ListObjects(ctx context.Context, p ListParams) (ListResult, error)

	// CreateUpload starts multipart upload u; ErrNoSuchBucket if its
	// bucket is missing.
	CreateUpload(ctx context.Context, u Upload) error
	// GetUpload returns an upload, or ErrNoSuchUpload if there is none with
	// this ID in this bucket under this key.
	GetUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error)
	// PutUploadPart adds part p to an upload, replacing (and queueing for
	// deletion the blob of) an earlier part with its number, and deletes
	// the write intent of nonce unless nonce is nil. ErrNoSuchUpload if the
	// upload is gone; ErrIntentExpired as for PutObject.
	PutUploadPart(ctx context.Context, bucket, key, uploadID string, p UploadPart, nonce []byte) error
	// ListUploadParts returns an upload's parts in number order with their
	// manifests and placement, or ErrNoSuchUpload.
	ListUploadParts(ctx context.Context, bucket, key, uploadID string) ([]UploadPart, error)
	// ListUploadPartsPage returns one page of an upload's parts: up to
	// limit of those numbered above after, in number order, and whether
	// more follow; ErrNoSuchUpload as for ListUploadParts. The parts come
	// without their blobs (Blob is zero), and only the page is read, so a
	// page costs the same however many parts the upload has.
	ListUploadPartsPage(ctx context.Context, bucket, key, uploadID string, after, limit int) (parts []UploadPart, truncated bool, err error)
	// CompleteUpload turns an upload into object obj, whose parts must be
	// parts of the upload with the same numbers and blobs (else
	// ErrInvalidPart) and whose Bucket and Key must be the upload's (else
	// ErrNoSuchUpload). The object gets the upload's headers and user
	// metadata; obj's are ignored. It creates or replaces the object as
	// PutObject does, queues the blobs of the parts not used for deletion,
	// deletes the upload and reports whether an object was replaced. If
	// cond does not hold it fails as PutObject does and changes nothing:
	// the upload remains. obj's Checksum and its parts' are stored as given.
	CompleteUpload(ctx context.Context, uploadID string, obj Object, cond Precondition) (replaced bool, err error)
	// AbortUpload deletes an upload, queueing its parts' blobs for
	// deletion; ErrNoSuchUpload if there is none.
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error
	// ListUploads returns one page of a bucket's in-progress uploads, or
	// ErrNoSuchBucket.
	ListUploads(ctx context.Context, p ListUploadsParams) (ListUploadsResult, error)
	// AbortStaleUploads aborts, as AbortUpload does, up to limit uploads
	// initiated more than olderThan ago and returns how many it aborted.
	// Uploads another transaction holds (a part being committed) are
	// skipped, not waited for, so several gateways may call it at once.
	AbortStaleUploads(ctx context.Context, olderThan time.Duration, limit int) (int, error)

	// ClaimDeletions leases up to limit queued blobs to the caller, who
	// must delete their shards and then call FinishDeletion. A blob whose
	// lease runs out is handed out again.
	ClaimDeletions(ctx context.Context, limit int) ([]Blob, error)
	// FinishDeletion forgets a queued blob whose shards are gone.
	FinishDeletion(ctx context.Context, id blobmeta.ID) error
	// StaleIntents leases up to limit intents older than olderThan to the
	// caller, who must delete what the write left on the nodes and then
	// call DeleteIntent. A leased intent can no longer be committed.
	StaleIntents(ctx context.Context, olderThan time.Duration, limit int) ([]Intent, error)
	// DeleteIntent forgets an intent.
	DeleteIntent(ctx context.Context, nonce []byte) error

	// UpsertNode registers a node or records its heartbeat.
	UpsertNode(ctx context.Context, n NodeInfo) error
	// ListNodes returns every registered node in ID order.
	ListNodes(ctx context.Context) ([]NodeInfo, error)
	// LiveNodes returns the nodes that may take new shards: alive, with a
	// heartbeat within maxAge, and with free space above their reserve.
	LiveNodes(ctx context.Context, maxAge time.Duration) ([]blobmeta.Node, error)
	// DownNodes returns the registered nodes that are neither live nor
	// draining: suspect, dead, full or not heard from within maxAge. A
	// write on a cluster short of live nodes records the shards it cannot
	// place on them as missing, for repair to write once they return.
	DownNodes(ctx context.Context, maxAge time.Duration) ([]blobmeta.Node, error)

	// CreateAccessKey stores a new access key pair (its CreatedAt is
	// ignored); ErrAccessKeyExists if its ID is taken. The ID must pass
	// CheckAccessKeyID and the secret must not be empty.
	CreateAccessKey(ctx context.Context, k AccessKey) error
	// GetAccessKey returns an access key with its secret, or
	// ErrNoSuchAccessKey.
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)
	// ListAccessKeys returns every access key, secrets included, oldest
	// first.
	ListAccessKeys(ctx context.Context) ([]AccessKey, error)
	// DeleteAccessKey deletes an access key, or fails with
	// ErrNoSuchAccessKey.
	DeleteAccessKey(ctx context.Context, id string) error

	// EnqueueRepair queues blobs for repair (see RepairTask); blobs already
	// queued, missing or being deleted are skipped.
	EnqueueRepair(ctx context.Context, reason string, ids ...blobmeta.ID) error
	// EnqueueNodeRepairs queues every blob with a shard on a node (dead,
	// draining or removed) and returns how many were newly queued.
	EnqueueNodeRepairs(ctx context.Context, nodeID, reason string) (int, error)
	// SetShardState records a shard's health (a Shard* constant) if the
	// shard is still on nodeID, and queues its blob for repair unless the
	// state is ShardOK. It reports whether the shard was on nodeID.
	SetShardState(ctx context.Context, id blobmeta.ID, idx int, nodeID, state, reason string) (bool, error)
	// ClaimRepairs leases up to limit queued blobs to the caller, fewest
	// readable shards first, with the current health of every shard. The
	// caller rewrites the shards that need it and calls FinishRepair, or
	// FailRepair; an entry whose lease runs out is handed out again.
	ClaimRepairs(ctx context.Context, limit int, lease time.Duration) ([]RepairTask, error)
	// GetRepairTask returns a blob and the health of its shards, as
	// ClaimRepairs would, without claiming it; ErrNoSuchBlob if it is gone.
	GetRepairTask(ctx context.Context, id blobmeta.ID) (RepairTask, error)
	// FinishRepair records in one transaction that the moved shards now
	// live on their new nodes (healthy), and drops the blob's queue entry.
	// If any shard is no longer on its From node, or the blob is being
	// deleted, it changes nothing and returns ErrRepairConflict.
	FinishRepair(ctx context.Context, id blobmeta.ID, moves []ShardMove) error
	// FailRepair releases a claimed blob, to be retried after retryAfter.
	FailRepair(ctx context.Context, id blobmeta.ID, cause error, retryAfter time.Duration) error
	// RepairStatus summarizes the repair queue.
	RepairStatus(ctx context.Context) (RepairStatus, error)

	// ClaimScrub leases to the caller the node to scrub next: one whose
	// pass was just (re)started first, then the one scrubbed least
	// recently; false if none is free. A node whose last pass finished
	// less than rest ago is not due; a finished pass restarts at the claim.
	ClaimScrub(ctx context.Context, lease, rest time.Duration) (ScrubProgress, bool, error)
	// SaveScrub records a claimed node's new cursor (ScrubPassDone ends
	// the pass), adds to its counters and renews the lease, updating p.
	// ErrScrubLeaseLost if the lease ran out and was taken, or the pass
	// was restarted, since p was read.
	SaveScrub(ctx context.Context, p *ScrubProgress, cursor string, add ScrubCounts, lease time.Duration) error
	// ReleaseScrub gives up a claim, if it is still p's.
	ReleaseScrub(ctx context.Context, p ScrubProgress) error
	// RestartScrub starts a new pass over a node (one that came back): it
	// is scrubbed before any other.
	RestartScrub(ctx context.Context, nodeID string) error
	// ListScrubProgress returns every node's scrub progress in ID order.
	ListScrubProgress(ctx context.Context) ([]ScrubProgress, error)
	// NodeShards returns the shards rows on a node whose blob IDs are in
	// [from, to] (to nil: no upper bound), by blob ID then index, with
	// their blobs' manifests.
	NodeShards(ctx context.Context, nodeID string, from blobmeta.ID, to *blobmeta.ID) ([]ScrubShard, error)
	// OrphanDeletable reports whether shard idx of blob id on nodeID, a
	// file no row points at, may be deleted: still no row points at it,
	// and its blob is neither in a write intent (by ID, or by nonce; nil
	// if unknown, written is then the file's time) nor queued for
	// deletion or repair.
	OrphanDeletable(ctx context.Context, id blobmeta.ID, idx int, nodeID string, nonce []byte, written time.Time) (bool, error)

	// UpdateNodeStates runs the heartbeat state machine on the database's
	// clock: alive nodes without a heartbeat for suspectAfter turn suspect,
	// suspect ones still silent after deadAfter more turn dead (their blobs
	// are queued for repair), suspect and dead ones with a fresh heartbeat
	// turn alive again (a dead one's scrub pass restarts). Draining nodes
	// are left alone. A suspect node is suspect from when it fell silent
	// plus suspectAfter, but not before the caller began watching, watched
	// ago. It returns the transitions it made.
	UpdateNodeStates(ctx context.Context, suspectAfter, deadAfter, watched time.Duration) ([]NodeTransition, error)
	// RecordHeartbeat refreshes a registered node's heartbeat, address and
	// capacity, leaving its state alone; false if no node has n.ID (it was
	// removed), in which case nothing is registered.
	RecordHeartbeat(ctx context.Context, n NodeInfo) (bool, error)
	// SetNodeState sets a node's state (a Node* constant), recording when
	// it changed; ErrNoSuchNode if it is not registered.
	SetNodeState(ctx context.Context, id, state string) error
	// DeleteNode unregisters a node. It refuses with ErrNodeInUse while
	// shard rows name the node, unless force; with force it refuses with
	// ErrNodeNeeded if a blob would keep fewer than K readable shards
	// elsewhere, else marks the node's shards missing, queues their blobs
	// for repair and returns how many shards it marked.
	DeleteNode(ctx context.Context, id string, force bool) (int, error)
	// NodeUsage returns every registered node with its shard count and the
	// bytes those shards stand for, in ID order.
	NodeUsage(ctx context.Context) ([]NodeUsage, error)
	// Rebalance marks shards misplaced on alive nodes loaded more than
	// tolerance above the average (shards, or bytes if byBytes), or above
	// it at all if some node is more than tolerance below it, so that
	// repair moves them; dryRun only computes the plan.
	Rebalance(ctx context.Context, byBytes bool, tolerance float64, dryRun bool) (RebalancePlan, error)

	// Close releases the store's connections.
	Close()
}
