package sqlite_test

import (
	"testing"

	"github.com/moviediary/moviediary/domain"
)

// TestExportDiaryWithoutCounter proves that ExportDiary does not depend on
// the diary counters for correctness: a movie missing from the user's
// review_counts row is read on its own, and its rewatch still counts.
func TestExportDiaryWithoutCounter(t *testing.T) {
	db, path := mustOpenTemp(t)
	raw := rawDB(t, path)
	for _, q := range []string{
		`INSERT INTO movies (id, title, title_key, release_year) VALUES
		  (unhex(printf('%032x', 1)), 'Heat', 'HEAT', 1995), (unhex(printf('%032x', 2)), 'Ran', 'RAN', 1985)`,
		`INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at) VALUES
		  (unhex(printf('%032x', 11)), unhex(printf('%032x', 1)), unhex(printf('%032x', 7)), 8, NULL, 100, 100000000),
		  (unhex(printf('%032x', 12)), unhex(printf('%032x', 2)), unhex(printf('%032x', 7)), 6, NULL, 200, 200000000),
		  (unhex(printf('%032x', 13)), unhex(printf('%032x', 1)), unhex(printf('%032x', 7)), 10, NULL, 300, 300000000)`,
		`DELETE FROM review_counts WHERE movie_id = unhex(printf('%032x', 1))`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	user, err := domain.UserIDFromUUID(numberedUUID(7))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		title   string
		rewatch bool
	}
	var entries []got
	err = db.Movies().ExportDiary(t.Context(), user, func(e domain.ExportedEntry) error {
		entries = append(entries, got{e.Movie.Title.String(), e.Rewatch})
		return nil
	})
	if err != nil {
		t.Fatalf("ExportDiary: %v", err)
	}
	want := []got{{"Heat", false}, {"Ran", false}, {"Heat", true}}
	if len(entries) != len(want) {
		t.Fatalf("exported %v, want %v", entries, want)
	}
	for i := range want {
		if entries[i] != want[i] {
			t.Errorf("entry %d = %v, want %v", i, entries[i], want[i])
		}
	}
}
