package presentation

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// registerAPI mounts the JSON API under /api, and the webhook receiver
// media servers post to (registerWebhooks).
func (s *server) registerAPI(e *echo.Echo) {
	api := e.Group("/api")
	api.POST("/auth/register", s.apiRegister, s.registerRateLimit(func(echo.Context) error { return errSignUpClosed() }))
	api.POST("/auth/login", s.apiLogin, s.loginRateLimit)
	api.POST("/auth/logout", s.apiLogout, s.requireBearer)
	api.POST("/reviews", s.apiLogReview, s.requireBearer)
	api.PATCH("/reviews/:id", s.apiEditReview, s.requireBearer)
	api.DELETE("/reviews/:id", s.apiDeleteReview, s.requireBearer)
	api.POST("/tokens", s.apiCreateToken, s.requireBearer)
	api.GET("/tokens", s.apiListTokens, s.requireBearer)
	api.DELETE("/tokens/:id", s.apiRevokeToken, s.requireBearer)
	api.POST("/movies/:id/sync-poster", s.apiSyncPoster, s.requireBearer)
	api.POST("/webhooks", s.apiCreateWebhook, s.requireBearer)
	api.GET("/webhooks", s.apiListWebhooks, s.requireBearer)
	api.POST("/webhooks/:id/rotate", s.apiRotateWebhook, s.requireBearer)
	api.DELETE("/webhooks/:id", s.apiDeleteWebhook, s.requireBearer)
	s.registerImports(api)
	s.registerWebhooks(e)
}

func (s *server) apiRegister(c echo.Context) error {
	var req RegisterRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	user, err := s.svc.Register.Handle(c.Request().Context(), application.RegisterCommand{Email: req.Email, Password: req.Password})
	if err != nil {
		return registerError(err)
	}
	return c.JSON(http.StatusCreated, RegisterJSON{UserID: user.ID.String(), Email: user.Email.String()})
}

// registerError says precisely why a registration was refused.
func registerError(err error) error {
	switch {
	case errors.Is(err, domain.ErrForbidden):
		return errSignUpClosed()
	case errors.Is(err, domain.ErrConflict):
		return newHTTPError(http.StatusConflict, "an account with this email already exists")
	}
	return err
}

// errSignUpClosed is the one refusal of a sign-up the policy forbids,
// whether Register.Handle refused it or it was refused before its body
// was read (registerRateLimit): the same answer either way.
func errSignUpClosed() error {
	return newHTTPError(http.StatusForbidden, "registration is closed on this server")
}

