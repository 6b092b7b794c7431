package postgres_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// TestCorruptRowsReportEveryBadColumn edits stored rows around the
// repositories, breaking rules the schema does not enforce, and checks
// that reading them back is an infrastructure failure naming every bad
// column.
func TestCorruptRowsReportEveryBadColumn(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := openURL(t, url, true)
	repo := db.Movies()
	m := porttest.NewMovie(t, porttest.NewExternalID(t), "Playtime", 1967, "Jacques Tati")
	r := porttest.NewReview(t, m.ID, domain.NewUserID(), 5, time.Date(2024, 3, 3, 20, 0, 0, 0, time.UTC))
	if _, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: r}); err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}
	u := porttest.NewUser(t, "ann@example.com")
	if err := db.Users().SaveUser(t.Context(), u); err != nil {
		t.Fatalf("SaveUser: %v", err)
	}
	raw := rawDB(t, url)
	if _, err := raw.ExecContext(t.Context(), `UPDATE movies SET title = E'\t', release_year = 3000, poster_path = E'posters/\x01.jpg'
		WHERE id = $1`, m.ID.UUID()); err != nil {
		t.Fatalf("corrupt movie: %v", err)
	}
	if _, err := raw.ExecContext(t.Context(), `UPDATE users SET email = 'not an address', password_hash = '$x' WHERE id = $1`,
		u.ID.UUID()); err != nil {
		t.Fatalf("corrupt user: %v", err)
	}

	check := func(t *testing.T, err error, columns ...string) {
		t.Helper()
		t.Log(err)
		if !errors.Is(err, domain.ErrInfrastructure) || errors.Is(err, domain.ErrValidation) {
			t.Fatalf("error = %v, want an infrastructure failure, not a validation error", err)
		}
		for _, c := range columns {
			if !strings.Contains(err.Error(), c+":") {
				t.Errorf("error %q does not report column %s", err, c)
			}
		}
	}
	t.Run("a movie", func(t *testing.T) {
		_, err := repo.MovieByID(t.Context(), m.ID)
		check(t, err, "title", "release_year", "poster_path")
	})
	t.Run("a diary entry", func(t *testing.T) {
		_, err := repo.QueryDiary(t.Context(), domain.DiaryQuery{})
		check(t, err, "movie.title", "movie.release_year", "movie.poster_path")
	})
	t.Run("a user", func(t *testing.T) {
		_, err := db.Users().UserByID(t.Context(), u.ID)
		check(t, err, "email", "password_hash")
	})
}
