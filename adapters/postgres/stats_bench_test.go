package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
)

// The statistics benchmarks run on a database of their own,
// moviediary_bench_stats: one account's diary of MOVIEDIARY_BENCH_REVIEWS
// reviews (default 1,000,000) of 20,000 movies, a third of them with one
// of 500 directors, watched four minutes apart from 2017 on (about 7.6
// years), seeded like bench/cmd/benchdb seeds the HTTP benchmark's: one
// INSERT … SELECT, so the statistics triggers count the whole diary in
// one statement. The database is kept across runs, reseeded when the
// size changes; drop it when done.
//
//	TEST_DATABASE_URL=… MOVIEDIARY_BENCH_REVIEWS=1000000 \
//	  go test -run '^$' -bench Stats -count 5 ./adapters/postgres
const (
	statsBenchDatabase  = "moviediary_bench_stats"
	statsBenchMovies    = 20_000
	statsBenchDirectors = 500
)

// statsBenchUser is the diary's account.
var statsBenchUser = benchUUID(3, 1)

type statsBench struct {
	db   *postgres.DB
	url  string
	user domain.UserID
	// year is a year in the middle of the diary.
	year int
}

// openStatsBench opens, seeding it on first use, the statistics
// benchmarks' database.
func openStatsBench(b *testing.B) statsBench {
	b.Helper()
	n := benchSize(b)
	url, _ := pgtest.EnsureDatabase(b, statsBenchDatabase)
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: url})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatalf("Migrate: %v", err)
	}
	raw := rawDB(b, url)
	var seeded int
	if err := raw.QueryRowContext(ctx, `SELECT coalesce((SELECT reviews FROM bench_stats_seed), 0)`).Scan(&seeded); err != nil && !strings.Contains(err.Error(), "bench_stats_seed") {
		b.Fatalf("look for the seed: %v", err)
	}
	if seeded != n {
		start := time.Now()
		steps := []string{
			`DROP TABLE IF EXISTS bench_stats_seed`,
			`TRUNCATE reviews, movies, users, review_counts`,
			fmt.Sprintf(`INSERT INTO users (id, email, password_hash, created_at)
				VALUES ('%s', 'stats@example.com', '$argon2id$v=19$m=65536,t=1,p=1$c2FsdA$aGFzaA', now())`, statsBenchUser),
			fmt.Sprintf(`INSERT INTO movies (id, external_id, title, release_year, director)
				SELECT %s, 'tt' || lpad(i::text, 8, '0'), 'Film ' || i, 1900 + i %% 120,
				       CASE WHEN i %% 3 = 0 THEN 'Director ' || i %% %d END
				FROM generate_series(1, %d) AS i`, fmt.Sprintf(benchUUIDSQL, 1, "i"), statsBenchDirectors, statsBenchMovies),
			fmt.Sprintf(`INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
				SELECT %s, %s, '%s', NULLIF(i %% 12, 11), CASE WHEN i %% 4 = 0 THEN 'comment ' || i END,
				       timestamptz '2017-01-01 00:00:00+00' + i * interval '4 minutes',
				       timestamptz '2017-01-01 01:00:00+00' + i * interval '4 minutes'
				FROM generate_series(1, %d) AS i`,
				fmt.Sprintf(benchUUIDSQL, 2, "i"), fmt.Sprintf(benchUUIDSQL, 1, fmt.Sprintf("1 + (i::bigint * 7919) %% %d", statsBenchMovies)),
				statsBenchUser, n),
			`VACUUM (ANALYZE) users, movies, reviews, review_counts,
				review_stats_months, review_stats_films, review_stats_years, review_stats_directors`,
			fmt.Sprintf(`CREATE TABLE bench_stats_seed AS SELECT %d AS reviews`, n),
		}
		for _, s := range steps {
			stepStart := time.Now()
			if _, err := raw.ExecContext(ctx, s); err != nil {
				b.Fatalf("seed: %v\n%s", err, s)
			}
			b.Logf("seed step in %v: %.60s…", time.Since(stepStart).Round(time.Millisecond), strings.Join(strings.Fields(s), " "))
		}
		b.Logf("seeded %d reviews of %d movies in %v", n, statsBenchMovies, time.Since(start).Round(time.Millisecond))
	}
	user, _ := domain.UserIDFromUUID(statsBenchUser)
	return statsBench{db: db, url: url, user: user, year: 2020}
}

// statsCases are the statistics reads measured: a user's and the whole
// diary's, of all time and of one year.
func (s statsBench) cases() []struct {
	name string
	q    domain.StatsQuery
} {
	return []struct {
		name string
		q    domain.StatsQuery
	}{
		{"user", domain.StatsQuery{User: s.user}},
		{"user-year", domain.StatsQuery{User: s.user, Year: s.year}},
		{"whole", domain.StatsQuery{}},
		{"whole-year", domain.StatsQuery{Year: s.year}},
	}
}

