package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// Statistics benchmark data set: one user's diary of n reviews
// (MOVIEDIARY_BENCH_REVIEWS sets the sizes, as for the other benchmarks)
// of statsMovies films, most viewed by a skewed draw, 19 in 20 with one of
// statsDirectors directors, watched evenly over statsYears years from
// 2016, one in seven unrated. The file is loaded at the schema before
// migration 0008, which then runs on it as on an existing database: its
// time is logged ("migrated"), the backfill included.
const (
	statsMovies    = 20_000
	statsDirectors = 2_000
	statsYears     = 10
	statsEpoch     = 1_451_606_400 // 2016-01-01T00:00:00Z
	statsUserNum   = 3_000_000
	statsYear      = 2020
)

// statsSeeded caches one seeded statistics database per size.
var statsSeeded struct {
	sync.Mutex
	dbs map[int]*sqlite.DB
}

// statsDB returns the statistics database of n reviews and its path,
// seeding it on first use.
func statsDB(b *testing.B, n int) (*sqlite.DB, string) {
	b.Helper()
	statsSeeded.Lock()
	defer statsSeeded.Unlock()
	seeded.Lock()
	if seeded.dir == "" { // TestMain removes it
		dir, err := os.MkdirTemp("", "moviediary-bench-")
		if err != nil {
			b.Fatalf("MkdirTemp: %v", err)
		}
		seeded.dir, seeded.dbs = dir, map[int]*sqlite.DB{}
	}
	path := filepath.Join(seeded.dir, fmt.Sprintf("stats-%d.db", n))
	seeded.Unlock()
	if db, ok := statsSeeded.dbs[n]; ok {
		return db, path
	}
	start := time.Now()
	user := numberedUUID(statsUserNum)
	hash := porttest.NewUser(b, "stats@example.com").PasswordHash.PHC()
	bulkLoad(b, path, statsMigration, func(exec func(string, ...any)) {
		exec(`INSERT INTO users (id, email, password_hash, created_at) VALUES (?, 'stats@example.com', ?, 0)`, user[:], hash)
		exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
		  INSERT INTO movies (id, external_id, title, title_key, release_year, director)
		  SELECT unhex(printf('%032x', i)), printf('tt%07d', i), 'Film ' || i, upper('Film ' || i), 1950 + i % 70,
		         CASE WHEN i % 20 <> 0 THEN 'Director ' || (i % ?) END
		  FROM k`, statsMovies, statsDirectors)
		exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
		  INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
		  SELECT unhex(printf('%016x', i) || hex(randomblob(8))),
		         unhex(printf('%032x', 1 + abs(random()) % (1 + abs(random()) % ?))),
		         unhex(printf('%032x', ?)),
		         CASE WHEN i % 7 <> 0 THEN i % 11 END,
		         NULL,
		         ? + i * ?,
		         (? + i * ?) * 1000000
		  FROM k`,
			n, statsMovies, statsUserNum, statsEpoch, statsYears*365*86400/n, statsEpoch, statsYears*365*86400/n)
	})
	loaded := time.Since(start)
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	start = time.Now()
	if err := db.Migrate(context.Background()); err != nil {
		b.Fatalf("Migrate: %v", err)
	}
	migrated := time.Since(start)
	size := int64(0)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	raw := rawDB(b, path)
	if _, err := raw.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var statsRows int
	if err := raw.QueryRow(`SELECT (SELECT count(*) FROM stats_films) + (SELECT count(*) FROM stats_directors)
		+ (SELECT count(*) FROM stats_months) + (SELECT count(*) FROM stats_ratings) + (SELECT count(*) FROM stats_years)`).Scan(&statsRows); err != nil {
		b.Fatal(err)
	}
	b.Logf("statistics data set of %d reviews loaded in %v; migration 0008 took %v (%d statistics rows); file %d MiB",
		n, loaded.Round(time.Millisecond), migrated.Round(time.Millisecond), statsRows, size>>20)
	checkPlans(b, raw)
	if statsSeeded.dbs == nil {
		statsSeeded.dbs = map[int]*sqlite.DB{}
	}
	statsSeeded.dbs[n] = db
	return db, path
}

// statsUser is the user of the statistics data set.
func statsUser(b *testing.B) domain.UserID {
	id, err := domain.UserIDFromUUID(numberedUUID(statsUserNum))
	if err != nil {
		b.Fatal(err)
	}
	return id
}

