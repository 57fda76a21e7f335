package shardfile

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/metadata/blobmeta"
)

// small makes many blocks out of little data: 16-byte blocks.
var small = blobmeta.Params{Kind: blobmeta.ReedSolomon, K: 4, M: 2, StripeSize: 64}

func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// put streams shard idx of b into s in uneven chunks and commits it.
func put(t testing.TB, s *Store, b *blobtest.Blob, idx int) (existed bool) {
	t.Helper()
	existed, err := tryPut(s, b, idx, b.Manifest)
	if err != nil {
		t.Fatalf("put %s: %v", Name(b.ID, idx), err)
	}
	return existed
}

func tryPut(s *Store, b *blobtest.Blob, idx int, m *blobmeta.Manifest) (bool, error) {
	w, err := s.Create(b.BlockSize)
	if err != nil {
		return false, err
	}
	data := b.Shards[idx]
	for chunk := 1; len(data) > 0; chunk = chunk*3 + 1 {
		n := min(chunk, len(data))
		if _, err := w.Write(data[:n]); err != nil {
			w.Abort()
			return false, err
		}
		data = data[n:]
	}
	id, existed, err := w.Commit(idx, m)
	if err == nil && id != m.ID() {
		return false, errors.New("commit returned the wrong id")
	}
	return existed, err
}

func readAll(t testing.TB, sh *Shard, off, n int64) ([]byte, error) {
	t.Helper()
	var buf bytes.Buffer
	w, err := sh.ReadRange(&buf, off, n)
	if w != int64(buf.Len()) {
		t.Fatalf("ReadRange reported %d bytes, wrote %d", w, buf.Len())
	}
	return buf.Bytes(), err
}

func tmpEmpty(t testing.TB, s *Store) {
	t.Helper()
	ents, err := os.ReadDir(s.tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Fatalf("tmp holds %d files, want none", len(ents))
	}
}
