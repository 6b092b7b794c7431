package domain_test

import (
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

func TestReviewEdit_IsZero(t *testing.T) {
	t.Parallel()
	rating, comment, watched := domain.Rating{}, domain.Comment{}, now
	tests := []struct {
		name string
		edit domain.ReviewEdit
		zero bool
	}{
		{"nothing set", domain.ReviewEdit{}, true},
		{"a rating set to not rated", domain.ReviewEdit{Rating: &rating}, false},
		{"a comment set to none", domain.ReviewEdit{Comment: &comment}, false},
		{"a watched_at", domain.ReviewEdit{WatchedAt: &watched}, false},
	}
	for _, tt := range tests {
		if got := tt.edit.IsZero(); got != tt.zero {
			t.Errorf("%s: IsZero = %v, want %v", tt.name, got, tt.zero)
		}
	}
}

func TestReview_Edit(t *testing.T) {
	t.Parallel()
	original, err := domain.NewReview(domain.NewMovieID(), domain.NewUserID(), domain.MustNewRating(3),
		mustComment(t, "first take"), now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	halfStar := domain.MustNewRating(4.5)
	notRated := domain.Rating{}
	newComment := mustComment(t, "second take")
	noComment := domain.Comment{}
	cest := time.FixedZone("CEST", 2*60*60)
	newWatched := time.Date(2024, 5, 30, 23, 45, 10, 999_000_000, cest)
	tests := []struct {
		name string
		edit domain.ReviewEdit
		want func(r *domain.Review)
	}{
		{"nothing", domain.ReviewEdit{}, func(*domain.Review) {}},
		{"the rating, to half stars", domain.ReviewEdit{Rating: &halfStar}, func(r *domain.Review) { r.Rating = halfStar }},
		{"the rating, cleared", domain.ReviewEdit{Rating: &notRated}, func(r *domain.Review) { r.Rating = domain.Rating{} }},
		{"the comment", domain.ReviewEdit{Comment: &newComment}, func(r *domain.Review) { r.Comment = newComment }},
		{"the comment, cleared", domain.ReviewEdit{Comment: &noComment}, func(r *domain.Review) { r.Comment = domain.Comment{} }},
		{"watched_at, in UTC and whole seconds", domain.ReviewEdit{WatchedAt: &newWatched}, func(r *domain.Review) {
			r.WatchedAt = time.Date(2024, 5, 30, 21, 45, 10, 0, time.UTC)
		}},
		{"everything", domain.ReviewEdit{Rating: &notRated, Comment: &newComment, WatchedAt: &newWatched}, func(r *domain.Review) {
			r.Rating = domain.Rating{}
			r.Comment = newComment
			r.WatchedAt = time.Date(2024, 5, 30, 21, 45, 10, 0, time.UTC)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := original
			tt.want(&want)
			got, err := original.Edit(tt.edit, now)
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if got != want {
				t.Errorf("Edit =\n%+v\nwant\n%+v", got, want)
			}
			if got.WatchedAt.Location() != time.UTC {
				t.Errorf("watched_at %v is not in UTC", got.WatchedAt)
			}
		})
	}
	// The receiver is a value: editing leaves original as it was.
	if original.Rating != domain.MustNewRating(3) || original.Comment.String() != "first take" {
		t.Errorf("Edit changed the original: %+v", original)
	}
}

func TestReview_EditRefusesABadWatchedAt(t *testing.T) {
	t.Parallel()
	original, err := domain.NewReview(domain.NewMovieID(), domain.NewUserID(), domain.MustNewRating(3), domain.Comment{}, now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	rating := domain.MustNewRating(1)
	for name, watched := range map[string]time.Time{
		"in the future": now.Add(domain.ClockSkew + time.Second),
		"the zero time": {},
		"before 1888":   time.Date(1887, 12, 31, 0, 0, 0, 0, time.UTC),
		"a year ahead":  now.AddDate(1, 0, 0),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := original.Edit(domain.ReviewEdit{Rating: &rating, WatchedAt: &watched}, now)
			checkFieldErr(t, err, "watched_at")
			if got != (domain.Review{}) {
				t.Errorf("Edit returned %+v along with the error", got)
			}
		})
	}
	skew := now.Add(domain.ClockSkew)
	if got, err := original.Edit(domain.ReviewEdit{WatchedAt: &skew}, now); err != nil || !got.WatchedAt.Equal(skew) {
		t.Errorf("watched_at within the clock skew: (%v, %v), want accepted", got.WatchedAt, err)
	}
}

func TestReviewEditedAndDeleted_CarryTheReview(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 6, 1, 22, 0, 0, 0, time.FixedZone("CEST", 2*60*60))
	r, err := domain.NewReview(domain.NewMovieID(), domain.NewUserID(), domain.MustNewRating(2.5), domain.Comment{}, now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	edited := domain.NewReviewEdited(r, at)
	if edited.EventName() != domain.EventReviewEdited || edited.EventName() != "review_edited" || edited.MovieID() != r.MovieID ||
		edited.ReviewID != r.ID || edited.UserID != r.UserID || edited.Rating != r.Rating || !edited.WatchedAt.Equal(r.WatchedAt) {
		t.Errorf("ReviewEdited = %+v, want the review's values", edited)
	}
	deleted := domain.NewReviewDeleted(r, at)
	if deleted.EventName() != domain.EventReviewDeleted || deleted.EventName() != "review_deleted" || deleted.MovieID() != r.MovieID ||
		deleted.ReviewID != r.ID || deleted.UserID != r.UserID {
		t.Errorf("ReviewDeleted = %+v, want the review's IDs", deleted)
	}
	for _, e := range []domain.Event{edited, deleted} {
		if e.EventID().IsZero() {
			t.Errorf("%s has no event ID", e.EventName())
		}
		if !e.OccurredAt().Equal(at) || e.OccurredAt().Location() != time.UTC {
			t.Errorf("%s occurred at %v, want %v in UTC", e.EventName(), e.OccurredAt(), at)
		}
	}
	if edited.EventID() == deleted.EventID() || edited.EventID() == domain.NewReviewEdited(r, at).EventID() {
		t.Error("two events share an ID")
	}
}

func mustComment(t *testing.T, s string) domain.Comment {
	t.Helper()
	c, err := domain.NewComment(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
