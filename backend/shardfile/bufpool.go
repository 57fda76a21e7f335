package shardfile

import (
	"math/bits"
	"sync"
)

// Block buffers are pooled by power-of-two size class, so concurrent reads
// of shards with different block sizes reuse memory without holding more
// than one block each.
const minClass = 12 // 4 KiB

var bufPools [27 - minClass + 1]sync.Pool // up to 64 MiB = MaxBlockSize

// getBuf returns a buffer of n bytes (0 < n <= MaxBlockSize).
func getBuf(n int) *[]byte {
	c := sizeClass(n)
	if p, ok := bufPools[c].Get().(*[]byte); ok {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n, 1<<(c+minClass))
	return &b
}

// putBuf returns a buffer from getBuf to its pool.
func putBuf(p *[]byte) {
	bufPools[sizeClass(cap(*p))].Put(p)
}

func sizeClass(n int) int {
	if n <= 1<<minClass {
		return 0
	}
	return bits.Len(uint(n-1)) - minClass
}
