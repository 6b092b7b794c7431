package presentation

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/domain"
)

// poster serves a movie's stored poster with its sniffed type and an ETag.
func (s *server) poster(c echo.Context) error {
	id, err := domain.ParseMovieID(c.Param("id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	m, err := s.svc.Movies.MovieByID(ctx, id)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return newHTTPError(http.StatusNotFound, "no movie with id %s", id)
		}
		return err
	}
	if !m.HasPoster() {
		return newHTTPError(http.StatusNotFound, "no poster is stored for movie %s yet", id)
	}
	img, err := s.svc.Posters.LoadPoster(ctx, m.PosterPath)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return newHTTPError(http.StatusNotFound, "no poster is stored for movie %s yet", id)
		}
		return err
	}
	etag := NewPage("", img).ETag
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=3600")
	if match := c.Request().Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, http.DetectContentType(img), img)
}

// etagMatches reports whether an If-None-Match header value names etag:
// "*", or a list holding it, compared weakly as RFC 9110 asks for
// If-None-Match (W/"x" matches "x").
func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == etag || part == "*" {
			return true
		}
	}
	return false
}
