package presentation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// problemContentType is the media type of RFC 9457 problem details.
const problemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object. Errors lists every field
// that broke a rule when the problem is a validation failure.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail"`
	Errors []FieldIssue `json:"errors,omitempty"`
}

// FieldIssue is one field and the rule it broke.
type FieldIssue struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

// httpError is an error the HTTP layer itself raises (a body too large, a
// wrong content type) with its status and a client-safe detail.
type httpError struct {
	status int
	detail string
}

func (e *httpError) Error() string { return e.detail }

func newHTTPError(status int, format string, args ...any) error {
	return &httpError{status: status, detail: fmt.Sprintf(format, args...)}
}

// statusError is err answered with another status than its kind's: a
// well-formed webhook payload that breaks a rule is a 422, where a
// validation failure is otherwise a 400.
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// errorKinds is the one table from domain error kind to HTTP status.
var errorKinds = []struct {
	kind   error
	status int
	title  string
}{
	{domain.ErrValidation, http.StatusBadRequest, "Invalid request"},
	{domain.ErrUnauthorized, http.StatusUnauthorized, "Unauthorized"},
	{domain.ErrForbidden, http.StatusForbidden, "Forbidden"},
	{domain.ErrNotFound, http.StatusNotFound, "Not found"},
	{domain.ErrConflict, http.StatusConflict, "Conflict"},
	{domain.ErrUnavailable, http.StatusServiceUnavailable, "Service unavailable"},
	{domain.ErrMisconfigured, http.StatusServiceUnavailable, "Service unavailable"},
}

// problemFor turns any error into the problem a client may see. Unknown
// errors become a generic 500; their text never leaves the server.
func problemFor(err error) Problem {
	var se *statusError
	if errors.As(err, &se) {
		p := problemFor(se.err)
		p.Status, p.Title = se.status, http.StatusText(se.status)
		return p
	}
	var he *httpError
	if errors.As(err, &he) {
		return Problem{Type: "about:blank", Title: http.StatusText(he.status), Status: he.status, Detail: he.detail}
	}
	var ee *echo.HTTPError
	if errors.As(err, &ee) {
		detail := http.StatusText(ee.Code)
		if msg, ok := ee.Message.(string); ok && msg != "" {
			detail = msg
		}
		if ee.Code == http.StatusRequestEntityTooLarge {
			detail = "the request body is larger than 1 MiB"
		}
		return Problem{Type: "about:blank", Title: http.StatusText(ee.Code), Status: ee.Code, Detail: detail}
	}
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		p := Problem{Type: "about:blank", Title: "Invalid request", Status: http.StatusBadRequest}
		parts := make([]string, 0, len(ve.Fields))
		for _, f := range ve.Fields {
			p.Errors = append(p.Errors, FieldIssue{Field: f.Field, Rule: f.Rule})
			parts = append(parts, f.Field+": "+f.Rule)
		}
		p.Detail = strings.Join(parts, "; ")
		return p
	}
	var fe domain.FieldError
	if errors.As(err, &fe) {
		return Problem{Type: "about:blank", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: fe.Error(), Errors: []FieldIssue{{Field: fe.Field, Rule: fe.Rule}}}
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.kind) {
			return Problem{Type: "about:blank", Title: k.title, Status: k.status, Detail: clientDetail(err, k.kind)}
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Problem{Type: "about:blank", Title: "Service unavailable", Status: http.StatusServiceUnavailable, Detail: "the request was cancelled or timed out"}
	}
	return Problem{Type: "about:blank", Title: "Internal server error", Status: http.StatusInternalServerError, Detail: "an unexpected error occurred; it has been logged"}
}

// clientDetail is the text a client sees for a classified error. Only
// validation messages, written for clients, pass through as they are;
// other kinds get a fixed sentence, so driver errors, hosts and file names
// never leave the server. Handlers that know more say it with httpError.
func clientDetail(err error, kind error) string {
	switch kind {
	case domain.ErrUnavailable:
		return "a service this request depends on is unavailable; try again later"
	case domain.ErrMisconfigured:
		return "the server is misconfigured for this request; the operator has been told in the log"
	case domain.ErrUnauthorized:
		if errors.Is(err, application.ErrInvalidCredentials) {
			return "invalid email or password"
		}
		return "a valid bearer token is required"
	case domain.ErrNotFound:
		return "the requested resource does not exist"
	case domain.ErrConflict:
		return "the request conflicts with existing data"
	case domain.ErrForbidden:
		return "this action is not allowed"
	case domain.ErrValidation:
		// A validation kind without field details comes from below the
		// use cases (a database CHECK); its text is not for clients.
		return "the request broke a rule of the stored data"
	}
	return http.StatusText(http.StatusInternalServerError)
}

// writeProblem writes p as application/problem+json.
func writeProblem(c echo.Context, p Problem) error {
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="moviediary"`)
	}
	c.Response().Header().Set(echo.HeaderContentType, problemContentType)
	c.Response().WriteHeader(p.Status)
	return encodeJSON(c.Response(), p)
}

// logError logs what the client will not see: every 5xx in full.
func logError(logger *slog.Logger, c echo.Context, err error, status int) {
	if status < 500 {
		return
	}
	logger.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
		slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		slog.String("method", c.Request().Method),
		slog.String("route", c.Path()),
		slog.Int("status", status),
		slog.String("error", err.Error()))
}
