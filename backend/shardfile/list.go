package shardfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/floe-s3/floe/metadata/blobmeta"
)

// Entry is one shard in a listing.
type Entry struct {
	Name    string // "<id hex>.<idx>", the paging cursor
	ID      blobmeta.ID
	Index   int
	Size    int64 // shard data bytes from the tail, or -1 if the tail is unreadable
	ModTime time.Time
}

// List returns up to limit shards whose names sort after the cursor after
// ("" starts at the beginning), in byte order of their names, and the
// cursor of the next page ("" when there is none). Only the tail of each
// shard is read; damaged shards are still listed, so they can be found
// and repaired.
func (s *Store) List(after string, limit int) ([]Entry, string, error) {
	if limit < 1 {
		return nil, "", fmt.Errorf("shardfile: list: limit %d < 1", limit)
	}
	var out []Entry
	more := false
	errDone := errors.New("page full")
	err := s.walkDirs(func(dir string) error {
		// Names in a fan-out directory all start with its name, so whole
		// directories before the cursor can be skipped unread.
		if base := filepath.Base(dir); after != "" && base < after[:min(2, len(after))] {
			return nil
		}
		ents, err := os.ReadDir(dir) // sorted by name
		if err != nil {
			return err
		}
		for _, e := range ents {
			name := e.Name()
			if name <= after || !e.Type().IsRegular() {
				continue
			}
			id, idx, err := ParseName(name)
			if err != nil {
				continue
			}
			if len(out) == limit {
				more = true
				return errDone
			}
			ent := Entry{Name: name, ID: id, Index: idx, Size: -1}
			if fi, err := e.Info(); err == nil {
				ent.ModTime = fi.ModTime()
			} else {
				continue // deleted since ReadDir
			}
			ent.Size = readSize(filepath.Join(dir, name))
			out = append(out, ent)
		}
		return nil
	})
	if err != nil && err != errDone {
		return nil, "", fmt.Errorf("shardfile: list: %w", err)
	}
	next := ""
	if more {
		next = out[len(out)-1].Name
	}
	return out, next, nil
}

// readSize returns the shard data length recorded in a file's tail, or -1.
func readSize(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	if _, err := f.Seek(-TailSize, io.SeekEnd); err != nil {
		return -1
	}
	var tb [TailSize]byte
	if _, err := io.ReadFull(f, tb[:]); err != nil {
		return -1
	}
	t, err := decodeTail(tb[:])
	if err != nil {
		return -1
	}
	return t.shardLen
}
