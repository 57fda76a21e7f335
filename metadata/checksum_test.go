package metadata

import (
	"context"
	"testing"
)

func TestChecksumRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")

	// A single PUT: a full-object checksum, the same value on its part.
	obj := newObject(t, "b", "single", 10)
	obj.Checksum = Checksum{Algorithm: "CRC64NVME", Value: "AAAAAAAAAAA=", Type: ChecksumFullObject}
	obj.Parts[0].Checksum = "AAAAAAAAAAA="
	mustPut(t, s, obj)
	got, err := s.GetObject(ctx, "b", "single")
	if err != nil {
		t.Fatal(err)
	}
	if got.Checksum != obj.Checksum || got.Parts[0].Checksum != "AAAAAAAAAAA=" {
		t.Fatalf("GetObject checksum %+v, part %q; want %+v", got.Checksum, got.Parts[0].Checksum, obj.Checksum)
	}
	// Replacing it with an object without a checksum clears it.
	mustPut(t, s, newObject(t, "b", "single", 3))
	if got, err = s.GetObject(ctx, "b", "single"); err != nil || got.Checksum != (Checksum{}) || got.Parts[0].Checksum != "" {
		t.Fatalf("replaced: %+v, part %+v, %v; want no checksum", got.Checksum, got.Parts, err)
	}

	// A multipart upload declares an algorithm; its parts carry values,
	// which CompleteUpload stores with the object's composite checksum.
	u := Upload{ID: "up", Bucket: "b", Key: "k", Checksum: Checksum{Algorithm: "SHA256", Type: ChecksumComposite}}
	if err := s.CreateUpload(ctx, u); err != nil {
		t.Fatal(err)
	}
	gu, err := s.GetUpload(ctx, "b", "k", "up")
	if err != nil || gu.Checksum != u.Checksum {
		t.Fatalf("GetUpload checksum %+v, %v; want %+v", gu.Checksum, err, u.Checksum)
	}
	p1, p2 := newPart(t, 1, 5), newPart(t, 2, 6)
	p1.Checksum, p2.Checksum = "c3VtMQ==", "c3VtMg=="
	mustPutPart(t, s, "up", p1)
	mustPutPart(t, s, "up", p2)
	parts, err := s.ListUploadParts(ctx, "b", "k", "up")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0].Checksum != p1.Checksum || parts[1].Checksum != p2.Checksum {
		t.Fatalf("ListUploadParts = %+v, want checksums %q, %q", parts, p1.Checksum, p2.Checksum)
	}
	mo := objectOf(p1, p2)
	mo.Parts[0].Checksum, mo.Parts[1].Checksum = p1.Checksum, p2.Checksum
	mo.Checksum = Checksum{Algorithm: "SHA256", Value: "Y29tcG9zaXRl-2", Type: ChecksumComposite}
	if _, err := s.CompleteUpload(ctx, "up", mo, Precondition{}); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if got.Checksum != mo.Checksum || len(got.Parts) != 2 || got.Parts[0].Checksum != p1.Checksum || got.Parts[1].Checksum != p2.Checksum {
		t.Fatalf("completed object: checksum %+v parts %+v; want %+v with the parts' checksums", got.Checksum, got.Parts, mo.Checksum)
	}

	// An upload declaring nothing has no checksum.
	if err := s.CreateUpload(ctx, Upload{ID: "plain", Bucket: "b", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if gu, err = s.GetUpload(ctx, "b", "k", "plain"); err != nil || gu.Checksum != (Checksum{}) {
		t.Fatalf("GetUpload checksum %+v, %v; want none", gu.Checksum, err)
	}
}

func TestChecksumRejected(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustCreateBucket(t, s, "b")
	objects := []struct {
		name string
		c    Checksum
	}{
		{"unknown algorithm", Checksum{Algorithm: "MD5", Value: "x", Type: ChecksumFullObject}},
		{"unknown type", Checksum{Algorithm: "CRC32", Value: "x", Type: "PARTIAL"}},
		{"no value", Checksum{Algorithm: "CRC32", Type: ChecksumFullObject}},
		{"no algorithm", Checksum{Value: "x", Type: ChecksumFullObject}},
		{"NUL", Checksum{Algorithm: "CRC32", Value: "x\x00", Type: ChecksumFullObject}},
	}
	for _, tt := range objects {
		obj := newObject(t, "b", "k", 1)
		obj.Checksum = tt.c
		if _, err := s.PutObject(ctx, obj, nil, Precondition{}); err == nil {
			t.Errorf("PutObject with %s: no error", tt.name)
		}
	}
	uploads := []struct {
		name string
		c    Checksum
	}{
		{"a value", Checksum{Algorithm: "CRC32", Value: "x", Type: ChecksumComposite}},
		{"no type", Checksum{Algorithm: "CRC32"}},
		{"unknown algorithm", Checksum{Algorithm: "crc32", Type: ChecksumComposite}},
	}
	for _, tt := range uploads {
		if err := s.CreateUpload(ctx, Upload{ID: "u", Bucket: "b", Key: "k", Checksum: tt.c}); err == nil {
			t.Errorf("CreateUpload with %s: no error", tt.name)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM objects`) + count(t, s, `SELECT count(*) FROM multipart_uploads`); n != 0 {
		t.Fatalf("%d rows stored", n)
	}
	// The database enforces the same rules on what bypasses the store.
	if _, err := s.pool.Exec(ctx, `INSERT INTO multipart_uploads (upload_id, bucket, key, checksum_algorithm)
		VALUES ('x', 'b', 'k', 'CRC32')`); err == nil {
		t.Fatal("an algorithm without a type was stored")
	}
}
