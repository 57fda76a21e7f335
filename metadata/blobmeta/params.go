package blobmeta

import "fmt"

// Kind names a code. It is stored with each blob and must never change
// meaning once blobs have been written with it.
type Kind string

// ReedSolomon is a systematic Reed-Solomon code over GF(2^8): pieces
// 0..K-1 hold the stripe's data, pieces K..K+M-1 hold parity.
const ReedSolomon Kind = "rs"

// DefaultStripeSize is the data carried by one stripe. 1 MiB keeps per-request
// overhead on the nodes small while bounding the memory of a stripe in flight;
// see the codec and blob benchmarks for the figures behind it.
const DefaultStripeSize = 1 << 20

// MaxShards bounds K+M; it matches the GF(2^8) limit of the Reed-Solomon code.
const MaxShards = 256

// Params are a blob's coding parameters; package codec builds the code.
type Params struct {
	Kind       Kind
	K          int // pieces needed to recover a stripe
	M          int // extra pieces: up to M may be lost
	StripeSize int // data bytes per stripe
}

// DefaultParams returns Reed-Solomon 4+2 with DefaultStripeSize.
func DefaultParams() Params {
	return Params{Kind: ReedSolomon, K: 4, M: 2, StripeSize: DefaultStripeSize}
}

// Validate reports whether p describes a code Floe can build; parameters
// read from an untrusted manifest must pass it before use.
func (p Params) Validate() error {
	switch {
	case p.Kind != ReedSolomon:
		return fmt.Errorf("blobmeta: unknown kind %q", p.Kind)
	case p.K < 1:
		return fmt.Errorf("blobmeta: k=%d, need at least 1", p.K)
	case p.M < 0:
		return fmt.Errorf("blobmeta: m=%d must not be negative", p.M)
	case p.K+p.M > MaxShards:
		return fmt.Errorf("blobmeta: k+m=%d exceeds %d", p.K+p.M, MaxShards)
	case p.StripeSize < p.K || p.StripeSize > 64<<20:
		return fmt.Errorf("blobmeta: stripe size %d out of range [k, 64 MiB]", p.StripeSize)
	}
	return nil
}

// String renders p as, e.g., "rs(4+2)/1048576".
func (p Params) String() string {
	return fmt.Sprintf("%s(%d+%d)/%d", p.Kind, p.K, p.M, p.StripeSize)
}
