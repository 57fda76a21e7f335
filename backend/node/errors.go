package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/floe-s3/floe/backend/shardfile"
)

// apiError is an error the server reports to the client as is.
type apiError struct {
	code string
	msg  string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func apiErr(code, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// toAPIError maps an error from a handler to the code sent to the client.
func toAPIError(err error) *apiError {
	var ae *apiError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, shardfile.ErrNotFound):
		return &apiError{CodeNotFound, err.Error()}
	case errors.Is(err, shardfile.ErrCorrupt):
		return &apiError{CodeShardCorrupt, err.Error()}
	case errors.Is(err, shardfile.ErrBadDigest):
		return &apiError{CodeBadDigest, err.Error()}
	case errors.Is(err, shardfile.ErrConflict):
		return &apiError{CodeConflict, err.Error()}
	case errors.Is(err, shardfile.ErrInsufficientStorage):
		return &apiError{CodeInsufficientStorage, err.Error()}
	case errors.Is(err, shardfile.ErrInvalidRange):
		return &apiError{CodeInvalidRange, err.Error()}
	case errors.Is(err, shardfile.ErrInvalid), errors.Is(err, shardfile.ErrTooLarge), errors.As(err, &tooBig):
		return &apiError{CodeBadRequest, err.Error()}
	}
	return &apiError{CodeInternal, err.Error()}
}

// writeError sends err as a JSON error response. Internal errors are
// logged, as is every detected corruption.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	var ce *shardfile.CorruptError
	if errors.As(err, &ce) {
		s.recordCorrupt(ce)
	}
	if ae.code == CodeInternal {
		s.log.Error().Err(err).Str("method", r.Method).Str("path", r.URL.Path).Msg("request failed")
	}
	h := w.Header()
	h.Set(HeaderError, ae.code)
	h.Set("Content-Type", contentTypeJSON)
	h.Del("Content-Length")
	status, ok := codeStatus[ae.code]
	if !ok {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Code: ae.code, Message: ae.msg})
}
