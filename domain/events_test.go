package domain_test

import (
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

func TestEvents_CarryIDTimeNameAndMovie(t *testing.T) {
	t.Parallel()
	berlin := time.FixedZone("CEST", 2*60*60)
	at := time.Date(2024, 6, 1, 22, 0, 0, 0, berlin)
	m, err := domain.NewMovie(domain.MustParseExternalMetadataID("tt0093191"), domain.MustNewMovieTitle("Wings of Desire"),
		domain.MustNewReleaseYear(1987), domain.Director{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := domain.NewReview(m.ID, domain.NewUserID(), domain.MustNewRating(5), domain.Comment{}, now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	md := domain.NewMovieDiscovered(m, domain.PosterURL{}, at)
	rl := domain.NewReviewLogged(r, at)

	if md.EventName() != domain.EventMovieDiscovered || md.EventName() != "movie_discovered" ||
		md.MovieID() != m.ID || md.ExternalMetadataID != m.ExternalID {
		t.Errorf("MovieDiscovered = %+v", md)
	}
	if rl.EventName() != domain.EventReviewLogged || rl.EventName() != "review_logged" || rl.MovieID() != m.ID ||
		rl.ReviewID != r.ID || rl.UserID != r.UserID || rl.Rating != r.Rating || !rl.WatchedAt.Equal(r.WatchedAt) {
		t.Errorf("ReviewLogged = %+v", rl)
	}
	for _, e := range []domain.Event{md, rl} {
		if e.EventID().IsZero() {
			t.Errorf("%s has no event ID", e.EventName())
		}
		if !e.OccurredAt().Equal(at) || e.OccurredAt().Location() != time.UTC {
			t.Errorf("%s occurred at %v, want %v in UTC", e.EventName(), e.OccurredAt(), at)
		}
	}
	if md.EventID() == rl.EventID() {
		t.Error("two events share an ID")
	}
}

func TestLogEvents(t *testing.T) {
	t.Parallel()
	ext := domain.MustParseExternalMetadataID("tt0093191")
	poster := domain.MustNewPosterPath("posters/wings.jpg")
	title, year := domain.MustNewMovieTitle("Wings of Desire"), domain.MustNewReleaseYear(1987)
	movie := func(withExt, withPoster bool) domain.Movie {
		e, p := domain.ExternalMetadataID{}, domain.PosterPath{}
		if withExt {
			e = ext
		}
		if withPoster {
			p = poster
		}
		m, err := domain.RestoreMovie(domain.NewMovieID(), e, title, year, domain.Director{}, p)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name     string
		movie    domain.Movie
		change   domain.MovieChange
		wantDisc bool
	}{
		{"created with external ID", movie(true, false), domain.MovieCreated, true},
		{"identified with external ID", movie(true, false), domain.MovieIdentified, true},
		{"unchanged with external ID", movie(true, false), domain.MovieUnchanged, false},
		{"created without external ID", movie(false, false), domain.MovieCreated, false},
		{"identified without external ID", movie(false, false), domain.MovieIdentified, false},
		{"created with a poster already", movie(true, true), domain.MovieCreated, false},
		{"identified with a poster already", movie(true, true), domain.MovieIdentified, false},
		{"unchanged without anything", movie(false, false), domain.MovieUnchanged, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := domain.NewReview(tt.movie.ID, domain.NewUserID(), domain.MustNewRating(4), domain.Comment{}, now.Add(-time.Hour), now)
			if err != nil {
				t.Fatal(err)
			}
			posterURL := domain.MustParsePosterURL("https://img.example/wings.jpg")
			events := domain.LogEvents(tt.movie, tt.change, r, posterURL, now)
			want := 1
			if tt.wantDisc {
				want = 2
			}
			if len(events) != want {
				t.Fatalf("LogEvents gave %d events, want %d", len(events), want)
			}
			if tt.wantDisc {
				md, ok := events[0].(domain.MovieDiscovered)
				if !ok || md.Movie != tt.movie.ID || md.ExternalMetadataID != ext || !md.OccurredAt().Equal(now) || md.PosterURL != posterURL {
					t.Fatalf("first event = %#v, want MovieDiscovered of the movie", events[0])
				}
			}
			rl, ok := events[len(events)-1].(domain.ReviewLogged)
			if !ok || rl.ReviewID != r.ID || rl.Movie != tt.movie.ID || !rl.OccurredAt().Equal(now) {
				t.Fatalf("last event = %#v, want ReviewLogged of the review", events[len(events)-1])
			}
		})
	}
}
