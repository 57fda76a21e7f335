package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultLease is how long ClaimDeletions and StaleIntents hand work to a
// collector before another may take it.
const DefaultLease = 5 * time.Minute

// Postgres is a Store backed by PostgreSQL. It is safe for concurrent use.
type Postgres struct {
	pool  *pgxpool.Pool
	lease time.Duration
}

var _ Store = (*Postgres)(nil)

// Open connects to the database dsn names (a PostgreSQL URL or keyword/value
// string, see pgxpool.ParseConfig) and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("metadata: parsing DSN: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("metadata: connecting: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Postgres{pool: pool, lease: DefaultLease}, nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Postgres) Close() { s.pool.Close() }

// Pool returns the connection pool, for tools and tests that need SQL.
func (s *Postgres) Pool() *pgxpool.Pool { return s.pool }

// inTx runs f in a transaction, committing if it returns nil.
func (s *Postgres) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, f)
}

// pgCode returns the SQLSTATE and constraint of a PostgreSQL error, or
// empty strings for other errors.
func pgCode(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

// SQLSTATEs the store turns into its own errors.
const (
	codeForeignKey = "23503"
	codeUnique     = "23505"
)

// interval renders d for SQL written as `$n::bigint * interval '1 microsecond'`.
func interval(d time.Duration) int64 { return d.Microseconds() }
