package domain_test

import (
	"slices"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

var now = time.Date(2024, 6, 1, 20, 0, 0, 0, time.UTC)

func TestNewReview_WatchedAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		watchedAt time.Time
		field     string
	}{
		{"in the past", now.Add(-24 * time.Hour), ""},
		{"now", now, ""},
		{"now + 5m is within the clock skew", now.Add(5 * time.Minute), ""},
		{"now + 5m + 1s is in the future", now.Add(5*time.Minute + time.Second), "watched_at"},
		{"tomorrow", now.Add(24 * time.Hour), "watched_at"},
		{"unset", time.Time{}, "watched_at"},
		{"before 1888", time.Date(1887, 12, 31, 23, 59, 59, 0, time.UTC), "watched_at"},
		{"in 1888", time.Date(1888, 1, 1, 0, 0, 0, 0, time.UTC), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := domain.NewReview(domain.NewMovieID(), domain.NewUserID(), domain.MustNewRating(3), domain.Comment{}, tt.watchedAt, now)
			checkFieldErr(t, err, tt.field)
			if tt.field == "" && (r.ID.IsZero() || !r.WatchedAt.Equal(tt.watchedAt) || !r.CreatedAt.Equal(now)) {
				t.Fatalf("NewReview = %+v", r)
			}
		})
	}
}

func TestRestoreReview(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CEST", 2*60*60)
	watched := time.Date(2024, 5, 31, 22, 15, 30, 999_999_999, paris)
	created := time.Date(2024, 6, 1, 9, 0, 0, 123_456_789, paris)
	id, movie, user := domain.NewReviewID(), domain.NewMovieID(), domain.NewUserID()
	comment, _ := domain.NewComment(" again ")
	r, err := domain.RestoreReview(id, movie, user, domain.MustNewRating(5), comment, watched, created)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != id || r.MovieID != movie || r.UserID != user || r.Rating.Stars() != 5 || r.Comment.String() != "again" {
		t.Fatalf("RestoreReview = %+v", r)
	}
	if want := time.Date(2024, 5, 31, 20, 15, 30, 0, time.UTC); r.WatchedAt != want {
		t.Errorf("WatchedAt = %v, want UTC truncated to the second %v", r.WatchedAt, want)
	}
	if want := time.Date(2024, 6, 1, 7, 0, 0, 123_456_000, time.UTC); r.CreatedAt != want {
		t.Errorf("CreatedAt = %v, want UTC truncated to the microsecond %v", r.CreatedAt, want)
	}

	_, err = domain.RestoreReview(domain.ReviewID{}, domain.MovieID{}, domain.UserID{}, domain.Rating{}, domain.Comment{}, time.Time{}, time.Time{})
	if got := validationFields(t, err); !slices.Equal(got, []string{"review_id", "movie_id", "user_id", "watched_at", "created_at"}) {
		t.Fatalf("RestoreReview of nothing reports %v", got)
	}
}

func TestNewUserAndRestoreUser(t *testing.T) {
	t.Parallel()
	email := domain.MustParseEmail("Ann@Example.com")
	hash, err := domain.NewPasswordHash("$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA")
	if err != nil {
		t.Fatal(err)
	}
	u, err := domain.NewUser(email, hash, now.Add(123*time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID.IsZero() || u.Email.String() != "ann@example.com" || u.PasswordHash != hash || !u.CreatedAt.Equal(now) {
		t.Fatalf("NewUser = %+v", u)
	}
	_, err = domain.RestoreUser(domain.UserID{}, domain.Email{}, domain.PasswordHash{}, now)
	if got := validationFields(t, err); !slices.Equal(got, []string{"user_id", "email", "password_hash"}) {
		t.Fatalf("RestoreUser of nothing reports %v", got)
	}
}
