// Package codec defines how a blob's bytes are turned into shards and back.
//
// A blob is cut into stripes of blobmeta.Params.StripeSize data bytes (the last stripe
// may be shorter). Each stripe is encoded into Shards() equally sized pieces;
// piece i of every stripe, concatenated in stripe order, is shard i of the
// blob. Any MinShards() pieces of a stripe are enough to recover it.
//
// The codec's parameters are recorded with every blob (see package
// metadata/blobmeta, which defines blobmeta.Params), so blobs written with different codes or parameters coexist.
package codec

import (
	"errors"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// ErrTooFewPieces is returned by Reconstruct when fewer than MinShards pieces
// of a stripe are present.
var ErrTooFewPieces = errors.New("codec: too few pieces to reconstruct stripe")

// Codec encodes and decodes single stripes. Implementations are safe for
// concurrent use.
type Codec interface {
	// blobmeta.Params returns the parameters the codec was built with.
	Params() blobmeta.Params
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
func New(p blobmeta.Params) (Codec, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return newReedSolomon(p)
}
