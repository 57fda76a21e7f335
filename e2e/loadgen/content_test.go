package loadgen

import (
	"bytes"
	"io"
	"testing"
)

// Content reads the same bytes whole, in odd-sized pieces, and at any
// offset; objects and blocks differ; the length is exact.
func TestContent(t *testing.T) {
	for _, size := range []int64{0, 1, headerSize - 1, headerSize, 4096, blockSize, blockSize + 1, 3*blockSize + 17} {
		whole, err := io.ReadAll(NewContent(7, size))
		if err != nil || int64(len(whole)) != size {
			t.Fatalf("size %d: read %d bytes, %v", size, len(whole), err)
		}
		// Odd-sized reads give the same bytes.
		c := NewContent(7, size)
		var pieces []byte
		buf := make([]byte, 4099)
		for {
			n, err := c.Read(buf)
			pieces = append(pieces, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(pieces, whole) {
			t.Fatalf("size %d: pieces differ from a whole read", size)
		}
		// ReadAt anywhere, across a block boundary too.
		for _, off := range []int64{0, 5, headerSize, blockSize - 3, blockSize + 2} {
			if off >= size {
				continue
			}
			p := make([]byte, 40)
			n, err := NewContent(7, size).ReadAt(p, off)
			want := whole[off:min(off+40, size)]
			if n != len(want) || !bytes.Equal(p[:n], want) || (n < len(p) && err != io.EOF) {
				t.Fatalf("size %d: ReadAt(40, %d) = %d, %v", size, off, n, err)
			}
		}
		// Seek back and read again.
		if _, err := c.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		again, _ := io.ReadAll(c)
		if !bytes.Equal(again, whole) {
			t.Fatalf("size %d: read after Seek(0) differs", size)
		}
	}
	a, _ := io.ReadAll(NewContent(1, 3*blockSize))
	b, _ := io.ReadAll(NewContent(2, 3*blockSize))
	if bytes.Equal(a[:headerSize], b[:headerSize]) {
		t.Fatal("two seeds give the same first block")
	}
	if bytes.Equal(a[:headerSize], a[blockSize:blockSize+headerSize]) {
		t.Fatal("two blocks of one object start alike")
	}
}
