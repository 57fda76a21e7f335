package metadata

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultUser owns what was created before Floe had users, and the keys
// and buckets created without naming a user. Migration 0011 creates it.
const DefaultUser = "admin"

// MaxUserNameLen is the longest user name, as in AWS IAM.
const MaxUserNameLen = 64

// User is an account: it owns access keys and buckets.
type User struct {
	Name string
	// CanonicalID is the user's ID in S3 listings and ACLs: 64 hex
	// digits, random, so a user recreated under an old name is another.
	CanonicalID string
	CreatedAt   time.Time
	// Keys and Buckets count what the user owns; set by ListUsers only.
	Keys, Buckets int
}

// Errors of the user methods.
var (
	ErrUserExists = errors.New("metadata: user already exists")
	ErrNoSuchUser = errors.New("metadata: no such user")
	// ErrUserOwnsBuckets: DeleteUser was asked to delete a user that
	// still owns buckets; they must be deleted first.
	ErrUserOwnsBuckets = errors.New("metadata: user still owns buckets")
)

// CheckUserName reports whether name can be a user name: 1 to
// MaxUserNameLen characters of A-Z, a-z, 0-9 and "+=,.@_-", as IAM allows,
// so that it can stand in a policy's principal ARN (arn:aws:iam:::user/NAME).
func CheckUserName(name string) error {
	if name == "" || len(name) > MaxUserNameLen {
		return fmt.Errorf("user name must be 1 to %d characters long, not %d", MaxUserNameLen, len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		switch c {
		case '+', '=', ',', '.', '@', '_', '-':
			ok = true
		}
		if !ok {
			return fmt.Errorf("user name %q: only A-Z, a-z, 0-9 and +=,.@_- are allowed", name)
		}
	}
	return nil
}

// CreateUser creates a user with a new random canonical ID;
// ErrUserExists if the name is taken.
func (s *Postgres) CreateUser(ctx context.Context, name string) (User, error) {
	if err := CheckUserName(name); err != nil {
		return User{}, fmt.Errorf("metadata: create user: %w", err)
	}
	var id [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return User{}, fmt.Errorf("metadata: create user %s: %w", name, err)
	}
	u := User{Name: name, CanonicalID: hex.EncodeToString(id[:])}
	err := s.db.QueryRow(ctx, `
		INSERT INTO users (name, canonical_id) VALUES ($1, $2)
		ON CONFLICT DO NOTHING RETURNING created_at`, u.Name, u.CanonicalID).Scan(&u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("%w: %s", ErrUserExists, name)
	}
	if err != nil {
		return User{}, fmt.Errorf("metadata: create user %s: %w", name, err)
	}
	return u, nil
}

// GetUser returns a user, or ErrNoSuchUser.
func (s *Postgres) GetUser(ctx context.Context, name string) (User, error) {
	if CheckUserName(name) != nil {
		return User{}, fmt.Errorf("%w: %q", ErrNoSuchUser, name)
	}
	u := User{Name: name}
	err := s.db.QueryRow(ctx, `SELECT canonical_id, created_at FROM users WHERE name = $1`, name).
		Scan(&u.CanonicalID, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("%w: %s", ErrNoSuchUser, name)
	}
	if err != nil {
		return User{}, fmt.Errorf("metadata: get user %s: %w", name, err)
	}
	return u, nil
}

// ListUsers returns every user in name order, with how many keys and
// buckets each owns.
func (s *Postgres) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, `
		SELECT u.name, u.canonical_id, u.created_at,
			(SELECT count(*) FROM access_keys k WHERE k.user_name = u.name),
			(SELECT count(*) FROM buckets b WHERE b.owner = u.name)
		FROM users u ORDER BY u.name`)
	if err != nil {
		return nil, fmt.Errorf("metadata: list users: %w", err)
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) {
		var u User
		err := r.Scan(&u.Name, &u.CanonicalID, &u.CreatedAt, &u.Keys, &u.Buckets)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: list users: %w", err)
	}
	return us, nil
}

// DeleteUser deletes a user and its access keys: ErrUserOwnsBuckets while
// it owns a bucket, ErrNoSuchUser if there is none.
func (s *Postgres) DeleteUser(ctx context.Context, name string) error {
	if CheckUserName(name) != nil {
		return fmt.Errorf("%w: %q", ErrNoSuchUser, name)
	}
	tag, err := s.db.Exec(ctx, `DELETE FROM users WHERE name = $1`, name)
	if code, _ := pgCode(err); code == codeForeignKey {
		return fmt.Errorf("%w: %s", ErrUserOwnsBuckets, name)
	}
	if err != nil {
		return fmt.Errorf("metadata: delete user %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrNoSuchUser, name)
	}
	return nil
}
