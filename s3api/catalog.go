package s3api

import (
	"context"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Catalog is what the S3 handlers need of the metadata store: buckets,
// objects, multipart uploads, the write intents that guard a blob until its
// commit, and the nodes a new blob may be placed on. *metadata.Postgres
// implements it; see its methods for the contract of each.
type Catalog interface {
	CreateBucketAs(ctx context.Context, name, user string, objectLock bool) error
	DeleteBucket(ctx context.Context, name string) error
	GetBucket(ctx context.Context, name string) (metadata.Bucket, error)
	ListBuckets(ctx context.Context) ([]metadata.Bucket, error)
	ListBucketsOf(ctx context.Context, user string) ([]metadata.Bucket, error)
	GetBucketAccess(ctx context.Context, bucket string) (metadata.BucketAccess, error)
	SetBucketPolicy(ctx context.Context, bucket string, doc []byte) error
	GetUser(ctx context.Context, name string) (metadata.User, error)
	SetPublicAccessBlock(ctx context.Context, bucket string, cfg []byte) error
	SetBucketVersioning(ctx context.Context, bucket, state string) error
	SetObjectLockConfig(ctx context.Context, bucket string, def metadata.DefaultRetention) error
	SetRetention(ctx context.Context, bucket, key, versionID string, r metadata.Retention, bypassGovernance bool) (string, error)
	SetLegalHold(ctx context.Context, bucket, key, versionID string, on bool) (string, error)
	SetObjectTags(ctx context.Context, bucket, key, versionID string, tags map[string]string) (string, error)
	SetBucketTags(ctx context.Context, bucket string, tags map[string]string) error
	SetBucketLifecycle(ctx context.Context, bucket string, rules []byte) error
	BucketLifecycle(ctx context.Context, bucket string) ([]byte, error)
	SetBucketCors(ctx context.Context, bucket string, cfg []byte) error
	BucketCors(ctx context.Context, bucket string) ([]byte, error)

	PutObject(ctx context.Context, obj metadata.Object, nonces [][]byte, cond metadata.Precondition) (metadata.PutResult, error)
	GetObject(ctx context.Context, bucket, key string) (metadata.Object, error)
	GetObjectVersion(ctx context.Context, bucket, key, versionID string) (metadata.Object, error)
	DeleteObject(ctx context.Context, bucket, key string, opt metadata.DeleteOptions) (metadata.DeleteResult, error)
	ListObjects(ctx context.Context, p metadata.ListParams) (metadata.ListResult, error)
	ListObjectVersions(ctx context.Context, p metadata.ListVersionsParams) (metadata.ListVersionsResult, error)

	CreateUpload(ctx context.Context, u metadata.Upload) error
	GetUpload(ctx context.Context, bucket, key, uploadID string) (metadata.Upload, error)
	PutUploadPart(ctx context.Context, bucket, key, uploadID string, p metadata.UploadPart, nonce []byte) error
	ListUploadParts(ctx context.Context, bucket, key, uploadID string) ([]metadata.UploadPart, error)
	ListUploadPartsPage(ctx context.Context, bucket, key, uploadID string, after, limit int) (parts []metadata.UploadPart, truncated bool, err error)
	CompleteUpload(ctx context.Context, uploadID string, obj metadata.Object, cond metadata.Precondition) (metadata.PutResult, error)
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error
	ListUploads(ctx context.Context, p metadata.ListUploadsParams) (metadata.ListUploadsResult, error)

	RecordIntent(ctx context.Context, nonce []byte, nodeIDs []string) error
	SetIntentBlob(ctx context.Context, nonce []byte, id blobmeta.ID) error
	DeleteIntent(ctx context.Context, nonce []byte) error
	// SetShardState marks the shards an acknowledged write could not make
	// durable, so repair writes them.
	SetShardState(ctx context.Context, id blobmeta.ID, idx int, nodeID, state, reason string) (bool, error)

	LiveNodes(ctx context.Context, maxAge time.Duration) ([]blobmeta.Node, error)
	DownNodes(ctx context.Context, maxAge time.Duration) ([]blobmeta.Node, error)
}

// KeyStore looks up access keys for SigV4; *metadata.Postgres implements it.
type KeyStore interface {
	GetAccessKey(ctx context.Context, id string) (metadata.AccessKey, error)
}
