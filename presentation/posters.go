package presentation

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/adapters/rss"
	"github.com/moviediary/moviediary/application"
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
	sum := sha256.Sum256(img)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=3600")
	if match := c.Request().Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, http.DetectContentType(img), img)
}

func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == etag || part == "*" {
			return true
		}
	}
	return false
}

// feed serves the latest entries as RSS 2.0.
func (s *server) feed(c echo.Context) error {
	limit := rss.FeedLimit
	res, err := s.svc.GetDiary.Handle(c.Request().Context(), application.GetDiaryQuery{Limit: &limit})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	err = rss.Render(&buf, rss.Feed{
		Title:       s.cfg.DiaryTitle,
		BaseURL:     s.cfg.BaseURL.String(),
		Description: "The latest films logged in " + s.cfg.DiaryTitle,
		Entries:     res.Entries,
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, rss.ContentType, buf.Bytes())
}
