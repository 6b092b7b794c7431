// Package pgtest gives tests a fresh PostgreSQL database of their own.
//
// Tests name the server in the environment variable TEST_DATABASE_URL, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable; the role must be
// allowed to create databases. Without it the tests are skipped with a
// message saying so — unless CI is "true" or MOVIEDIARY_REQUIRE_POSTGRES is
// "1", where PostgreSQL-backed tests are mandatory and a missing variable
// fails them.
//
// This package is for tests only: it reads the environment and fails the
// test on any error.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
)

// Environment variables read by this package.
const (
	// EnvURL names the server tests create their databases on.
	EnvURL = "TEST_DATABASE_URL"
	// EnvRequire, set to "1", makes a missing EnvURL fail the tests.
	EnvRequire = "MOVIEDIARY_REQUIRE_POSTGRES"
)

// ServerURL returns TEST_DATABASE_URL. When it is unset it skips the test,
// or fails it where PostgreSQL is mandatory (CI=true or
// MOVIEDIARY_REQUIRE_POSTGRES=1).
func ServerURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u != "" {
		return u
	}
	if os.Getenv("CI") == "true" || os.Getenv(EnvRequire) == "1" {
		tb.Fatalf("%s not set: PostgreSQL tests are mandatory here (CI=true or %s=1); "+
			"set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvURL, EnvRequire)
	}
	tb.Skipf("%s not set: skipping PostgreSQL tests; set it to e.g. "+
		"postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them", EnvURL)
	return ""
}

// NewDatabase creates an empty database with a random name
// (moviediary_test_<hex>) on the TEST_DATABASE_URL server and returns its
// URL; the database is dropped when the test ends. Tests running in
// parallel each get their own.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	server := ServerURL(tb)
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "moviediary_test_" + hex.EncodeToString(b[:])
	createDatabase(tb, server, name)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		withServer(tb, server, func(db *sql.DB) {
			// FORCE ends sessions the test left open (PostgreSQL 13+).
			if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`); err != nil {
				tb.Errorf("pgtest: drop database %s: %v", name, err)
			}
		})
	})
	return DatabaseURL(tb, server, name)
}

var validName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// EnsureDatabase creates the named database on the TEST_DATABASE_URL server
// unless it exists, and returns its URL and whether it was just created. The
// database is kept after the test: benchmarks use it to keep a seeded data
// set across runs.
func EnsureDatabase(tb testing.TB, name string) (dbURL string, created bool) {
	tb.Helper()
	if !validName.MatchString(name) {
		tb.Fatalf("pgtest: %q is not a plain lower-case database name", name)
	}
	server := ServerURL(tb)
	var exists bool
	withServer(tb, server, func(db *sql.DB) {
		if err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
			tb.Fatalf("pgtest: look for database %s: %v", name, err)
		}
	})
	if !exists {
		createDatabase(tb, server, name)
	}
	return DatabaseURL(tb, server, name), !exists
}

// DropDatabase drops the named database if it exists.
func DropDatabase(tb testing.TB, name string) {
	tb.Helper()
	withServer(tb, ServerURL(tb), func(db *sql.DB) {
		if _, err := db.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`); err != nil {
			tb.Fatalf("pgtest: drop database %s: %v", name, err)
		}
	})
}

func createDatabase(tb testing.TB, server, name string) {
	tb.Helper()
	withServer(tb, server, func(db *sql.DB) {
		if _, err := db.Exec(`CREATE DATABASE ` + pq.QuoteIdentifier(name)); err != nil {
			tb.Fatalf("pgtest: create database %s: %v", name, err)
		}
	})
}

func withServer(tb testing.TB, server string, fn func(db *sql.DB)) {
	tb.Helper()
	connector, err := pq.NewConnector(server)
	if err != nil {
		tb.Fatalf("pgtest: %s is not a valid connection string: %v", EnvURL, err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	fn(db)
}

// DatabaseURL returns server's connection string pointed at database name.
// Both URL (postgres://…) and key=value forms are understood.
func DatabaseURL(tb testing.TB, server, name string) string {
	tb.Helper()
	if !strings.Contains(server, "://") {
		return server + " dbname=" + name
	}
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("pgtest: %s is not a valid URL: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}
