package presentation

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/domain"
)

// maxBodyBytes caps every request body.
const maxBodyBytes = 1 << 20

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
	body := http.MaxBytesReader(c.Response(), req.Body, maxBodyBytes)
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
	switch {
	case errors.As(err, &tooLarge):
		return newHTTPError(http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
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
	return newHTTPError(http.StatusBadRequest, "the request body could not be read: %v", err)
}

func jsonKind(kind string) string {
	switch kind {
	case "int", "int64", "int32":
		return "an integer"
	case "string":
		return "a string"
	case "ptr":
		return "a value of the documented type"
	}
	return "of the documented type"
}
