package application

import (
	"context"
	"fmt"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// ErrPosterSyncBusy is what SyncPoster.Handle returns when as many poster
// syncs as allowed are running: the caller should try again later. It
// wraps domain.ErrUnavailable, so it is transient.
var ErrPosterSyncBusy = fmt.Errorf("%w: as many poster syncs as allowed are running", domain.ErrUnavailable)

// SyncPosterRepository is what SyncPoster needs of the movie repository:
// reading the movie and recording its poster path.
type SyncPosterRepository interface {
	domain.MovieFinder
	domain.MovieWriter
}

// SyncPoster downloads a movie's poster from the URL the metadata source
// gives, streams it into the storage under the movie and records where.
//
// At most maxConcurrent syncs run at once, whoever asks for them: the
// background syncs of discovered movies (HandleDiscovered) wait for a free
// slot, while a sync asked for now (Handle) that finds none returns
// ErrPosterSyncBusy at once. So a flood of either cannot open more
// downloads than that; each poster streams from the fetcher into the
// storage.
type SyncPoster struct {
	movies   SyncPosterRepository
	metadata domain.MetadataClient
	fetcher  domain.PosterFetcher
	storage  domain.PosterStorage
	// slots holds one token per running sync.
	slots chan struct{}
	// stored, when not nil, is told of every poster stored
	// (domain.PosterStored).
	stored domain.EventPublisher
}

// SyncPosterOption configures NewSyncPoster.
type SyncPosterOption func(*SyncPoster)

// PublishPosterStored makes SyncPoster publish domain.PosterStored to p
// once each poster is stored and recorded: the pages showing the film
// change (caches of them listen). A failure to publish is not the sync's:
// the poster is stored.
func PublishPosterStored(p domain.EventPublisher) SyncPosterOption {
	return func(uc *SyncPoster) { uc.stored = p }
}

// NewSyncPoster returns the SyncPoster use case running at most
// maxConcurrent syncs at once; no port may be nil (ErrMissingDependency)
// and maxConcurrent must be at least 1 (domain.ErrValidation).
func NewSyncPoster(movies SyncPosterRepository, metadata domain.MetadataClient, fetcher domain.PosterFetcher, storage domain.PosterStorage, maxConcurrent int, opts ...SyncPosterOption) (*SyncPoster, error) {
	if err := checkDependencies("SyncPoster",
		dependency{"movies", movies},
		dependency{"metadata", metadata},
		dependency{"fetcher", fetcher},
		dependency{"storage", storage},
	); err != nil {
		return nil, err
	}
	if maxConcurrent < 1 {
		return nil, fmt.Errorf("SyncPoster: %w", domain.FieldError{Field: "max_concurrent", Rule: "must be at least 1"})
	}
	uc := &SyncPoster{
		movies: movies, metadata: metadata, fetcher: fetcher, storage: storage,
		slots: make(chan struct{}, maxConcurrent),
	}
	for _, o := range opts {
		o(uc)
	}
	return uc, nil
}

// Handle synchronises the poster of the movie with that ID now, if a slot
// is free. A movie without an external ID, or whose film has no poster,
// needs nothing: Handle returns nil and leaves any stored poster alone.
// Running it again replaces the stored poster, leaving one.
//
// When every slot is taken Handle returns ErrPosterSyncBusy at once, having
// done nothing. Other errors keep the kind of the port that failed
// (domain.ErrNotFound for an unknown movie or a missing image,
// domain.ErrUnavailable for a transient upstream failure,
// domain.ErrPermanent for a refused or oversized image, …), wrapped with
// the step that failed.
func (uc *SyncPoster) Handle(ctx context.Context, movieID domain.MovieID) error {
	if movieID.IsZero() {
		return errNoMovieID()
	}
	select {
	case uc.slots <- struct{}{}:
	default:
		return fmt.Errorf("sync poster of movie %s: %w", movieID, ErrPosterSyncBusy)
	}
	defer uc.release()
	return uc.sync(ctx, movieID)
}

// HandleDiscovered synchronises the poster of a discovered movie from what
// the event carries, waiting for a free slot first; a context that ends
// while it waits gives an error wrapping domain.ErrUnavailable (the event
// is retried). When the event holds the poster URL the metadata source
// gave as the film was logged, the poster is downloaded from there without
// reading the movie or asking the source again; otherwise (an event
// backfilled for an older movie) the sync is Handle's. Other errors are
// Handle's; a movie deleted meanwhile is domain.ErrNotFound.
func (uc *SyncPoster) HandleDiscovered(ctx context.Context, e domain.MovieDiscovered) error {
	if e.Movie.IsZero() {
		return errNoMovieID()
	}
	select {
	case uc.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("sync poster of movie %s: waiting for a free slot: %w: %w", e.Movie, domain.ErrUnavailable, ctx.Err())
	}
	defer uc.release()
	if e.PosterURL.IsZero() {
		return uc.sync(ctx, e.Movie)
	}
	return uc.store(ctx, e.Movie, e.PosterURL)
}

// release frees the slot of a finished sync.
func (uc *SyncPoster) release() { <-uc.slots }

func errNoMovieID() error {
	var v domain.Validation
	v.Add("movie_id", "must be set")
	return v.Err()
}

// sync reads the movie, asks the metadata source for its poster URL and
// stores the poster from there; the caller holds a slot.
func (uc *SyncPoster) sync(ctx context.Context, movieID domain.MovieID) error {
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

// store streams the poster at url into the storage as the movie's and
// records where; the caller holds a slot. A download that fails part-way
// (too large, cut short) fails the store, which keeps the earlier poster.
func (uc *SyncPoster) store(ctx context.Context, movieID domain.MovieID, url domain.PosterURL) error {
	image, err := uc.fetcher.FetchPoster(ctx, url)
	if err != nil {
		return fmt.Errorf("sync poster of movie %s: fetch %s: %w", movieID, url, err)
	}
	path, err := uc.storage.StorePoster(ctx, movieID, image)
	_ = image.Close() // what matters is what the storage made of the stream
	if err != nil {
		return fmt.Errorf("sync poster of movie %s: store from %s: %w", movieID, url, err)
	}
	if err := uc.movies.SetPosterPath(ctx, movieID, path); err != nil {
		return fmt.Errorf("sync poster of movie %s: set poster path: %w", movieID, err)
	}
	if uc.stored != nil {
		_ = uc.stored.Publish(context.WithoutCancel(ctx), domain.NewPosterStored(movieID, path, time.Now()))
	}
	return nil
}
