package presentation

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/adapters/mediaserver"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// webhooksPrefix is where media servers post plays:
// /webhooks/{source}/{secret}.
const webhooksPrefix = "/webhooks/"

// WebhookURL is the absolute URL a media server posts the plays of a
// webhook to: base (Config.BaseURL, whose path, if any, is kept as a
// prefix) joined with /webhooks/{source}/{secret}. The CLI shows the same
// URL as the API.
func WebhookURL(base *url.URL, source domain.WebhookSource, secret string) string {
	u := *base
	u.Path = strings.TrimRight(base.Path, "/") + webhooksPrefix + string(source) + "/" + secret
	u.RawPath = ""
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// registerWebhooks mounts the receiver media servers post to. It takes no
// bearer token, session or CSRF token: the secret in its URL is the
// credential.
func (s *server) registerWebhooks(e *echo.Echo) {
	e.POST(webhooksPrefix+":source/:secret", s.receiveWebhook, machineClient)
}

// machineClient makes the errors of next problem+json whatever the
// client's Accept header says: media servers are programs, and send
// "Accept: */*" or none, which would otherwise get an HTML error page.
func machineClient(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Request().Header.Set(echo.HeaderAccept, problemContentType)
		return next(c)
	}
}

// errNoWebhook is the one answer to a URL that names no webhook: unknown
// source, a secret never issued, rotated or deleted — no hint which.
var errNoWebhook = newHTTPError(http.StatusNotFound, "no webhook at this URL")

// isWebhookPath reports whether path is the receiver's,
// /webhooks/{source}/…: its body is bounded by receiveWebhook
// (webhookBodyBound), not by bodyLimit. The settings page's forms, under
// /webhooks/{id}/, are not.
func isWebhookPath(path string) bool {
	rest, ok := strings.CutPrefix(path, webhooksPrefix)
	if !ok {
		return false
	}
	source, _, ok := strings.Cut(rest, "/")
	_, err := domain.ParseWebhookSource(source)
	return ok && err == nil
}

// webhookBodyBound is the most a webhook body from source may hold:
// mediaserver.MaxPlexBodyBytes (16 MiB) for Plex, whose body carries the
// film's thumbnail, and mediaserver.MaxPayloadBytes (1 MiB, the bound of
// every other body) for the others.
func webhookBodyBound(source domain.WebhookSource) int64 {
	if source == domain.SourcePlex {
		return mediaserver.MaxPlexBodyBytes
	}
	return mediaserver.MaxPayloadBytes
}

// errWebhookTooLarge is the answer to a webhook body over bound bytes.
func errWebhookTooLarge(bound int64) error {
	return newHTTPError(http.StatusRequestEntityTooLarge, "the webhook body is larger than %d MiB", bound>>20)
}

// receiveWebhook records the play a media server posts: 200 with
// {"status":"recorded"} or {"status":"duplicate"} (the same play within
// 30 minutes), 204 for a payload that reports nothing to log (another
// event, not a film, another Plex account), 404 for a URL that names no
// webhook, 400 for a malformed body, 413 for one over its bound, 422 for a
// play that names no film. The film is resolved later, by the play's event
// handler: this never waits on the metadata source.
func (s *server) receiveWebhook(c echo.Context) error {
	req := c.Request()
	ctx := req.Context()
	hook, err := s.svc.Webhooks.Find(ctx, c.Param("source"), c.Param("secret"))
	if errors.Is(err, domain.ErrNotFound) {
		return errNoWebhook
	}
	if err != nil {
		return err
	}
	bound := webhookBodyBound(hook.Source)
	if req.ContentLength > bound {
		return errWebhookTooLarge(bound)
	}
	// The server's own writer, so that a body over the bound also closes
	// the connection after the answer.
	body := http.MaxBytesReader(c.Response().Writer, req.Body, bound)
	cmd, ignore, err := mediaserver.Parse(hook.Source, req.Header.Get(echo.HeaderContentType), body)
	if err != nil {
		return webhookBodyError(err, hook.Source)
	}
	if ignore {
		return c.NoContent(http.StatusNoContent)
	}
	res, err := s.svc.ReportPlay.Handle(ctx, hook, cmd)
	var ve *domain.ValidationError
	switch {
	case errors.As(err, &ve):
		return unprocessable(ve)
	case err != nil:
		return err
	case res.Ignored:
		return c.NoContent(http.StatusNoContent)
	case res.Recorded:
		return c.JSON(http.StatusOK, WebhookResultJSON{Status: "recorded"})
	}
	return c.JSON(http.StatusOK, WebhookResultJSON{Status: "duplicate"})
}

// webhookBodyError classifies an error of mediaserver.Parse: a body cut
// off by the read timeout (408), over its bound (413), or not what the
// source sends (400).
func webhookBodyError(err error, source domain.WebhookSource) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(bodyReadError(err), errBodyTimeout):
		return errBodyTimeout
	case errors.Is(err, mediaserver.ErrTooLarge), errors.As(err, &tooLarge):
		return errWebhookTooLarge(webhookBodyBound(source))
	case errors.Is(err, mediaserver.ErrMalformed):
		return newHTTPError(http.StatusBadRequest, "the body is not a %s webhook payload: malformed JSON or multipart", source)
	}
	return err
}

// unprocessable is a 422 problem naming every field of ve: a well-formed
// payload whose play cannot be logged.
func unprocessable(ve *domain.ValidationError) error {
	return &statusError{status: http.StatusUnprocessableEntity, err: ve}
}

func (s *server) apiCreateWebhook(c echo.Context) error {
	var req CreateWebhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	created, err := s.svc.Webhooks.Create(c.Request().Context(), application.CreateWebhookCommand{
		UserID:      currentUser(c).ID,
		Source:      req.Source,
		PlexAccount: deref(req.PlexAccount),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.createdWebhookJSON(created))
}

func (s *server) apiListWebhooks(c echo.Context) error {
	hooks, err := s.svc.Webhooks.List(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	out := WebhooksJSON{Items: make([]WebhookJSON, 0, len(hooks))}
	for _, h := range hooks {
		out.Items = append(out.Items, webhookJSON(h))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) apiRotateWebhook(c echo.Context) error {
	created, err := s.svc.Webhooks.Rotate(c.Request().Context(), currentUser(c).ID, c.Param("id"))
	if err != nil {
		return webhookError(err, c.Param("id"))
	}
	return c.JSON(http.StatusOK, s.createdWebhookJSON(created))
}

func (s *server) apiDeleteWebhook(c echo.Context) error {
	if err := s.svc.Webhooks.Delete(c.Request().Context(), currentUser(c).ID, c.Param("id")); err != nil {
		return webhookError(err, c.Param("id"))
	}
	return c.NoContent(http.StatusNoContent)
}

// webhookError says that the signed-in user has no webhook id (another
// user's included).
func webhookError(err error, id string) error {
	if errors.Is(err, domain.ErrNotFound) {
		return newHTTPError(http.StatusNotFound, "you have no webhook with id %s", id)
	}
	return err
}

func (s *server) createdWebhookJSON(created application.CreatedWebhook) CreatedWebhookJSON {
	r := created.Record
	return CreatedWebhookJSON{
		ID:          r.ID.String(),
		Source:      string(r.Source),
		URL:         WebhookURL(s.cfg.BaseURL, r.Source, created.Secret),
		PlexAccount: optional(r.PlexAccount),
		CreatedAt:   r.CreatedAt.UTC().Format(time.RFC3339),
	}
}