func (s *server) apiLogin(c echo.Context) error {
	var req RegisterRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	res, err := s.svc.Login.Handle(c.Request().Context(), application.LoginCommand{Email: req.Email, Password: req.Password})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, LoginJSON{
		Token:     res.Token.Value,
		UserID:    res.User.ID.String(),
		Email:     res.User.Email.String(),
		ExpiresAt: res.Token.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

// diaryQuery reads the diary's query parameters; a number that does not
// parse is a validation error naming the parameter.
func diaryQuery(c echo.Context) (application.GetDiaryQuery, error) {
	q := application.GetDiaryQuery{
		MovieID: c.QueryParam("movie_id"),
		UserID:  c.QueryParam("user_id"),
		SortBy:  c.QueryParam("sort_by"),
		Cursor:  c.QueryParam("cursor"),
	}
	var v domain.Validation
	params := c.QueryParams()
	intParam := func(name string) *int {
		if _, ok := params[name]; !ok {
			return nil
		}
		n, err := strconv.Atoi(params.Get(name))
		if err != nil {
			v.Add(name, "must be an integer")
			return nil
		}
		return &n
	}
	q.Limit = intParam("limit")
	q.Offset = intParam("offset")
	if _, ok := params["offset"]; ok && q.Cursor != "" && q.Offset == nil {
		v.Add("cursor", "cannot be combined with offset")
	}
	if _, ok := params["cursor"]; ok && q.Cursor == "" {
		v.Add("cursor", "must not be empty")
	}
	return q, v.Err()
}

// Headers of idempotent logging (the IETF httpapi Idempotency-Key draft).
const (
	// idempotencyKeyHeader names the client's key for a POST it may retry.
	idempotencyKeyHeader = "Idempotency-Key"
	// replayedHeader marks an answer replayed for a repeated key.
	replayedHeader = "Idempotent-Replayed"
)

func (s *server) apiLogReview(c echo.Context) error {
	// A malformed key is refused before the body is read.
	key, err := idempotencyKey(c.Request().Header)
	if err != nil {
		return err
	}
	var req LogReviewRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cmd, err := logReviewCommand(currentUser(c).ID, req)
	if err != nil {
		return err
	}
	cmd.IdempotencyKey = key
	res, err := s.svc.LogReview.Log(c.Request().Context(), cmd)
	if err != nil {
		return logReviewError(err)
	}
	if res.Replayed {
		c.Response().Header().Set(replayedHeader, "true")
	}
	return c.JSON(http.StatusCreated, entryJSON(res.Entry))
}

// logReviewError says precisely why a log under an idempotency key was
// refused; both errors wrap domain.ErrConflict, so they are told apart
// before the error table.
func logReviewError(err error) error {
	switch {
	case errors.Is(err, application.ErrIdempotencyKeyReused):
		return newHTTPError(http.StatusUnprocessableEntity,
			"this Idempotency-Key was used within the last 24 hours for a different request; send a new key with a new request")
	case errors.Is(err, application.ErrIdempotentEntryGone):
		return newHTTPError(http.StatusConflict,
			"the entry this Idempotency-Key logged has since been deleted; nothing was logged again")
	}
	return err
}

// logReviewCommand turns a request into the use case's command, checking
// what only the HTTP layer knows (required fields, the time format).
func logReviewCommand(user domain.UserID, req LogReviewRequest) (application.LogReviewCommand, error) {
	var v domain.Validation
	cmd := application.LogReviewCommand{
		UserID:             user,
		ExternalMetadataID: deref(req.ExternalMetadataID),
		ManualTitle:        deref(req.ManualTitle),
		ManualReleaseYear:  req.ManualReleaseYear,
		ManualDirector:     deref(req.ManualDirector),
		Rating:             req.Rating,
		Comment:            deref(req.Comment),
	}
	if req.WatchedAt == nil || *req.WatchedAt == "" {
		v.Add("watched_at", "is required")
	} else if t, err := parseWatchedAt(*req.WatchedAt); err != nil {
		v.Check("watched_at", err)
	} else {
		cmd.WatchedAt = t
	}
	if req.Rating != nil && v.Err() != nil {
		// The use case, which checks every field, is not reached: report a
		// bad rating together with what is malformed here.
		_, err := domain.NewRating(*req.Rating)
		v.Check("rating", err)
	}
	return cmd, v.Err()
}

// idempotencyKey reads the Idempotency-Key header: "" when it is not
// sent. A key sent empty, more than once, longer than 255 characters or
// with characters other than printable ASCII is an error naming the header.
func idempotencyKey(header http.Header) (string, error) {
	values, sent := header[idempotencyKeyHeader]
	if !sent {
		return "", nil
	}
	if len(values) != 1 {
		return "", domain.FieldError{Field: idempotencyKeyHeader, Rule: "must be sent once"}
	}
	if _, err := domain.ParseIdempotencyKey(values[0]); err != nil {
		var v domain.Validation
		v.Check(idempotencyKeyHeader, err)
		return "", v.Err()
	}
	return values[0], nil
}

func (s *server) apiEditReview(c echo.Context) error {
	var req EditReviewRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cmd, err := editReviewCommand(currentUser(c).ID, c.Param("id"), req)
	if err != nil {
		return err
	}
	entry, err := s.svc.EditReview.Handle(c.Request().Context(), cmd)
	if err != nil {
		return reviewError(err, c.Param("id"))
	}
	return c.JSON(http.StatusOK, entryJSON(entry))
}

// editReviewCommand turns a merge patch into the use case's command: a
// field left out is not Set, a null one is Set without a value. Values of
// the wrong JSON type and malformed times are reported here, with a bad
// rating, since the use case is then not reached.
func editReviewCommand(user domain.UserID, id string, req EditReviewRequest) (application.EditReviewCommand, error) {
	var v domain.Validation
	cmd := application.EditReviewCommand{
		UserID:   user,
		ReviewID: id,
		Rating:   patchField[float64](&v, "rating", req.Rating, "must be a number from 0 to 5 in steps of 0.5 (or null for no rating)"),
		Comment:  patchField[string](&v, "comment", req.Comment, "must be a string (or null for no comment)"),
	}
	at := patchField[string](&v, "watched_at", req.WatchedAt, "must be a date-time string; it cannot be null")
	if at.Set {
		cmd.WatchedAt.Set = true
		if at.Value != nil {
			if t, err := parseWatchedAt(*at.Value); err != nil {
				v.Check("watched_at", err)
			} else {
				cmd.WatchedAt.Value = &t
			}
		}
	}
	if cmd.Rating.Value != nil && v.Err() != nil {
		_, err := domain.NewRating(*cmd.Rating.Value)
		v.Check("rating", err)
	}
	return cmd, v.Err()
}

// patchField reads one field of a merge patch: absent (nil) is no change,
// null clears the field, and anything else must decode as a T, or rule is
// recorded against field.
func patchField[T any](v *domain.Validation, field string, raw json.RawMessage, rule string) application.Change[T] {
	switch {
	case raw == nil:
		return application.Change[T]{}
	case string(raw) == "null":
		return application.Null[T]()
	}
	var value T
	if err := json.Unmarshal(raw, &value); err != nil {
		v.Add(field, rule)
		return application.Change[T]{}
	}
	return application.To(value)
}

func (s *server) apiDeleteReview(c echo.Context) error {
	err := s.svc.DeleteReview.Handle(c.Request().Context(), application.DeleteReviewCommand{UserID: currentUser(c).ID, ReviewID: c.Param("id")})
	if err != nil {
		return reviewError(err, c.Param("id"))
	}
	return c.NoContent(http.StatusNoContent)
}

// reviewError says precisely why an edit or a deletion of review id was
// refused.
func reviewError(err error, id string) error {
	switch {
	case errors.Is(err, domain.ErrForbidden):
		return newHTTPError(http.StatusForbidden, "only the review's author may change or delete it")
	case errors.Is(err, domain.ErrNotFound):
		return newHTTPError(http.StatusNotFound, "no review with id %s", id)
	}
	return err
}

func (s *server) apiCreateToken(c echo.Context) error {
	var req CreateTokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cmd := application.CreateAPITokenCommand{UserID: currentUser(c).ID, Name: req.Name}
	if req.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *req.ExpiresAt)
		if err != nil {
			var v domain.Validation
			if strings.TrimSpace(req.Name) == "" {
				v.Add("name", "must not be empty")
			}
			v.Add("expires_at", "must be an RFC 3339 time like 2027-01-01T00:00:00Z (or null for never)")
			return v.Err()
		}
		cmd.ExpiresAt = &t
	}
	created, err := s.svc.APITokens.Create(c.Request().Context(), cmd)
	if err != nil {
		return err
	}
	r := created.Record
	return c.JSON(http.StatusCreated, CreatedTokenJSON{
		ID:        r.ID.String(),
		Name:      r.Name,
		Token:     created.Token,
		Prefix:    r.Prefix,
		CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339),
		ExpiresAt: timeJSON(r.ExpiresAt),
	})
}

