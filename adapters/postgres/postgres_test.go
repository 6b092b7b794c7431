package postgres_test

import (
	"database/sql"
	"testing"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"

	_ "github.com/lib/pq"
)

// openDB returns a pool on a fresh, migrated database that is dropped when
// the test ends.
func openDB(t *testing.T) *postgres.DB {
	t.Helper()
	return openURL(t, pgtest.NewDatabase(t), true)
}

func openURL(t *testing.T, url string, migrate bool) *postgres.DB {
	t.Helper()
	// Tests run in parallel, each on its own database: a small pool keeps
	// the server under its connection limit while still exercising races.
	db, err := postgres.Open(t.Context(), postgres.Config{URL: url, MaxOpenConns: 4})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// Registered after pgtest's drop, so it runs first.
	t.Cleanup(func() { _ = db.Close() })
	if migrate {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	return db
}

func TestMovieRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.TestMovieRepository(t, func(t *testing.T) domain.MovieRepository {
		return openDB(t).Movies()
	})
}

func TestUserRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.TestUserRepository(t, func(t *testing.T) domain.UserRepository {
		return openDB(t).Users()
	})
}

func TestAPITokenRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.TestAPITokenRepository(t, func(t *testing.T) domain.APITokenRepository {
		return openDB(t).Tokens()
	})
}

func TestWebhookRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.TestWebhookRepository(t, func(t *testing.T) domain.WebhookRepository {
		return openDB(t).Webhooks()
	})
}

func TestPlayRecorderContract(t *testing.T) {
	t.Parallel()
	porttest.TestPlayRecorder(t, func(t *testing.T) domain.PlayRecorder {
		return openDB(t).Plays()
	})
}

func TestPublicDiaryContract(t *testing.T) {
	t.Parallel()
	porttest.TestPublicDiary(t, func(t *testing.T) porttest.PublicStore {
		db := openDB(t)
		return porttest.PublicStore{Movies: db.Movies(), Users: db.Users(), Stats: db.Statistics(), Imports: db.Imports()}
	})
}

// TestChangeListenerContract listens through one pool and writes through
// another on the same database, as two server processes would.
func TestChangeListenerContract(t *testing.T) {
	t.Parallel()
	porttest.TestChangeListener(t, func(t *testing.T) porttest.ChangeStores {
		url := pgtest.NewDatabase(t)
		listener := openURL(t, url, true)
		writer := openURL(t, url, false)
		return porttest.ChangeStores{Listener: listener, Movies: writer.Movies(), Users: writer.Users()}
	})
}

// rawDB opens a plain database/sql pool on url, for arranging and
// inspecting state that the repositories do not expose.
func rawDB(t testing.TB, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// queryInt runs a query that returns one integer.
func queryInt(t testing.TB, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
