package metadata

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAccessKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	before := time.Now().Add(-time.Minute)
	a := AccessKey{ID: "AKIAFIRST", Secret: "s3cr3t/with+slash", Description: "first key"}
	b := AccessKey{ID: "AKIASECOND", Secret: "other"}
	// Each step runs on the state the previous ones left.
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"get missing", func() error { _, err := s.GetAccessKey(ctx, a.ID); return err }, ErrNoSuchAccessKey},
		{"delete missing", func() error { return s.DeleteAccessKey(ctx, a.ID) }, ErrNoSuchAccessKey},
		{"create", func() error { return s.CreateAccessKey(ctx, a) }, nil},
		{"create again", func() error { return s.CreateAccessKey(ctx, AccessKey{ID: a.ID, Secret: "x"}) }, ErrAccessKeyExists},
		{"create other", func() error { return s.CreateAccessKey(ctx, b) }, nil},
		{"delete", func() error { return s.DeleteAccessKey(ctx, b.ID) }, nil},
		{"get deleted", func() error { _, err := s.GetAccessKey(ctx, b.ID); return err }, ErrNoSuchAccessKey},
		{"delete twice", func() error { return s.DeleteAccessKey(ctx, b.ID) }, ErrNoSuchAccessKey},
		{"recreate", func() error { return s.CreateAccessKey(ctx, b) }, nil},
		{"get bad ID", func() error { _, err := s.GetAccessKey(ctx, "a\x00b"); return err }, ErrNoSuchAccessKey},
		{"get bad UTF-8", func() error { _, err := s.GetAccessKey(ctx, "\xff"); return err }, ErrNoSuchAccessKey},
		{"delete bad ID", func() error { return s.DeleteAccessKey(ctx, "a/b") }, ErrNoSuchAccessKey},
	}
	for _, st := range steps {
		if err := st.do(); (st.want == nil && err != nil) || !errors.Is(err, st.want) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.want)
		}
	}

	got, err := s.GetAccessKey(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != a.ID || got.Secret != a.Secret || got.Description != a.Description {
		t.Errorf("GetAccessKey = %+v, want %+v", got, a)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("CreatedAt %v is not about now", got.CreatedAt)
	}
	// b was recreated after a, so it lists second.
	list, err := s.ListAccessKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("ListAccessKeys = %+v, want %s then %s", list, a.ID, b.ID)
	}
	if list[1].Secret != b.Secret || list[1].Description != "" {
		t.Errorf("listed %+v, want secret %q and no description", list[1], b.Secret)
	}
	if n := count(t, s, `SELECT count(*) FROM access_keys WHERE description IS NULL`); n != 1 {
		t.Errorf("%d keys with a NULL description, want 1 (an empty one is stored as NULL)", n)
	}
}

func TestCreateAccessKeyRejects(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, k := range []AccessKey{
		{ID: "", Secret: "s"},
		{ID: "AKIA", Secret: ""},
		{ID: "has/slash", Secret: "s"},
		{ID: "has space", Secret: "s"},
		{ID: "comma,", Secret: "s"},
		{ID: "é", Secret: "s"},
		{ID: strings.Repeat("A", MaxAccessKeyIDLen+1), Secret: "s"},
		{ID: "AKIA", Secret: "nul\x00"},
		{ID: "AKIA", Secret: "s", Description: "\xff"},
	} {
		if err := s.CreateAccessKey(ctx, k); err == nil || errors.Is(err, ErrAccessKeyExists) {
			t.Errorf("CreateAccessKey(%+q) = %v, want a validation error", k, err)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM access_keys`); n != 0 {
		t.Errorf("%d keys stored, want none", n)
	}
	if err := s.CreateAccessKey(ctx, AccessKey{ID: strings.Repeat("A", MaxAccessKeyIDLen), Secret: "s"}); err != nil {
		t.Errorf("longest ID: %v", err)
	}
}