func (s *server) apiListTokens(c echo.Context) error {
	tokens, err := s.svc.APITokens.List(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	out := TokensJSON{Items: make([]TokenJSON, 0, len(tokens))}
	for _, t := range tokens {
		out.Items = append(out.Items, tokenJSON(t))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) apiRevokeToken(c echo.Context) error {
	if err := s.svc.APITokens.Revoke(c.Request().Context(), currentUser(c).ID, c.Param("id")); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return newHTTPError(http.StatusNotFound, "you have no token with id %s", c.Param("id"))
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) apiSyncPoster(c echo.Context) error {
	id, err := domain.ParseMovieID(c.Param("id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	// Handle takes a slot before anything else, so a sync that finds none
	// is a 429 before any lookup; it reads the movie itself.
	if err := s.svc.SyncPoster.Handle(ctx, id); err != nil {
		if errors.Is(err, application.ErrPosterSyncBusy) {
			// Every poster sync slot is taken; downloads take seconds.
			c.Response().Header().Set("Retry-After", "5")
			return newHTTPError(http.StatusTooManyRequests, "as many poster syncs as the server allows are running; try again in a few seconds")
		}
		if domain.IsPermanent(err) || errors.Is(err, domain.ErrUnavailable) {
			// Reading the movie and asking the source fail with the same
			// kinds (not found, unavailable), so only this failing path
			// reads the movie again to tell them apart: an unknown movie is
			// a 404 and a failing database its own error; with the movie
			// there, the failure was the metadata source's or the poster
			// host's: a bad gateway.
			if _, ferr := s.svc.Movies.MovieByID(ctx, id); ferr != nil {
				if errors.Is(ferr, domain.ErrNotFound) {
					return newHTTPError(http.StatusNotFound, "no movie with id %s", id)
				}
				return ferr
			}
			s.logger.Warn("poster sync failed", "movie_id", id.String(), "error", err.Error())
			return newHTTPError(http.StatusBadGateway, "the poster could not be fetched from its source: %s", upstreamReason(err))
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// upstreamReason says in a few client-safe words why a poster sync failed.
func upstreamReason(err error) string {
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return "the source has no such poster"
	case errors.Is(err, domain.ErrMisconfigured):
		return "the metadata source refused the server's configuration"
	case errors.Is(err, domain.ErrPermanent):
		return "the source answered with something that is not a usable image"
	}
	return "the source is unavailable; try again later"
}
