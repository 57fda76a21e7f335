package metadata

import (
	"context"
	"fmt"

	"github.com/floe-s3/floe/migrations"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrateLockKey is the pg_advisory_lock key that serializes Migrate across
// processes: "floemigr" in ASCII.
const migrateLockKey int64 = 0x666c6f656d696772

// Migrate applies the migrations the database lacks, each in its own
// transaction, recording them in schema_migrations. Gateways starting
// together are serialized by an advisory lock, so each migration runs once.
// It fails with ErrSchemaTooNew if the database holds a migration this
// binary does not know, and refuses a database whose encoding is not UTF8.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	all, err := migrations.All()
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("metadata: migrate: %w", err)
	}
	defer conn.Release()

	// A session lock, held across the per-migration transactions.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("metadata: migrate: taking lock: %w", err)
	}
	defer func() {
		// Use a fresh context: ctx may be why we are leaving. If unlocking
		// fails, closing the connection releases the lock.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	var encoding string
	if err := conn.QueryRow(ctx, `SHOW server_encoding`).Scan(&encoding); err != nil {
		return fmt.Errorf("metadata: migrate: %w", err)
	}
	if encoding != "UTF8" {
		return fmt.Errorf("metadata: migrate: database encoding is %s; Floe needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)", encoding)
	}

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    int PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("metadata: migrate: creating schema_migrations: %w", err)
	}
	applied, err := appliedMigrations(ctx, conn.Conn())
	if err != nil {
		return err
	}
	newest := 0
	for v := range applied {
		newest = max(newest, v)
	}
	if newest > len(all) {
		return fmt.Errorf("%w: database has migration %04d_%s, this binary knows up to %04d", ErrSchemaTooNew, newest, applied[newest], len(all))
	}
	for v, name := range applied {
		if v < 1 {
			return fmt.Errorf("metadata: migrate: schema_migrations holds version %d", v)
		}
		if want := all[v-1].Name; name != want {
			return fmt.Errorf("metadata: migrate: database has migration %04d_%s where this binary has %04d_%s", v, name, v, want)
		}
	}
	for _, m := range all {
		if _, ok := applied[m.Version]; ok {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// No arguments: pgx sends the file with the simple protocol,
			// which runs several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("metadata: migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// appliedMigrations returns schema_migrations as version → name.
func appliedMigrations(ctx context.Context, conn *pgx.Conn) (map[int]string, error) {
	rows, err := conn.Query(ctx, `SELECT version, name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("metadata: migrate: reading schema_migrations: %w", err)
	}
	applied := make(map[int]string)
	var (
		v    int
		name string
	)
	_, err = pgx.ForEachRow(rows, []any{&v, &name}, func() error {
		applied[v] = name
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: migrate: reading schema_migrations: %w", err)
	}
	return applied, nil
}
