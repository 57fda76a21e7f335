package metadata

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// withIntent records a committed-blob intent for each of obj's blobs, as
// the gateway does before writing them, and returns their nonces.
func withIntent(t testing.TB, s *Postgres, obj Object) [][]byte {
	t.Helper()
	ctx := context.Background()
	var nonces [][]byte
	for _, p := range obj.Parts {
		n := p.Blob.Manifest.Nonce[:]
		if err := s.RecordIntent(ctx, n, []string{"n0", "n1", "n2"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetIntentBlob(ctx, n, p.Blob.ID); err != nil {
			t.Fatal(err)
		}
		nonces = append(nonces, n)
	}
	return nonces
}

func TestPutObjectPrecondition(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		key  string // "old" holds an object with ETag "etag"; others are free
		cond Precondition
		want error // nil: the write happens
	}{
		{"none-match on a new key", "new", Precondition{IfNoneMatch: true}, nil},
		{"none-match on an existing key", "old", Precondition{IfNoneMatch: true}, ErrPreconditionFailed},
		{"match, quoted", "old", Precondition{IfMatch: `"etag"`}, nil},
		{"match, unquoted", "old", Precondition{IfMatch: `etag`}, nil},
		{"match any", "old", Precondition{IfMatch: `*`}, nil},
		{"match, wrong ETag", "old", Precondition{IfMatch: `"other"`}, ErrPreconditionFailed},
		{"match on a missing key", "new", Precondition{IfMatch: `"etag"`}, ErrNoSuchKey},
		{"match any on a missing key", "new", Precondition{IfMatch: `*`}, ErrNoSuchKey},
		{"both on an existing key", "old", Precondition{IfMatch: `"etag"`, IfNoneMatch: true}, ErrPreconditionFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			mustCreateBucket(t, s, "b")
			old := newObject(t, "b", "old", 3)
			mustPut(t, s, old)
			obj := newObject(t, "b", tt.key, 4)
			obj.ETag = `"new"`
			nonces := withIntent(t, s, obj)
			_, err := s.PutObject(ctx, obj, nonces, tt.cond)
			if !errors.Is(err, tt.want) || (err != nil) != (tt.want != nil) {
				t.Fatalf("PutObject = %v, want %v", err, tt.want)
			}
			if n := count(t, s, `SELECT count(*) FROM write_intents`); n != 0 {
				t.Errorf("%d intents left", n)
			}
			got, gerr := s.GetObject(ctx, "b", tt.key)
			switch {
			case tt.want == nil && (gerr != nil || got.ETag != `"new"`):
				t.Errorf("after the write: %+v, %v; want the new object", got, gerr)
			case tt.want != nil && tt.key == "old" && (gerr != nil || got.ETag != `"etag"`):
				t.Errorf("after a refused write: %+v, %v; want the old object", got, gerr)
			case tt.want != nil && tt.key == "new" && !errors.Is(gerr, ErrNoSuchKey):
				t.Errorf("after a refused write: %+v, %v; want no object", got, gerr)
			}
			// A refused write's blob goes to GC at once.
			if tt.want != nil && !isQueued(t, s, obj.Parts[0].Blob) {
				t.Error("the refused write's blob is not queued for deletion")
			}
			checkBlobAccounting(t, s)
		})
	}
	t.Run("missing bucket", func(t *testing.T) {
		s := newStore(t)
		_, err := s.PutObject(ctx, newObject(t, "nb", "k", 1), nil, Precondition{IfMatch: "*"})
		if !errors.Is(err, ErrNoSuchBucket) {
			t.Fatalf("PutObject = %v, want ErrNoSuchBucket", err)
		}
	})
	t.Run("refused rewrite of the same blob keeps it", func(t *testing.T) {
		s := newStore(t)
		mustCreateBucket(t, s, "b")
		old := newObject(t, "b", "k", 3)
		mustPut(t, s, old)
		if _, err := s.PutObject(ctx, old, nil, Precondition{IfNoneMatch: true}); !errors.Is(err, ErrPreconditionFailed) {
			t.Fatalf("PutObject = %v, want ErrPreconditionFailed", err)
		}
		if isQueued(t, s, old.Parts[0].Blob) {
			t.Fatal("the live object's blob was queued for deletion")
		}
		checkBlobAccounting(t, s)
	})
}

