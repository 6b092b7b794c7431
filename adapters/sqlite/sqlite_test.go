package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// mustOpen opens and migrates the database file at path, closed when the
// test ends.
func mustOpen(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return db
}

// mustOpenTemp opens a fresh database file in a temporary directory.
func mustOpenTemp(tb testing.TB) (*sqlite.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "moviediary.db")
	return mustOpen(tb, path), path
}

// rawDB opens the file with database/sql alone, to inspect it.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		tb.Fatalf("sql.Open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

func TestMovieRepositoryContract(t *testing.T) {
	porttest.TestMovieRepository(t, func(t *testing.T) domain.MovieRepository {
		db, _ := mustOpenTemp(t)
		return db.Movies()
	})
}

func TestUserRepositoryContract(t *testing.T) {
	porttest.TestUserRepository(t, func(t *testing.T) domain.UserRepository {
		db, _ := mustOpenTemp(t)
		return db.Users()
	})
}

func TestAPITokenRepositoryContract(t *testing.T) {
	porttest.TestAPITokenRepository(t, func(t *testing.T) domain.APITokenRepository {
		db, _ := mustOpenTemp(t)
		return db.Tokens()
	})
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		want    string
		wantErr bool
	}{
		{"relative path", "sqlite://./data/moviediary.db", "./data/moviediary.db", false},
		{"absolute path", "sqlite:///var/lib/moviediary/db.sqlite", "/var/lib/moviediary/db.sqlite", false},
		{"bare file name", "sqlite://moviediary.db", "moviediary.db", false},
		{"scheme in capitals", "SQLITE://x.db", "x.db", false},
		{"empty path", "sqlite://", "", true},
		{"other scheme", "postgres://localhost/moviediary", "", true},
		{"no scheme", "./data/moviediary.db", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := sqlite.ParseURL(tc.url)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseURL(%q) error = %v, want error %v", tc.url, err, tc.wantErr)
			}
			if cfg.Path != tc.want {
				t.Errorf("ParseURL(%q).Path = %q, want %q", tc.url, cfg.Path, tc.want)
			}
		})
	}
}

func TestOpenCreatesTheFileInWALMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd?name#1%.db")
	db := mustOpen(t, path)
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	var mode string
	if err := rawDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatalf("journal_mode: %v", err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

func TestOpenInMissingDirectoryIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "moviediary.db")
	db, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
	if err == nil {
		_ = db.Close()
		t.Fatal("Open in a missing directory succeeded")
	}
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("Open error = %v, want ErrUnavailable", err)
	}
}

// schemaOf lists what the file holds: every schema object's SQL and every
// applied migration.
func schemaOf(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	rows, err := rawDB(t, path).Query(`SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema
		UNION ALL SELECT 'migration ' || version || ' ' || name FROM schema_migrations ORDER BY 1`)
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("scan: %v", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
	return out
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	db, path := mustOpenTemp(t) // migrated once
	before := schemaOf(t, path)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	after := schemaOf(t, path)
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Errorf("schema changed by a second Migrate:\nbefore %q\nafter  %q", before, after)
	}
	if !strings.Contains(strings.Join(after, "\n"), "migration 1 0001_init.sql") {
		t.Errorf("schema_migrations does not record 0001_init.sql: %q", after)
	}
}

func TestConcurrentMigratorsBothSucceed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moviediary.db")
	const migrators = 4 // each its own DB, as separate processes would be
	dbs := make([]*sqlite.DB, migrators)
	for i := range dbs {
		db, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	errs := make([]error, migrators)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			errs[i] = db.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	var applied int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		t.Fatalf("list migrations: %v", err)
	}
	if applied != len(files) {
		t.Errorf("schema_migrations holds %d rows, want %d (each migration applied once)", applied, len(files))
	}
}

func TestMigrateRefusesANewerSchema(t *testing.T) {
	db, path := mustOpenTemp(t)
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatalf("insert future migration: %v", err)
	}
	if err := db.Migrate(t.Context()); !errors.Is(err, domain.ErrInfrastructure) {
		t.Errorf("Migrate over a newer schema error = %v, want ErrInfrastructure", err)
	}
}

