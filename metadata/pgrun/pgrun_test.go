//go:build unix

package pgrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"
)

// tempDir returns a directory that user postgres can reach when the test
// runs as root (t.TempDir's parent is private to root).
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "floe-pgrun-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func query(t *testing.T, dsn, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	defer conn.Close(ctx)
	res, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if len(res) == 0 || len(res[0].Rows) == 0 {
		return ""
	}
	return string(res[0].Rows[0][0])
}

func TestStartStopRestart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "data")
	s, err := Start(ctx, dir, zerolog.Nop(), Options{Throwaway: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })

	if got := query(t, s.DSN(), "SHOW server_encoding"); got != "UTF8" {
		t.Errorf("server_encoding = %q, want UTF8", got)
	}
	if got := query(t, s.DSN(), "SHOW fsync"); got != "off" {
		t.Errorf("fsync = %q, want off", got)
	}
	query(t, s.DSN(), "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := pgconn.Connect(ctx, s.DSN()); err == nil {
		t.Fatal("connected to a stopped server")
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx); err == nil || !strings.Contains(err.Error(), "running") {
		t.Fatalf("Restart of a running server: err = %v", err)
	}
	if got := query(t, s.DSN(), "SELECT x FROM kept"); got != "42" {
		t.Fatalf("after restart: x = %q, want 42", got)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	// Start on an existing cluster reuses it rather than running initdb.
	s2, err := Start(ctx, dir, zerolog.Nop(), Options{Throwaway: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Stop() })
	if got := query(t, s2.DSN(), "SELECT x FROM kept"); got != "42" {
		t.Fatalf("second Start: x = %q, want 42", got)
	}
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(2)
	for _, l := range []string{"a", "b", "c"} {
		b.Add(l)
	}
	if got := b.String(); got != "b\nc" {
		t.Fatalf("tail = %q, want last two lines", got)
	}
}
