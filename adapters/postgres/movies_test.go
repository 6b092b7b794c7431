package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

var watched = time.Date(2024, 2, 3, 20, 15, 0, 0, time.UTC)

// TestConcurrentFirstLogsOfOneExternalID runs 16 goroutines that each log
// a first viewing of the same IMDb ID with a movie of their own: the
// database must end with one movie and 16 reviews, and no call may fail.
func TestConcurrentFirstLogsOfOneExternalID(t *testing.T) {
	t.Parallel()
	const n = 16
	tests := []struct {
		name string
		// log stores one viewing of m the way a caller would.
		log func(ctx context.Context, repo *postgres.MovieRepository, m domain.Movie, r domain.Review) (domain.SavedViewing, error)
	}{
		{"SaveViewing of a new movie", func(ctx context.Context, repo *postgres.MovieRepository, m domain.Movie, r domain.Review) (domain.SavedViewing, error) {
			return repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r})
		}},
		{"UpsertMovie then SaveViewing of the canonical movie", func(ctx context.Context, repo *postgres.MovieRepository, m domain.Movie, r domain.Review) (domain.SavedViewing, error) {
			canonical, err := repo.UpsertMovie(ctx, m)
			if err != nil {
				return domain.SavedViewing{}, fmt.Errorf("UpsertMovie: %w", err)
			}
			r.MovieID = canonical.ID
			return repo.SaveViewing(ctx, domain.Viewing{Movie: canonical, Review: r})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := pgtest.NewDatabase(t)
			repo := openURL(t, url, true).Movies()
			ext := porttest.NewExternalID(t)

			start := make(chan struct{})
			saved := make([]domain.SavedViewing, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				m := porttest.NewMovie(t, ext, "Persona", 1966, "Ingmar Bergman")
				r := porttest.NewReview(t, m.ID, domain.NewUserID(), float64(i%6), watched.Add(time.Duration(i)*time.Minute))
				wg.Go(func() {
					<-start
					saved[i], errs[i] = tc.log(t.Context(), repo, m, r)
				})
			}
			close(start)
			wg.Wait()

			movies := map[domain.MovieID]bool{}
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("goroutine %d: %v", i, errs[i])
				}
				movies[saved[i].Movie.ID] = true
			}
			if len(movies) != 1 {
				t.Errorf("the viewings resolved to %d movies, want 1", len(movies))
			}
			raw := rawDB(t, url)
			if got := queryInt(t, raw, `SELECT count(*) FROM movies`); got != 1 {
				t.Errorf("movies holds %d rows, want 1", got)
			}
			if got := queryInt(t, raw, `SELECT count(*) FROM reviews`); got != n {
				t.Errorf("reviews holds %d rows, want %d", got, n)
			}
			page, err := repo.QueryDiary(t.Context(), domain.DiaryQuery{})
			if err != nil {
				t.Fatalf("QueryDiary: %v", err)
			}
			if page.TotalCount != n {
				t.Errorf("diary TotalCount = %d, want %d", page.TotalCount, n)
			}
		})
	}
}

// TestSaveViewingFailureStoresNothing makes the review insert fail after
// the new movie was inserted (the review ID is taken): neither the movie
// nor the review nor a count may remain.
func TestSaveViewingFailureStoresNothing(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	repo := openURL(t, url, true).Movies()
	ctx := t.Context()
	user := domain.NewUserID()

	first := porttest.NewMovie(t, porttest.NewExternalID(t), "Solaris", 1972, "")
	taken := porttest.NewReview(t, first.ID, user, 4, watched)
	if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: first, Review: taken}); err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}

	second := porttest.NewMovie(t, porttest.NewExternalID(t), "Mirror", 1975, "")
	dup := taken
	dup.MovieID = second.ID
	_, err := repo.SaveViewing(ctx, domain.Viewing{Movie: second, Review: dup})
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("SaveViewing with a taken review ID: error = %v, want ErrConflict", err)
	}
	if _, err := repo.MovieByID(ctx, second.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the failed viewing's movie: MovieByID error = %v, want ErrNotFound", err)
	}
	raw := rawDB(t, url)
	if got := queryInt(t, raw, `SELECT count(*) FROM reviews`); got != 1 {
		t.Errorf("reviews holds %d rows, want 1", got)
	}
	if got := queryInt(t, raw, `SELECT coalesce(sum(n), 0) FROM review_counts WHERE movie_id = $1`, second.ID.UUID()); got != 0 {
		t.Errorf("the failed viewing's movie has a count of %d, want 0", got)
	}
}

