package s3import

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/metadata"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/rs/zerolog"
)

// memProgress is Progress in memory, as metadata.Postgres behaves.
type memProgress struct {
	mu   sync.Mutex
	rows map[metadata.ImportPair]map[metadata.ImportID]metadata.ImportObject
}

func newMemProgress() *memProgress {
	return &memProgress{rows: map[metadata.ImportPair]map[metadata.ImportID]metadata.ImportObject{}}
}

func (m *memProgress) ImportLookup(_ context.Context, p metadata.ImportPair, keys []string) (map[metadata.ImportID]metadata.ImportObject, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	out := map[metadata.ImportID]metadata.ImportObject{}
	for id, o := range m.rows[p] {
		if want[id.Key] {
			out[id] = o
		}
	}
	return out, nil
}

func (m *memProgress) ImportStart(_ context.Context, p metadata.ImportPair, o metadata.ImportObject) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rows[p] == nil {
		m.rows[p] = map[metadata.ImportID]metadata.ImportObject{}
	}
	id := metadata.ImportID{Key: o.Key, VersionID: o.VersionID}
	old := m.rows[p][id]
	o.State, o.Attempts, o.Copies, o.StartedAt = metadata.ImportCopying, old.Attempts+1, old.Copies, time.Now()
	m.rows[p][id] = o
	return nil
}

func (m *memProgress) update(p metadata.ImportPair, id metadata.ImportID, f func(*metadata.ImportObject)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.rows[p][id]
	if !ok {
		return metadata.ErrNoImportRow
	}
	f(&o)
	m.rows[p][id] = o
	return nil
}

func (m *memProgress) ImportSetUpload(_ context.Context, p metadata.ImportPair, id metadata.ImportID, up string) error {
	return m.update(p, id, func(o *metadata.ImportObject) { o.UploadID = up })
}

func (m *memProgress) ImportDone(_ context.Context, p metadata.ImportPair, id metadata.ImportID, dest string) error {
	return m.update(p, id, func(o *metadata.ImportObject) {
		o.State, o.UploadID, o.DestVersionID, o.Copies = metadata.ImportDone, "", dest, o.Copies+1
	})
}

func (m *memProgress) ImportFailed(_ context.Context, p metadata.ImportPair, id metadata.ImportID, msg string) error {
	return m.update(p, id, func(o *metadata.ImportObject) { o.State, o.UploadID, o.Error = metadata.ImportFailed, "", msg })
}

// fakeS3 is a gofakes3 server on 127.0.0.1 with a client for it.
type fakeS3 struct {
	ep     Endpoint
	client *s3.Client
}

func startFake(t *testing.T) *fakeS3 {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	ep := Endpoint{URL: srv.URL, Region: "us-east-1", AccessKey: "fake", SecretKey: "fake", PathStyle: true}
	return &fakeS3{ep: ep, client: newClient(ep)}
}

// testConfig imports bucket src of from into dst of to.
func testConfig(from, to *fakeS3, pairs ...BucketPair) Config {
	return Config{Source: from.ep, Dest: to.ep, Buckets: pairs, Workers: 4, Retries: -1, Log: zerolog.Nop(),
		CallTimeout: 20 * time.Second}
}
