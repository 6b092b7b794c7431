package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// EnrichRepository is what EnrichMovies needs of the store.
type EnrichRepository interface {
	domain.MovieIdentifier
	domain.MovieFinder
}

// EnrichMovies looks up, in the metadata source, the movies that entered
// the diary by title and year only (domain.MovieNeedsMetadata, from an
// import), and attaches the IMDb ID, director and poster found: one
// metadata request per movie, within the source's budget.
type EnrichMovies struct {
	movies    EnrichRepository
	metadata  domain.MetadataClient
	publisher domain.EventPublisher
	logger    *slog.Logger
	now       func() time.Time
}

// NewEnrichMovies returns the EnrichMovies use case. The ports must not be
// nil; a nil logger means slog.Default() and a nil now means time.Now.
func NewEnrichMovies(movies EnrichRepository, metadata domain.MetadataClient, publisher domain.EventPublisher, logger *slog.Logger, now func() time.Time) (*EnrichMovies, error) {
	if err := checkDependencies("EnrichMovies",
		dependency{"movies", movies},
		dependency{"metadata", metadata},
		dependency{"publisher", publisher},
	); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &EnrichMovies{movies: movies, metadata: metadata, publisher: publisher, logger: logger, now: now}, nil
}

// Handle looks the movie of e up by title and year. A movie that has an
// IMDb ID already, or is gone (merged into another), needs nothing: nil,
// without asking the metadata source. A film the source does not know
// stays as it is (logged at DEBUG): nil. A source that is unavailable, or
// a budget that is spent (a *domain.DeferredError), gives that error, so
// that the bus retries or waits. A film found is attached to the movie
// (domain.MovieIdentifier.IdentifyMovie, which merges the movie into the
// one holding the IMDb ID already) and the events that gives are
// published.
func (uc *EnrichMovies) Handle(ctx context.Context, e domain.MovieNeedsMetadata) error {
	movie, err := uc.movies.MovieByID(ctx, e.Movie)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("enrich movie %s: %w", e.Movie, err)
	case !movie.ExternalID.IsZero():
		return nil
	}
	title, year := e.Title, e.Year
	if title.IsZero() {
		title, year = movie.Title, movie.ReleaseYear
	}
	md, err := uc.metadata.SearchMetadata(ctx, title, year)
	if err == nil && md.ExternalID.IsZero() {
		err = fmt.Errorf("%w: the search result has no external ID", domain.ErrNotFound)
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		uc.logger.LogAttrs(ctx, slog.LevelDebug, "metadata source does not know the film; the movie stays as it is",
			slog.String("movie_id", e.Movie.String()),
			slog.String("title", title.String()),
			slog.String("year", year.String()),
			slog.String("error", err.Error()))
		return nil
	case err != nil:
		return fmt.Errorf("enrich movie %s: search metadata: %w", e.Movie, err)
	}
	if md.Title.IsZero() {
		md.Title = movie.Title
	}
	if md.ReleaseYear.IsZero() {
		md.ReleaseYear = movie.ReleaseYear
	}
	_, events, err := uc.movies.IdentifyMovie(ctx, e.Movie, md, uc.now().UTC())
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil // merged meanwhile
	case err != nil:
		return fmt.Errorf("enrich movie %s: identify as %s: %w", e.Movie, md.ExternalID, err)
	}
	publishStored(ctx, uc.publisher, uc.logger, events)
	return nil
}
