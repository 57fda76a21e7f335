package metadata

import (
	"errors"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Errors returned by Postgres methods, possibly wrapped: test with errors.Is.
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
	// ErrNoSuchVersion: the key has no version with this ID.
	ErrNoSuchVersion = errors.New("metadata: no such version")
	// ErrObjectLocked: the version is under a retention or a legal hold
	// that forbids the change; the database refused it.
	ErrObjectLocked = errors.New("metadata: version protected by object lock")
	// ErrNoObjectLock: a retention or legal hold was asked for in a bucket
	// without object lock.
	ErrNoObjectLock = errors.New("metadata: bucket has no object lock configuration")
	// ErrInvalidBucketState: the bucket's versioning forbids the change
	// (suspending a bucket with object lock, or enabling object lock in a
	// bucket whose versioning is not enabled).
	ErrInvalidBucketState = errors.New("metadata: invalid bucket state")
	// ErrInvalidVersionID: a version ID is not one Floe could have issued
	// (see ValidVersionID).
	ErrInvalidVersionID = errors.New("metadata: invalid version id")
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
	// Owner is the user that owns the bucket and every object in it;
	// OwnerID is that user's canonical ID.
	Owner, OwnerID string
	// Versioning is one of the Versioning* constants.
	Versioning string
	// ObjectLock: versions may carry retentions and legal holds; it
	// implies VersioningEnabled, for good.
	ObjectLock bool
	// DefaultRetention is given to new versions that name none; zero
	// when the bucket has none.
	DefaultRetention DefaultRetention
	// Tags are the bucket's tag set; nil when it has none.
	Tags map[string]string
}

// Retention modes of S3 Object Lock.
const (
	// Governance: users with the bypass permission may shorten or remove
	// the retention, or delete the version, by saying so.
	Governance = "GOVERNANCE"
	// Compliance: nobody may shorten the retention or delete the version
	// before it ends.
	Compliance = "COMPLIANCE"
)

// Retention keeps a version from deletion until Until. The zero value is
// no retention.
type Retention struct {
	Mode  string // Governance or Compliance
	Until time.Time
}

// IsZero reports whether r is no retention.
func (r Retention) IsZero() bool { return r.Mode == "" }

// DefaultRetention is a bucket's retention for new versions: Days or
// Years (exactly one) from the version's creation. The zero value is
// none.
type DefaultRetention struct {
	Mode        string // Governance or Compliance
	Days, Years int
}

// Bucket versioning states, as S3 names them (Unversioned is S3's absent
// status).
const (
	VersioningUnversioned = "Unversioned" // never enabled: every key has only the null version
	VersioningEnabled     = "Enabled"     // every write adds a version
	VersioningSuspended   = "Suspended"   // writes replace the null version
)

// NullVersion is the version ID of the version an unversioned or suspended
// bucket writes, and of objects written before versioning was enabled.
const NullVersion = "null"

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
	Bucket string
	Key    string
	// VersionID is the version's ID: NullVersion, or one from
	// NewVersionID. The store reports it empty for objects of an
	// unversioned bucket, which S3 answers without x-amz-version-id; it
	// ignores it on writes and picks the version itself.
	VersionID string
	// IsLatest: this is the key's current version. Set by reads.
	IsLatest bool
	// DeleteMarker: this version is a delete marker, with no bytes.
	DeleteMarker bool
	Size         int64
	ETag         string
	Headers      // stored with the object and returned on GET
	// LastModified is set by the store when PutObject is given the zero
	// time. PostgreSQL keeps microseconds.
	LastModified time.Time
	Parts        []Part // in part order; none for an empty object
	// Retention and LegalHold protect the version (Object Lock). On a
	// write, a zero Retention takes the bucket's default retention.
	Retention Retention
	LegalHold bool
	// Tags are the version's tags, key to value; nil when it has none.
	Tags map[string]string
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
	// Retention and LegalHold are given to the object by CompleteUpload
	// (a zero Retention takes the bucket's default then).
	Retention Retention
	LegalHold bool
	// Tags are given to the object by CompleteUpload; nil for none.
	Tags map[string]string
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
	// Objects have Bucket, Key, Size, ETag, LastModified and
	// Checksum.Algorithm set, not Parts.
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