// TestConcurrentWritersNeverSeeLocked runs 32 writers, half through a
// second DB on the same file (as another process would), and readers
// alongside; none may fail, and the counts must be exact.
func TestConcurrentWritersNeverSeeLocked(t *testing.T) {
	first, path := mustOpenTemp(t)
	second := mustOpen(t, path)
	const writers, perWriter = 32, 5
	watched := time.Date(2024, 5, 5, 20, 0, 0, 0, time.UTC)
	movie := porttest.NewMovie(t, porttest.NewExternalID(t), "Tokyo Story", 1953, "Yasujirō Ozu")
	user := domain.NewUserID()

	errs := make(chan error, writers*perWriter*2)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		repo := first.Movies()
		if w%2 == 1 {
			repo = second.Movies()
		}
		wg.Go(func() {
			<-start
			for i := range perWriter {
				m := movie
				m.ID = domain.NewMovieID() // every writer races to create the film
				r := porttest.NewReview(t, m.ID, user, float64((w+i)%6), watched.Add(time.Duration(w*perWriter+i)*time.Minute))
				if _, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: r}); err != nil {
					errs <- fmt.Errorf("writer %d save %d: %w", w, i, err)
				}
				if _, err := repo.QueryDiary(t.Context(), domain.DiaryQuery{Filter: domain.DiaryFilter{UserID: user}}); err != nil {
					errs <- fmt.Errorf("writer %d read %d: %w", w, i, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	canonical, err := first.Movies().MovieByExternalID(t.Context(), movie.ExternalID)
	if err != nil {
		t.Fatalf("MovieByExternalID: %v", err)
	}
	for _, filter := range []domain.DiaryFilter{{}, {MovieID: canonical.ID}, {UserID: user}, {MovieID: canonical.ID, UserID: user}} {
		page, err := second.Movies().QueryDiary(t.Context(), domain.DiaryQuery{Filter: filter})
		if err != nil {
			t.Fatalf("QueryDiary: %v", err)
		}
		if page.TotalCount != writers*perWriter {
			t.Errorf("TotalCount(%+v) = %d, want %d", filter, page.TotalCount, writers*perWriter)
		}
	}
}

func TestFailedSaveViewingStoresNothing(t *testing.T) {
	db, _ := mustOpenTemp(t)
	repo := db.Movies()
	watched := time.Date(2024, 3, 3, 20, 0, 0, 0, time.UTC)
	first := porttest.NewMovie(t, porttest.NewExternalID(t), "Playtime", 1967, "Jacques Tati")
	review := porttest.NewReview(t, first.ID, domain.NewUserID(), 5, watched)
	if _, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: first, Review: review}); err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}

	second := porttest.NewMovie(t, porttest.NewExternalID(t), "Mon Oncle", 1958, "Jacques Tati")
	dup := review // the review insert fails: its ID is stored
	dup.MovieID = second.ID
	_, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: second, Review: dup})
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("SaveViewing(duplicate review ID) error = %v, want ErrConflict", err)
	}
	if _, err := repo.MovieByID(t.Context(), second.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("movie of the failed save: error = %v, want ErrNotFound", err)
	}
	page, err := repo.QueryDiary(t.Context(), domain.DiaryQuery{Filter: domain.DiaryFilter{MovieID: second.ID}})
	if err != nil {
		t.Fatalf("QueryDiary: %v", err)
	}
	if page.TotalCount != 0 || len(page.Entries) != 0 {
		t.Errorf("failed save left %d entries counted %d, want none", len(page.Entries), page.TotalCount)
	}
}

func TestErrorsKeepKindAndDriverError(t *testing.T) {
	db, _ := mustOpenTemp(t)
	users := db.Users()
	u := porttest.NewUser(t, "ann@example.com")
	if err := users.SaveUser(t.Context(), u); err != nil {
		t.Fatalf("SaveUser: %v", err)
	}
	again := porttest.NewUser(t, "ANN@example.com")
	err := users.SaveUser(t.Context(), again)
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("SaveUser(taken email) error = %v, want ErrConflict", err)
	}
	var driverErr *msqlite.Error
	if !errors.As(err, &driverErr) || driverErr.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		t.Errorf("SaveUser(taken email) error %v does not wrap the driver's unique violation", err)
	}
	if !strings.HasPrefix(err.Error(), "sqlite: save user: ") {
		t.Errorf("error text %q does not name the operation", err)
	}

	_, err = users.UserByID(t.Context(), domain.NewUserID())
	if !errors.Is(err, domain.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("UserByID(unknown) error = %v, want ErrNotFound wrapping sql.ErrNoRows", err)
	}
}

func TestClosedDatabaseIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moviediary.db")
	db, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	movies, users := db.Movies(), db.Users()
	m := porttest.NewMovie(t, porttest.NewExternalID(t), "Late Spring", 1949, "")
	r := porttest.NewReview(t, m.ID, domain.NewUserID(), 4, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx := t.Context()
	ops := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return db.Ping(ctx) }},
		{"Migrate", func() error { return db.Migrate(ctx) }},
		{"MovieByID", func() error { _, err := movies.MovieByID(ctx, m.ID); return err }},
		{"MovieByExternalID", func() error { _, err := movies.MovieByExternalID(ctx, m.ExternalID); return err }},
		{"MoviesByTitleYear", func() error { _, err := movies.MoviesByTitleYear(ctx, m.Title, m.ReleaseYear); return err }},
		{"UpsertMovie", func() error { _, err := movies.UpsertMovie(ctx, m); return err }},
		{"SetPosterPath", func() error { return movies.SetPosterPath(ctx, m.ID, domain.MustNewPosterPath("p.jpg")) }},
		{"SaveViewing", func() error { _, err := movies.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); return err }},
		{"QueryDiary", func() error { _, err := movies.QueryDiary(ctx, domain.DiaryQuery{}); return err }},
		{"ReviewHistory", func() error { _, err := movies.ReviewHistory(ctx, m.ID, domain.UserID{}); return err }},
		{"UserByID", func() error { _, err := users.UserByID(ctx, domain.NewUserID()); return err }},
		{"SaveUser", func() error { return users.SaveUser(ctx, porttest.NewUser(t, "a@example.com")) }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			if err := op.call(); !errors.Is(err, domain.ErrUnavailable) {
				t.Errorf("%s after Close: error = %v, want ErrUnavailable", op.name, err)
			}
		})
	}
}

func TestCancelledContextIsUnavailable(t *testing.T) {
	db, _ := mustOpenTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := db.Movies().QueryDiary(ctx, domain.DiaryQuery{})
	if !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("QueryDiary(cancelled) error = %v, want ErrUnavailable wrapping context.Canceled", err)
	}
}

// TestTitleLookupFoldsLikeEqualFold checks Unicode titles, which SQLite's
// NOCASE would not fold: the lookup matches exactly what
// domain.Movie.IsManualMatch (strings.EqualFold) matches.
func TestTitleLookupFoldsLikeEqualFold(t *testing.T) {
	db, _ := mustOpenTemp(t)
	repo := db.Movies()
	stored := map[string]domain.Movie{}
	for _, title := range []string{"Amélie", "Солярис", "Straße", "Kelvin", "Ωmega"} {
		stored[title] = mustUpsert(t, repo, porttest.NewMovie(t, domain.ExternalMetadataID{}, title, 2001, ""))
	}
	tests := []struct {
		query string
		want  string // stored title it must find, "" for none
	}{
		{"AMÉLIE", "Amélie"},
		{"amélie", "Amélie"},
		{"Amelie", ""}, // an accent is not a case
		{"СОЛЯРИС", "Солярис"},
		{"STRASSE", ""}, // EqualFold does not expand ß
		{"STRAẞE", "Straße"},
		{"\u212Aelvin", "Kelvin"}, // KELVIN SIGN folds to k
		{"ωMEGA", "Ωmega"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			title := domain.MustNewMovieTitle(tc.query)
			got, err := repo.MoviesByTitleYear(t.Context(), title, domain.MustNewReleaseYear(2001))
			if err != nil {
				t.Fatalf("MoviesByTitleYear: %v", err)
			}
			var gotTitles []string
			for _, m := range got {
				gotTitles = append(gotTitles, m.Title.String())
				if !m.IsManualMatch(title, m.ReleaseYear, domain.Director{}) {
					t.Errorf("found %q, which IsManualMatch rejects", m.Title)
				}
			}
			want := []string(nil)
			if tc.want != "" {
				want = []string{stored[tc.want].Title.String()}
			}
			if strings.Join(gotTitles, "|") != strings.Join(want, "|") {
				t.Errorf("MoviesByTitleYear(%q) = %q, want %q", tc.query, gotTitles, want)
			}
		})
	}
}

