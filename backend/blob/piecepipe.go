package blob

import (
	"context"
	"io"
	"sync"
)

// piecePipe carries a shard stream's pieces to the request body of its
// PutShard, like io.Pipe but without copying: the transport asks the body
// to write itself (WriteToContext), and each piece goes to the connection
// whole. Through io.Pipe every byte was copied twice on its way to the
// socket (into a pump buffer, then into the transport's 32 KiB copy
// buffer) and sent as a 32 KiB chunk costing three syscalls; a 1 MiB
// piece now costs three syscalls and no copy. Transports that only Read
// (the in-memory fake) still can.
//
// As with io.Pipe, Write returns once the consumer is done with the
// piece (written out, or read to its end), so the caller may reuse it.
type piecePipe struct {
	pieces   chan []byte
	consumed chan error // one answer per piece taken from pieces

	closeOnce sync.Once
	closed    chan struct{}
	err       error // why closed; io.EOF for a clean end. Set before closed is closed.

	mu      sync.Mutex // guards the Read side's partly read piece
	pending []byte
	taken   bool // a piece is held by Read and not yet answered
}

func newPiecePipe() *piecePipe {
	return &piecePipe{
		pieces:   make(chan []byte),
		consumed: make(chan error, 1),
		closed:   make(chan struct{}),
	}
}

// Write hands p to the consumer and waits until it is done with it.
func (pp *piecePipe) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	select {
	case pp.pieces <- p:
	case <-pp.closed:
		return 0, pp.closeErr()
	}
	// The consumer answers every piece it takes, even when closed, so p
	// is never in use after Write returns.
	if err := <-pp.consumed; err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close ends the stream cleanly: the consumer sees EOF.
func (pp *piecePipe) Close() error { return pp.CloseWithError(nil) }

// CloseWithError ends the stream; both sides see err (EOF if nil) from
// then on. A piece Read holds only in part is answered with err.
func (pp *piecePipe) CloseWithError(err error) error {
	if err == nil {
		err = io.EOF
	}
	pp.closeOnce.Do(func() {
		pp.err = err
		close(pp.closed)
	})
	pp.mu.Lock()
	if pp.taken {
		pp.taken, pp.pending = false, nil
		pp.consumed <- pp.closeErr()
	}
	pp.mu.Unlock()
	return nil
}

// closeErr is the error a closed pipe reports to a writer.
func (pp *piecePipe) closeErr() error {
	if pp.err == io.EOF {
		return io.ErrClosedPipe
	}
	return pp.err
}

// Read copies out pieces, for consumers that cannot take them whole.
func (pp *piecePipe) Read(p []byte) (int, error) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if !pp.taken {
		pp.mu.Unlock()
		var piece []byte
		select {
		case piece = <-pp.pieces:
		case <-pp.closed:
			pp.mu.Lock()
			return 0, pp.err
		}
		pp.mu.Lock()
		pp.pending, pp.taken = piece, true
		select {
		case <-pp.closed:
			// Closed while taking it: answer now, deliver nothing.
			pp.pending, pp.taken = nil, false
			pp.consumed <- pp.closeErr()
			return 0, pp.err
		default:
		}
	}
	n := copy(p, pp.pending)
	pp.pending = pp.pending[n:]
	if len(pp.pending) == 0 {
		pp.pending, pp.taken = nil, false
		pp.consumed <- nil
	}
	return n, nil
}

// WriteToContext writes every piece to w as it arrives, until the writer
// closes the pipe (nil for a clean end) or ctx is done.
func (pp *piecePipe) WriteToContext(ctx context.Context, w io.Writer) (int64, error) {
	var total int64
	for {
		select {
		case piece := <-pp.pieces:
			n, err := w.Write(piece)
			total += int64(n)
			pp.consumed <- err
			if err != nil {
				return total, err
			}
		case <-pp.closed:
			if pp.err != io.EOF {
				return total, pp.err
			}
			return total, nil
		case <-ctx.Done():
			return total, context.Cause(ctx)
		}
	}
}
