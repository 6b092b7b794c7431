package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
)

func ExampleEventRecorder() {
	events := memory.NewEventRecorder() // pass it where a domain.EventPublisher is wanted

	at := time.Date(2025, 6, 1, 21, 0, 0, 0, time.UTC)
	movie, _ := domain.NewMovie(domain.MustParseExternalMetadataID("tt0211915"), domain.MustNewMovieTitle("Amélie"),
		domain.MustNewReleaseYear(2001), domain.Director{})
	review, _ := domain.NewReview(movie.ID, domain.NewUserID(), domain.MustNewRating(4), domain.Comment{}, at.Add(-time.Hour), at)
	for _, e := range domain.LogEvents(movie, domain.MovieCreated, review, domain.PosterURL{}, at) {
		_ = events.Publish(context.Background(), e)
	}

	for _, e := range events.Events() {
		fmt.Println(e.EventName(), e.MovieID() == movie.ID)
	}
	// Output:
	// movie_discovered true
	// review_logged true
}

func ExampleEventPublisherFunc() {
	var publisher domain.EventPublisher = memory.EventPublisherFunc(func(_ context.Context, e domain.Event) error {
		fmt.Println("handling", e.EventName())
		return nil
	})
	at := time.Date(2025, 6, 1, 21, 0, 0, 0, time.UTC)
	review, _ := domain.NewReview(domain.NewMovieID(), domain.NewUserID(), domain.MustNewRating(4), domain.Comment{}, at, at)
	_ = publisher.Publish(context.Background(), domain.NewReviewLogged(review, at))
	// Output: handling review_logged
}
