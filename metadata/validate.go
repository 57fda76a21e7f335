package metadata

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// checkKey reports whether key can be an object key: 1 to MaxKeyLen bytes
// of UTF-8 without NUL, which PostgreSQL text cannot hold.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: %d bytes, at most %d allowed", ErrKeyTooLong, len(key), MaxKeyLen)
	}
	return checkText("key", key)
}

// checkText reports whether s can be sent to PostgreSQL as text.
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidKey, what)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %s contains NUL", ErrInvalidKey, what)
	}
	return nil
}

// checkObject checks what PutObject is about to store: the parts must be in
// increasing order, each blob's ID must be its manifest's hash, its
// placement must name a node for every shard, and the sizes must add up.
func checkObject(obj *Object) error {
	if obj.Bucket == "" {
		return fmt.Errorf("%w: empty bucket name", ErrNoSuchBucket)
	}
	if err := checkKey(obj.Key); err != nil {
		return err
	}
	if err := checkChecksum(obj.Checksum, false); err != nil {
		return err
	}
	var total int64
	seen := make(map[[32]byte]bool, len(obj.Parts))
	for i, p := range obj.Parts {
		if p.Number < 1 || (i > 0 && p.Number <= obj.Parts[i-1].Number) {
			return fmt.Errorf("part %d: part numbers must be positive and increasing", p.Number)
		}
		b := p.Blob
		if b.Manifest == nil {
			return fmt.Errorf("part %d: blob %s has no manifest", p.Number, b.ID)
		}
		if err := b.Manifest.Validate(); err != nil {
			return fmt.Errorf("part %d: %w", p.Number, err)
		}
		if id := b.Manifest.ID(); id != b.ID {
			return fmt.Errorf("part %d: blob ID %s is not its manifest's hash %s", p.Number, b.ID, id)
		}
		if err := checkText("part checksum", p.Checksum); err != nil {
			return fmt.Errorf("part %d: %w", p.Number, err)
		}
		if seen[b.ID] {
			return fmt.Errorf("part %d: blob %s used twice", p.Number, b.ID)
		}
		seen[b.ID] = true
		if n := b.Manifest.Params.K + b.Manifest.Params.M; len(b.Placement) != n {
			return fmt.Errorf("part %d: blob %s: placement names %d nodes for %d shards", p.Number, b.ID, len(b.Placement), n)
		}
		for j, nd := range b.Placement {
			if nd.ID == "" {
				return fmt.Errorf("part %d: blob %s: shard %d has no node ID", p.Number, b.ID, j)
			}
		}
		if p.Size != b.Manifest.Size {
			return fmt.Errorf("part %d: size %d, but blob %s holds %d bytes", p.Number, p.Size, b.ID, b.Manifest.Size)
		}
		total += p.Size
	}
	if obj.Size != total {
		return fmt.Errorf("object size %d, but its parts hold %d bytes", obj.Size, total)
	}
	return nil
}
