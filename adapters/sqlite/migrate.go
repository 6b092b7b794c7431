package sqlite

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded files named NNNN_description.sql in
// ascending version order.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %q does not start with a positive version number and '_'", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(body)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %q and %q share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// Migrate brings the schema up to date. Each missing migration runs in its
// own write transaction together with its schema_migrations row, so a
// failure leaves the schema at the previous version. Running it again is a
// no-op. Another process migrating the same file at the same time is
// serialised by SQLite's write lock: this one waits (up to the busy
// timeout), then skips what the other applied. A database migrated by a
// newer moviediary is refused rather than guessed at.
func (db *DB) Migrate(ctx context.Context) error {
	const op = "migrate"
	ms, err := loadMigrations()
	if err != nil {
		return &dbError{op: op, kind: domain.ErrInfrastructure, err: err}
	}
	err = db.write(ctx, op, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL
		) STRICT`)
		return err
	})
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	for _, m := range ms {
		err := db.write(ctx, op+" "+m.name, func(tx *sqlx.Tx) error {
			// Read inside the write transaction: a concurrent migrator that
			// held the lock before us has committed by now.
			var newest int
			if err := tx.GetContext(ctx, &newest, `SELECT coalesce(max(version), 0) FROM schema_migrations`); err != nil {
				return err
			}
			if newest > latest {
				return fmt.Errorf("%w: database schema version %d is newer than this build knows (%d); upgrade moviediary",
					domain.ErrInfrastructure, newest, latest)
			}
			var applied bool
			if err := tx.GetContext(ctx, &applied, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.version); err != nil {
				return err
			}
			if applied {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, time.Now().Unix())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
