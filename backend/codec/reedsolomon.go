package codec

import (
	"errors"
	"fmt"

	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/klauspost/reedsolomon"
)

// rsCodec is the systematic Reed-Solomon code. Data pieces are the stripe cut
// into K consecutive runs of PieceSize bytes, the last zero padded.
type rsCodec struct {
	p   blobmeta.Params
	enc reedsolomon.Encoder
}

func newReedSolomon(p blobmeta.Params) (*rsCodec, error) {
	if p.M == 0 {
		// reedsolomon.New refuses zero parity; a plain split needs no encoder.
		return &rsCodec{p: p}, nil
	}
	enc, err := reedsolomon.New(p.K, p.M)
	if err != nil {
		return nil, fmt.Errorf("codec: reed-solomon %d+%d: %w", p.K, p.M, err)
	}
	return &rsCodec{p: p, enc: enc}, nil
}

func (c *rsCodec) Params() blobmeta.Params { return c.p }
func (c *rsCodec) Shards() int             { return c.p.K + c.p.M }
func (c *rsCodec) MinShards() int          { return c.p.K }
func (c *rsCodec) PieceSize(n int) int     { return (n + c.p.K - 1) / c.p.K }

func (c *rsCodec) Encode(data []byte, pieces [][]byte) error {
	if len(pieces) != c.Shards() {
		return fmt.Errorf("codec: encode: %d pieces, want %d", len(pieces), c.Shards())
	}
	ps := c.PieceSize(len(data))
	for i, p := range pieces {
		if len(p) != ps {
			return fmt.Errorf("codec: encode: piece %d is %d bytes, want %d", i, len(p), ps)
		}
	}
	for i := 0; i < c.p.K; i++ {
		n := copy(pieces[i], data[min(i*ps, len(data)):])
		clear(pieces[i][n:])
	}
	if c.enc == nil || ps == 0 {
		return nil
	}
	if err := c.enc.Encode(pieces); err != nil {
		return fmt.Errorf("codec: encode: %w", err)
	}
	return nil
}

func (c *rsCodec) Reconstruct(pieces [][]byte) error {
	if len(pieces) != c.Shards() {
		return fmt.Errorf("codec: reconstruct: %d pieces, want %d", len(pieces), c.Shards())
	}
	missing := false
	for i := 0; i < c.p.K; i++ {
		if len(pieces[i]) == 0 {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	if c.enc == nil {
		return ErrTooFewPieces
	}
	if err := c.enc.ReconstructData(pieces); err != nil {
		if errors.Is(err, reedsolomon.ErrTooFewShards) {
			return ErrTooFewPieces
		}
		return fmt.Errorf("codec: reconstruct: %w", err)
	}
	return nil
}

func (c *rsCodec) Data(pieces [][]byte, n int) ([][]byte, error) {
	if len(pieces) != c.Shards() {
		return nil, fmt.Errorf("codec: data: %d pieces, want %d", len(pieces), c.Shards())
	}
	out := make([][]byte, 0, c.p.K)
	for i := 0; i < c.p.K && n > 0; i++ {
		if len(pieces[i]) == 0 {
			return nil, fmt.Errorf("codec: data: data piece %d missing", i)
		}
		take := min(n, len(pieces[i]))
		out = append(out, pieces[i][:take])
		n -= take
	}
	if n != 0 {
		return nil, fmt.Errorf("codec: data: pieces are %d bytes short", n)
	}
	return out, nil
}

func (c *rsCodec) Join(dst []byte, pieces [][]byte, n int) error {
	if len(dst) < n {
		return fmt.Errorf("codec: join: dst holds %d bytes, need %d", len(dst), n)
	}
	parts, err := c.Data(pieces, n)
	if err != nil {
		return fmt.Errorf("codec: join: %w", err)
	}
	off := 0
	for _, p := range parts {
		off += copy(dst[off:], p)
	}
	return nil
}
