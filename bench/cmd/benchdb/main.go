// Command benchdb prepares the PostgreSQL database of moviediary's HTTP
// benchmark (scripts/bench-http.sh).
//
// Usage (DATABASE_URL names the benchmark database):
//
//	benchdb create                      create the database if it is missing
//	benchdb seed -reviews N -movies M -user-email E
//	                                    fill it once: M movies, N reviews of
//	                                    the (existing) user E; kept across runs
//	benchdb reset                       delete the reviews the benchmark
//	                                    logged since seeding, keeping the
//	                                    exact totals right, and vacuum and
//	                                    analyze every table
//	benchdb check                       print the review count and verify
//	                                    the totals table agrees with it
//
// The schema comes from moviediary itself (moviediary migrate); seeding
// relies on the schema's statement trigger to keep review_counts exact.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/lib/pq"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchdb:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		return errors.New("DATABASE_URL is required")
	}
	if len(args) == 0 {
		return errors.New("usage: benchdb create|seed|reset|check")
	}
	ctx := context.Background()
	switch args[0] {
	case "create":
		return create(ctx, dbURL)
	case "seed":
		fs := flag.NewFlagSet("seed", flag.ContinueOnError)
		reviews := fs.Int("reviews", 1_000_000, "number of reviews")
		movies := fs.Int("movies", 20_000, "number of movies")
		email := fs.String("user-email", "bench@example.com", "the account the reviews belong to")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return withDB(dbURL, func(db *sql.DB) error { return seed(ctx, db, *reviews, *movies, *email) })
	case "reset":
		return withDB(dbURL, func(db *sql.DB) error { return reset(ctx, db) })
	case "check":
		return withDB(dbURL, func(db *sql.DB) error { return check(ctx, db) })
	}
	return fmt.Errorf("unknown command %q: want create, seed, reset or check", args[0])
}

func withDB(dbURL string, fn func(*sql.DB) error) error {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// create makes the database named by dbURL through the server's
// maintenance database, unless it exists.
func create(ctx context.Context, dbURL string) error {
	u, err := url.Parse(dbURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := u.Path[1:]
	if name == "" {
		return errors.New("DATABASE_URL names no database")
	}
	u.Path = "/postgres"
	return withDB(u.String(), func(db *sql.DB) error {
		var exists bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		_, err := db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name))
		if err == nil {
			fmt.Printf("created database %s\n", name)
		}
		return err
	})
}

// seedUUID builds deterministic, ascending UUIDs (kind 1 movies, 2
// reviews), so the bulk insert appends to every index.
const seedUUID = `(lpad(to_hex(%d), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(%s), 12, '0'))::uuid`

// seed fills the database once; a later call with the same sizes does
// nothing, other sizes reseed.
func seed(ctx context.Context, db *sql.DB, reviews, movies int, email string) error {
	if reviews < 1 || movies < 1 {
		return errors.New("seed: -reviews and -movies must be positive")
	}
	var schema bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('reviews') IS NOT NULL`).Scan(&schema); err != nil {
		return err
	}
	if !schema {
		return errors.New("seed: the database has no schema: run moviediary migrate first")
	}
	var userID string
	if err := db.QueryRowContext(ctx, `SELECT id FROM users WHERE email = lower($1)`, email).Scan(&userID); err != nil {
		return fmt.Errorf("seed: find user %s (create it with moviediary user add): %w", email, err)
	}
	var seededReviews, seededMovies int
	err := db.QueryRowContext(ctx, `SELECT reviews, movies FROM bench_http_seed`).Scan(&seededReviews, &seededMovies)
	switch {
	case err == nil && seededReviews == reviews && seededMovies == movies:
		fmt.Printf("database already seeded: %d reviews of %d movies\n", reviews, movies)
		return nil
	case err != nil && !isUndefinedTable(err):
		return err
	}

	start := time.Now()
	steps := []string{
		`DROP TABLE IF EXISTS bench_http_seed`,
		`TRUNCATE reviews, movies, review_counts`,
		// Every movie has its poster stored, as in a diary that has been
		// running (the key the local poster storage gives): otherwise each
		// server started on this database would queue a poster sync per
		// movie, and deliver them during the measurements.
		fmt.Sprintf(`INSERT INTO movies (id, external_id, title, release_year, director, poster_path)
			SELECT id, 'tt' || lpad(i::text, 8, '0'), 'Film ' || i, 1900 + i %% 120,
			       CASE WHEN i %% 3 = 0 THEN 'Director ' || i %% 500 END, id::text || '.img'
			FROM generate_series(1, %d) AS i, LATERAL (SELECT %s AS id) AS m`, movies, fmt.Sprintf(seedUUID, 1, "i")),
		// One statement: the trigger adds the totals of all rows at once.
		fmt.Sprintf(`INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
			SELECT %s, %s, '%s'::uuid, NULLIF(i %% 12, 11), CASE WHEN i %% 4 = 0 THEN 'comment ' || i END,
			       timestamptz '2020-01-01 00:00:00+00' + i * interval '1 minute',
			       timestamptz '2020-01-01 01:00:00+00' + i * interval '1 minute'
			FROM generate_series(1, %d) AS i`,
			fmt.Sprintf(seedUUID, 2, "i"), fmt.Sprintf(seedUUID, 1, fmt.Sprintf("1 + (i::bigint * 7919) %% %d", movies)), userID, reviews),
		// Every table, so that the planner knows the sizes of those the
		// schema's triggers filled too (review_counts, the statistics
		// tables): the first autovacuum may come long after the benchmark.
		`VACUUM (ANALYZE)`,
		`CREATE TABLE bench_http_seed (reviews integer NOT NULL, movies integer NOT NULL, seeded_at timestamptz NOT NULL)`,
		fmt.Sprintf(`INSERT INTO bench_http_seed VALUES (%d, %d, now())`, reviews, movies),
	}
	for _, s := range steps {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("seed: %w\n%s", err, s)
		}
	}
	fmt.Printf("seeded %d reviews of %d movies in %v\n", reviews, movies, time.Since(start).Round(time.Millisecond))
	return check(ctx, db)
}

// resetSQL deletes every review logged after seeding (the schema's delete
// trigger takes each one off the exact totals) and the events the runs
// stored, and gives a poster to the movies of a database seeded before the
// seed stored them.
const resetSQL = `DELETE FROM reviews WHERE created_at >= (SELECT seeded_at FROM bench_http_seed)`

const resetEventsSQL = `UPDATE movies SET poster_path = id::text || '.img' WHERE poster_path IS NULL;
	DELETE FROM outbox_events`

// reset removes what the benchmark's POST runs added, so every run starts
// from the seeded state.
func reset(ctx context.Context, db *sql.DB) error {
	res, err := db.ExecContext(ctx, resetSQL)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if _, err := db.ExecContext(ctx, resetEventsSQL); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if deleted, _ := res.RowsAffected(); deleted > 0 {
		// Every table: the triggers changed the totals and statistics too.
		if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
	}
	return check(ctx, db)
}

// check verifies that the totals table agrees with the reviews.
func check(ctx context.Context, db *sql.DB) error {
	var rows, total int64
	err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM reviews),
		(SELECT coalesce(sum(n), 0) FROM review_counts
		  WHERE movie_id = '00000000-0000-0000-0000-000000000000' AND user_id = '00000000-0000-0000-0000-000000000000')`).Scan(&rows, &total)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if rows != total {
		return fmt.Errorf("check: %d reviews but review_counts says %d", rows, total)
	}
	fmt.Printf("%d reviews; review_counts agrees\n", rows)
	return nil
}

func isUndefinedTable(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "42P01"
}
