package metadata

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/floe-s3/floe/migrations"
	"github.com/jackc/pgx/v5/pgxpool"
)

func newPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestMigrateConcurrent(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	// Separate pools: separate sessions, as separate gateways would have.
	const n = 5
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		pool := newPool(t, dsn)
		wg.Go(func() {
			<-start
			errs[i] = Migrate(ctx, pool)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	pool := newPool(t, dsn)
	var rows, distinctVersions int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinctVersions); err != nil {
		t.Fatal(err)
	}
	if rows != len(all) || distinctVersions != len(all) {
		t.Fatalf("schema_migrations has %d rows, %d versions; want %d", rows, distinctVersions, len(all))
	}
}

func TestMigrateRerunIsNoop(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.DSN(t))
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var before time.Time
	if err := pool.QueryRow(ctx, `SELECT max(applied_at) FROM schema_migrations`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO buckets (name, owner) VALUES ('kept', 'admin')`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	var after time.Time
	var buckets int
	if err := pool.QueryRow(ctx, `SELECT max(applied_at), (SELECT count(*) FROM buckets) FROM schema_migrations`).Scan(&after, &buckets); err != nil {
		t.Fatal(err)
	}
	if !after.Equal(before) || buckets != 1 {
		t.Fatalf("second Migrate changed the database: applied_at %v → %v, %d buckets", before, after, buckets)
	}
}

func TestMigrateRefuses(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string
		wantIs  error
		wantMsg string
	}{
		{"newer version", `INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')`, ErrSchemaTooNew, "9999_future"},
		{"renamed migration", `UPDATE schema_migrations SET name = 'other' WHERE version = 1`, nil, "0001_other"},
		{"version zero", `INSERT INTO schema_migrations (version, name) VALUES (0, 'zero')`, nil, "version 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.DSN(t)
			pool := newPool(t, dsn)
			if err := Migrate(ctx, pool); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, tt.tamper); err != nil {
				t.Fatal(err)
			}
			err := Migrate(ctx, pool)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Migrate: %v, want an error mentioning %q", err, tt.wantMsg)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("Migrate: %v, want %v", err, tt.wantIs)
			}
			// The lock was released: another session can take it.
			var got bool
			if err := newPool(t, dsn).QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, migrateLockKey).Scan(&got); err != nil || !got {
				t.Fatalf("advisory lock still held after a failed Migrate (%v)", err)
			}
		})
	}
}

func TestOpenRefusesTooNew(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, s, `INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')`)
	s.Close()
	if _, err := Open(ctx, dsn); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open: %v, want ErrSchemaTooNew", err)
	}
}