func mustUpsert(t *testing.T, repo *sqlite.MovieRepository, m domain.Movie) domain.Movie {
	t.Helper()
	got, err := repo.UpsertMovie(t.Context(), m)
	if err != nil {
		t.Fatalf("UpsertMovie: %v", err)
	}
	return got
}

// TestKeysetPositionBetweenSeconds pages after a position that falls
// inside a second, which stored whole-second times must still order right.
func TestKeysetPositionBetweenSeconds(t *testing.T) {
	db, _ := mustOpenTemp(t)
	repo := db.Movies()
	base := time.Date(2024, 6, 1, 20, 0, 0, 0, time.UTC)
	m := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Chungking Express", 1994, "")
	var reviews []domain.Review
	for i := range 3 {
		r := porttest.NewReview(t, m.ID, domain.NewUserID(), 3, base.Add(time.Duration(i)*time.Second))
		if _, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: r}); err != nil {
			t.Fatalf("SaveViewing: %v", err)
		}
		reviews = append(reviews, r)
	}
	tests := []struct {
		name  string
		order domain.SortOrder
		want  []domain.Review
	}{
		{"newest first", domain.SortDesc, []domain.Review{reviews[1], reviews[0]}},
		{"oldest first", domain.SortAsc, []domain.Review{reviews[2]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, id := range []domain.ReviewID{reviews[1].ID, domain.NewReviewID()} {
				pos := domain.DiaryPosition{WatchedAt: base.Add(1500 * time.Millisecond), ReviewID: id}
				page, err := repo.QueryDiary(t.Context(), domain.DiaryQuery{Filter: domain.DiaryFilter{Sort: tc.order}, After: &pos})
				if err != nil {
					t.Fatalf("QueryDiary: %v", err)
				}
				var got []domain.ReviewID
				for _, e := range page.Entries {
					got = append(got, e.Review.ID)
				}
				var want []domain.ReviewID
				for _, r := range tc.want {
					want = append(want, r.ID)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("after %v: entries %v, want %v", pos.WatchedAt, got, want)
				}
			}
		})
	}
}

// TestCountersFollowDeletes checks the counters' delete trigger: reviews
// are append-only in moviediary, but an operator may delete rows by hand.
func TestCountersFollowDeletes(t *testing.T) {
	db, path := mustOpenTemp(t)
	repo := db.Movies()
	m := porttest.NewMovie(t, porttest.NewExternalID(t), "Yi Yi", 2000, "Edward Yang")
	user := domain.NewUserID()
	var last domain.Review
	for i := range 3 {
		last = porttest.NewReview(t, m.ID, user, 4, time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC))
		if _, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: last}); err != nil {
			t.Fatalf("SaveViewing: %v", err)
		}
	}
	id := last.ID.UUID()
	if _, err := rawDB(t, path).Exec(`DELETE FROM reviews WHERE id = ?`, id[:]); err != nil {
		t.Fatalf("delete: %v", err)
	}
	for _, f := range []domain.DiaryFilter{{}, {MovieID: m.ID}, {UserID: user}, {MovieID: m.ID, UserID: user}} {
		page, err := repo.QueryDiary(t.Context(), domain.DiaryQuery{Filter: f})
		if err != nil {
			t.Fatalf("QueryDiary: %v", err)
		}
		if page.TotalCount != 2 || len(page.Entries) != 2 {
			t.Errorf("filter %+v: TotalCount %d, %d entries; want 2, 2", f, page.TotalCount, len(page.Entries))
		}
	}
}
