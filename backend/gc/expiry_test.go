package gc_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/floe-s3/floe/backend/blobtest"
	"github.com/floe-s3/floe/backend/gc"
	"github.com/floe-s3/floe/metadata"
	"github.com/rs/zerolog"
)

// A round aborts the uploads older than UploadExpiry and deletes their
// parts' shards in the same round; a fresh upload and its shards stay, and
// with UploadExpiry 0 nothing expires.
func TestCollectorExpiresStaleUploads(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	meta, store := e.meta, e.store
	// putPart writes a blob and makes it part 1 of upload id.
	putPart := func(id string, seed uint64) {
		plan, err := store.Plan(e.nodes, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := store.Write(ctx, plan, bytes.NewReader(blobtest.RandBytes(seed, 1<<20)))
		if err != nil {
			t.Fatal(err)
		}
		err = meta.PutUploadPart(ctx, "bkt", "k", id, metadata.UploadPart{Number: 1, Size: res.Manifest.Size, ETag: `"x"`,
			Blob: metadata.Blob{ID: res.ID, Manifest: res.Manifest, Placement: res.Placement}}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []metadata.Upload{
		{ID: "stale", Bucket: "bkt", Key: "k", Initiated: time.Now().Add(-2 * time.Hour)},
		{ID: "fresh", Bucket: "bkt", Key: "k"},
	} {
		if err := meta.CreateUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
		putPart(u.ID, uint64(len(u.ID)))
	}
	if got := e.shards(); got != 12 {
		t.Fatalf("%d shards after two parts, want 12", got)
	}

	off := &gc.Collector{Meta: meta, Client: e.tr, Log: zerolog.Nop()}
	if st, err := off.RunOnce(ctx); err != nil || st.Uploads != 0 {
		t.Fatalf("round without expiry: %+v, %v", st, err)
	}
	col := &gc.Collector{Meta: meta, Client: e.tr, UploadExpiry: time.Hour, Log: zerolog.Nop()}
	st, err := col.RunOnce(ctx)
	if err != nil || st.Uploads != 1 || st.Blobs != 1 {
		t.Fatalf("round with expiry: %+v, %v; want 1 upload and its blob", st, err)
	}
	if got := e.shards(); got != 6 {
		t.Fatalf("%d shards after expiry, want the fresh part's 6", got)
	}
	if _, err := meta.GetUpload(ctx, "bkt", "k", "stale"); err == nil {
		t.Fatal("the stale upload is still there")
	}
	if parts, err := meta.ListUploadParts(ctx, "bkt", "k", "fresh"); err != nil || len(parts) != 1 {
		t.Fatalf("fresh upload: %d parts, %v", len(parts), err)
	}
}