// BenchmarkStatsRead measures DiaryStats through the repository (the
// statement, lib/pq, decoding the top films into domain values), and, as
// db-ms, the median execution time the database reports for the same
// statement under EXPLAIN (ANALYZE, BUFFERS), run once per iteration.
func BenchmarkStatsRead(b *testing.B) {
	s := openStatsBench(b)
	ctx := context.Background()
	for _, c := range s.cases() {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				st, err := s.db.Statistics().DiaryStats(ctx, c.q)
				if err != nil {
					b.Fatal(err)
				}
				if st.Viewings == 0 || len(st.TopFilms) != domain.DefaultStatsTop || len(st.TopDirectors) != domain.DefaultStatsTop {
					b.Fatalf("stats %+v: want viewings and full top lists", st)
				}
			}
		})
	}
	raw := rawDB(b, s.url)
	for _, c := range s.cases() {
		b.Run("explain/"+c.name, func(b *testing.B) {
			scope := c.q.User.UUID()
			query := postgres.StatsSQL(c.q.Year != 0, c.q.TopOrDefault())
			var exec, plan []float64
			for b.Loop() {
				var out string
				if err := raw.QueryRowContext(ctx, `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+query, scope, c.q.Year).Scan(&out); err != nil {
					b.Fatal(err)
				}
				var res []struct {
					Plan          json.RawMessage `json:"Plan"`
					ExecutionTime float64         `json:"Execution Time"`
					PlanningTime  float64         `json:"Planning Time"`
				}
				if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 {
					b.Fatalf("EXPLAIN output %q: %v", out, err)
				}
				exec, plan = append(exec, res[0].ExecutionTime), append(plan, res[0].PlanningTime)
			}
			b.ReportMetric(median(exec), "db-ms")
			b.ReportMetric(median(plan), "plan-ms")
			rows, err := raw.QueryContext(ctx, `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) `+query, scope, c.q.Year)
			if err != nil {
				b.Fatal(err)
			}
			var lines []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					b.Fatal(err)
				}
				lines = append(lines, line)
			}
			rows.Close()
			text := strings.Join(lines, "\n")
			b.Logf("%s:\n%s", c.name, text)
		})
	}
}

// median returns the middle value of xs (the mean of the two middle ones
// for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// statsTriggers are the reviews' insert triggers this work added: the
// statistics' and the change notification's.
var statsTriggers = map[string][]string{
	"none":   {"reviews_stats_inserted", "reviews_notify_inserted"},
	"stats":  {"reviews_notify_inserted"},
	"notify": {"reviews_stats_inserted"},
	"both":   nil,
}

// BenchmarkStatsSaveViewing measures SaveViewing of a stored movie into
// the 1,000,000-review diary with the statistics and notification
// triggers disabled (none: what a save cost before), one of them, and
// both (what it costs now), in one run: each sub-benchmark disables the
// triggers it leaves out (ALTER TABLE … DISABLE TRIGGER) and enables them
// again after. Serial saves, and 16 goroutines saving at once.
func BenchmarkStatsSaveViewing(b *testing.B) {
	s := openStatsBench(b)
	ctx := context.Background()
	raw := rawDB(b, s.url)
	movies := make([]domain.Movie, 64)
	for i := range movies {
		m, err := s.db.Movies().MovieByID(ctx, domain.MustParseMovieID(benchUUID(1, 1+i*301).String()))
		if err != nil {
			b.Fatal(err)
		}
		movies[i] = m
	}
	setTriggers := func(b *testing.B, off []string, enable bool) {
		b.Helper()
		verb := "DISABLE"
		if enable {
			verb = "ENABLE"
		}
		for _, name := range off {
			if _, err := raw.ExecContext(ctx, `ALTER TABLE reviews `+verb+` TRIGGER `+name); err != nil {
				b.Fatal(err)
			}
		}
	}
	save := func(b *testing.B, rng *rand.Rand) {
		m := movies[rng.IntN(len(movies))]
		now := time.Now()
		id, _ := domain.ReviewIDFromUUID(uuid.Must(uuid.NewV7()))
		r, err := domain.RestoreReview(id, m.ID, s.user, mustRatingFromHalves(b, rng.IntN(11)), domain.Comment{}, now.Add(-time.Hour), now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.db.Movies().SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
			b.Fatal(err)
		}
	}
	for _, mode := range []string{"none", "stats", "notify", "both"} {
		b.Run("serial/triggers="+mode, func(b *testing.B) {
			setTriggers(b, statsTriggers[mode], false)
			defer setTriggers(b, statsTriggers[mode], true)
			rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
			for b.Loop() {
				save(b, rng)
			}
		})
	}
	for _, mode := range []string{"none", "stats", "notify", "both"} {
		b.Run("parallel/triggers="+mode, func(b *testing.B) {
			setTriggers(b, statsTriggers[mode], false)
			defer setTriggers(b, statsTriggers[mode], true)
			b.SetParallelism(8) // 16 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(2, uint64(time.Now().UnixNano())))
				for pb.Next() {
					save(b, rng)
				}
			})
		})
	}
}

// BenchmarkStatsTriggers measures, at the database, what each trigger of
// a one-row review insert costs: EXPLAIN (ANALYZE) of the insert
// SaveViewing makes, in a transaction rolled back after it, reports each
// trigger's time; the medians are reported as <trigger>-ms, with the
// insert's own execution time (triggers included) as insert-ms. What the
// notification costs at commit (PostgreSQL serialises the commits of
// notifying transactions) is not in these: BenchmarkStatsSaveViewing's
// parallel runs show it.
func BenchmarkStatsTriggers(b *testing.B) {
	s := openStatsBench(b)
	ctx := context.Background()
	raw := rawDB(b, s.url)
	times := map[string][]float64{}
	var total []float64
	rng := rand.New(rand.NewPCG(3, uint64(time.Now().UnixNano())))
	for b.Loop() {
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		var out string
		err = tx.QueryRowContext(ctx, `EXPLAIN (ANALYZE, FORMAT JSON)
			INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
			VALUES ($1, $2, $3, $4, NULL, now() - interval '1 hour', now())`,
			uuid.Must(uuid.NewV7()), benchUUID(1, 1+rng.IntN(statsBenchMovies)), statsBenchUser, rng.IntN(11)).Scan(&out)
		_ = tx.Rollback()
		if err != nil {
			b.Fatal(err)
		}
		var res []struct {
			ExecutionTime float64 `json:"Execution Time"`
			Triggers      []struct {
				Name string  `json:"Trigger Name"`
				Time float64 `json:"Time"`
			} `json:"Triggers"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 {
			b.Fatalf("EXPLAIN output %q: %v", out, err)
		}
		total = append(total, res[0].ExecutionTime)
		for _, tr := range res[0].Triggers {
			times[tr.Name] = append(times[tr.Name], tr.Time)
		}
	}
	b.ReportMetric(median(total), "insert-ms")
	for name, ts := range times {
		b.ReportMetric(median(ts), strings.TrimPrefix(name, "reviews_")+"-ms")
	}
}

// BenchmarkStatsChangeLatency measures how long after SaveViewing
// returns through one pool a ListenChanges on another pool of the same
// database — another server process — hears of it: the time from the
// return of SaveViewing to fn being called with the review's user and
// movie (median reported as notify-ms, the largest as max-notify-ms). The
// listener reads diary_changes every ChangePollInterval, so the median is
// about half that plus a read's time.
func BenchmarkStatsChangeLatency(b *testing.B) {
	s := openStatsBench(b)
	ctx, cancel := context.WithCancel(context.Background())
	other, err := postgres.Open(ctx, postgres.Config{URL: s.url})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = other.Close() })
	heard := make(chan domain.DiaryChange, 64)
	done := make(chan error, 1)
	go func() {
		done <- other.ListenChanges(ctx, func(c domain.DiaryChange) {
			if c.Changes() {
				heard <- c
			}
		})
	}()
	b.Cleanup(func() { cancel(); <-done })
	if c := <-heard; !c.All {
		b.Fatalf("first report %+v, want All (connected)", c)
	}
	m, err := s.db.Movies().MovieByID(ctx, domain.MustParseMovieID(benchUUID(1, 7).String()))
	if err != nil {
		b.Fatal(err)
	}
	var lags []float64
	for b.Loop() {
		now := time.Now()
		r, err := domain.RestoreReview(domain.NewReviewID(), m.ID, s.user, domain.Rating{}, domain.Comment{}, now.Add(-time.Hour), now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.db.Movies().SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		for c := range heard {
			if c.All || c.User == s.user && c.Movie == m.ID {
				lags = append(lags, float64(time.Since(committed))/float64(time.Millisecond))
				break
			}
		}
	}
	b.ReportMetric(median(lags), "notify-ms")
	b.ReportMetric(slices.Max(lags), "max-notify-ms")
}

// BenchmarkStatsPrivacy measures making the 1,000,000-review diary
// private and public again (UpdateProfile): the whole diary's statistics
// lose and regain all of its rows. One iteration is both changes.
func BenchmarkStatsPrivacy(b *testing.B) {
	s := openStatsBench(b)
	ctx := context.Background()
	on, off := true, false
	for b.Loop() {
		for _, p := range []*bool{&on, &off} {
			if _, err := s.db.Users().UpdateProfile(ctx, s.user, domain.ProfileUpdate{Private: p}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
