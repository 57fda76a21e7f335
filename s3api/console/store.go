package console

import (
	"context"

	"github.com/floe-s3/floe/metadata"
)

// Store is what the console's API reads and changes in the metadata
// store: *metadata.Postgres implements it.
type Store interface {
	ClusterStore
	KeyStore
}

// ClusterStore reads what the cluster view shows.
type ClusterStore interface {
	NodeUsage(ctx context.Context) ([]metadata.NodeUsage, error)
	RepairStatus(ctx context.Context) (metadata.RepairStatus, error)
	ListScrubProgress(ctx context.Context) ([]metadata.ScrubProgress, error)
}

// KeyStore manages access keys.
type KeyStore interface {
	ListAccessKeys(ctx context.Context) ([]metadata.AccessKey, error)
	GetAccessKey(ctx context.Context, id string) (metadata.AccessKey, error)
	CreateAccessKey(ctx context.Context, k metadata.AccessKey) error
	DeleteAccessKey(ctx context.Context, id string) error
}
