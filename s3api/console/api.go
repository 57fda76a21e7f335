package console

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api"
	"github.com/floe-s3/floe/s3api/s3err"
)

// maxBody bounds an API request's body: the largest is a key's
// description.
const maxBody = 16 << 10

// apiError is an API answer other than success: its JSON body and status.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// forbidden is the error of a request the caller may not make.
func forbidden(msg string) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "AccessDenied", Message: msg}
}

// caller is who signed an API request.
type caller struct {
	s3api.Auth
	admin bool
}

// serveAPI answers the JSON endpoints; name is the path after "api/".
func (h *Handler) serveAPI(w http.ResponseWriter, r *http.Request, name string) {
	start := time.Now()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	c, body, err := h.authenticate(r)
	var out any
	if err == nil {
		out, err = h.route(r, c, name, body)
	}
	status := http.StatusOK
	// Logged as the gateway logs S3 requests: who did what, and how it
	// went.
	defer func() {
		h.cfg.Logger.Info().Str("method", r.Method).Str("api", name).Str("ak", c.AccessKeyID).
			Int("status", status).Dur("dur", time.Since(start)).Msg("console")
	}()
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			h.cfg.Logger.Error().Err(err).Str("path", r.URL.Path).Msg("console API")
			ae = &apiError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "internal error; see the gateway's log"}
			if metadata.IsUnavailable(err) {
				ae = &apiError{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "the metadata store is unavailable; retry"}
				w.Header().Set("Retry-After", "1")
			}
		}
		status = ae.Status
		writeJSON(w, status, ae)
		return
	}
	writeJSON(w, status, out)
}

// authenticate checks r's SigV4 Authorization header with the gateway's
// Authenticator and that its body is what x-amz-content-sha256 signs,
// and returns the body. Anonymous and presigned requests are refused: the
// API is for the console's page, which signs headers.
func (h *Handler) authenticate(r *http.Request) (caller, []byte, error) {
	if r.Header.Get("Authorization") == "" {
		return caller{}, nil, forbidden("the console API needs a SigV4-signed Authorization header")
	}
	if h.cfg.Auth == nil {
		return caller{}, nil, forbidden("no authenticator configured")
	}
	a, err := h.cfg.Auth.Authenticate(r)
	if err != nil {
		if metadata.IsUnavailable(err) {
			return caller{}, nil, err
		}
		e := s3err.From(err)
		msg := e.Message
		if msg == "" {
			msg = e.Code.Message
		}
		if e.Code == s3err.InternalError {
			return caller{}, nil, err
		}
		return caller{}, nil, &apiError{Status: http.StatusForbidden, Code: e.Code.Name, Message: msg}
	}
	if a.Anonymous || a.User == "" {
		// A User is what every key in the store has; none means the
		// request proved no identity (AcceptAll in tests).
		return caller{}, nil, forbidden("the console API needs a signed request")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return caller{}, nil, &apiError{Status: http.StatusBadRequest, Code: "IncompleteBody", Message: err.Error()}
	}
	if len(body) > maxBody {
		return caller{}, nil, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "EntityTooLarge", Message: "request body too large"}
	}
	// The signature covers the header, not the body: only the header
	// matching the body ties the body to the signature.
	sum := sha256.Sum256(body)
	if !strings.EqualFold(r.Header.Get("X-Amz-Content-Sha256"), hex.EncodeToString(sum[:])) {
		return caller{}, nil, forbidden("x-amz-content-sha256 must be the SHA-256 of the body")
	}
	return caller{Auth: a, admin: a.User == metadata.DefaultUser}, body, nil
}

// route dispatches an authenticated API request.
func (h *Handler) route(r *http.Request, c caller, name string, body []byte) (any, error) {
	method := r.Method
	switch {
	case name == "whoami" && method == http.MethodGet:
		return whoami{AccessKeyID: c.AccessKeyID, User: c.User, UserID: c.UserID, Admin: c.admin}, nil
	case name == "cluster" && method == http.MethodGet:
		if !c.admin {
			return nil, forbidden("the cluster view is for the " + metadata.DefaultUser + " user")
		}
		return h.cluster(r.Context())
	case name == "traffic" && method == http.MethodGet:
		if !c.admin {
			return nil, forbidden("traffic is for the " + metadata.DefaultUser + " user")
		}
		return h.traffic(), nil
	case name == "keys" && method == http.MethodGet:
		return h.listKeys(r.Context(), c)
	case name == "keys" && method == http.MethodPost:
		return h.createKey(r.Context(), c, body)
	case strings.HasPrefix(name, "keys/") && method == http.MethodDelete:
		return h.deleteKey(r.Context(), c, strings.TrimPrefix(name, "keys/"))
	case name == "whoami" || name == "cluster" || name == "traffic" || name == "keys" || strings.HasPrefix(name, "keys/"):
		return nil, &apiError{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed", Message: method + " is not allowed here"}
	}
	return nil, &apiError{Status: http.StatusNotFound, Code: "NotFound", Message: "no such console API: " + name}
}

// whoami is the answer of api/whoami, which the page's sign-in calls.
type whoami struct {
	AccessKeyID string `json:"accessKeyId"`
	User        string `json:"user"`
	UserID      string `json:"userId"`
	Admin       bool   `json:"admin"`
}

// writeJSON sends v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"InternalError","message":"encoding the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
