//go:build unix

// Package pgtest gives tests a fresh, empty PostgreSQL database each.
//
// If FLOE_TEST_DATABASE_URL is set, databases are created on that server.
// Otherwise the first call to DSN starts a throw-away cluster (see package
// pgrun) in a temporary directory, shared by the whole test process; Main
// stops and removes it when the tests are done, and the kernel kills it if
// the test process dies first:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata/pgrun"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"
)

// EnvURL names the variable that points the tests at an existing server.
const EnvURL = "FLOE_TEST_DATABASE_URL"

var (
	once     sync.Once
	server   *pgrun.Server // nil when EnvURL is used
	tmpDir   string
	startErr error
	baseDSN  string
	nextDB   atomic.Int64
)

// DSN returns a connection string for a new, empty UTF-8 database with "C"
// collation, dropped when the test ends (connections still open then are
// terminated).
func DSN(t testing.TB) string {
	t.Helper()
	base := base(t)
	// The process ID keeps names unique when several test processes share
	// the server named by EnvURL.
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), nextDB.Add(1))
	admin(t, base, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`, name))
	t.Cleanup(func() {
		admin(t, base, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return withDatabase(t, base, name)
}

// Main runs the tests, then stops and removes the shared cluster, and
// exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Stop shuts the shared cluster down, for tests of what happens when the
// database goes away. It skips the test when EnvURL is in use.
func Stop(t testing.TB) {
	t.Helper()
	s := shared(t)
	if err := s.Stop(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// Start starts the shared cluster again after Stop, on the same port: DSNs
// handed out before work again.
func Start(t testing.TB) {
	t.Helper()
	s := shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Restart(ctx); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// shared returns the throw-away cluster, skipping t if there is none.
func shared(t testing.TB) *pgrun.Server {
	t.Helper()
	base(t)
	if server == nil {
		t.Skipf("pgtest: the test controls the server, which %s names", EnvURL)
	}
	return server
}

// base returns the DSN of the server's maintenance database, starting the
// cluster on first use.
func base(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			baseDSN = u
			return
		}
		startErr = startCluster()
	})
	if startErr != nil {
		t.Fatalf("pgtest: %v", startErr)
	}
	return baseDSN
}

func startCluster() error {
	dir, err := os.MkdirTemp("", "floe-pgtest-")
	if err != nil {
		return err
	}
	tmpDir = dir
	// MkdirTemp makes dir 0700; when the cluster runs as user postgres it
	// must be able to enter it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	server, err = pgrun.Start(ctx, filepath.Join(dir, "data"), zerolog.Nop(), pgrun.Options{Throwaway: true})
	if err != nil {
		return err
	}
	baseDSN = server.DSN()
	return nil
}

func shutdown() error {
	var err error
	if server != nil {
		err = server.Stop()
	}
	if tmpDir != "" {
		if rerr := os.RemoveAll(tmpDir); err == nil {
			err = rerr
		}
	}
	return err
}

// admin runs one statement on the maintenance database.
func admin(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connecting to %s: %v", dsn, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// withDatabase returns dsn with its database replaced by name. It handles
// both URL and keyword/value connection strings.
func withDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("pgtest: parsing %s: %v", EnvURL, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	// In keyword/value form the last setting of a keyword wins.
	return dsn + " dbname=" + name
}

// DurableDSN returns a connection string for a new database on a
// PostgreSQL cluster of t's own that, unlike the shared one, syncs every
// commit to disk (fsync and synchronous_commit on, as in production), for
// benchmarks whose figures must hold for durable writes. The cluster is
// stopped and removed when t ends. With EnvURL set, it returns a database
// on that server, which is then as durable as it is configured.
func DurableDSN(t testing.TB) string {
	t.Helper()
	if os.Getenv(EnvURL) != "" {
		return DSN(t)
	}
	dir, err := os.MkdirTemp("", "floe-pgdurable-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // entered as user postgres, if root
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := pgrun.Start(ctx, filepath.Join(dir, "data"), zerolog.Nop(), pgrun.Options{})
	if err != nil {
		t.Fatalf("pgtest: durable cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("pgtest: stop the durable cluster: %v", err)
		}
	})
	const name = "bench"
	admin(t, s.DSN(), fmt.Sprintf(`CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`, name))
	return withDatabase(t, s.DSN(), name)
}
