package postgres

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
)

// openStatementsDB opens a pool of two connections on a fresh, migrated
// database holding n reviews of one movie by one user, newest last.
func openStatementsDB(t *testing.T, n int) (*DB, domain.UserID) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	db, err := Open(t.Context(), Config{URL: url, MaxOpenConns: 2})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// Registered after pgtest's drop, so it runs first.
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	movie, user := domain.NewMovieID(), domain.NewUserID()
	if _, err := db.x.ExecContext(t.Context(),
		`INSERT INTO movies (id, title, release_year) VALUES ($1, 'Heat', 1995)`, movie.UUID()); err != nil {
		t.Fatalf("insert movie: %v", err)
	}
	if _, err := db.x.ExecContext(t.Context(), `INSERT INTO reviews (id, movie_id, user_id, rating_halves, watched_at, created_at)
		SELECT gen_random_uuid(), $1, $2, 8, timestamptz '2024-01-01' + i * interval '1 day', now()
		FROM generate_series(1, $3) AS i`, movie.UUID(), user.UUID(), n); err != nil {
		t.Fatalf("insert reviews: %v", err)
	}
	return db, user
}

// cached returns how many statements db's cache holds.
func cached(db *DB) int {
	s := statementsOf(db.x)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.stmts)
}

func diaryPage(t *testing.T, db *DB, q domain.DiaryQuery) domain.DiaryPage {
	t.Helper()
	page, err := db.Movies().QueryDiary(t.Context(), q)
	if err != nil {
		t.Fatalf("QueryDiary(%+v): %v", q, err)
	}
	return page
}

func TestDiaryStatementsArePreparedOnceAndReused(t *testing.T) {
	t.Parallel()
	const n = 5
	db, user := openStatementsDB(t, n)

	for i := range 3 {
		page := diaryPage(t, db, domain.DiaryQuery{})
		if len(page.Entries) != n || page.TotalCount != n || page.HasMore {
			t.Fatalf("run %d: %d entries, total %d, more %v; want %d, %d, false", i, len(page.Entries), page.TotalCount, page.HasMore, n, n)
		}
		if got := cached(db); got != 1 {
			t.Fatalf("run %d: %d statements cached, want 1 (the first page's)", i, got)
		}
	}
	last := diaryPage(t, db, domain.DiaryQuery{}).Entries[n-1]
	after := domain.PositionOf(last)
	asc := diaryPage(t, db, domain.DiaryQuery{Filter: domain.DiaryFilter{Sort: domain.SortAsc}, After: &after})
	if len(asc.Entries) != n-1 || asc.TotalCount != n {
		t.Fatalf("keyset page after the oldest, ascending: %d entries, total %d; want %d, %d", len(asc.Entries), asc.TotalCount, n-1, n)
	}
	if got := cached(db); got != 2 {
		t.Fatalf("%d statements cached, want 2 (first page, keyset)", got)
	}

	// Neither a user's pages nor offset pages are prepared.
	byUser := diaryPage(t, db, domain.DiaryQuery{Filter: domain.DiaryFilter{UserID: user}})
	if len(byUser.Entries) != n || byUser.TotalCount != n {
		t.Fatalf("user's page: %d entries, total %d; want %d, %d", len(byUser.Entries), byUser.TotalCount, n, n)
	}
	deep, err := domain.NewPage(2, 4)
	if err != nil {
		t.Fatal(err)
	}
	offset := diaryPage(t, db, domain.DiaryQuery{Page: deep})
	if len(offset.Entries) != 1 || offset.TotalCount != n || offset.HasMore {
		t.Fatalf("offset page: %d entries, total %d, more %v; want 1, %d, false", len(offset.Entries), offset.TotalCount, offset.HasMore, n)
	}
	if got := cached(db); got != 2 {
		t.Fatalf("%d statements cached after a user's and an offset page, want still 2", got)
	}

	// An empty page takes its total from the prepared count statement.
	newest := diaryPage(t, db, domain.DiaryQuery{}).Entries[0]
	pos := domain.PositionOf(newest)
	empty := diaryPage(t, db, domain.DiaryQuery{Filter: domain.DiaryFilter{Sort: domain.SortAsc}, After: &pos})
	if len(empty.Entries) != 0 || empty.TotalCount != n {
		t.Fatalf("page after the newest, ascending: %d entries, total %d; want 0, %d", len(empty.Entries), empty.TotalCount, n)
	}

	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, ok := pools.Load(db.x); ok {
		t.Fatal("the closed pool's statements are still cached")
	}
}

func TestDiaryStatementsBeyondTheBoundRunUnprepared(t *testing.T) {
	t.Parallel()
	const n = 3
	db, _ := openStatementsDB(t, n)
	// One shape per page size: more shapes than the cache keeps.
	for limit := 1; limit <= maxStatements+6; limit++ {
		if limit > domain.MaxPageLimit {
			break
		}
		p, err := domain.NewPage(limit, 0)
		if err != nil {
			t.Fatal(err)
		}
		page := diaryPage(t, db, domain.DiaryQuery{Page: p})
		want := min(limit, n)
		if len(page.Entries) != want || page.TotalCount != n || page.HasMore != (limit < n) {
			t.Fatalf("limit %d: %d entries, total %d, more %v; want %d, %d, %v", limit, len(page.Entries), page.TotalCount, page.HasMore, want, n, limit < n)
		}
	}
	if got := cached(db); got != maxStatements {
		t.Fatalf("%d statements cached, want the bound %d", got, maxStatements)
	}
}

// TestDiaryStatementsSurviveLostConnections ends every server session of
// the pool: the prepared statements are prepared again on the connections
// that replace them.
func TestDiaryStatementsSurviveLostConnections(t *testing.T) {
	t.Parallel()
	const n = 4
	db, _ := openStatementsDB(t, n)
	diaryPage(t, db, domain.DiaryQuery{})

	var dbName string
	if err := db.x.GetContext(t.Context(), &dbName, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("postgres", pgtest.ServerURL(t))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	defer admin.Close()
	var ended int
	if err := admin.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1`, dbName).Scan(&ended); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if ended == 0 {
		t.Fatal("no session of the pool to end")
	}

	// The first use of a dead connection may fail (as an unprepared query
	// would); the pool then replaces it.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var lastErr error
	for ctx.Err() == nil {
		page, err := db.Movies().QueryDiary(ctx, domain.DiaryQuery{})
		if err == nil {
			if len(page.Entries) != n || page.TotalCount != n {
				t.Fatalf("after reconnecting: %d entries, total %d; want %d, %d", len(page.Entries), page.TotalCount, n, n)
			}
			return
		}
		lastErr = err
	}
	t.Fatalf("QueryDiary never succeeded after the sessions ended; last error: %v", lastErr)
}
