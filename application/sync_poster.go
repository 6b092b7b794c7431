package application

import (
	"context"
	"fmt"

	"github.com/moviediary/moviediary/domain"
)

// SyncPosterRepository is what SyncPoster needs of the movie repository:
// reading the movie and recording its poster path.
type SyncPosterRepository interface {
	domain.MovieFinder
	domain.MovieWriter
}

// SyncPoster downloads a movie's poster from the URL the metadata source
// gives, stores it under the movie and records where.
type SyncPoster struct {
	movies   SyncPosterRepository
	metadata domain.MetadataClient
	fetcher  domain.PosterFetcher
	storage  domain.PosterStorage
}

// NewSyncPoster returns the SyncPoster use case; no port may be nil.
func NewSyncPoster(movies SyncPosterRepository, metadata domain.MetadataClient, fetcher domain.PosterFetcher, storage domain.PosterStorage) (*SyncPoster, error) {
	if err := checkDependencies("SyncPoster",
		dependency{"movies", movies},
		dependency{"metadata", metadata},
		dependency{"fetcher", fetcher},
		dependency{"storage", storage},
	); err != nil {
		return nil, err
	}
	return &SyncPoster{movies: movies, metadata: metadata, fetcher: fetcher, storage: storage}, nil
}

// Handle synchronises the poster of the movie with that ID. A movie without
// an external ID, or whose film has no poster, needs nothing: Handle
// returns nil and leaves any stored poster alone. Running it again replaces
// the stored poster, leaving one.
//
// Errors keep the kind of the port that failed (domain.ErrNotFound for an
// unknown movie or a missing image, domain.ErrUnavailable for a transient
// upstream failure, domain.ErrPermanent for a refused image, …), wrapped
// with the step that failed.
func (uc *SyncPoster) Handle(ctx context.Context, movieID domain.MovieID) error {
	if movieID.IsZero() {
		var v domain.Validation
		v.Add("movie_id", "must be set")
		return v.Err()
	}
	movie, err := uc.movies.MovieByID(ctx, movieID)
	if err != nil {
		return fmt.Errorf("sync poster of movie %s: %w", movieID, err)
	}
	if movie.ExternalID.IsZero() {
		return nil
	}
	url, err := uc.metadata.PosterURL(ctx, movie.ExternalID)
	if err != nil {
		return fmt.Errorf("sync poster of movie %s: poster URL of %s: %w", movieID, movie.ExternalID, err)
	}
	if url.IsZero() {
		return nil
	}
	return uc.store(ctx, movie.ID, url)
}

// HandleDiscovered synchronises the poster of a discovered movie from what
// the event carries: when it holds the poster URL the metadata source gave
// as the film was logged, the poster is downloaded from there without
// reading the movie or asking the source again; otherwise (an event
// backfilled for an older movie) it is Handle of the event's movie. Errors
// are Handle's; a movie deleted meanwhile is domain.ErrNotFound.
func (uc *SyncPoster) HandleDiscovered(ctx context.Context, e domain.MovieDiscovered) error {
	if e.PosterURL.IsZero() {
		return uc.Handle(ctx, e.Movie)
	}
	if e.Movie.IsZero() {
		var v domain.Validation
		v.Add("movie_id", "must be set")
		return v.Err()
	}
	return uc.store(ctx, e.Movie, e.PosterURL)
}

// store downloads the poster at url, stores it as the movie's and records
// where.
func (uc *SyncPoster) store(ctx context.Context, movieID domain.MovieID, url domain.PosterURL) error {
	image, err := uc.fetcher.FetchPoster(ctx, url)
	if err != nil {
		return fmt.Errorf("sync poster of movie %s: fetch %s: %w", movieID, url, err)
	}
	path, err := uc.storage.StorePoster(ctx, movieID, image)
	if err != nil {
		return fmt.Errorf("sync poster of movie %s: store: %w", movieID, err)
	}
	if err := uc.movies.SetPosterPath(ctx, movieID, path); err != nil {
		return fmt.Errorf("sync poster of movie %s: set poster path: %w", movieID, err)
	}
	return nil
}
