package shardfile

import "os"

// writebackChunk is how much a shard write lets accumulate in the page
// cache before asking the kernel to start writing it out. Streaming the
// writeback overlaps disk I/O with the network, so the fsync that makes the
// shard durable at commit has little left to do; measured on the reference
// machine it was the largest part of a PUT's latency.
const writebackChunk = 8 << 20

// writebackFile is an io.Writer over a temp file that starts writeback of
// each completed writebackChunk.
type writebackFile struct {
	f       *os.File
	off     int64 // bytes written
	flushed int64 // bytes whose writeback was started
}

func (w *writebackFile) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.flushed >= writebackChunk {
		startWriteback(w.f, w.flushed, w.off-w.flushed)
		w.flushed = w.off
	}
	return n, err
}
