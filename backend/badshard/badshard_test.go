package badshard_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/floe-s3/floe/backend/badshard"
	"github.com/floe-s3/floe/backend/node"
	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/metadata/blobmeta"
	"github.com/rs/zerolog"
)

func TestStateOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("get: %w", node.ErrNotFound), metadata.ShardMissing},
		{fmt.Errorf("get: %w", node.ErrCorrupt), metadata.ShardCorrupt},
		{errors.New("root differs"), metadata.ShardCorrupt},
	} {
		if got := badshard.StateOf(tc.err); got != tc.want {
			t.Errorf("StateOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// recordStore remembers the calls it gets and the context each came with.
type recordStore struct {
	live   bool // ctx was not done when called
	calls  []string
	answer error
}

func (s *recordStore) SetShardState(ctx context.Context, id blobmeta.ID, idx int, nodeID, state, reason string) (bool, error) {
	s.live = ctx.Err() == nil
	s.calls = append(s.calls, fmt.Sprintf("%d@%s=%s (%s)", idx, nodeID, state, reason))
	return s.answer == nil, s.answer
}

// A mark outlives the request that found the shard, and a store failure
// comes back to the caller wrapped.
func TestMark(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := badshard.Report{Index: 2, Node: blobmeta.Node{ID: "n1"}, State: metadata.ShardCorrupt, Reason: "scrub"}
	st := &recordStore{}
	changed, err := badshard.Mark(ctx, st, zerolog.Nop(), rep)
	if err != nil || !changed || !st.live || len(st.calls) != 1 || st.calls[0] != "2@n1=corrupt (scrub)" {
		t.Fatalf("Mark = %v, %v; store saw live=%v %q", changed, err, st.live, st.calls)
	}
	down := errors.New("database away")
	st = &recordStore{answer: down}
	if _, err := badshard.Mark(context.Background(), st, zerolog.Nop(), rep); !errors.Is(err, down) {
		t.Fatalf("Mark with a failing store: %v, want it to wrap %v", err, down)
	}
}
