package metadata

import (
	"context"
	"errors"
	"regexp"
	"testing"
)

func TestUsersOwnKeysAndBuckets(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	alice, err := s.CreateUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(alice.CanonicalID) {
		t.Fatalf("canonical ID %q is not 64 hex digits", alice.CanonicalID)
	}
	admin, err := s.GetUser(ctx, DefaultUser)
	if err != nil {
		t.Fatalf("the migration's default user: %v", err)
	}
	if admin.CanonicalID == alice.CanonicalID {
		t.Fatal("two users share a canonical ID")
	}
	// Each step runs on the state the previous ones left.
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"create again", func() error { _, err := s.CreateUser(ctx, "alice"); return err }, ErrUserExists},
		{"bad name", func() error { _, err := s.CreateUser(ctx, "a/b"); return err }, nil},
		{"get missing", func() error { _, err := s.GetUser(ctx, "bob"); return err }, ErrNoSuchUser},
		{"key of alice", func() error { return s.CreateAccessKey(ctx, AccessKey{ID: "AKALICE", Secret: "s", User: "alice"}) }, nil},
		{"key of nobody", func() error { return s.CreateAccessKey(ctx, AccessKey{ID: "AKBOB", Secret: "s", User: "bob"}) }, ErrNoSuchUser},
		{"default key", func() error { return s.CreateAccessKey(ctx, AccessKey{ID: "AKADMIN", Secret: "s"}) }, nil},
		{"bucket of alice", func() error { return s.CreateBucketAs(ctx, "alices", "alice", false) }, nil},
		{"bucket of nobody", func() error { return s.CreateBucketAs(ctx, "bobs", "bob", false) }, ErrNoSuchUser},
		{"taken name", func() error { return s.CreateBucketAs(ctx, "alices", DefaultUser, false) }, ErrBucketExists},
		{"default bucket", func() error { return s.CreateBucket(ctx, "admins") }, nil},
		{"delete while owning", func() error { return s.DeleteUser(ctx, "alice") }, ErrUserOwnsBuckets},
	}
	for _, st := range steps {
		err := st.do()
		if st.name == "bad name" {
			if err == nil {
				t.Fatalf("%s: accepted", st.name)
			}
			continue
		}
		if (st.want == nil && err != nil) || !errors.Is(err, st.want) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.want)
		}
	}
	for id, want := range map[string]string{"AKALICE": "alice", "AKADMIN": DefaultUser} {
		k, err := s.GetAccessKey(ctx, id)
		if err != nil || k.User != want {
			t.Errorf("GetAccessKey(%s) = user %q, %v; want %q", id, k.User, err, want)
		}
	}
	b, err := s.GetBucket(ctx, "alices")
	if err != nil || b.Owner != "alice" || b.OwnerID != alice.CanonicalID {
		t.Fatalf("GetBucket = owner %q/%q, %v; want alice/%s", b.Owner, b.OwnerID, err, alice.CanonicalID)
	}
	bs, err := s.ListBucketsOf(ctx, "alice")
	if err != nil || len(bs) != 1 || bs[0].Name != "alices" {
		t.Fatalf("ListBucketsOf(alice) = %+v, %v", bs, err)
	}
	if bs, _ := s.ListBuckets(ctx); len(bs) != 2 {
		t.Fatalf("ListBuckets lists %d buckets, want 2", len(bs))
	}
	us, err := s.ListUsers(ctx)
	if err != nil || len(us) != 2 || us[1].Name != "alice" || us[1].Keys != 1 || us[1].Buckets != 1 {
		t.Fatalf("ListUsers = %+v, %v", us, err)
	}

	// Access: the policy and public access block round trip; a user who
	// owns nothing any more can go, and its keys with it.
	if err := s.SetBucketPolicy(ctx, "alices", []byte(`{"Statement":[]}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPublicAccessBlock(ctx, "alices", []byte(`{"BlockPublicPolicy": true}`)); err != nil {
		t.Fatal(err)
	}
	a, err := s.GetBucketAccess(ctx, "alices")
	if err != nil || a.Owner != "alice" || string(a.Policy) != `{"Statement":[]}` || string(a.PublicAccessBlock) != `{"BlockPublicPolicy": true}` {
		t.Fatalf("GetBucketAccess = %+v (%s, %s), %v", a, a.Policy, a.PublicAccessBlock, err)
	}
	if err := s.SetBucketPolicy(ctx, "alices", nil); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.GetBucketAccess(ctx, "alices"); a.Policy != nil {
		t.Fatalf("policy %s left after removal", a.Policy)
	}
	if _, err := s.GetBucketAccess(ctx, "nope"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("GetBucketAccess(missing) = %v", err)
	}
	if err := s.SetBucketPolicy(ctx, "nope", []byte("{}")); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("SetBucketPolicy(missing) = %v", err)
	}
	if err := s.DeleteBucket(ctx, "alices"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAccessKey(ctx, "AKALICE"); !errors.Is(err, ErrNoSuchAccessKey) {
		t.Fatalf("alice's key outlived her: %v", err)
	}
	if err := s.DeleteUser(ctx, "alice"); !errors.Is(err, ErrNoSuchUser) {
		t.Fatalf("delete twice = %v", err)
	}
}
