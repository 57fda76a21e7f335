package shardfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"golang.org/x/sys/unix"
)

// unevenReader hands out its data in reads of growing, odd sizes, as a
// network body does.
type unevenReader struct {
	data []byte
	next uint
}

func (r *unevenReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.next = r.next*7 + 3
	n := min(len(p), len(r.data), int(r.next%70001)+1)
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// directSupported reports whether dir's file system takes O_DIRECT writes.
func directSupported(t *testing.T, dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, "probe"), os.O_CREATE|os.O_WRONLY|unix.O_DIRECT, 0o600)
	if err != nil {
		return false
	}
	defer os.Remove(f.Name())
	defer f.Close()
	_, err = f.Write(alignedBuf(directAlign)[:directAlign])
	return err == nil
}

// TestLargeShardWrites writes shards several buffers long, of lengths that
// end off every alignment, with Write and with ReadFrom, direct and
// buffered, and reads every byte back through the checked paths.
func TestLargeShardWrites(t *testing.T) {
	params := blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 4 * 100_003}
	for _, direct := range []bool{true, false} {
		for _, size := range []int{4*writeBufSize + 1, 13*writeBufSize - 4097, 1 << 23} {
			for _, readFrom := range []bool{true, false} {
				directIO = direct
				t.Cleanup(func() { directIO = true })
				s := openStore(t)
				b := blobtest.Encode(t, params, uint64(size), size)
				w, err := s.Create(b.BlockSize)
				if err != nil {
					t.Fatal(err)
				}
				data := b.Shards[1]
				if readFrom {
					n, err := w.ReadFrom(&unevenReader{data: data})
					if err != nil || n != int64(len(data)) {
						t.Fatalf("ReadFrom: %d, %v; want %d", n, err, len(data))
					}
				} else if _, err := (&unevenReader{data: data}).WriteTo(w); err != nil {
					t.Fatal(err)
				}
				if want := direct && directSupported(t, s.tmp); w.dw.direct != want {
					t.Fatalf("direct %v size %d: O_DIRECT in use %v, want %v", direct, size, w.dw.direct, want)
				}
				if _, _, err := w.Commit(1, b.Manifest); err != nil {
					t.Fatalf("direct %v size %d: %v", direct, size, err)
				}
				sh, err := s.OpenShard(b.ID, 1)
				if err != nil {
					t.Fatal(err)
				}
				got, err := readAll(t, sh, 0, int64(len(data)))
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("direct %v size %d: read back %d bytes (%v), differ: %v", direct, size, len(got), err, !bytes.Equal(got, data))
				}
				if err := sh.Verify(); err != nil {
					t.Fatal(err)
				}
				sh.Close()
				tmpEmpty(t, s)
			}
		}
	}
}

// WriteTo feeds w the reader's uneven pieces through Write.
func (r *unevenReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	buf := make([]byte, 1<<20)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
	}
}

func TestAlignedBuf(t *testing.T) {
	for range 10 {
		b := alignedBuf(writeBufSize)
		if len(b) != 0 || cap(b) != writeBufSize || uintptr(unsafe.Pointer(&b[:1][0]))%directAlign != 0 {
			t.Fatalf("alignedBuf: len %d cap %d", len(b), cap(b))
		}
	}
}