// TestCountsMatchConcurrentInserts saves viewings of a few movies by a few
// users from many goroutines and checks every exact total the diary
// reports against count(*): the counter rows stay exact under contention
// and their fixed lock order never deadlocks.
func TestCountsMatchConcurrentInserts(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	repo := openURL(t, url, true).Movies()
	ctx := t.Context()
	movies := []domain.Movie{
		porttest.NewMovie(t, porttest.NewExternalID(t), "Ran", 1985, ""),
		porttest.NewMovie(t, domain.ExternalMetadataID{}, "Ikiru", 1952, ""),
		porttest.NewMovie(t, porttest.NewExternalID(t), "Kagemusha", 1980, ""),
	}
	users := []domain.UserID{domain.NewUserID(), domain.NewUserID(), domain.NewUserID()}

	const workers, each = 16, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m := movies[(w+i)%len(movies)]
				r := porttest.NewReview(t, m.ID, users[(w*7+i)%len(users)], float64(i%6), watched.Add(time.Duration(w*each+i)*time.Second))
				if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("SaveViewing: %v", err)
	}

	raw := rawDB(t, url)
	filters := []domain.DiaryFilter{{}}
	for _, m := range movies {
		filters = append(filters, domain.DiaryFilter{MovieID: m.ID})
		for _, u := range users {
			filters = append(filters, domain.DiaryFilter{MovieID: m.ID, UserID: u})
		}
	}
	for _, u := range users {
		filters = append(filters, domain.DiaryFilter{UserID: u})
	}
	for _, f := range filters {
		want := queryInt(t, raw, `SELECT count(*) FROM reviews
			WHERE ($1::uuid IS NULL OR movie_id = $1) AND ($2::uuid IS NULL OR user_id = $2)`,
			nullUUID(f.MovieID.IsZero(), f.MovieID.String()), nullUUID(f.UserID.IsZero(), f.UserID.String()))
		page, err := repo.QueryDiary(ctx, domain.DiaryQuery{Filter: f})
		if err != nil {
			t.Fatalf("QueryDiary: %v", err)
		}
		if page.TotalCount != want {
			t.Errorf("filter movie %v user %v: TotalCount = %d, count(*) = %d", f.MovieID, f.UserID, page.TotalCount, want)
		}
	}
	if got := queryInt(t, raw, `SELECT count(*) FROM reviews`); got != workers*each {
		t.Errorf("reviews holds %d rows, want %d", got, workers*each)
	}
}

func nullUUID(null bool, s string) any {
	if null {
		return nil
	}
	return s
}

// TestSchemaRefusesInvalidRows writes around the repository to show that
// the database itself keeps the rules: CHECK constraints on rating, year
// and external ID, and one account per address in any case.
func TestSchemaRefusesInvalidRows(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	openURL(t, url, true)
	raw := rawDB(t, url)
	ctx := t.Context()
	const movie = `0190a0e4-0000-7000-8000-000000000001`
	if _, err := raw.ExecContext(ctx, `INSERT INTO movies (id, title, release_year) VALUES ($1, 'Ok', 2000)`, movie); err != nil {
		t.Fatalf("insert valid movie: %v", err)
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO users (id, email, password_hash, created_at)
		VALUES ('0190a0e4-0000-7000-8000-0000000000aa', 'a@example.com', '$argon2id$x', now())`); err != nil {
		t.Fatalf("insert valid user: %v", err)
	}

	tests := []struct {
		name  string
		query string
		code  string
	}{
		{"rating above 5 stars", `INSERT INTO reviews (id, movie_id, user_id, rating_halves, watched_at, created_at)
			VALUES (gen_random_uuid(), '` + movie + `', gen_random_uuid(), 11, now(), now())`, "23514"},
		{"negative rating", `INSERT INTO reviews (id, movie_id, user_id, rating_halves, watched_at, created_at)
			VALUES (gen_random_uuid(), '` + movie + `', gen_random_uuid(), -1, now(), now())`, "23514"},
		{"review of an unknown movie", `INSERT INTO reviews (id, movie_id, user_id, rating_halves, watched_at, created_at)
			VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 3, now(), now())`, "23503"},
		{"year before 1888", `INSERT INTO movies (id, title, release_year) VALUES (gen_random_uuid(), 'Old', 1887)`, "23514"},
		{"malformed external ID", `INSERT INTO movies (id, external_id, title, release_year) VALUES (gen_random_uuid(), 'nm0000001', 'X', 2000)`, "23514"},
		{"blank title", `INSERT INTO movies (id, title, release_year) VALUES (gen_random_uuid(), '  ', 2000)`, "23514"},
		{"email not in lower case", `INSERT INTO users (id, email, password_hash, created_at)
			VALUES (gen_random_uuid(), 'A@EXAMPLE.COM', '$argon2id$x', now())`, "23514"},
		{"email taken", `INSERT INTO users (id, email, password_hash, created_at)
			VALUES (gen_random_uuid(), 'a@example.com', '$argon2id$x', now())`, "23505"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := raw.ExecContext(ctx, tc.query)
			pqErr := pq.As(err)
			if pqErr == nil || string(pqErr.Code) != tc.code {
				t.Errorf("error = %v, want SQLSTATE %s", err, tc.code)
			}
		})
	}
}

// TestMoviesByTitleYearFoldsUnicode shows that title matching follows the
// domain's case folding for non-ASCII titles too, whatever the server's
// locale makes of lower().
func TestMoviesByTitleYearFoldsUnicode(t *testing.T) {
	t.Parallel()
	repo := openDB(t).Movies()
	stored, err := repo.UpsertMovie(t.Context(), porttest.NewMovie(t, domain.ExternalMetadataID{}, "L'Été meurtrier", 1983, ""))
	if err != nil {
		t.Fatalf("UpsertMovie: %v", err)
	}
	tests := []struct {
		title string
		found bool
	}{
		{"L'Été meurtrier", true},
		{"l'été MEURTRIER", true},
		{"L'ÉTÉ MEURTRIER", true},
		{"L'Ete meurtrier", false},
		{"L'Été", false},
	}
	for _, tc := range tests {
		t.Run(tc.title, func(t *testing.T) {
			got, err := repo.MoviesByTitleYear(t.Context(), domain.MustNewMovieTitle(tc.title), domain.MustNewReleaseYear(1983))
			if err != nil {
				t.Fatalf("MoviesByTitleYear: %v", err)
			}
			if found := len(got) == 1 && got[0] == stored; found != tc.found || len(got) > 1 {
				t.Errorf("MoviesByTitleYear(%q) = %v, want found %v", tc.title, got, tc.found)
			}
		})
	}
}
