package metadata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/floe-s3/floe/metadata/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// oneConn returns the DSN of a fresh test database, for a pool of one
// connection.
func oneConn(t *testing.T) string {
	dsn := pgtest.DSN(t)
	if strings.Contains(dsn, "?") {
		return dsn + "&pool_max_conns=1"
	}
	return dsn + "?pool_max_conns=1"
}

// With every connection taken, a statement fails with ErrUnavailable after
// Options.Wait, not when the caller's context ends.
func TestWaitForConnectionIsBounded(t *testing.T) {
	const wait = 300 * time.Millisecond
	s, err := OpenWith(context.Background(), oneConn(t), Options{Wait: wait})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	held, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.ListNodes(ctx)
	took := time.Since(start)
	if !errors.Is(err, ErrUnavailable) || !IsUnavailable(err) {
		t.Fatalf("ListNodes with the pool exhausted: %v, want ErrUnavailable", err)
	}
	if took < wait || took > wait+2*time.Second {
		t.Errorf("failed after %v, want about %v", took, wait)
	}
	if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ping with the pool exhausted: %v, want ErrUnavailable", err)
	}
	held.Release()
	if _, err := s.ListNodes(ctx); err != nil {
		t.Fatalf("ListNodes once a connection is free: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// Every way of running a statement gives its connection back: rows read to
// the end, rows closed early, a row scanned, a failed query, a committed and
// a rolled-back transaction. With one connection, a leak shows as the next
// statement failing.
func TestWaitPoolReleases(t *testing.T) {
	s, err := OpenWith(context.Background(), oneConn(t), Options{Wait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	steps := []struct {
		name string
		run  func() error
	}{
		{"exec", func() error { _, err := s.db.Exec(ctx, `SELECT 1`); return err }},
		{"rows to the end", func() error {
			rows, err := s.db.Query(ctx, `SELECT generate_series(1, 3)`)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			return rows.Err()
		}},
		{"rows closed early", func() error {
			rows, err := s.db.Query(ctx, `SELECT generate_series(1, 3)`)
			if err != nil {
				return err
			}
			rows.Next()
			rows.Close()
			return nil
		}},
		{"collect rows", func() error {
			rows, err := s.db.Query(ctx, `SELECT generate_series(1, 3)`)
			if err != nil {
				return err
			}
			_, err = pgx.CollectRows(rows, pgx.RowTo[int32])
			return err
		}},
		{"query row", func() error { var n int; return s.db.QueryRow(ctx, `SELECT 1`).Scan(&n) }},
		{"failing query", func() error {
			if _, err := s.db.Query(ctx, `SELECT nonsense FROM nowhere`); err == nil {
				return errors.New("a bad query succeeded")
			}
			return nil
		}},
		{"failing query row", func() error {
			var n int
			if s.db.QueryRow(ctx, `SELECT nonsense FROM nowhere`).Scan(&n) == nil {
				return errors.New("a bad query succeeded")
			}
			return nil
		}},
		{"commit", func() error {
			return s.inTx(ctx, func(tx pgx.Tx) error { _, err := tx.Exec(ctx, `SELECT 1`); return err })
		}},
		{"rollback", func() error {
			want := errors.New("rolled back")
			if err := s.inTx(ctx, func(pgx.Tx) error { return want }); !errors.Is(err, want) {
				return fmt.Errorf("inTx: %v", err)
			}
			return nil
		}},
		{"store method", func() error { _, err := s.ListNodes(ctx); return err }},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if n := s.pool.Stat().AcquiredConns(); n != 0 {
			t.Fatalf("after %s: %d connections still acquired", st.name, n)
		}
	}
}

func TestIsUnavailable(t *testing.T) {
	refused := func() error {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = pgconn.Connect(ctx, "postgres://x@"+addr+"/x?sslmode=disable")
		return err
	}()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"sentinel", fmt.Errorf("x: %w", ErrUnavailable), true},
		{"connection refused", fmt.Errorf("metadata: get: %w", refused), true},
		{"broken connection", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"too many clients", &pgconn.PgError{Code: "53300"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"no rows", pgx.ErrNoRows, false},
		{"caller gave up", context.Canceled, false},
		{"not found", ErrNoSuchKey, false},
	}
	for _, tt := range tests {
		if got := IsUnavailable(tt.err); got != tt.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
