package sqlite_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// ratingsMigration turns reviews.rating into rating_halves and adds the
// idempotency keys and API tokens.
const ratingsMigration = "0005_ratings_edits_tokens.sql"

// TestRatingsMigrationKeepsEveryRatingAndCount: a database at the schema
// before half stars, holding reviews of every rating by two users of two
// movies, migrates with every rating kept (n stars read back as n stars),
// the counters exact, the indexes and triggers in place, and the new
// column refusing what the domain refuses.
func TestRatingsMigrationKeepsEveryRatingAndCount(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "moviediary.db")
	raw := rawDB(t, path)
	migrateRawBefore(t, raw, ratingsMigration)

	movies := []uuid.UUID{uuid.New(), uuid.New()}
	users := []uuid.UUID{uuid.New(), uuid.New()}
	for i, m := range movies {
		title := fmt.Sprintf("Old Film %d", i)
		if _, err := raw.Exec(`INSERT INTO movies (id, title, title_key, release_year) VALUES (?, ?, ?, 1960)`, m[:], title, title); err != nil {
			t.Fatalf("insert movie at the old schema: %v", err)
		}
	}
	type oldReview struct {
		id           uuid.UUID
		movie, user  int
		stars        int
		watchedAtSec int64
	}
	watched := time.Date(2023, 1, 1, 20, 0, 0, 0, time.UTC)
	var reviews []oldReview
	for i := range 15 {
		r := oldReview{id: uuid.New(), movie: i % 2, user: i / 2 % 2, stars: i % 6, watchedAtSec: watched.Add(time.Duration(i) * time.Hour).Unix()}
		if _, err := raw.Exec(`INSERT INTO reviews (id, movie_id, user_id, rating, comment, watched_at, created_at) VALUES (?, ?, ?, ?, NULL, ?, ?)`,
			r.id[:], movies[r.movie][:], users[r.user][:], r.stars, r.watchedAtSec, watched.UnixMicro()); err != nil {
			t.Fatalf("insert review at the old schema: %v", err)
		}
		reviews = append(reviews, r)
	}
	_ = raw.Close()

	db := mustOpen(t, path) // migrates
	repo := db.Movies()
	for _, r := range reviews {
		id, _ := domain.ReviewIDFromUUID(r.id)
		e, err := repo.EntryByReviewID(ctx, id)
		if err != nil {
			t.Fatalf("EntryByReviewID after migrating: %v", err)
		}
		if want := domain.MustNewRating(float64(r.stars)); e.Review.Rating != want || e.Review.Rating.IsZero() {
			t.Errorf("review rated %d stars before reads back as %q, want %q", r.stars, e.Review.Rating, want)
		}
	}
	count := func(movie, user int) int {
		n := 0
		for _, r := range reviews {
			if (movie < 0 || r.movie == movie) && (user < 0 || r.user == user) {
				n++
			}
		}
		return n
	}
	checkCounts := func(when string, extra map[[2]int]int) {
		t.Helper()
		for _, mu := range [][2]int{{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {-1, 1}, {0, 0}, {0, 1}, {1, 0}, {1, 1}} {
			var f domain.DiaryFilter
			if mu[0] >= 0 {
				f.MovieID, _ = domain.MovieIDFromUUID(movies[mu[0]])
			}
			if mu[1] >= 0 {
				f.UserID, _ = domain.UserIDFromUUID(users[mu[1]])
			}
			page, err := repo.QueryDiary(ctx, domain.DiaryQuery{Filter: f, Page: mustNewPage(t, domain.MaxPageLimit)})
			if err != nil {
				t.Fatalf("QueryDiary: %v", err)
			}
			want := count(mu[0], mu[1]) + extra[mu]
			if page.TotalCount != want || len(page.Entries) != want {
				t.Errorf("%s: filter (movie %d, user %d) holds %d entries, TotalCount %d; want %d", when, mu[0], mu[1], len(page.Entries), page.TotalCount, want)
			}
		}
	}
	checkCounts("after migrating", nil)

	// The counters still follow inserts and deletes: an unrated viewing
	// logged, one old review deleted.
	movie, err := repo.MovieByID(ctx, mustMovieID(t, movies[0]))
	if err != nil {
		t.Fatalf("MovieByID: %v", err)
	}
	unrated := porttest.NewReview(t, movie.ID, mustUserID(t, users[1]), 0, watched)
	unrated.Rating = domain.Rating{}
	if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: movie, Review: unrated}); err != nil {
		t.Fatalf("SaveViewing of an unrated viewing: %v", err)
	}
	gone := reviews[0] // movie 0, user 0
	if _, err := repo.DeleteReview(ctx, mustReviewID(t, gone.id), porttest.FixtureTime); err != nil {
		t.Fatalf("DeleteReview: %v", err)
	}
	checkCounts("after a save and a delete", map[[2]int]int{
		{-1, -1}: 0, {0, -1}: 0, {-1, 0}: -1, {-1, 1}: 1, {0, 0}: -1, {0, 1}: 1,
	})

	// The schema: rating is gone, the indexes and triggers stay, and the
	// new column holds 0–10 or NULL.
	raw = rawDB(t, path)
	var columns []string
	rows, err := raw.Query(`SELECT name FROM pragma_table_info('reviews') ORDER BY cid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		columns = append(columns, c)
	}
	_ = rows.Close()
	if slices.Contains(columns, "rating") || !slices.Contains(columns, "rating_halves") {
		t.Errorf("reviews has columns %q, want rating_halves and no rating", columns)
	}
	var objects int
	if err := raw.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'reviews' AND name IN
		('reviews_watched', 'reviews_movie_watched', 'reviews_user_watched', 'reviews_movie_user_watched',
		 'reviews_count_insert', 'reviews_count_delete')`).Scan(&objects); err != nil {
		t.Fatal(err)
	}
	if objects != 6 {
		t.Errorf("%d of the 4 indexes and 2 counter triggers of reviews remain, want all 6", objects)
	}
	if _, err := raw.Exec(`UPDATE reviews SET rating_halves = 11 WHERE id = ?`, reviews[1].id[:]); err == nil {
		t.Error("rating_halves accepted 11, want the CHECK to refuse it")
	}
}

func mustNewPage(t *testing.T, limit int) domain.Page {
	t.Helper()
	p, err := domain.NewPage(limit, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustMovieID(t *testing.T, u uuid.UUID) domain.MovieID {
	t.Helper()
	id, err := domain.MovieIDFromUUID(u)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustUserID(t *testing.T, u uuid.UUID) domain.UserID {
	t.Helper()
	id, err := domain.UserIDFromUUID(u)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustReviewID(t *testing.T, u uuid.UUID) domain.ReviewID {
	t.Helper()
	id, err := domain.ReviewIDFromUUID(u)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
