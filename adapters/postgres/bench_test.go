package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
)

// The benchmarks run on a seeded database named moviediary_bench_<n>, n
// reviews (MOVIEDIARY_BENCH_REVIEWS, default 100000). It is kept across runs
// so only the first run pays for seeding; drop it to reseed.
//
//	TEST_DATABASE_URL=… MOVIEDIARY_BENCH_REVIEWS=1000000 \
//	  go test -run '^$' -bench . -count 5 ./adapters/postgres
const (
	benchUsers      = 10
	reviewsPerMovie = 20
	historyViewings = 50
)

// benchUUID builds the deterministic, time-ordered-looking UUIDs of the
// seed: kind 1 movies, 2 reviews, 3 users, 4 the history movie's reviews.
const benchUUIDSQL = `(lpad(to_hex(%d), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(%s), 12, '0'))::uuid`

func benchUUID(kind, i int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("%08x-0000-7000-8000-%012x", kind, i))
}

type benchData struct {
	db      *postgres.DB
	url     string
	reviews int
	movies  int
}

func benchSize(b *testing.B) int {
	b.Helper()
	n := 100_000
	if s := os.Getenv("MOVIEDIARY_BENCH_REVIEWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			b.Fatalf("MOVIEDIARY_BENCH_REVIEWS=%q: want a number of at least 1000", s)
		}
		n = v
	}
	return n
}

// openBench opens (seeding on first use) the benchmark database.
func openBench(b *testing.B) benchData {
	b.Helper()
	n := benchSize(b)
	name := fmt.Sprintf("moviediary_bench_%d", n)
	url, _ := pgtest.EnsureDatabase(b, name)
	d := benchData{url: url, reviews: n, movies: n / reviewsPerMovie}
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
	var seeded bool
	if err := raw.QueryRowContext(ctx, `SELECT to_regclass('bench_seed') IS NOT NULL`).Scan(&seeded); err != nil {
		b.Fatalf("look for seed: %v", err)
	}
	if !seeded {
		start := time.Now()
		movie := fmt.Sprintf(benchUUIDSQL, 1, "1 + (i::bigint * 7919) % "+strconv.Itoa(d.movies))
		steps := []string{
			`TRUNCATE reviews, movies, review_counts`,
			fmt.Sprintf(`INSERT INTO movies (id, external_id, title, release_year, director)
				SELECT %s, 'tt' || lpad(i::text, 8, '0'), 'Film ' || i, 1900 + i %% 120,
				       CASE WHEN i %% 3 = 0 THEN 'Director ' || i %% 500 END
				FROM generate_series(0, %d) AS i`, fmt.Sprintf(benchUUIDSQL, 1, "i"), d.movies),
			fmt.Sprintf(`INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
				SELECT %s, %s, %s, i %% 11, CASE WHEN i %% 4 = 0 THEN 'comment ' || i END,
				       timestamptz '2020-01-01 00:00:00+00' + i * interval '1 minute',
				       timestamptz '2020-01-01 01:00:00+00' + i * interval '1 minute'
				FROM generate_series(1, %d) AS i`,
				fmt.Sprintf(benchUUIDSQL, 2, "i"), movie, fmt.Sprintf(benchUUIDSQL, 3, "1 + i % "+strconv.Itoa(benchUsers)), n),
			// Movie 0 is the history benchmark's: exactly 50 viewings.
			fmt.Sprintf(`INSERT INTO reviews (id, movie_id, user_id, rating_halves, watched_at, created_at)
				SELECT %s, %s, %s, i %% 11, timestamptz '2019-01-01 00:00:00+00' + i * interval '1 day', now()
				FROM generate_series(1, %d) AS i`,
				fmt.Sprintf(benchUUIDSQL, 4, "i"), fmt.Sprintf(benchUUIDSQL, 1, "0"), fmt.Sprintf(benchUUIDSQL, 3, "1"), historyViewings),
			`VACUUM (ANALYZE) movies`,
			`VACUUM (ANALYZE) reviews`,
			`VACUUM (ANALYZE) review_counts`,
			`CREATE TABLE bench_seed (reviews integer NOT NULL)`,
		}
		for _, s := range steps {
			if _, err := raw.ExecContext(ctx, s); err != nil {
				b.Fatalf("seed: %v\n%s", err, s)
			}
		}
		b.Logf("seeded %d reviews of %d movies in %v", n, d.movies, time.Since(start).Round(time.Millisecond))
	}
	d.db = db
	return d
}

