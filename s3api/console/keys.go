package console

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/floe-s3/floe/metadata"
)

// maxDescription bounds a key's description, in bytes.
const maxDescription = 256

// keyView is an access key as the API lists it: never its secret.
type keyView struct {
	AccessKeyID string    `json:"accessKeyId"`
	User        string    `json:"user"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"createdAt"`
	// Current marks the key the request was signed with.
	Current bool `json:"current"`
}

// newKey is the answer of a key creation: the one time the secret is
// shown.
type newKey struct {
	keyView
	SecretAccessKey string `json:"secretAccessKey"`
}

// listKeys lists the caller's keys, or every key for the admin.
func (h *Handler) listKeys(ctx context.Context, c caller) ([]keyView, error) {
	ks, err := h.cfg.Store.ListAccessKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := []keyView{}
	for _, k := range ks {
		if c.admin || k.User == c.User {
			out = append(out, keyView{AccessKeyID: k.ID, User: k.User, Description: k.Description,
				CreatedAt: k.CreatedAt.UTC(), Current: k.ID == c.AccessKeyID})
		}
	}
	return out, nil
}

// createKeyRequest is the body of POST api/keys.
type createKeyRequest struct {
	Description string `json:"description"`
	// User the key is for: empty for the caller; only the admin may name
	// another.
	User string `json:"user"`
}

// createKey creates a random key pair for the caller (or, for the admin,
// the user it names).
func (h *Handler) createKey(ctx context.Context, c caller, body []byte) (newKey, error) {
	var req createKeyRequest
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return newKey{}, &apiError{Status: http.StatusBadRequest, Code: "MalformedJSON", Message: err.Error()}
		}
	}
	user := c.User
	if req.User != "" && req.User != c.User {
		if !c.admin {
			return newKey{}, forbidden("only the " + metadata.DefaultUser + " user creates keys for others")
		}
		user = req.User
	}
	// Control characters (NUL, which PostgreSQL refuses, among them)
	// have no place in a one-line note and would garble `key list`.
	if len(req.Description) > maxDescription || !utf8.ValidString(req.Description) ||
		strings.ContainsFunc(req.Description, unicode.IsControl) {
		return newKey{}, &apiError{Status: http.StatusBadRequest, Code: "InvalidArgument",
			Message: "the description must be one line of valid UTF-8, at most 256 bytes"}
	}
	if metadata.CheckUserName(user) != nil {
		return newKey{}, &apiError{Status: http.StatusNotFound, Code: "NoSuchUser", Message: "no user " + user}
	}
	id, secret, err := newKeyPair()
	if err != nil {
		return newKey{}, err
	}
	k := metadata.AccessKey{ID: id, Secret: secret, User: user, Description: req.Description}
	err = h.cfg.Store.CreateAccessKey(ctx, k)
	if errors.Is(err, metadata.ErrNoSuchUser) {
		return newKey{}, &apiError{Status: http.StatusNotFound, Code: "NoSuchUser", Message: "no user " + user}
	}
	if err != nil {
		return newKey{}, err
	}
	h.cfg.Logger.Info().Str("ak", c.AccessKeyID).Str("user", user).Str("key", id).Msg("console: access key created")
	return newKey{keyView: keyView{AccessKeyID: id, User: user, Description: req.Description, CreatedAt: time.Now().UTC()},
		SecretAccessKey: secret}, nil
}

// deleted is the answer of a key deletion.
type deleted struct {
	Deleted string `json:"deleted"`
}

// deleteKey deletes one of the caller's keys (any key, for the admin).
// Another user's key answers as a missing one does: a user learns nothing
// of others' keys.
func (h *Handler) deleteKey(ctx context.Context, c caller, id string) (deleted, error) {
	notFound := &apiError{Status: http.StatusNotFound, Code: "NoSuchAccessKey", Message: "no access key " + id}
	k, err := h.cfg.Store.GetAccessKey(ctx, id)
	if errors.Is(err, metadata.ErrNoSuchAccessKey) {
		return deleted{}, notFound
	}
	if err != nil {
		return deleted{}, err
	}
	if !c.admin && k.User != c.User {
		return deleted{}, notFound
	}
	err = h.cfg.Store.DeleteAccessKey(ctx, id)
	if errors.Is(err, metadata.ErrNoSuchAccessKey) {
		return deleted{}, notFound
	}
	if err != nil {
		return deleted{}, err
	}
	h.cfg.Logger.Info().Str("ak", c.AccessKeyID).Str("key", id).Msg("console: access key deleted")
	return deleted{Deleted: id}, nil
}

// newKeyPair returns a random access key pair shaped like `floe admin
// key create` makes them: "FLOE" and 16 base32 characters, and a
// 40-character secret.
func newKeyPair() (id, secret string, err error) {
	idBytes, secretBytes := make([]byte, 10), make([]byte, 30)
	if _, err := rand.Read(idBytes); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(secretBytes); err != nil {
		return "", "", err
	}
	return "FLOE" + base32.StdEncoding.EncodeToString(idBytes), base64.StdEncoding.EncodeToString(secretBytes), nil
}
