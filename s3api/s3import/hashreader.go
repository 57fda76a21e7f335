package s3import

import (
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"io"
	"sync/atomic"
)

// hashReader passes a body through, hashing it (MD5 for ETags, SHA-256)
// and counting its bytes, also into a shared progress counter.
type hashReader struct {
	r        io.Reader
	md5, sha hash.Hash
	n        int64
	progress *atomic.Int64
}

func newHashReader(r io.Reader, progress *atomic.Int64) *hashReader {
	return &hashReader{r: r, md5: md5.New(), sha: sha256.New(), progress: progress}
}

// Read reads from the body and hashes what it got.
func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if n > 0 {
		h.md5.Write(p[:n])
		h.sha.Write(p[:n])
		h.n += int64(n)
		if h.progress != nil {
			h.progress.Add(int64(n))
		}
	}
	return n, err
}
