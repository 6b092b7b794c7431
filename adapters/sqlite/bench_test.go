package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
)

// Benchmark data set: benchMovies films share the reviews at random, ten
// users write them, one minute apart from 2000-01-01; the history film has
// exactly historyViewings of its own.
const (
	benchMovies     = 10_000
	benchUsers      = 10
	historyViewings = 50
	benchEpoch      = 946_684_800 // 2000-01-01T00:00:00Z
	historyMovieNum = 20_000_000
	firstUserNum    = 1_000_000
)

// benchSizes reads MOVIEDIARY_BENCH_REVIEWS, a comma-separated list of
// diary sizes (default 100000), so the million-review run is opt-in.
func benchSizes(b *testing.B) []int {
	env := os.Getenv("MOVIEDIARY_BENCH_REVIEWS")
	if env == "" {
		return []int{100_000}
	}
	var sizes []int
	for _, f := range strings.Split(env, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= historyViewings {
			b.Fatalf("MOVIEDIARY_BENCH_REVIEWS=%q: want sizes above %d", env, historyViewings)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// seeded caches one seeded database per size for the whole run.
var seeded struct {
	sync.Mutex
	dir string
	dbs map[int]*sqlite.DB
}

func TestMain(m *testing.M) {
	code := m.Run()
	seeded.Lock()
	for _, db := range seeded.dbs {
		_ = db.Close()
	}
	if seeded.dir != "" {
		_ = os.RemoveAll(seeded.dir)
	}
	seeded.Unlock()
	os.Exit(code)
}

// seededDB returns a database holding n reviews, seeding it on first use.
func seededDB(b *testing.B, n int) *sqlite.DB {
	b.Helper()
	seeded.Lock()
	defer seeded.Unlock()
	if db, ok := seeded.dbs[n]; ok {
		return db
	}
	if seeded.dir == "" {
		dir, err := os.MkdirTemp("", "moviediary-bench-")
		if err != nil {
			b.Fatalf("MkdirTemp: %v", err)
		}
		seeded.dir, seeded.dbs = dir, map[int]*sqlite.DB{}
	}
	path := filepath.Join(seeded.dir, fmt.Sprintf("reviews-%d.db", n))
	start := time.Now()
	seed(b, path, n)
	size := int64(0)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	b.Logf("seeded %d reviews in %v: %d MiB", n, time.Since(start).Round(time.Millisecond), size>>20)
	checkPlans(b, rawDB(b, path))
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	seeded.dbs[n] = db
	return db
}

// seed fills a new file with n reviews in one transaction, generating rows
// in SQL with recursive CTEs. IDs are 16-byte blobs whose leading bytes
// count up, like the time-ordered UUIDs moviediary generates.
func seed(b *testing.B, path string, n int) {
	b.Helper()
	bulkLoad(b, path, "", func(exec func(string, ...any)) {
		exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
		  INSERT INTO movies (id, external_id, title, title_key, release_year)
		  SELECT unhex(printf('%032x', i)), printf('tt%07d', i), 'Film ' || i, upper('Film ' || i), 1950 + i % 70 FROM k`,
			benchMovies)
		exec(`INSERT INTO movies (id, external_id, title, title_key, release_year)
		  VALUES (unhex(printf('%032x', ?)), 'tt9999999', 'Rewatched', 'REWATCHED', 1999)`, historyMovieNum)
		exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
		  INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
		  SELECT unhex(printf('%016x', i) || hex(randomblob(8))),
		         unhex(printf('%032x', 1 + abs(random()) % ?)),
		         unhex(printf('%032x', ? + i % ?)),
		         i % 11,
		         CASE WHEN i % 3 = 0 THEN 'comment on viewing ' || i END,
		         ? + i * 60,
		         (? + i * 60) * 1000000
		  FROM k`,
			n-historyViewings, benchMovies, firstUserNum, benchUsers, benchEpoch, benchEpoch)
		exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
		  INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
		  SELECT unhex(printf('%016x', ? + i) || hex(randomblob(8))), unhex(printf('%032x', ?)),
		         unhex(printf('%032x', ?)), i % 11, NULL, ? + i * 86400, (? + i * 86400) * 1000000
		  FROM k`,
			historyViewings, n, historyMovieNum, firstUserNum, benchEpoch+30, benchEpoch+30)
	})
}

// bulkLoad creates the file at path, migrated to the latest schema or,
// when before names a migration, to the one before it; then in one
// transaction it runs load with the reviews' indexes and every trigger
// dropped (bulk loading is fastest without them), recreates them from
// the SQL the migrations made, and fills review_counts as the triggers
// would have, and at the latest schema the statistics as migration 0008's
// backfill does. It ends with ANALYZE and a checkpoint.
func bulkLoad(b *testing.B, path, before string, load func(exec func(string, ...any))) {
	b.Helper()
	if before == "" {
		db, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
		if err != nil {
			b.Fatalf("Open: %v", err)
		}
		if err := db.Migrate(context.Background()); err != nil {
			b.Fatalf("Migrate: %v", err)
		}
		if err := db.Close(); err != nil { // runs PRAGMA optimize
			b.Fatalf("Close: %v", err)
		}
	}
	raw := rawDB(b, path)
	raw.SetMaxOpenConns(1)
	if before != "" {
		migrateRawBefore(b, raw, before)
	}
	conn, err := raw.Conn(context.Background())
	if err != nil {
		b.Fatalf("Conn: %v", err)
	}
	defer conn.Close()
	exec := func(query string, args ...any) {
		b.Helper()
		if _, err := conn.ExecContext(context.Background(), query, args...); err != nil {
			b.Fatalf("seed %.60q: %v", query, err)
		}
	}
	exec(`PRAGMA journal_mode = WAL`)
	exec(`PRAGMA cache_size = -262144`) // 256 MiB while building indexes
	exec(`BEGIN IMMEDIATE`)
	var later []string
	rows, err := conn.QueryContext(context.Background(),
		`SELECT type, name, sql FROM sqlite_schema
		WHERE ((type = 'index' AND tbl_name = 'reviews') OR type = 'trigger') AND sql IS NOT NULL`)
	if err != nil {
		b.Fatalf("read schema: %v", err)
	}
	var drops []string
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			b.Fatalf("scan schema: %v", err)
		}
		drops = append(drops, "DROP "+typ+" "+name)
		later = append(later, sql)
	}
	if err := rows.Close(); err != nil {
		b.Fatalf("read schema: %v", err)
	}
	for _, d := range drops {
		exec(d)
	}
	load(exec)
	exec(`INSERT INTO review_counts (movie_id, user_id, n)
	  SELECT x'', x'', count(*) FROM reviews
	  UNION ALL SELECT movie_id, x'', count(*) FROM reviews GROUP BY movie_id
	  UNION ALL SELECT x'', user_id, count(*) FROM reviews GROUP BY user_id
	  UNION ALL SELECT movie_id, user_id, count(*) FROM reviews GROUP BY movie_id, user_id`)
	if before == "" {
		exec(statsBackfillSQL(b))
	}
	for _, sql := range later {
		exec(sql)
	}
	exec(`COMMIT`)
	exec(`ANALYZE`)
	exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
}

func numberedUUID(n int) uuid.UUID {
	var u uuid.UUID
	for i := 15; n > 0; i-- {
		u[i] = byte(n)
		n >>= 8
	}
	return u
}

// forEachSize runs fn as a sub-benchmark per diary size.
func forEachSize(b *testing.B, fn func(b *testing.B, db *sqlite.DB, n int)) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("reviews=%d", n), func(b *testing.B) {
			fn(b, seededDB(b, n), n)
		})
	}
}

func mustQuery(b *testing.B, db *sqlite.DB, q domain.DiaryQuery) domain.DiaryPage {
	b.Helper()
	page, err := db.Movies().QueryDiary(context.Background(), q)
	if err != nil {
		b.Fatalf("QueryDiary: %v", err)
	}
	return page
}

func benchQuery(b *testing.B, db *sqlite.DB, q domain.DiaryQuery, wantEntries int) {
	b.Helper()
	ctx := context.Background()
	repo := db.Movies()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		page, err := repo.QueryDiary(ctx, q)
		if err != nil {
			b.Fatalf("QueryDiary: %v", err)
		}
		if len(page.Entries) != wantEntries {
			b.Fatalf("page has %d entries, want %d", len(page.Entries), wantEntries)
		}
	}
}

// positionAt returns the keyset position of the entry at index i of the
// whole diary in the given order, found by offset paging (setup only).
func positionAt(b *testing.B, db *sqlite.DB, order domain.SortOrder, i int) *domain.DiaryPosition {
	b.Helper()
	page, err := domain.NewPage(1, i)
	if err != nil {
		b.Fatalf("NewPage: %v", err)
	}
	p := mustQuery(b, db, domain.DiaryQuery{Filter: domain.DiaryFilter{Sort: order}, Page: page})
	if len(p.Entries) != 1 {
		b.Fatalf("no entry at %d", i)
	}
	pos := domain.PositionOf(p.Entries[0])
	return &pos
}

func BenchmarkSQLiteSaveReview(b *testing.B) {
	forEachSize(b, func(b *testing.B, db *sqlite.DB, n int) {
		ctx := context.Background()
		repo := db.Movies()
		movie, err := repo.MovieByExternalID(ctx, domain.MustParseExternalMetadataID("tt0000042"))
		if err != nil {
			b.Fatalf("MovieByExternalID: %v", err)
		}
		user, err := domain.UserIDFromUUID(numberedUUID(firstUserNum))
		if err != nil {
			b.Fatal(err)
		}
		comment, _ := domain.NewComment("seen again")
		now := time.Now()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			// A new movie value with the stored IMDb ID: SaveViewing resolves
			// it to the stored movie, as a log by IMDb ID does.
			m := movie
			m.ID = domain.NewMovieID()
			r, err := domain.NewReview(m.ID, user, domain.MustNewRating(4), comment, now.Add(-time.Hour), now)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
				b.Fatalf("SaveViewing: %v", err)
			}
		}
	})
}

func BenchmarkSQLiteDiaryFirstPage(b *testing.B) {
	forEachSize(b, func(b *testing.B, db *sqlite.DB, n int) {
		benchQuery(b, db, domain.DiaryQuery{Page: domain.DefaultPage()}, domain.DefaultPageLimit)
	})
}

func BenchmarkSQLiteDiaryUserFirstPage(b *testing.B) {
	forEachSize(b, func(b *testing.B, db *sqlite.DB, n int) {
		user, _ := domain.UserIDFromUUID(numberedUUID(firstUserNum + 3))
		benchQuery(b, db, domain.DiaryQuery{Filter: domain.DiaryFilter{UserID: user}, Page: domain.DefaultPage()}, domain.DefaultPageLimit)
	})
}

func BenchmarkSQLiteDiaryLastPageByCursor(b *testing.B) {
	forEachSize(b, func(b *testing.B, db *sqlite.DB, n int) {
		total := mustQuery(b, db, domain.DiaryQuery{}).TotalCount
		limit := domain.DefaultPageLimit
		// The page after this position, newest first, is the last one.
		after := positionAt(b, db, domain.SortDesc, total-limit-1)
		benchQuery(b, db, domain.DiaryQuery{Page: domain.DefaultPage(), After: after}, limit)
	})
}

func BenchmarkSQLiteDiaryMiddlePageByCursor(b *testing.B) {
	forEachSize(b, func(b *testing.B, db *sqlite.DB, n int) {
		total := mustQuery(b, db, domain.DiaryQuery{}).TotalCount
		after := positionAt(b, db, domain.SortDesc, total/2)
		benchQuery(b, db, domain.DiaryQuery{Page: domain.DefaultPage(), After: after}, domain.DefaultPageLimit)
	})
}

func BenchmarkSQLiteDiaryLastPageByOffset(b *testing.B) {
	forEachSize(b, func(b *testing.B, db *sqlite.DB, n int) {
		total := mustQuery(b, db, domain.DiaryQuery{}).TotalCount
		limit := domain.DefaultPageLimit
		page, err := domain.NewPage(limit, total-limit)
		if err != nil {
			b.Fatal(err)
		}
		benchQuery(b, db, domain.DiaryQuery{Page: page}, limit)
	})
}

// BenchmarkSQLiteDiaryMiddlePageByOffset is offset paging's worst case:
// half the entries lie on either side.
func BenchmarkSQLiteDiaryMiddlePageByOffset(b *testing.B) {
	forEachSize(b, func(b *testing.B, db *sqlite.DB, n int) {
		total := mustQuery(b, db, domain.DiaryQuery{}).TotalCount
		page, err := domain.NewPage(domain.DefaultPageLimit, total/2)
		if err != nil {
			b.Fatal(err)
		}
		benchQuery(b, db, domain.DiaryQuery{Page: page}, domain.DefaultPageLimit)
	})
}

func BenchmarkSQLiteReviewHistory(b *testing.B) {
	forEachSize(b, func(b *testing.B, db *sqlite.DB, n int) {
		ctx := context.Background()
		repo := db.Movies()
		id, _ := domain.MovieIDFromUUID(numberedUUID(historyMovieNum))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			h, err := repo.ReviewHistory(ctx, id, domain.UserID{})
			if err != nil {
				b.Fatalf("ReviewHistory: %v", err)
			}
			if len(h.Viewings) != historyViewings {
				b.Fatalf("history has %d viewings, want %d", len(h.Viewings), historyViewings)
			}
		}
	})
}

// BenchmarkSQLiteCountAll is what the review_counts table saves each diary
// request: counting every review with count(*), which walks the smallest
// index whole.
func BenchmarkSQLiteCountAll(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("reviews=%d", n), func(b *testing.B) {
			seededDB(b, n)
			raw := rawDB(b, filepath.Join(seeded.dir, fmt.Sprintf("reviews-%d.db", n)))
			for b.Loop() {
				var count int
				if err := raw.QueryRow(`SELECT count(*) FROM reviews`).Scan(&count); err != nil {
					b.Fatalf("count: %v", err)
				}
				if count < n {
					b.Fatalf("count = %d, want at least %d", count, n)
				}
			}
		})
	}
}
