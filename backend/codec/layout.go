package codec

// Layout maps a blob of a given size onto stripes and shard offsets. Every
// stripe but the last holds StripeSize bytes, so every shard is a run of
// equally sized blocks (one per stripe) followed by a possibly shorter last
// block.
type Layout struct {
	c    Codec
	size int64
}

// NewLayout describes a blob of size bytes encoded with c.
func NewLayout(c Codec, size int64) Layout { return Layout{c: c, size: size} }

// Size is the blob's length in bytes.
func (l Layout) Size() int64 { return l.size }

// Stripes is the number of stripes; zero for an empty blob.
func (l Layout) Stripes() int64 {
	ss := int64(l.c.Params().StripeSize)
	return (l.size + ss - 1) / ss
}

// StripeLen is the number of data bytes in stripe s.
func (l Layout) StripeLen(s int64) int {
	ss := int64(l.c.Params().StripeSize)
	if rest := l.size - s*ss; rest < ss {
		return int(rest)
	}
	return int(ss)
}

// StripeOffset is the offset of stripe s's first byte in the blob.
func (l Layout) StripeOffset(s int64) int64 { return s * int64(l.c.Params().StripeSize) }

// StripeOf returns the stripe holding blob offset off.
func (l Layout) StripeOf(off int64) int64 { return off / int64(l.c.Params().StripeSize) }

// BlockSize is the size of a full block: the piece of a full stripe.
func (l Layout) BlockSize() int { return l.c.PieceSize(l.c.Params().StripeSize) }

// BlockLen is the length of block s (the piece of stripe s) in every shard.
func (l Layout) BlockLen(s int64) int { return l.c.PieceSize(l.StripeLen(s)) }

// BlockOffset is the offset of block s within each shard.
func (l Layout) BlockOffset(s int64) int64 { return s * int64(l.BlockSize()) }

// ShardLen is the length of every shard of the blob.
func (l Layout) ShardLen() int64 {
	n := l.Stripes()
	if n == 0 {
		return 0
	}
	return l.BlockOffset(n-1) + int64(l.BlockLen(n-1))
}