// racePuts runs n PutObject calls of distinct objects at b/k with cond at
// once and returns the objects and errors, index by index.
func racePuts(t *testing.T, s *Postgres, n int, cond Precondition) ([]Object, []error) {
	objs := make([]Object, n)
	nonces := make([][][]byte, n)
	for i := range objs {
		objs[i] = newObject(t, "b", "k", int64(i+1))
		objs[i].ETag = fmt.Sprintf(`"w%d"`, i)
		nonces[i] = withIntent(t, s, objs[i])
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range objs {
		wg.Go(func() {
			<-start
			_, errs[i] = s.PutObject(context.Background(), objs[i], nonces[i], cond)
		})
	}
	close(start)
	wg.Wait()
	return objs, errs
}

// checkOneWinner fails t unless exactly one write succeeded, every other
// failed its precondition, and the key holds the winner's object.
func checkOneWinner(t *testing.T, s *Postgres, objs []Object, errs []error) {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writes %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, ErrPreconditionFailed):
			t.Fatalf("write %d: %v, want ErrPreconditionFailed", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no write succeeded")
	}
	got, err := s.GetObject(context.Background(), "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if got.ETag != objs[winner].ETag || len(got.Parts) != 1 || got.Parts[0].Blob.ID != objs[winner].Parts[0].Blob.ID {
		t.Fatalf("stored %s, want the winner's %s", got.ETag, objs[winner].ETag)
	}
	for i, o := range objs {
		if i != winner && !isQueued(t, s, o.Parts[0].Blob) {
			t.Errorf("loser %d's blob is not queued", i)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM write_intents`); n != 0 {
		t.Errorf("%d intents left", n)
	}
	checkBlobAccounting(t, s)
}

func TestConcurrentIfNoneMatch(t *testing.T) {
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	objs, errs := racePuts(t, s, 16, Precondition{IfNoneMatch: true})
	checkOneWinner(t, s, objs, errs)
}

func TestConcurrentIfMatch(t *testing.T) {
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	old := newObject(t, "b", "k", 100)
	old.ETag = `"v0"`
	mustPut(t, s, old)
	objs, errs := racePuts(t, s, 16, Precondition{IfMatch: `"v0"`})
	checkOneWinner(t, s, objs, errs)
	if !isQueued(t, s, old.Parts[0].Blob) {
		t.Error("the replaced object's blob is not queued")
	}
}

func TestCompleteUploadPrecondition(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	old := newObject(t, "b", "k", 3)
	mustPut(t, s, old)
	if err := s.CreateUpload(ctx, Upload{ID: "up", Bucket: "b", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	p1, p2 := newPart(t, 1, 5), newPart(t, 2, 6)
	mustPutPart(t, s, "up", p1)
	mustPutPart(t, s, "up", p2)

	for _, cond := range []Precondition{{IfNoneMatch: true}, {IfMatch: `"other"`}} {
		if _, err := s.CompleteUpload(ctx, "up", objectOf(p1, p2), cond); !errors.Is(err, ErrPreconditionFailed) {
			t.Fatalf("CompleteUpload(%+v) = %v, want ErrPreconditionFailed", cond, err)
		}
		// Nothing changed: the upload and its parts are still there.
		parts, err := s.ListUploadParts(ctx, "b", "k", "up")
		if err != nil || len(parts) != 2 {
			t.Fatalf("after a refused complete: %d parts, %v", len(parts), err)
		}
		if got, err := s.GetObject(ctx, "b", "k"); err != nil || got.ETag != old.ETag {
			t.Fatalf("after a refused complete: %+v, %v", got, err)
		}
		checkBlobAccounting(t, s)
	}
	if _, err := s.CompleteUpload(ctx, "up", objectOf(p1, p2), Precondition{IfMatch: old.ETag}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetObject(ctx, "b", "k"); err != nil || got.ETag != `"multi-2"` {
		t.Fatalf("after complete: %+v, %v", got, err)
	}
	checkBlobAccounting(t, s)
}