func BenchmarkRepository(b *testing.B) {
	d := openBench(b)
	repo := d.db.Movies()
	ctx := context.Background()
	mustPage := func(limit, offset int) domain.Page {
		p, err := domain.NewPage(limit, offset)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	total := func() int {
		page, err := repo.QueryDiary(ctx, domain.DiaryQuery{})
		if err != nil {
			b.Fatal(err)
		}
		return page.TotalCount
	}
	query := func(b *testing.B, q func() domain.DiaryQuery, wantEntries int) {
		b.Helper()
		for b.Loop() {
			page, err := repo.QueryDiary(ctx, q())
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Entries) != wantEntries {
				b.Fatalf("%d entries, want %d", len(page.Entries), wantEntries)
			}
		}
	}

	// SaveViewing of a stored movie, as POST /api/reviews of a known IMDb
	// ID does: plain, in outbox mode (the server's default), and in outbox
	// mode with an idempotency key.
	outboxDB, err := postgres.Open(ctx, postgres.Config{URL: d.url, Outbox: true})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { _ = outboxDB.Close() })
	for _, mode := range []struct {
		name  string
		repo  *postgres.MovieRepository
		keyed bool
	}{
		{"SaveViewing", repo, false},
		{"SaveViewingOutbox", outboxDB.Movies(), false},
		{"SaveViewingOutboxWithKey", outboxDB.Movies(), true},
	} {
		b.Run(fmt.Sprintf("reviews=%d/%s", d.reviews, mode.name), func(b *testing.B) {
			movies := make([]domain.Movie, 16)
			for i := range movies {
				m, err := repo.MovieByID(ctx, domain.MustParseMovieID(benchUUID(1, 1+i*97).String()))
				if err != nil {
					b.Fatal(err)
				}
				movies[i] = m
			}
			rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
			for b.Loop() {
				m := movies[rng.IntN(len(movies))]
				user, _ := domain.UserIDFromUUID(benchUUID(3, 1+rng.IntN(benchUsers)))
				now := time.Now()
				r, err := domain.NewReview(m.ID, user, mustRatingFromHalves(b, rng.IntN(11)), domain.Comment{}, now.Add(-time.Hour), now)
				if err != nil {
					b.Fatal(err)
				}
				v := domain.Viewing{Movie: m, Review: r}
				if mode.keyed {
					key, err := domain.ParseIdempotencyKey(uuid.NewString())
					if err != nil {
						b.Fatal(err)
					}
					v.Idempotency = domain.IdempotentRequest{User: user, Key: key, Fingerprint: "bench"}
				}
				if _, err := mode.repo.SaveViewing(ctx, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Every insert bumps the whole diary's count and its user's count.
	// Those counter rows are spread over 16 slots picked by the review ID's
	// last byte; forcing that byte to 0 puts every insert on one hot row,
	// which shows what the slots buy under concurrent inserts.
	for _, slots := range []int{16, 1} {
		b.Run(fmt.Sprintf("reviews=%d/SaveViewingParallel/slots=%d", d.reviews, slots), func(b *testing.B) {
			movies := make([]domain.Movie, 64)
			for i := range movies {
				m, err := repo.MovieByID(ctx, domain.MustParseMovieID(benchUUID(1, 1+i*31).String()))
				if err != nil {
					b.Fatal(err)
				}
				movies[i] = m
			}
			user, _ := domain.UserIDFromUUID(benchUUID(3, 1))
			b.SetParallelism(8) // 16 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(2, uint64(time.Now().UnixNano())))
				for pb.Next() {
					id := uuid.Must(uuid.NewV7())
					if slots == 1 {
						id[15] = 0
					}
					rid, _ := domain.ReviewIDFromUUID(id)
					m := movies[rng.IntN(len(movies))]
					now := time.Now()
					r, err := domain.RestoreReview(rid, m.ID, user, mustRatingFromHalves(b, rng.IntN(11)), domain.Comment{}, now.Add(-time.Hour), now)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
	b.Run(fmt.Sprintf("reviews=%d/DiaryFirstPage", d.reviews), func(b *testing.B) {
		query(b, func() domain.DiaryQuery { return domain.DiaryQuery{} }, domain.DefaultPageLimit)
	})
	b.Run(fmt.Sprintf("reviews=%d/DiaryFirstPageOfUser", d.reviews), func(b *testing.B) {
		user, _ := domain.UserIDFromUUID(benchUUID(3, 3))
		query(b, func() domain.DiaryQuery { return domain.DiaryQuery{Filter: domain.DiaryFilter{UserID: user}} }, domain.DefaultPageLimit)
	})
	b.Run(fmt.Sprintf("reviews=%d/DiaryLastPageByCursor", d.reviews), func(b *testing.B) {
		// The last page, newest first, follows the 21st oldest entry.
		first := queryFirst(b, repo, domain.DiaryQuery{Filter: domain.DiaryFilter{Sort: domain.SortAsc}, Page: mustPage(domain.DefaultPageLimit+1, 0)})
		pos := domain.PositionOf(first[domain.DefaultPageLimit])
		query(b, func() domain.DiaryQuery { return domain.DiaryQuery{After: &pos} }, domain.DefaultPageLimit)
	})
	b.Run(fmt.Sprintf("reviews=%d/DiaryLastPageByOffset", d.reviews), func(b *testing.B) {
		page := mustPage(domain.DefaultPageLimit, total()-domain.DefaultPageLimit)
		query(b, func() domain.DiaryQuery { return domain.DiaryQuery{Page: page} }, domain.DefaultPageLimit)
	})
	b.Run(fmt.Sprintf("reviews=%d/ReviewHistory50", d.reviews), func(b *testing.B) {
		id, _ := domain.MovieIDFromUUID(benchUUID(1, 0))
		for b.Loop() {
			h, err := repo.ReviewHistory(ctx, id, domain.UserID{})
			if err != nil {
				b.Fatal(err)
			}
			if len(h.Viewings) != historyViewings {
				b.Fatalf("%d viewings, want %d", len(h.Viewings), historyViewings)
			}
		}
	})
}

func queryFirst(b *testing.B, repo *postgres.MovieRepository, q domain.DiaryQuery) []domain.DiaryEntry {
	b.Helper()
	page, err := repo.QueryDiary(context.Background(), q)
	if err != nil {
		b.Fatal(err)
	}
	return page.Entries
}

// mustRatingFromHalves returns the rating of halves half stars.
func mustRatingFromHalves(tb testing.TB, halves int) domain.Rating {
	tb.Helper()
	r, err := domain.RatingFromHalves(halves)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
