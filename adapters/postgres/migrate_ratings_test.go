package postgres_test

import (
	"database/sql"
	"maps"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// ratingsMigration turns whole-star ratings into half stars that may be
// absent.
const ratingsMigration = "0006_ratings_edits_tokens.sql"

// TestRatingsMigrationKeepsEveryRatingAndTotal: a database at the schema
// before half stars, holding reviews rated 0 to 5 by two users of two
// movies, migrates with every rating kept (as the same number of stars)
// and every diary total right; then deleting reviews, saving unrated and
// half-star ones, keeps the totals exact.
func TestRatingsMigrationKeepsEveryRatingAndTotal(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	raw := rawDB(t, url)
	migrateRawBefore(t, raw, ratingsMigration)

	movies := []uuid.UUID{uuid.New(), uuid.New()}
	users := []uuid.UUID{uuid.New(), uuid.New()}
	for i, m := range movies {
		if _, err := raw.Exec(`INSERT INTO movies (id, title, release_year) VALUES ($1, $2, 1960)`, m, "Film "+string(rune('A'+i))); err != nil {
			t.Fatalf("insert movie at the old schema: %v", err)
		}
	}
	type oldReview struct {
		id, movie, user uuid.UUID
		stars           int
	}
	var old []oldReview
	watched := time.Date(2024, 5, 1, 20, 0, 0, 0, time.UTC)
	for i := range 18 {
		r := oldReview{id: uuid.New(), movie: movies[i%2], user: users[i/3%2], stars: i % 6}
		if _, err := raw.Exec(`INSERT INTO reviews (id, movie_id, user_id, rating, watched_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			r.id, r.movie, r.user, r.stars, watched.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatalf("insert review at the old schema: %v", err)
		}
		old = append(old, r)
	}
	// The old schema's bulk path too: one statement, many rows.
	if _, err := raw.Exec(`INSERT INTO reviews (id, movie_id, user_id, rating, watched_at, created_at)
		SELECT gen_random_uuid(), $1, $2, i % 6, $3::timestamptz + i * interval '1 minute', $3
		FROM generate_series(1, 30) AS i`, movies[1], users[0], watched); err != nil {
		t.Fatalf("bulk insert at the old schema: %v", err)
	}
	byStars := func() map[int]int {
		t.Helper()
		rows, err := raw.Query(`SELECT rating_halves, count(*) FROM reviews GROUP BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[int]int{}
		for rows.Next() {
			var halves, n int
			if err := rows.Scan(&halves, &n); err != nil {
				t.Fatal(err)
			}
			m[halves] = n
		}
		return m
	}
	wantHalves := map[int]int{}
	{
		rows, err := raw.Query(`SELECT rating * 2, count(*) FROM reviews GROUP BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var halves, n int
			if err := rows.Scan(&halves, &n); err != nil {
				t.Fatal(err)
			}
			wantHalves[halves] = n
		}
		rows.Close()
	}

	db := openURL(t, url, true) // migrates
	repo := db.Movies()
	if got := byStars(); !maps.Equal(got, wantHalves) {
		t.Errorf("ratings in half stars after the migration %v, want %v", got, wantHalves)
	}
	for _, r := range old {
		id, _ := domain.ReviewIDFromUUID(r.id)
		e, err := repo.EntryByReviewID(ctx, id)
		if err != nil {
			t.Fatalf("EntryByReviewID after the migration: %v", err)
		}
		if e.Review.Rating.IsZero() || e.Review.Rating.Stars() != float64(r.stars) {
			t.Errorf("review rated %d stars reads %q after the migration", r.stars, e.Review.Rating)
		}
	}
	const total = 18 + 30
	checkTotals(t, repo, raw, movies, users, total)
	checkCountsExact(t, raw)

	// Deleting takes reviews off every total; new ratings go in as halves
	// or NULL.
	for _, r := range old[:5] {
		id, _ := domain.ReviewIDFromUUID(r.id)
		if _, err := repo.DeleteReview(ctx, id, porttest.FixtureTime); err != nil {
			t.Fatalf("DeleteReview: %v", err)
		}
	}
	movie, err := repo.MovieByID(ctx, mustMovieID(t, movies[0]))
	if err != nil {
		t.Fatal(err)
	}
	user, _ := domain.UserIDFromUUID(users[1])
	unrated := porttest.NewReview(t, movie.ID, user, 0, watched)
	unrated.Rating = domain.Rating{}
	for _, r := range []domain.Review{unrated, porttest.NewReview(t, movie.ID, user, 3.5, watched)} {
		if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: movie, Review: r}); err != nil {
			t.Fatalf("SaveViewing: %v", err)
		}
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM reviews WHERE id = $1 AND rating_halves IS NULL`, unrated.ID.UUID()); n != 1 {
		t.Errorf("an unrated review is stored with rating_halves NULL %d times, want once", n)
	}
	checkTotals(t, repo, raw, movies, users, total-5+2)
	checkCountsExact(t, raw)
}

// checkTotals checks QueryDiary's total for every filter of movies and
// users against a count of the reviews, and the whole diary's against
// want.
func checkTotals(t *testing.T, repo *postgres.MovieRepository, raw *sql.DB, movies, users []uuid.UUID, want int) {
	t.Helper()
	check := func(f domain.DiaryFilter, count int) {
		t.Helper()
		page, err := repo.QueryDiary(t.Context(), domain.DiaryQuery{Filter: f})
		if err != nil {
			t.Fatalf("QueryDiary(%+v): %v", f, err)
		}
		if page.TotalCount != count {
			t.Errorf("QueryDiary(%+v) total = %d, want %d", f, page.TotalCount, count)
		}
	}
	check(domain.DiaryFilter{}, want)
	for _, m := range movies {
		movie := mustMovieID(t, m)
		check(domain.DiaryFilter{MovieID: movie}, queryInt(t, raw, `SELECT count(*) FROM reviews WHERE movie_id = $1`, m))
		for _, u := range users {
			user, _ := domain.UserIDFromUUID(u)
			check(domain.DiaryFilter{MovieID: movie, UserID: user},
				queryInt(t, raw, `SELECT count(*) FROM reviews WHERE movie_id = $1 AND user_id = $2`, m, u))
		}
	}
	for _, u := range users {
		user, _ := domain.UserIDFromUUID(u)
		check(domain.DiaryFilter{UserID: user}, queryInt(t, raw, `SELECT count(*) FROM reviews WHERE user_id = $1`, u))
	}
}

// mustMovieID wraps u.
func mustMovieID(t *testing.T, u uuid.UUID) domain.MovieID {
	t.Helper()
	id, err := domain.MovieIDFromUUID(u)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
