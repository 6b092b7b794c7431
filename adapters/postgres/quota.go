package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// QuotaCounter counts the uses of outside resources per window in quota
// (migration 0008); it implements domain.QuotaCounter. Get one from
// (*DB).Quota.
type QuotaCounter struct {
	db *sqlx.DB
}

var _ domain.QuotaCounter = (*QuotaCounter)(nil)

// Quota returns the quota counter on this pool.
func (db *DB) Quota() domain.QuotaCounter { return db.quota }

// Quota statements, by the primary key. sqlTakeQuota counts one use ($3 is
// the limit): it inserts the window's row with one use, or adds one to it
// while it holds fewer than the limit, and returns a row only when it
// counted. Concurrent takers of one window queue on its row, and each
// re-checks the count the previous one left.
const (
	sqlTakeQuota = `INSERT INTO quota AS q (name, window_start, used) VALUES ($1, $2, 1)
		ON CONFLICT (name, window_start) DO UPDATE SET used = q.used + 1 WHERE q.used < $3
		RETURNING used`
	sqlQuotaUsed = `SELECT used FROM quota WHERE name = $1 AND window_start = $2`
)

// TakeQuota counts one use of name in the window starting at window unless
// limit uses are counted there already; then taken is false and nothing
// changes. One statement, atomic whatever the races. A limit below 1 takes
// nothing.
func (q *QuotaCounter) TakeQuota(ctx context.Context, name string, window time.Time, limit int) (bool, error) {
	const op = "take quota"
	if name == "" {
		return false, dbError(op, domain.FieldError{Field: "name", Rule: "must not be empty"})
	}
	if limit < 1 {
		return false, nil
	}
	var used int
	err := q.db.GetContext(ctx, &used, sqlTakeQuota, name, window.UTC(), limit)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, dbError(op, err)
	}
	return true, nil
}

// QuotaUsed returns the uses of name counted in the window starting at
// window (0 when none).
func (q *QuotaCounter) QuotaUsed(ctx context.Context, name string, window time.Time) (int, error) {
	const op = "quota used"
	var used int
	err := q.db.GetContext(ctx, &used, sqlQuotaUsed, name, window.UTC())
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, dbError(op, err)
	}
	return used, nil
}
