// Package mediaserver reads the webhooks media servers post when a film is
// played: Plex (Plex Pass webhooks), Jellyfin (jellyfin-plugin-webhook) and
// Emby. Parse turns one request body into the application's
// ReportPlayCommand, or says the payload reports nothing to log.
//
// What each server sends:
//
//   - Plex posts multipart/form-data: the event JSON in the form field
//     "payload", often followed by a "thumb" file part (a JPEG poster). The
//     thumbnail is skipped as it streams past, never held in memory, but it
//     counts against MaxPlexBodyBytes. A bare JSON body is accepted too.
//   - Jellyfin's plugin posts a JSON body (its "Generic" destination with
//     "Send All Properties", or the default template's field names).
//   - Emby posts a JSON body, or multipart/form-data with the JSON in the
//     form field "data".
//
// A body that is not multipart is read as JSON whatever its Content-Type
// says (servers and proxies send text/plain, or none); a UTF-8 byte-order
// mark before the JSON is skipped, unknown fields are ignored.
//
// IMDb IDs a server gives are kept only when they are IMDb title IDs
// (domain.ParseExternalMetadataID accepts them): a malformed one is
// dropped, so that the title and year still name the film.
package mediaserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// ErrMalformed is wrapped by the errors of Parse for a body that is not what
// the media server sends: invalid JSON, a JSON value that is not an object,
// a multipart body without boundary or without the form field that carries
// the JSON, a field of the wrong type. It also wraps a failure to read the
// body (along with the reader's error).
var ErrMalformed = errors.New("mediaserver: malformed webhook payload")

// ErrTooLarge is wrapped by the errors of Parse for a body, or a JSON form
// field, over its bound (MaxPayloadBytes, MaxPlexBodyBytes).
var ErrTooLarge = errors.New("mediaserver: webhook payload too large")

// MaxPayloadBytes bounds any JSON payload: a JSON body, the JSON form field
// of a multipart body, and the whole multipart body of Emby.
const MaxPayloadBytes = 1 << 20

// MaxPlexBodyBytes bounds a Plex multipart body, thumbnail included: Plex
// attaches the film's poster as a JPEG, usually well under 1 MiB; 16 MiB
// leaves room for any poster while keeping a runaway upload short. The
// payload field inside it is still bounded by MaxPayloadBytes.
const MaxPlexBodyBytes = 16 << 20

// Parse reads the body of a webhook request from source and returns the play
// it reports. ignore is true for a well-formed payload that logs nothing
// (another event type, an item that is not a movie, playback not
// completed, a rating removed). A payload that is not what the source sends
// is an error wrapping ErrMalformed; a body or part over its bound one
// wrapping ErrTooLarge. A payload naming neither an IMDb ID nor a title is
// not an error here: the command is returned, for the use case to refuse.
// contentType is the request's Content-Type header, "" when it had none.
func Parse(source domain.WebhookSource, contentType string, body io.Reader) (cmd application.ReportPlayCommand, ignore bool, err error) {
	var (
		field string // the multipart form field holding the JSON
		bound int64  = MaxPayloadBytes
		parse func([]byte) (application.ReportPlayCommand, bool, error)
	)
	switch source {
	case domain.SourcePlex:
		field, bound, parse = "payload", MaxPlexBodyBytes, parsePlex
	case domain.SourceJellyfin:
		parse = parseJellyfin
	case domain.SourceEmby:
		field, parse = "data", parseEmby
	default:
		return application.ReportPlayCommand{}, false, fmt.Errorf("mediaserver: unknown source %q", source)
	}
	payload, err := readPayload(source, contentType, body, field, bound)
	if err != nil {
		return application.ReportPlayCommand{}, false, err
	}
	payload = bytes.TrimPrefix(payload, []byte("\uFEFF"))
	if trimmed := bytes.TrimSpace(payload); len(trimmed) == 0 || trimmed[0] != '{' {
		return application.ReportPlayCommand{}, false, fmt.Errorf("%w: %s payload is not a JSON object", ErrMalformed, source)
	}
	cmd, ignore, err = parse(payload)
	if err != nil {
		return application.ReportPlayCommand{}, false, fmt.Errorf("%w: %s payload: %v", ErrMalformed, source, err)
	}
	if ignore {
		return application.ReportPlayCommand{}, true, nil
	}
	return cmd, false, nil
}

// readPayload returns the JSON of a webhook body: the body itself, or the
// form field field of a multipart body ("" when source never sends
// multipart). A multipart body is bounded by bound as a whole.
func readPayload(source domain.WebhookSource, contentType string, body io.Reader, field string, bound int64) ([]byte, error) {
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "multipart/") {
		return readBounded(body, MaxPayloadBytes, "body")
	}
	if field == "" {
		return nil, fmt.Errorf("%w: %s sends JSON, not multipart", ErrMalformed, source)
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("%w: Content-Type %q: %v", ErrMalformed, contentType, err)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, fmt.Errorf("%w: multipart body without boundary", ErrMalformed)
	}
	// Let one byte past the bound through, to tell a body of exactly bound
	// bytes from a longer one.
	limited := &io.LimitedReader{R: body, N: bound + 1}
	overBound := func(err error) error {
		if limited.N == 0 {
			return fmt.Errorf("%w: multipart body over %d bytes", ErrTooLarge, bound)
		}
		return fmt.Errorf("%w: multipart body: %w", ErrMalformed, err)
	}
	mr := multipart.NewReader(limited, boundary)
	var payload []byte
	found := false
	for {
		// NextPart skips what is left of the previous part (a thumbnail) by
		// streaming it through a small buffer.
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, overBound(err)
		}
		if found || !strings.EqualFold(part.FormName(), field) {
			continue
		}
		payload, err = readBounded(part, MaxPayloadBytes, fmt.Sprintf("form field %q", field))
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, err
			}
			return nil, overBound(err)
		}
		found = true
	}
	if limited.N == 0 {
		return nil, overBound(nil)
	}
	if !found {
		return nil, fmt.Errorf("%w: multipart body without the form field %q", ErrMalformed, field)
	}
	return payload, nil
}

// readBounded reads all of r, failing with ErrTooLarge past max bytes; what
// names the data in errors.
func readBounded(r io.Reader, max int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the %s: %w", ErrMalformed, what, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: %s over %d bytes", ErrTooLarge, what, max)
	}
	return data, nil
}
