package sqlite_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// TestCorruptRowsReportEveryBadColumn edits stored rows around the
// repository, breaking rules the schema does not enforce, and checks that
// reading them back is an infrastructure failure naming every bad column.
func TestCorruptRowsReportEveryBadColumn(t *testing.T) {
	db, path := mustOpenTemp(t)
	repo := db.Movies()
	m := porttest.NewMovie(t, porttest.NewExternalID(t), "Playtime", 1967, "Jacques Tati")
	r := porttest.NewReview(t, m.ID, domain.NewUserID(), 5, time.Date(2024, 3, 3, 20, 0, 0, 0, time.UTC))
	if _, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: r}); err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}
	raw := rawDB(t, path)
	id, rid := m.ID.UUID(), r.ID.UUID()
	if _, err := raw.Exec(`UPDATE movies SET external_id = 'nm0000001', release_year = 3000, poster_path = ? WHERE id = ?`,
		"posters/\x01.jpg", id[:]); err != nil {
		t.Fatalf("corrupt movie: %v", err)
	}
	if _, err := raw.Exec(`UPDATE reviews SET comment = ? WHERE id = ?`, "\xff", rid[:]); err != nil {
		t.Fatalf("corrupt review: %v", err)
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
		check(t, err, "external_id", "release_year", "poster_path")
	})
	t.Run("a diary entry", func(t *testing.T) {
		_, err := repo.QueryDiary(t.Context(), domain.DiaryQuery{})
		check(t, err, "movie.external_id", "movie.release_year", "movie.poster_path", "review.comment")
	})
}