// BenchmarkSQLiteDiaryStats reads the statistics of the one user and of
// the whole diary, for all time and for one year, from the statistics
// data set. The target is 5 ms a read.
//
//	MOVIEDIARY_BENCH_REVIEWS=1000000 go test -run '^$' -bench 'SQLiteDiaryStats|SQLiteSaveViewingStats|SQLitePrivacyToggle' -benchtime 2s ./adapters/sqlite
func BenchmarkSQLiteDiaryStats(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("reviews=%d", n), func(b *testing.B) {
			db, _ := statsDB(b, n)
			for _, q := range []struct {
				name string
				q    domain.StatsQuery
			}{
				{"user/all-time", domain.StatsQuery{User: statsUser(b)}},
				{"user/year", domain.StatsQuery{User: statsUser(b), Year: statsYear}},
				{"whole/all-time", domain.StatsQuery{}},
				{"whole/year", domain.StatsQuery{Year: statsYear}},
				{"user/all-time/top=100", domain.StatsQuery{User: statsUser(b), Top: domain.MaxStatsTop}},
			} {
				b.Run(q.name, func(b *testing.B) {
					ctx := context.Background()
					stats := db.Statistics()
					b.ReportAllocs()
					for b.Loop() {
						s, err := stats.DiaryStats(ctx, q.q)
						if err != nil {
							b.Fatalf("DiaryStats: %v", err)
						}
						if s.Viewings == 0 || len(s.TopFilms) != q.q.TopOrDefault() || len(s.TopDirectors) != q.q.TopOrDefault() {
							b.Fatalf("DiaryStats(%+v): %d viewings, %d top films, %d top directors", q.q, s.Viewings, len(s.TopFilms), len(s.TopDirectors))
						}
					}
				})
			}
		})
	}
}

// BenchmarkSQLiteSaveViewingStats logs a viewing of a film already in the
// statistics data set's diary, with the statistics triggers in place
// (stats=on) and dropped (stats=off), one after the other in the same
// run: the difference is what keeping the statistics costs a viewing.
func BenchmarkSQLiteSaveViewingStats(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("reviews=%d", n), func(b *testing.B) {
			db, path := statsDB(b, n)
			ctx := context.Background()
			movie, err := db.Movies().MovieByExternalID(ctx, domain.MustParseExternalMetadataID("tt0000042"))
			if err != nil {
				b.Fatal(err)
			}
			user := statsUser(b)
			for _, mode := range []string{"on", "off", "on"} {
				b.Run("stats="+mode, func(b *testing.B) {
					if mode == "off" {
						restore := dropStatsTriggers(b, path)
						defer restore()
					}
					now := time.Now()
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						i++
						r, err := domain.NewReview(movie.ID, user, domain.MustNewRating(float64(i%11)/2), domain.Comment{},
							now.Add(-time.Duration(i)*time.Hour), now)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := db.Movies().SaveViewing(ctx, domain.Viewing{Movie: movie, Review: r}); err != nil {
							b.Fatalf("SaveViewing: %v", err)
						}
					}
				})
			}
		})
	}
}

// dropStatsTriggers drops the statistics triggers of the file at path and
// returns what recreates them.
func dropStatsTriggers(b *testing.B, path string) func() {
	b.Helper()
	raw := rawDB(b, path)
	triggers := statsTriggerSQL(b, raw)
	for name := range triggers {
		if _, err := raw.Exec(`DROP TRIGGER ` + name); err != nil {
			b.Fatal(err)
		}
	}
	return func() {
		for _, sql := range triggers {
			if _, err := raw.Exec(sql); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSQLitePrivacyToggle makes the statistics data set's user
// private and public again: one op is both, each moving the user's
// statistics out of the whole diary's or back.
func BenchmarkSQLitePrivacyToggle(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("reviews=%d", n), func(b *testing.B) {
			db, _ := statsDB(b, n)
			ctx := context.Background()
			user := statsUser(b)
			yes, no := true, false
			for b.Loop() {
				for _, p := range []*bool{&yes, &no} {
					if _, err := db.Users().UpdateProfile(ctx, user, domain.ProfileUpdate{Private: p}); err != nil {
						b.Fatalf("UpdateProfile: %v", err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(2*b.N), "ms/toggle")
		})
	}
}

// BenchmarkSaveImportBatchStats is BenchmarkSaveImportBatch with the
// statistics kept as the store keeps them (stats=batched: the triggers
// paused, the batch's sums added with a few multi-row upserts), not kept
// (stats=off: triggers dropped, the batch's upserts skipped), and kept by
// the per-review trigger left running during the batch (stats=triggers),
// in the same run.
//
//	go test -run '^$' -bench SaveImportBatchStats -benchtime 40x ./adapters/sqlite
func BenchmarkSaveImportBatchStats(b *testing.B) {
	for _, mode := range []string{"batched", "off", "triggers"} {
		b.Run("stats="+mode, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "moviediary.db")
			db := mustOpen(b, path)
			switch mode {
			case "off":
				dropStatsTriggers(b, path)
				sqlite.SkipBatchStats(db, true)
			case "triggers":
				raw := rawDB(b, path)
				sql := statsTriggerSQL(b, raw)["reviews_stats_insert"]
				for _, stmt := range []string{`DROP TRIGGER reviews_stats_insert`,
					strings.Replace(sql, "WHEN (SELECT paused FROM review_counts_paused) = 0", "", 1)} {
					if _, err := raw.Exec(stmt); err != nil {
						b.Fatal(err)
					}
				}
				sqlite.SkipBatchStats(db, true)
			}
			benchImportBatches(b, db)
		})
	}
}
