package main_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/uuid"
	_ "github.com/lib/pq"  // PostgreSQL, to build the old schema
	_ "modernc.org/sqlite" // SQLite, likewise
)

// TestMigrateKeepsOldRatings: a database written at the schema before half
// stars (whole-star ratings, 0 to 5) is migrated by `moviediary migrate`,
// and the served diary shows every rating as it was — on SQLite and
// PostgreSQL.
func TestMigrateKeepsOldRatings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		db, driver, before string // before: the first migration not applied
	}{
		{"sqlite", "sqlite", "0005_ratings_edits_tokens.sql"},
		{"postgres", "postgres", "0006_ratings_edits_tokens.sql"},
	} {
		t.Run(tc.db, func(t *testing.T) {
			t.Parallel()
			d := newDeployment(t, tc.db)
			dsn := d.databaseURL()
			if tc.db == "sqlite" {
				dsn = "file:" + strings.TrimPrefix(dsn, "sqlite://")
			}
			raw, err := sql.Open(tc.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			applyMigrationsBefore(t, raw, tc.db, tc.before)

			movie := uuid.New()
			want := map[string]int{}
			if tc.db == "sqlite" {
				mustExec(t, raw, `INSERT INTO movies (id, external_id, title, title_key, release_year) VALUES (?, 'tt0113277', 'Heat', 'heat', 1995)`, movie[:])
			} else {
				mustExec(t, raw, `INSERT INTO movies (id, external_id, title, release_year) VALUES ($1, 'tt0113277', 'Heat', 1995)`, movie.String())
			}
			for stars := range 6 {
				id, user := uuid.New(), uuid.New()
				watched := int64(1714593600 + stars*60) // 2024-05-01T20:00:00Z and on
				if tc.db == "sqlite" {                  // Unix seconds and microseconds
					mustExec(t, raw, `INSERT INTO reviews (id, movie_id, user_id, rating, watched_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
						id[:], movie[:], user[:], stars, watched, watched*1_000_000)
				} else {
					mustExec(t, raw, `INSERT INTO reviews (id, movie_id, user_id, rating, watched_at, created_at) VALUES ($1, $2, $3, $4, to_timestamp($5), to_timestamp($5))`,
						id.String(), movie.String(), user.String(), stars, watched)
				}
				want[id.String()] = stars
			}
			raw.Close()

			if code, _, stderr := d.run("migrate"); code != 0 {
				t.Fatalf("migrate: exit %d\n%s", code, stderr)
			}
			p, base := d.serve()
			var diary struct {
				TotalCount int `json:"total_count"`
				Items      []struct {
					Review struct {
						ID     string   `json:"id"`
						Rating *float64 `json:"rating"`
					} `json:"review"`
				} `json:"items"`
			}
			getJSON(t, base, "/api/diary", "", &diary)
			if diary.TotalCount != len(want) || len(diary.Items) != len(want) {
				t.Fatalf("diary after migrate: total %d, %d items; want %d", diary.TotalCount, len(diary.Items), len(want))
			}
			for _, it := range diary.Items {
				if it.Review.Rating == nil || *it.Review.Rating != float64(want[it.Review.ID]) {
					t.Errorf("review %s: rating %v after migrate, want %d", it.Review.ID, it.Review.Rating, want[it.Review.ID])
				}
			}
			p.stop(syscall.SIGTERM)
		})
	}
}

// applyMigrationsBefore builds the schema as it was before migration
// before: it runs the adapter's migration files up to it and records them
// as the adapter does.
func applyMigrationsBefore(t *testing.T, raw *sql.DB, db, before string) {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "adapters", db, "migrations")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") && e.Name() < before {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	// The bookkeeping each adapter keeps (its migrate.go).
	if db == "sqlite" {
		mustExec(t, raw, `CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`)
	} else {
		mustExec(t, raw, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	}
	for _, n := range names {
		body, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("migration %s: %v", n, err)
		}
		version, _ := strconv.Atoi(n[:4])
		if db == "sqlite" {
			mustExec(t, raw, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)`, version, n)
		} else {
			mustExec(t, raw, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, version, n)
		}
	}
}

// mustExec runs one statement or fails the test.
func mustExec(t *testing.T, raw *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := raw.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// databaseURL is the deployment's DATABASE_URL.
func (d *deployment) databaseURL() string {
	for _, kv := range d.env {
		if v, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
			return v
		}
	}
	d.t.Fatal("the deployment has no DATABASE_URL")
	return ""
}
