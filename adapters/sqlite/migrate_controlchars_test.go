package sqlite_test

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
)

// controlCharsMigration rewrites the text older versions stored with
// control characters in it.
const controlCharsMigration = "0004_control_characters.sql"

// ccMovie is a movies row as an older version could store it, with what
// the repository must read back after the migration.
type ccMovie struct {
	id            uuid.UUID
	title         string
	director      sql.NullString
	wantTitle     string
	wantDirector  string
	wantRewritten bool
	lookUpAs      string // MoviesByTitleYear with this title finds the movie
}

// ccReview is a reviews row as an older version could store it.
type ccReview struct {
	id            uuid.UUID
	movie         uuid.UUID
	comment       sql.NullString
	wantComment   string
	wantRewritten bool
}

// TestControlCharactersMigrationCleansStoredText: a database at the schema
// before the migration, holding titles, directors and comments with the
// control characters SQLite used to store as they were (NUL included),
// fails to read; migrated, every row reads and holds what the domain's
// rules say, title_key still finds each movie, clean rows are never
// written, and running the migration's statements again writes nothing.
func TestControlCharactersMigrationCleansStoredText(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "moviediary.db")
	raw := rawDB(t, path)
	migrateRawBefore(t, raw, controlCharsMigration)

	const year = 1999
	dirty := ccMovie{
		id:            uuid.New(),
		title:         "\x00The\x01Matrix\x7f\u0085Reloaded\x00\x00\t\r\n",
		director:      sql.NullString{String: "Lana\nWachowski\u009f", Valid: true},
		wantTitle:     "The Matrix  Reloaded",
		wantDirector:  "Lana Wachowski",
		wantRewritten: true,
		lookUpAs:      "the matrix  RELOADED",
	}
	blank := ccMovie{
		id:            uuid.New(),
		title:         "\x01\x00 \t",
		director:      sql.NullString{String: "\x1b\x00", Valid: true},
		wantTitle:     "Untitled",
		wantDirector:  "",
		wantRewritten: true,
		lookUpAs:      "untitled",
	}
	// U+00A0 and é lie just above the C1 range, ~ just below DEL: kept.
	clean := ccMovie{
		id:           uuid.New(),
		title:        "Amélie à Montmartre\u00a0II ~",
		director:     sql.NullString{String: "Jean-Pierre Jeunet", Valid: true},
		wantTitle:    "Amélie à Montmartre\u00a0II ~",
		wantDirector: "Jean-Pierre Jeunet",
		lookUpAs:     "AMÉLIE À MONTMARTRE\u00a0ii ~",
	}
	movies := []ccMovie{dirty, blank, clean}
	reviews := []ccReview{
		{
			id: uuid.New(), movie: dirty.id,
			comment:       sql.NullString{String: "Great\r\nfilm\rreally\x00!\x1b[31m\u0080 \x7fend\t\n", Valid: true},
			wantComment:   "Great\nfilm\nreally![31m end",
			wantRewritten: true,
		},
		{
			id: uuid.New(), movie: dirty.id,
			comment:       sql.NullString{String: "\x00\x00Only NULs\x00", Valid: true},
			wantComment:   "Only NULs",
			wantRewritten: true,
		},
		{
			id: uuid.New(), movie: blank.id,
			comment:       sql.NullString{String: "\x00\x01 \r\n\x0b", Valid: true},
			wantComment:   "",
			wantRewritten: true,
		},
		{
			id: uuid.New(), movie: clean.id,
			comment:     sql.NullString{String: "Tab\tand\nnewline, é and \u00a0 stay", Valid: true},
			wantComment: "Tab\tand\nnewline, é and \u00a0 stay",
		},
		{id: uuid.New(), movie: clean.id},
	}
	for _, m := range movies {
		if _, err := raw.Exec(`INSERT INTO movies (id, title, title_key, release_year, director) VALUES (?, ?, ?, ?, ?)`,
			m.id[:], m.title, oldTitleKey(m.title), year, m.director); err != nil {
			t.Fatalf("insert movie %q at the old schema: %v", m.title, err)
		}
	}
	watched := time.Date(2024, 5, 1, 20, 0, 0, 0, time.UTC)
	user := uuid.New()
	for i, r := range reviews {
		if _, err := raw.Exec(`INSERT INTO reviews (id, movie_id, user_id, rating, comment, watched_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.id[:], r.movie[:], user[:], 4, r.comment, watched.Add(time.Duration(i)*time.Hour).Unix(), watched.UnixMicro()); err != nil {
			t.Fatalf("insert review %q at the old schema: %v", r.comment.String, err)
		}
	}
	// Record every row the migration writes. Of reviews only the comment
	// counts: Migrate goes on to later migrations, and 0005 rewrites every
	// review's rating.
	if _, err := raw.Exec(`
		CREATE TABLE rewritten (id BLOB NOT NULL);
		CREATE TRIGGER movies_rewritten AFTER UPDATE ON movies BEGIN INSERT INTO rewritten VALUES (NEW.id); END;
		CREATE TRIGGER reviews_rewritten AFTER UPDATE OF comment ON reviews BEGIN INSERT INTO rewritten VALUES (NEW.id); END;`); err != nil {
		t.Fatalf("create the rewrite log: %v", err)
	}

	db, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	repo := db.Movies()
	all := domain.DiaryQuery{Filter: domain.DiaryFilter{Sort: domain.SortAsc}}
	if _, err := repo.QueryDiary(ctx, all); !errors.Is(err, domain.ErrInfrastructure) {
		t.Fatalf("QueryDiary before the migration = %v, want an ErrInfrastructure for the stored control characters", err)
	}

	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}

	page, err := repo.QueryDiary(ctx, all)
	if err != nil {
		t.Fatalf("QueryDiary after the migration: %v", err)
	}
	if len(page.Entries) != len(reviews) {
		t.Fatalf("QueryDiary after the migration: %d entries, want %d", len(page.Entries), len(reviews))
	}
	for i, e := range page.Entries {
		want := reviews[i]
		if e.Review.ID.UUID() != want.id {
			t.Fatalf("entry %d is review %v, want %v", i, e.Review.ID, want.id)
		}
		if got := e.Review.Comment.String(); got != want.wantComment {
			t.Errorf("QueryDiary: comment stored as %q reads %q, want %q", want.comment.String, got, want.wantComment)
		}
		m := movies[slices.IndexFunc(movies, func(m ccMovie) bool { return m.id == want.movie })]
		if e.Movie.Title.String() != m.wantTitle || e.Movie.Director.String() != m.wantDirector {
			t.Errorf("QueryDiary: movie stored as %q by %q reads %q by %q, want %q by %q",
				m.title, m.director.String, e.Movie.Title, e.Movie.Director, m.wantTitle, m.wantDirector)
		}
	}

	for _, m := range movies {
		movieID, _ := domain.MovieIDFromUUID(m.id)
		h, err := repo.ReviewHistory(ctx, movieID, domain.UserID{})
		if err != nil {
			t.Errorf("ReviewHistory(%q) after the migration: %v", m.title, err)
			continue
		}
		if h.Movie.Title.String() != m.wantTitle || h.Movie.Director.String() != m.wantDirector {
			t.Errorf("ReviewHistory: movie stored as %q by %q reads %q by %q, want %q by %q",
				m.title, m.director.String, h.Movie.Title, h.Movie.Director, m.wantTitle, m.wantDirector)
		}
		for _, v := range h.Viewings {
			want := reviews[slices.IndexFunc(reviews, func(r ccReview) bool { return r.id == v.ID.UUID() })]
			if got := v.Comment.String(); got != want.wantComment {
				t.Errorf("ReviewHistory: comment stored as %q reads %q, want %q", want.comment.String, got, want.wantComment)
			}
		}

		// title_key was rewritten with the title: the key of the new title
		// finds the movie.
		found, err := repo.MoviesByTitleYear(ctx, domain.MustNewMovieTitle(m.lookUpAs), domain.MustNewReleaseYear(year))
		if err != nil || len(found) != 1 || found[0].ID != movieID {
			t.Errorf("MoviesByTitleYear(%q) = %v, %v; want the movie stored as %q", m.lookUpAs, found, err, m.title)
		}
		var key string
		var director sql.NullString
		if err := raw.QueryRow(`SELECT title_key, director FROM movies WHERE id = ?`, m.id[:]).Scan(&key, &director); err != nil {
			t.Fatal(err)
		}
		if key != oldTitleKey(m.wantTitle) {
			t.Errorf("title_key of %q = %q, want %q", m.wantTitle, key, oldTitleKey(m.wantTitle))
		}
		if director.Valid != (m.wantDirector != "") {
			t.Errorf("director of %q stored as %+v, want NULL exactly when unknown", m.wantTitle, director)
		}
	}
	var blankComments int
	if err := raw.QueryRow(`SELECT count(*) FROM reviews WHERE comment = ''`).Scan(&blankComments); err != nil {
		t.Fatal(err)
	}
	if blankComments != 0 {
		t.Errorf("%d comments stored as '', want NULL for no comment", blankComments)
	}

	// Only the rows holding a control character were written.
	var want []string
	for _, m := range movies {
		if m.wantRewritten {
			want = append(want, hex.EncodeToString(m.id[:]))
		}
	}
	for _, r := range reviews {
		if r.wantRewritten {
			want = append(want, hex.EncodeToString(r.id[:]))
		}
	}
	slices.Sort(want)
	if got := rewrittenIDs(t, raw); !slices.Equal(got, want) {
		t.Errorf("the migration wrote rows %q, want only the ones holding control characters %q", got, want)
	}

	// Idempotent in effect: its statements find nothing left to rewrite.
	body, err := os.ReadFile(filepath.Join("migrations", controlCharsMigration))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM rewritten`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(string(body)); err != nil {
		t.Fatalf("run %s again: %v", controlCharsMigration, err)
	}
	if got := rewrittenIDs(t, raw); len(got) != 0 {
		t.Errorf("running %s again wrote rows %q, want none", controlCharsMigration, got)
	}
}

// migrateRawBefore creates schema_migrations and applies, as the runner
// would, every migration file that sorts before name.
func migrateRawBefore(t testing.TB, raw *sql.DB, name string) {
	t.Helper()
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		t.Fatalf("create schema_migrations: %v", err)
	}
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	if !slices.Contains(names, name) {
		t.Fatalf("no migration %s among %q", name, names)
	}
	for _, n := range names {
		if n >= name {
			break
		}
		version, err := strconv.Atoi(n[:4])
		if err != nil {
			t.Fatalf("migration %s: %v", n, err)
		}
		body, err := os.ReadFile(filepath.Join("migrations", n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("apply %s: %v", n, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)`, version, n); err != nil {
			t.Fatalf("record %s: %v", n, err)
		}
	}
}

// rewrittenIDs lists the IDs, in hex, of the rows the rewrite log holds.
func rewrittenIDs(t *testing.T, raw *sql.DB) []string {
	t.Helper()
	rows, err := raw.Query(`SELECT DISTINCT lower(hex(id)) FROM rewritten ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// oldTitleKey is the title_key the store writes for a title (titleKey in
// rows.go: each character mapped to the least member of its simple
// case-folding orbit), applied to any string, as older versions did to
// titles holding control characters.
func oldTitleKey(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		out = append(out, least)
	}
	return string(out)
}
