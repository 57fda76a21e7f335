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

// Postgres is Floe's metadata store, on PostgreSQL. Every method that changes
// several rows does so in one transaction. It is safe for concurrent use;
// each consumer declares the few methods it needs as its own interface.
type Postgres struct {
	pool  *pgxpool.Pool // for Close, Pool and migrations
	db    waitPool      // every statement of the store goes through it
	lease time.Duration
}

// Options tune a Postgres beyond its DSN.
type Options struct {
	// Wait bounds how long a statement waits for a connection, including
	// connecting (unless the DSN sets connect_timeout), before failing
	// with ErrUnavailable; 0 means DefaultWait.
	Wait time.Duration
}

// Open connects to the database dsn names (a PostgreSQL URL or keyword/value
// string, see pgxpool.ParseConfig) and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*Postgres, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, o Options) (*Postgres, error) {
	if o.Wait <= 0 {
		o.Wait = DefaultWait
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("metadata: parsing DSN: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = o.Wait
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("metadata: connecting: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Postgres{pool: pool, db: waitPool{pool: pool, wait: o.Wait}, lease: DefaultLease}, nil
}

// Ping checks that the database answers, waiting for a connection no
// longer than the store's Options.Wait; a gateway's readiness probe.
func (s *Postgres) Ping(ctx context.Context) error {
	c, err := s.db.acquire(ctx)
	if err != nil {
		return fmt.Errorf("metadata: ping: %w", err)
	}
	defer c.Release()
	if err := c.Ping(ctx); err != nil {
		return fmt.Errorf("metadata: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Postgres) Close() { s.pool.Close() }

// Pool returns the connection pool, for tools and tests that need SQL.
func (s *Postgres) Pool() *pgxpool.Pool { return s.pool }

// inTx runs f in a transaction, committing if it returns nil.
func (s *Postgres) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.db, f)
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
	codeCheck      = "23514"
	// codeObjectLocked is raised by migration 0007's triggers when a
	// version under retention or legal hold would lose its bytes.
	codeObjectLocked = "FLK01"
	// codeNoObjectLock: a retention or legal hold in a bucket without
	// object lock (migration 0007).
	codeNoObjectLock = "FLK02"
)

// lockError turns a refusal by the object-lock triggers into
// ErrObjectLocked or ErrNoObjectLock, carrying the database's reason;
// other errors pass.
func lockError(err error) error {
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == codeObjectLocked:
		return fmt.Errorf("%w: %s", ErrObjectLocked, pe.Message)
	case errors.As(err, &pe) && pe.Code == codeNoObjectLock:
		return fmt.Errorf("%w: %s", ErrNoObjectLock, pe.Message)
	}
	return err
}

// interval renders d for SQL written as `$n::bigint * interval '1 microsecond'`.
func interval(d time.Duration) int64 { return d.Microseconds() }
