package postgres

import (
	"cmp"
	"context"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the advisory lock key that serialises migrators of one
// database ("moviedia" in ASCII). Advisory locks are per database, so
// migrators of different databases on one server never wait on each other.
const migrationLockKey int64 = 0x6d6f76696564_6961

// Migration is one embedded schema change.
type Migration struct {
	// Version is the file's numeric prefix; migrations apply in ascending
	// version order.
	Version int
	// Name is the file name, e.g. "0001_init.sql".
	Name string
	sql  string
}

// Migrations returns the embedded migrations in the order they apply.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: read embedded migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		prefix, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("postgres: migration file %q is not named NNNN_name.sql: %w", name, domain.ErrInfrastructure)
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, fmt.Errorf("postgres: read migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, sql: string(body)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("postgres: migrations %s and %s share version %d: %w", ms[i-1].Name, ms[i].Name, ms[i].Version, domain.ErrInfrastructure)
		}
	}
	return ms, nil
}

// Migrate brings the schema up to date and reports what it applied; running
// it again is a no-op. It holds a session-level advisory lock on one
// dedicated connection for the whole run, so a second migrator — another
// server starting at the same moment — waits, then finds every version
// applied and does nothing. Each migration runs in its own transaction
// together with its schema_migrations row, so a failed file leaves nothing
// behind and the next run retries it. A database that holds a version newer
// than this binary knows is left alone and reported with ErrMisconfigured.
func (db *DB) Migrate(ctx context.Context) error {
	_, err := db.migrate(ctx)
	return err
}

// MigrateReport is Migrate that also returns the versions it applied (none
// when the schema was already up to date).
func (db *DB) MigrateReport(ctx context.Context) (applied []int, err error) {
	return db.migrate(ctx)
}

func (db *DB) migrate(ctx context.Context) (applied []int, err error) {
	const op = "migrate"
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer conn.Close()

	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		return nil, dbError(op+": take advisory lock", err)
	}
	defer func() {
		// Unlock with a fresh context: the caller's may be cancelled, and a
		// connection that still holds the lock must not go back to the pool.
		_, uerr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey)
		if uerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = dbError(op+": release advisory lock", uerr)
			}
		}
	}()

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return nil, dbError(op+": create schema_migrations", err)
	}
	var done []int
	if err := conn.SelectContext(ctx, &done, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		return nil, dbError(op+": read schema_migrations", err)
	}
	if latest := ms[len(ms)-1].Version; len(done) > 0 && done[len(done)-1] > latest {
		return nil, fmt.Errorf("postgres: %s: the database is at schema version %d, newer than this binary's %d; upgrade the binary: %w",
			op, done[len(done)-1], latest, domain.ErrMisconfigured)
	}
	for _, m := range ms {
		if _, ok := slices.BinarySearch(done, m.Version); ok {
			continue
		}
		if err := applyMigration(ctx, conn, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

func applyMigration(ctx context.Context, conn *sqlx.Conn, m Migration) error {
	op := "migrate " + m.Name
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return dbError(op, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return dbError(op, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
		return dbError(op+": record version", err)
	}
	if err := tx.Commit(); err != nil {
		return dbError(op+": commit", err)
	}
	return nil
}
