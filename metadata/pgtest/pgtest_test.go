//go:build unix

package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { Main(m) }

func exec(t *testing.T, dsn, sql string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql).ReadAll()
	return err
}

func TestDSNIsFreshAndSeparate(t *testing.T) {
	a, b := DSN(t), DSN(t)
	if a == b {
		t.Fatalf("two calls returned the same DSN %s", a)
	}
	if err := exec(t, a, "CREATE TABLE t (x int)"); err != nil {
		t.Fatal(err)
	}
	// b is another database: the table is not there.
	if err := exec(t, b, "CREATE TABLE t (x int)"); err != nil {
		t.Fatal(err)
	}
}

func TestStopStart(t *testing.T) {
	dsn := DSN(t)
	Stop(t)
	if err := exec(t, dsn, "SELECT 1"); err == nil {
		t.Fatal("query succeeded on a stopped cluster")
	}
	Start(t)
	if err := exec(t, dsn, "SELECT 1"); err != nil {
		t.Fatalf("after Start: %v", err)
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u@h:5/postgres?sslmode=disable", "postgres://u@h:5/x?sslmode=disable"},
		{"postgresql://h/", "postgresql://h/x"},
		{"host=h dbname=postgres", "host=h dbname=postgres dbname=x"},
	}
	for _, tt := range tests {
		if got := withDatabase(t, tt.in, "x"); got != tt.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
