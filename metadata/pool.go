package metadata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrUnavailable means the database could not be reached: no connection
// was to be had within the store's wait (see Options.Wait), or the one in
// use broke. It is a service condition, not a bug: the caller may retry
// later. IsUnavailable recognises it and the driver errors that mean the
// same.
var ErrUnavailable = errors.New("metadata database unavailable")

// DefaultWait is how long a statement waits for a database connection by
// default before failing with ErrUnavailable.
const DefaultWait = 5 * time.Second

// IsUnavailable reports whether err means the database was unreachable or
// went away mid-statement (as opposed to refusing the statement): refused
// or broken connections, a server shutting down or starting up, too many
// clients, or ErrUnavailable itself. A caller's own cancelled context is
// not unavailability.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "08": // connection_exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // admin or crash shutdown, cannot connect now
			return true
		case pe.Code == "53300": // too_many_connections
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// waitPool is the connection pool with a bound on how long a statement
// waits for a connection. pgxpool waits for as long as the caller's
// context lets it, so while the database is away every request would
// queue for a connection until its client gave up; with the bound it fails
// fast with ErrUnavailable and the gateway answers 503.
type waitPool struct {
	pool *pgxpool.Pool
	wait time.Duration
}

// acquire takes a connection, waiting at most p.wait.
func (p waitPool) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, p.wait)
	defer cancel()
	c, err := p.pool.Acquire(actx)
	if err == nil {
		return c, nil
	}
	if ctx.Err() == nil && actx.Err() != nil {
		return nil, fmt.Errorf("%w: no connection within %v: %w", ErrUnavailable, p.wait, err)
	}
	if ctx.Err() == nil && IsUnavailable(err) {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil, err
}

// Exec runs sql on a pooled connection.
func (p waitPool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer c.Release()
	return c.Exec(ctx, sql, args...)
}

// Query runs sql on a pooled connection, released when the rows are
// closed or read to the end.
func (p waitPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		c.Release()
		return nil, err
	}
	return &releasingRows{Rows: rows, conn: c}, nil
}

// QueryRow runs sql on a pooled connection, released by Scan.
func (p waitPool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c, err := p.acquire(ctx)
	if err != nil {
		return errRow{err}
	}
	return releasingRow{row: c.QueryRow(ctx, sql, args...), conn: c}
}

// Begin starts a transaction on a pooled connection, released when the
// transaction ends.
func (p waitPool) Begin(ctx context.Context) (pgx.Tx, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		c.Release()
		return nil, err
	}
	return &releasingTx{Tx: tx, conn: c}, nil
}

// releasingRows releases its connection once the rows are done.
type releasingRows struct {
	pgx.Rows
	conn *pgxpool.Conn
}

func (r *releasingRows) release() {
	if r.conn != nil {
		r.conn.Release()
		r.conn = nil
	}
}

// Next implements pgx.Rows; the last Next closes the rows, so it releases.
func (r *releasingRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.release()
	return false
}

// Close implements pgx.Rows.
func (r *releasingRows) Close() {
	r.Rows.Close()
	r.release()
}

// releasingRow releases its connection after the scan.
type releasingRow struct {
	row  pgx.Row
	conn *pgxpool.Conn
}

// Scan implements pgx.Row.
func (r releasingRow) Scan(dest ...any) error {
	defer r.conn.Release()
	return r.row.Scan(dest...)
}

// errRow is a row that failed before its query ran.
type errRow struct{ err error }

// Scan implements pgx.Row.
func (r errRow) Scan(...any) error { return r.err }

// releasingTx releases its connection when the transaction ends.
type releasingTx struct {
	pgx.Tx
	conn *pgxpool.Conn
}

func (t *releasingTx) release() {
	if t.conn != nil {
		t.conn.Release()
		t.conn = nil
	}
}

// Commit implements pgx.Tx.
func (t *releasingTx) Commit(ctx context.Context) error {
	err := t.Tx.Commit(ctx)
	t.release()
	return err
}

// Rollback implements pgx.Tx. pgx.BeginFunc rolls back after a commit, as
// a no-op; the connection is released once.
func (t *releasingTx) Rollback(ctx context.Context) error {
	err := t.Tx.Rollback(ctx)
	t.release()
	return err
}
