package codec

import (
	"fmt"
	"testing"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

func TestLayout(t *testing.T) {
	p42 := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 1000} // blocks of 250
	p43 := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 3, StripeSize: 1001} // blocks of 251, padded
	tests := []struct {
		p         blobmeta.Params
		size      int64
		stripes   int64
		lastLen   int   // StripeLen of the last stripe
		lastBlock int   // BlockLen of the last stripe
		lastOff   int64 // BlockOffset of the last stripe
		shardLen  int64
	}{
		{p42, 0, 0, 0, 0, 0, 0},
		{p42, 1, 1, 1, 1, 0, 1},
		{p42, 999, 1, 999, 250, 0, 250},
		{p42, 1000, 1, 1000, 250, 0, 250},
		{p42, 1001, 2, 1, 1, 250, 251},
		{p42, 3005, 4, 5, 2, 750, 752},
		{p43, 0, 0, 0, 0, 0, 0},
		{p43, 1, 1, 1, 1, 0, 1},
		{p43, 1000, 1, 1000, 250, 0, 250},
		{p43, 1001, 1, 1001, 251, 0, 251},
		{p43, 1002, 2, 1, 1, 251, 252},
		{p43, 3008, 4, 5, 2, 753, 755},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/size=%d", name(tt.p), tt.size), func(t *testing.T) {
			c, err := New(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			l := NewLayout(c, tt.size)
			if got := l.Size(); got != tt.size {
				t.Errorf("Size() = %d, want %d", got, tt.size)
			}
			if got := l.Stripes(); got != tt.stripes {
				t.Fatalf("Stripes() = %d, want %d", got, tt.stripes)
			}
			if got := l.ShardLen(); got != tt.shardLen {
				t.Errorf("ShardLen() = %d, want %d", got, tt.shardLen)
			}
			if tt.stripes == 0 {
				return
			}
			last := tt.stripes - 1
			if got := l.StripeLen(last); got != tt.lastLen {
				t.Errorf("StripeLen(%d) = %d, want %d", last, got, tt.lastLen)
			}
			if got := l.BlockLen(last); got != tt.lastBlock {
				t.Errorf("BlockLen(%d) = %d, want %d", last, got, tt.lastBlock)
			}
			if got := l.BlockOffset(last); got != tt.lastOff {
				t.Errorf("BlockOffset(%d) = %d, want %d", last, got, tt.lastOff)
			}
			// Every stripe but the last is full, and the stripes tile the blob.
			var sum int64
			for s := range tt.stripes {
				n := l.StripeLen(s)
				if s < last && (n != tt.p.StripeSize || l.BlockLen(s) != l.BlockSize()) {
					t.Errorf("stripe %d: %d bytes in a block of %d, want full", s, n, l.BlockLen(s))
				}
				if got := l.StripeOffset(s); got != sum {
					t.Errorf("StripeOffset(%d) = %d, want %d", s, got, sum)
				}
				if got := l.StripeOf(sum); got != s {
					t.Errorf("StripeOf(%d) = %d, want %d", sum, got, s)
				}
				if got := l.StripeOf(sum + int64(n) - 1); got != s {
					t.Errorf("StripeOf(%d) = %d, want %d", sum+int64(n)-1, got, s)
				}
				sum += int64(n)
			}
			if sum != tt.size {
				t.Errorf("stripes hold %d bytes, want %d", sum, tt.size)
			}
		})
	}
}
