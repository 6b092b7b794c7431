package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// QuotaCounter counts the uses of scarce outside resources in the table
// quota (migration 0007), one row per name and window; it implements
// domain.QuotaCounter. Get it from DB.Quota. A take is one conditional
// upsert in a write transaction, and writes are serialised across
// processes, so concurrent takes never pass the limit.
type QuotaCounter struct {
	db *DB
}

var _ domain.QuotaCounter = (*QuotaCounter)(nil)

// Quota returns the quota counter of db.
func (db *DB) Quota() *QuotaCounter { return db.quota }

// TakeQuota counts one use of name in the window starting at window
// unless limit are counted there; taken reports whether it did.
func (q *QuotaCounter) TakeQuota(ctx context.Context, name string, window time.Time, limit int) (bool, error) {
	const op = "take quota"
	if limit <= 0 {
		return false, nil
	}
	taken := false
	err := q.db.write(ctx, op, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO quota (name, window_start, used) VALUES (?, ?, 1)
			ON CONFLICT (name, window_start) DO UPDATE SET used = used + 1 WHERE used < ?`,
			name, createdArg(window), limit)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		taken = n == 1
		return err
	})
	return taken, err
}

// QuotaUsed returns the uses of name counted in the window starting at
// window.
func (q *QuotaCounter) QuotaUsed(ctx context.Context, name string, window time.Time) (int, error) {
	const op = "quota used"
	if q.db.closed.Load() {
		return 0, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var used int
	err := q.db.r.GetContext(ctx, &used, `SELECT used FROM quota WHERE name = ? AND window_start = ?`, name, createdArg(window))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return used, q.db.wrap(op, err)
}
