package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AccessKey is an S3 access key pair that requests may be signed with.
type AccessKey struct {
	ID     string // the access key ID, e.g. AKIA...
	Secret string // the secret access key
	// User owns the key: requests signed with it act as this user.
	// CreateAccessKey takes empty as DefaultUser.
	User string
	// UserID is User's canonical ID; set by GetAccessKey.
	UserID string
	// Description is free text for the operator; empty means none.
	Description string
	// CreatedAt is set by the store.
	CreatedAt time.Time
}

// MaxAccessKeyIDLen is the longest access key ID, as in AWS IAM.
const MaxAccessKeyIDLen = 128

// CheckAccessKeyID reports whether id can be an access key ID: 1 to
// MaxAccessKeyIDLen characters of A-Z, a-z, 0-9, '-', '_' and '.'. Other
// characters could not be told apart in a SigV4 credential scope
// ("ID/date/region/s3/aws4_request") or an Authorization header.
func CheckAccessKeyID(id string) error {
	if id == "" || len(id) > MaxAccessKeyIDLen {
		return fmt.Errorf("access key ID must be 1 to %d characters long, not %d", MaxAccessKeyIDLen, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("access key ID %q: only A-Z, a-z, 0-9, '-', '_' and '.' are allowed", id)
		}
	}
	return nil
}

// CreateAccessKey stores a new access key pair (its CreatedAt is
// ignored); ErrAccessKeyExists if its ID is taken. The ID must pass
// CheckAccessKeyID and the secret must not be empty.
func (s *Postgres) CreateAccessKey(ctx context.Context, k AccessKey) error {
	if err := CheckAccessKeyID(k.ID); err != nil {
		return fmt.Errorf("metadata: create access key: %w", err)
	}
	if k.Secret == "" {
		return errors.New("metadata: create access key: empty secret")
	}
	for _, f := range []struct{ what, v string }{{"secret key", k.Secret}, {"description", k.Description}} {
		if err := checkText(f.what, f.v); err != nil {
			return fmt.Errorf("metadata: create access key: %w", err)
		}
	}
	if k.User == "" {
		k.User = DefaultUser
	}
	tag, err := s.db.Exec(ctx, `
		INSERT INTO access_keys (access_key_id, secret_key, description, user_name) VALUES ($1, $2, NULLIF($3, ''), $4)
		ON CONFLICT DO NOTHING`, k.ID, k.Secret, k.Description, k.User)
	if code, _ := pgCode(err); code == codeForeignKey {
		return fmt.Errorf("metadata: create access key %s: %w: %s", k.ID, ErrNoSuchUser, k.User)
	}
	if err != nil {
		return fmt.Errorf("metadata: create access key %s: %w", k.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrAccessKeyExists, k.ID)
	}
	return nil
}

// GetAccessKey returns an access key with its secret, or
// ErrNoSuchAccessKey.
func (s *Postgres) GetAccessKey(ctx context.Context, id string) (AccessKey, error) {
	if CheckAccessKeyID(id) != nil {
		// Such an ID is never stored; nor should it reach PostgreSQL,
		// which rejects some strings (NUL, bad UTF-8) with an error.
		return AccessKey{}, fmt.Errorf("%w: %q", ErrNoSuchAccessKey, id)
	}
	k := AccessKey{ID: id}
	err := s.db.QueryRow(ctx, `
		SELECT k.secret_key, coalesce(k.description, ''), k.created_at, k.user_name, u.canonical_id
		FROM access_keys k JOIN users u ON u.name = k.user_name WHERE k.access_key_id = $1`,
		id).Scan(&k.Secret, &k.Description, &k.CreatedAt, &k.User, &k.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return AccessKey{}, fmt.Errorf("%w: %s", ErrNoSuchAccessKey, id)
	}
	if err != nil {
		return AccessKey{}, fmt.Errorf("metadata: get access key %s: %w", id, err)
	}
	return k, nil
}

// ListAccessKeys returns every access key, secrets included, oldest
// first.
func (s *Postgres) ListAccessKeys(ctx context.Context) ([]AccessKey, error) {
	rows, err := s.db.Query(ctx, `
		SELECT access_key_id, secret_key, coalesce(description, ''), created_at, user_name
		FROM access_keys ORDER BY created_at, access_key_id`)
	if err != nil {
		return nil, fmt.Errorf("metadata: list access keys: %w", err)
	}
	ks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AccessKey, error) {
		var k AccessKey
		err := r.Scan(&k.ID, &k.Secret, &k.Description, &k.CreatedAt, &k.User)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: list access keys: %w", err)
	}
	return ks, nil
}

// DeleteAccessKey deletes an access key, or fails with
// ErrNoSuchAccessKey.
func (s *Postgres) DeleteAccessKey(ctx context.Context, id string) error {
	if CheckAccessKeyID(id) != nil {
		return fmt.Errorf("%w: %q", ErrNoSuchAccessKey, id)
	}
	tag, err := s.db.Exec(ctx, `DELETE FROM access_keys WHERE access_key_id = $1`, id)
	if err != nil {
		return fmt.Errorf("metadata: delete access key %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrNoSuchAccessKey, id)
	}
	return nil
}
