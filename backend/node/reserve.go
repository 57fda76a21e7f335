package node

import (
	"errors"
	"fmt"
)

// Bounds of the default free-space reserve: a node keeps DefaultReserveShare
// of its file system free, but never more than MaxDefaultReserve.
const (
	DefaultReserveShare = 0.01
	MaxDefaultReserve   = 1 << 30
)

// DefaultReserve is the reserve a node keeps on a file system of capacity
// bytes when Config.Reserve is 0: 1% of it, at most 1 GiB.
func DefaultReserve(capacity int64) int64 {
	return min(int64(float64(max(capacity, 0))*DefaultReserveShare), MaxDefaultReserve)
}

// reserveFor returns the reserve the node keeps on a file system of
// capacity bytes.
func (s *Server) reserveFor(capacity int64) int64 {
	switch {
	case s.reserve < 0:
		return 0
	case s.reserve == 0:
		return DefaultReserve(capacity)
	}
	return s.reserve
}

// usableBytes is what a node still accepts shards into: the available space
// above the reserve, never negative.
func usableBytes(available, reserve int64) int64 { return max(0, available-reserve) }

// space reports the data file system's capacity, the bytes still available
// to the node and its reserve.
func (s *Server) space() (capacity, available, reserve int64, err error) {
	capacity, available, err = s.store.Usage()
	if err != nil {
		return 0, 0, 0, err
	}
	return capacity, available, s.reserveFor(capacity), nil
}

// checkRoom refuses a new shard with CodeInsufficientStorage once the
// available space is down to the reserve. It cannot know the shard's size
// (uploads are chunked), so a shard admitted just above the reserve may eat
// into it; a disk that really fills mid-upload fails with ENOSPC, which is
// reported the same way. Where free space cannot be measured, every upload
// is let through to find out.
func (s *Server) checkRoom() error {
	_, available, reserve, err := s.space()
	if errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("node: checking free space: %w", err)
	}
	if usableBytes(available, reserve) <= 0 {
		return apiErr(CodeInsufficientStorage, "node full: %d bytes available, %d kept in reserve", available, reserve)
	}
	return nil
}
