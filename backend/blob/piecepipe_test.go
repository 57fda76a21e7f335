package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// writePieces writes pieces to pp in a goroutine and closes it, reporting
// the first error.
func writePieces(pp *piecePipe, pieces [][]byte) <-chan error {
	done := make(chan error, 1)
	go func() {
		for _, p := range pieces {
			if _, err := pp.Write(p); err != nil {
				done <- err
				return
			}
		}
		done <- pp.Close()
	}()
	return done
}

func testPieces() ([][]byte, []byte) {
	var pieces [][]byte
	var all []byte
	for i, n := range []int{1, 4096, 100_000, 7, 1 << 20} {
		p := bytes.Repeat([]byte{byte(i + 1)}, n)
		pieces = append(pieces, p)
		all = append(all, p...)
	}
	return pieces, all
}

func TestPiecePipeWriteTo(t *testing.T) {
	pieces, want := testPieces()
	pp := newPiecePipe()
	done := writePieces(pp, pieces)
	var got bytes.Buffer
	n, err := pp.WriteToContext(context.Background(), &got)
	if err != nil || n != int64(len(want)) || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("WriteToContext: %d, %v; bytes equal %v", n, err, bytes.Equal(got.Bytes(), want))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestPiecePipeRead(t *testing.T) {
	pieces, want := testPieces()
	pp := newPiecePipe()
	done := writePieces(pp, pieces)
	got, err := io.ReadAll(io.LimitReader(pp, 1<<30)) // small, uneven reads
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadAll: %d bytes, %v; equal %v", len(got), err, bytes.Equal(got, want))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// blockingWriter holds every Write until released.
type blockingWriter struct {
	entered chan []byte
	release chan error
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.entered <- p
	if err := <-w.release; err != nil {
		return 0, err
	}
	return len(p), nil
}

// TestPiecePipeWriteWaitsForConsumer checks that Write does not return
// while the consumer is still writing the piece out, even if the pipe is
// closed meanwhile: the stream reuses the piece's buffer after Write.
func TestPiecePipeWriteWaitsForConsumer(t *testing.T) {
	pp := newPiecePipe()
	bw := &blockingWriter{entered: make(chan []byte), release: make(chan error)}
	wrote := make(chan error, 1)
	go func() { _, err := pp.Write([]byte("piece")); wrote <- err }()
	consumer := make(chan error, 1)
	go func() { _, err := pp.WriteToContext(context.Background(), bw); consumer <- err }()
	<-bw.entered
	boom := errors.New("boom")
	_ = pp.CloseWithError(boom)
	select {
	case err := <-wrote:
		t.Fatalf("Write returned (%v) while its piece was being written out", err)
	case <-time.After(50 * time.Millisecond):
	}
	bw.release <- errors.New("connection reset")
	if err := <-wrote; err == nil || err.Error() != "connection reset" {
		t.Fatalf("Write: %v, want the consumer's error", err)
	}
	if err := <-consumer; err == nil {
		t.Fatal("WriteToContext: nil error after a failed write")
	}
}

func TestPiecePipeCloseUnblocks(t *testing.T) {
	boom := errors.New("boom")
	t.Run("reader side closes, writer waiting", func(t *testing.T) {
		pp := newPiecePipe()
		wrote := make(chan error, 1)
		go func() { _, err := pp.Write([]byte("x")); wrote <- err }()
		time.Sleep(10 * time.Millisecond) // usually lets Write start waiting; either way it must fail
		_ = pp.CloseWithError(boom)
		if err := <-wrote; !errors.Is(err, boom) {
			t.Fatalf("Write: %v, want boom", err)
		}
	})
	t.Run("piece read in part", func(t *testing.T) {
		pp := newPiecePipe()
		wrote := make(chan error, 1)
		go func() { _, err := pp.Write([]byte("two bytes")); wrote <- err }()
		buf := make([]byte, 2)
		if n, err := pp.Read(buf); n != 2 || err != nil {
			t.Fatalf("Read: %d, %v", n, err)
		}
		_ = pp.CloseWithError(boom)
		if err := <-wrote; !errors.Is(err, boom) {
			t.Fatalf("Write: %v, want boom", err)
		}
		if _, err := pp.Read(buf); !errors.Is(err, boom) {
			t.Fatalf("Read after close: %v, want boom", err)
		}
	})
	t.Run("writer closes cleanly", func(t *testing.T) {
		pp := newPiecePipe()
		_ = pp.Close()
		if n, err := pp.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("Read: %d, %v; want EOF", n, err)
		}
		if _, err := pp.WriteToContext(context.Background(), io.Discard); err != nil {
			t.Fatalf("WriteToContext: %v, want nil at a clean end", err)
		}
		if _, err := pp.Write([]byte("late")); !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("Write after Close: %v, want ErrClosedPipe", err)
		}
	})
	t.Run("context done", func(t *testing.T) {
		pp := newPiecePipe()
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(boom)
		if _, err := pp.WriteToContext(ctx, io.Discard); !errors.Is(err, boom) {
			t.Fatalf("WriteToContext: %v, want the context's cause", err)
		}
	})
}
