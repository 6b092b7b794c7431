package application_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// This example wires LogReview to ports written in a few lines each — what
// an embedder does with its own storage. (github.com/moviediary/moviediary/
// adapters/memory has complete in-memory ones.)
func ExampleLogReview() {
	now := func() time.Time { return time.Date(2025, 6, 1, 21, 0, 0, 0, time.UTC) }
	movies := &movieStore{}
	logReview, err := application.NewLogReview(movies, noMetadata{}, printEvents{}, slog.New(slog.DiscardHandler), now)
	if err != nil {
		panic(err) // a nil port: a wiring mistake
	}

	year := 2001
	cmd := application.LogReviewCommand{
		UserID:            domain.NewUserID(),
		ManualTitle:       "Amélie",
		ManualReleaseYear: &year,
		Rating:            ptr(4.0),
		Comment:           "Still charming.",
		WatchedAt:         now().Add(-2 * time.Hour),
	}
	entry, err := logReview.Handle(context.Background(), cmd)
	if err != nil {
		panic(err)
	}
	fmt.Printf("logged %s (%s), %s stars, watched %s\n", entry.Movie.Title, entry.Movie.ReleaseYear,
		entry.Review.Rating, entry.Review.WatchedAt.Format(time.DateTime))

	// A rewatch is a new entry of the same movie.
	cmd.Rating, cmd.WatchedAt = ptr(4.5), now().Add(-time.Hour)
	again, err := logReview.Handle(context.Background(), cmd)
	if err != nil {
		panic(err)
	}
	fmt.Println("same movie:", again.Movie.ID == entry.Movie.ID, "- viewings:", len(movies.reviews))

	// A bad command reports every broken field at once.
	_, err = logReview.Handle(context.Background(), application.LogReviewCommand{UserID: cmd.UserID, Rating: ptr(4.3)})
	fmt.Println(err)
	// Output:
	// event review_logged
	// logged Amélie (2001), 4 stars, watched 2025-06-01 19:00:00
	// event review_logged
	// same movie: true - viewings: 2
	// validation failed: rating: must be a number from 0 to 5 in steps of 0.5 (or null for no rating); watched_at: is required; manual_title: is required: no external_metadata_id was given, so a title and a release year are needed; manual_release_year: is required: no external_metadata_id was given, so a title and a release year are needed
}

// movieStore is a minimal application.LogReviewRepository.
type movieStore struct {
	mu      sync.Mutex
	movies  []domain.Movie
	reviews []domain.Review
	keys    map[domain.IdempotencyKey]domain.IdempotencyRecord
}

func (s *movieStore) MovieByExternalID(_ context.Context, id domain.ExternalMetadataID) (domain.Movie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.movies {
		if m.ExternalID == id {
			return m, nil
		}
	}
	return domain.Movie{}, domain.ErrNotFound
}

func (s *movieStore) MovieByID(_ context.Context, id domain.MovieID) (domain.Movie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.movies {
		if m.ID == id {
			return m, nil
		}
	}
	return domain.Movie{}, domain.ErrNotFound
}

func (s *movieStore) MoviesByTitleYear(_ context.Context, title domain.MovieTitle, year domain.ReleaseYear) ([]domain.Movie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Movie
	for _, m := range s.movies {
		if m.Title.EqualFold(title) && m.ReleaseYear == year {
			out = append(out, m)
		}
	}
	return out, nil
}

// SaveViewing stores the movie when it is new and the review, and returns
// the events to publish. (A real store does this in one transaction and
// implements every rule of domain.ViewingSaver.)
func (s *movieStore) SaveViewing(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	change := domain.MovieCreated
	for _, m := range s.movies {
		if m.ID == v.Movie.ID {
			change = domain.MovieUnchanged
		}
	}
	if change == domain.MovieCreated {
		s.movies = append(s.movies, v.Movie)
	}
	s.reviews = append(s.reviews, v.Review)
	if !v.Idempotency.IsZero() {
		if s.keys == nil {
			s.keys = make(map[domain.IdempotencyKey]domain.IdempotencyRecord)
		}
		s.keys[v.Idempotency.Key] = domain.IdempotencyRecord{Request: v.Idempotency, ReviewID: v.Review.ID, CreatedAt: v.Review.CreatedAt}
	}
	return domain.SavedViewing{
		Movie:  v.Movie,
		Change: change,
		Review: v.Review,
		Events: domain.LogEvents(v.Movie, change, v.Review, v.PosterURL, v.Review.CreatedAt),
	}, nil
}

// IdempotencyRecord returns the record of a key this store saved. (It
// keeps one user's keys and never expires them: enough for an example.)
func (s *movieStore) IdempotencyRecord(_ context.Context, _ domain.UserID, key domain.IdempotencyKey, _ time.Time) (domain.IdempotencyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.keys[key]; ok {
		return rec, nil
	}
	return domain.IdempotencyRecord{}, domain.ErrNotFound
}

// EntryByReviewID returns a stored review with its movie.
func (s *movieStore) EntryByReviewID(_ context.Context, id domain.ReviewID) (domain.DiaryEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reviews {
		if r.ID != id {
			continue
		}
		for _, m := range s.movies {
			if m.ID == r.MovieID {
				return domain.DiaryEntry{Movie: m, Review: r}, nil
			}
		}
	}
	return domain.DiaryEntry{}, domain.ErrNotFound
}

func ptr[T any](v T) *T { return &v }

// noMetadata is a metadata source that knows no film, so films are logged
// by title and year.
type noMetadata struct{}

func (noMetadata) MetadataByExternalID(context.Context, domain.ExternalMetadataID) (domain.MovieMetadata, error) {
	return domain.MovieMetadata{}, domain.ErrNotFound
}

func (noMetadata) SearchMetadata(context.Context, domain.MovieTitle, domain.ReleaseYear) (domain.MovieMetadata, error) {
	return domain.MovieMetadata{}, domain.ErrNotFound
}

func (noMetadata) PosterURL(context.Context, domain.ExternalMetadataID) (domain.PosterURL, error) {
	return domain.PosterURL{}, domain.ErrNotFound
}

// printEvents publishes an event by printing its name.
type printEvents struct{}

func (printEvents) Publish(_ context.Context, e domain.Event) error {
	fmt.Println("event", e.EventName())
	return nil
}
