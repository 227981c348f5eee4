package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/solarhub/hubdb/dbx"
)

// statusError is an error with the status code and the reason to show the
// client.
type statusError struct {
	status int
	reason string
}

func (e *statusError) Error() string { return e.reason }

func badRequest(format string, args ...any) error {
	return &statusError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &statusError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) error {
	return &statusError{http.StatusConflict, fmt.Sprintf(format, args...)}
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// RetryAfterSeconds is the Retry-After of a 503 caused by a pool timeout.
const RetryAfterSeconds = "1"

// writeError maps err to a status code and writes it as JSON. Unexpected
// errors are logged and shown as "internal error"; dbx errors carry no
// DSN, but their text stays in the log, not the response.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se *statusError
	switch {
	case errors.As(err, &se):
		writeJSON(w, se.status, errorBody{se.reason})
	case errors.Is(err, dbx.ErrDuplicateKey):
		writeJSON(w, http.StatusConflict, errorBody{"already stored: a row with the same key exists (nothing of this request was stored)"})
	case errors.Is(err, dbx.ErrPoolTimeout):
		s.log.Warn("api: pool timeout", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", RetryAfterSeconds)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"database busy, retry later"})
	case errors.Is(err, context.Canceled):
		// the client went away (net/http cancels the request's context):
		// nobody reads a response
		s.log.Debug("api: request canceled", "path", r.URL.Path)
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("api: request deadline exceeded", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusGatewayTimeout, errorBody{"request timed out"})
	default:
		s.log.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{"internal error"})
	}
}
