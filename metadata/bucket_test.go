package metadata

import (
	"context"
	"errors"
	"testing"
)

func TestBucketLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	// Each step runs on the state the previous ones left.
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"get missing", func() error { _, err := s.GetBucket(ctx, "b"); return err }, ErrNoSuchBucket},
		{"delete missing", func() error { return s.DeleteBucket(ctx, "b") }, ErrNoSuchBucket},
		{"create", func() error { return s.CreateBucket(ctx, "b") }, nil},
		{"create again", func() error { return s.CreateBucket(ctx, "b") }, ErrBucketExists},
		{"create other", func() error { return s.CreateBucket(ctx, "a") }, nil},
		{"get", func() error { _, err := s.GetBucket(ctx, "b"); return err }, nil},
		{"put object", func() error { _, err := s.PutObject(ctx, newObject(t, "b", "k", 10), nil, Precondition{}); return err }, nil},
		{"delete non-empty", func() error { return s.DeleteBucket(ctx, "b") }, ErrBucketNotEmpty},
		{"delete object", func() error { _, err := s.DeleteObject(ctx, "b", "k", DeleteOptions{}); return err }, nil},
		{"start upload", func() error {
			_, err := s.pool.Exec(ctx, `INSERT INTO multipart_uploads (upload_id, bucket, key) VALUES ('u', 'b', 'k')`)
			return err
		}, nil},
		{"delete with upload", func() error { return s.DeleteBucket(ctx, "b") }, ErrBucketNotEmpty},
		{"abort upload", func() error { _, err := s.pool.Exec(ctx, `DELETE FROM multipart_uploads`); return err }, nil},
		{"delete empty", func() error { return s.DeleteBucket(ctx, "b") }, nil},
		{"get deleted", func() error { _, err := s.GetBucket(ctx, "b"); return err }, ErrNoSuchBucket},
	}
	for _, st := range steps {
		if err := st.do(); (st.want == nil && err != nil) || !errors.Is(err, st.want) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.want)
		}
	}
	if err := s.CreateBucket(ctx, ""); err == nil {
		t.Fatal("created a bucket with an empty name")
	}

	for _, name := range []string{"c", "a-b", "a.b", "ab"} {
		mustCreateBucket(t, s, name)
	}
	bs, err := s.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
		if b.CreatedAt.IsZero() {
			t.Errorf("bucket %s has no creation time", b.Name)
		}
	}
	want := []string{"a", "a-b", "a.b", "ab", "c"} // byte order
	if len(names) != len(want) {
		t.Fatalf("ListBuckets = %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("ListBuckets = %v, want %v", names, want)
		}
	}
}
