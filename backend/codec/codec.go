// Package codec defines how a blob's bytes are turned into shards and back.
//
// A blob is cut into stripes of Params.StripeSize data bytes (the last stripe
// may be shorter). Each stripe is encoded into Shards() equally sized pieces;
// piece i of every stripe, concatenated in stripe order, is shard i of the
// blob. Any MinShards() pieces of a stripe are enough to recover it.
//
// The codec's parameters are recorded with every blob (see package
// integrity), so blobs written with different codes or parameters coexist.
package codec

import (
	"errors"
	"fmt"
)

// Kind names a code. It is stored with each blob and must never change
// meaning once blobs have been written with it.
type Kind string

// ReedSolomon is a systematic Reed-Solomon code over GF(2^8): pieces
// 0..K-1 hold the stripe's data, pieces K..K+M-1 hold parity.
const ReedSolomon Kind = "rs"

// DefaultStripeSize is the data carried by one stripe. 1 MiB keeps per-request
// overhead on the nodes small while bounding the memory of a stripe in flight;
// see BenchmarkEncode and the blob benchmarks for the figures behind it.
const DefaultStripeSize = 1 << 20

// MaxShards bounds K+M; it matches the GF(2^8) limit of the Reed-Solomon code.
const MaxShards = 256

// Params are a blob's coding parameters.
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

// Validate reports whether p describes a code this package can build.
func (p Params) Validate() error {
	switch {
	case p.Kind != ReedSolomon:
		return fmt.Errorf("codec: unknown kind %q", p.Kind)
	case p.K < 1:
		return fmt.Errorf("codec: k=%d, need at least 1", p.K)
	case p.M < 0:
		return fmt.Errorf("codec: m=%d must not be negative", p.M)
	case p.K+p.M > MaxShards:
		return fmt.Errorf("codec: k+m=%d exceeds %d", p.K+p.M, MaxShards)
	case p.StripeSize < p.K || p.StripeSize > 64<<20:
		return fmt.Errorf("codec: stripe size %d out of range [k, 64 MiB]", p.StripeSize)
	}
	return nil
}

// String renders p as, e.g., "rs(4+2)/1048576".
func (p Params) String() string {
	return fmt.Sprintf("%s(%d+%d)/%d", p.Kind, p.K, p.M, p.StripeSize)
}

// ErrTooFewPieces is returned by Reconstruct when fewer than MinShards pieces
// of a stripe are present.
var ErrTooFewPieces = errors.New("codec: too few pieces to reconstruct stripe")

// Codec encodes and decodes single stripes. Implementations are safe for
// concurrent use.
type Codec interface {
	// Params returns the parameters the codec was built with.
	Params() Params
	// Shards is the number of pieces per stripe (K+M).
	Shards() int
	// MinShards is the number of pieces needed to recover a stripe (K).
	MinShards() int
	// PieceSize is the size of every piece of a stripe holding n data bytes.
	PieceSize(n int) int
	// Encode fills pieces (Shards() slices of PieceSize(len(data)) bytes)
	// from one stripe of data. data may be the very memory of the data
	// pieces laid end to end (pieces[i] starting at data[i*PieceSize]), so
	// a writer can read a stripe straight into its pieces.
	Encode(data []byte, pieces [][]byte) error
	// Reconstruct fills the missing (nil or empty) pieces that Join needs
	// from the others. Pieces that are present must all have the same
	// length. An empty piece with spare capacity is filled in place.
	Reconstruct(pieces [][]byte) error
	// Data returns the n data bytes of a stripe as consecutive slices of
	// its pieces, without copying. The pieces must include everything
	// Reconstruct fills in.
	Data(pieces [][]byte, n int) ([][]byte, error)
	// Join copies the n data bytes of a stripe into dst from its pieces,
	// which must include everything Reconstruct fills in.
	Join(dst []byte, pieces [][]byte, n int) error
}

// New builds the codec that p describes.
func New(p Params) (Codec, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return newReedSolomon(p)
}
