package presentation

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/domain"
)

// maxBodyBytes caps every request body: 1 MiB, 1,048,576 bytes.
const maxBodyBytes = 1 << 20

// errBodyTooLarge is the answer to a body over maxBodyBytes.
var errBodyTooLarge = newHTTPError(http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")

// errBodyTimeout is the answer to a body that did not arrive before the
// server's read timeout: the client is still there, waiting for an answer.
var errBodyTimeout = newHTTPError(http.StatusRequestTimeout, "the request body did not arrive in time")

// bodyReadError classifies an error reading a request body: over the limit
// (413), cut off by the read timeout (408), or anything else (400).
func bodyReadError(err error) error {
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return errBodyTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return errBodyTimeout
	}
	return newHTTPError(http.StatusBadRequest, "the request body could not be read")
}

// isBodyLimitOrTimeout reports whether err is the 413 or the 408 of
// bodyReadError.
func isBodyLimitOrTimeout(err error) bool {
	return errors.Is(err, errBodyTooLarge) || errors.Is(err, errBodyTimeout)
}

// decodeJSON reads a JSON object into dst strictly: the content type must
// be JSON (415), the body at most 1 MiB (413), and it must hold exactly one
// object of the expected shape (400, naming the field with the wrong type
// or the unknown field).
func decodeJSON(c echo.Context, dst any) error {
	req := c.Request()
	mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return newHTTPError(http.StatusUnsupportedMediaType, "the request body must be JSON (Content-Type: application/json)")
	}
	// bodyLimit already caps the body; this keeps decodeJSON safe on its own.
	body := http.MaxBytesReader(c.Response().Writer, req.Body, maxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return jsonError(err)
		}
		return newHTTPError(http.StatusBadRequest, "the request body must hold a single JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &netErr):
		return bodyReadError(err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return newHTTPError(http.StatusBadRequest, "the request body must be a JSON object")
		}
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: field, Rule: "must be " + jsonKind(typ.Type.Kind().String())}}}
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return newHTTPError(http.StatusBadRequest, "the request body is not valid JSON")
	case errors.Is(err, io.EOF):
		return newHTTPError(http.StatusBadRequest, "the request body is empty; a JSON object is required")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: name, Rule: "is not a known field"}}}
	}
	return bodyReadError(err)
}

func jsonKind(kind string) string {
	switch kind {
	case "int", "int64", "int32":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "string":
		return "a string"
	case "ptr":
		return "a value of the documented type"
	}
	return "of the documented type"
}
