package shardfile

import (
	"errors"
	"fmt"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

var (
	// ErrNotFound means the store holds no such shard.
	ErrNotFound = errors.New("shardfile: shard not found")
	// ErrCorrupt means a stored shard failed a checksum or is malformed.
	// Errors matching it are *CorruptError values.
	ErrCorrupt = errors.New("shardfile: shard corrupt")
	// ErrConflict means a different, intact shard already holds the name.
	ErrConflict = errors.New("shardfile: conflicting shard exists")
	// ErrBadDigest means an incoming shard does not hash to the root its
	// manifest promises.
	ErrBadDigest = errors.New("shardfile: shard does not match manifest root")
	// ErrInvalid means an incoming shard or its manifest is malformed or
	// the two disagree on sizes.
	ErrInvalid = errors.New("shardfile: invalid shard")
	// ErrTooLarge means an incoming shard exceeds MaxBlocks blocks.
	ErrTooLarge = errors.New("shardfile: shard too large")
	// ErrInsufficientStorage means the disk is full.
	ErrInsufficientStorage = errors.New("shardfile: insufficient storage")
	// ErrInvalidRange means a read asked for bytes outside the shard.
	ErrInvalidRange = errors.New("shardfile: range outside shard")
)

// MetadataBlock is the CorruptError.Block of damage outside the data
// blocks: the block table, the manifest or the tail.
const MetadataBlock = -1

// CorruptError reports a corrupt shard and where the damage is. It matches
// ErrCorrupt under errors.Is.
type CorruptError struct {
	ID    blobmeta.ID
	Index int
	// Block is the damaged data block, or MetadataBlock.
	Block int64
	// Reason says which check failed.
	Reason string
}

// Error names the shard, the damaged block and the failed check.
func (e *CorruptError) Error() string {
	if e.Block == MetadataBlock {
		return fmt.Sprintf("shardfile: shard %s.%d corrupt: metadata: %s", e.ID, e.Index, e.Reason)
	}
	return fmt.Sprintf("shardfile: shard %s.%d corrupt: block %d: %s", e.ID, e.Index, e.Block, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// diskErr wraps a failed disk operation, marking a full disk so callers can
// tell it apart from other I/O errors.
func diskErr(op string, err error) error {
	if isNoSpace(err) {
		return fmt.Errorf("%w: %s: %w", ErrInsufficientStorage, op, err)
	}
	return fmt.Errorf("shardfile: %s: %w", op, err)
}
