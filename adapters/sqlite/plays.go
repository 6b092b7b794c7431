package sqlite

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// PlayRecorder records the plays media servers report in the table plays
// (migration 0006); it implements domain.PlayRecorder. Get it from
// DB.Plays. When the DB was opened with Config.Outbox, a play's
// PlayReported is stored in outbox_events in the transaction that records
// the play.
//
// The check for the same play and the insert run in one IMMEDIATE write
// transaction: SQLite serialises writers, in this process and in others
// sharing the file, so of identical concurrent reports exactly one is
// recorded.
type PlayRecorder struct {
	db *DB
}

var _ domain.PlayRecorder = (*PlayRecorder)(nil)

// Plays returns the play recorder of db.
func (db *DB) Plays() *PlayRecorder { return db.plays }

// RecordPlay records p and returns its PlayReported, occurring at now;
// when a play of the same kind, user, source and film less than
// domain.PlayDedupWindow from p.At is stored, it stores nothing and
// returns no event and false. A play domain.NewPlay would refuse is an
// error wrapping domain.ErrValidation.
func (r *PlayRecorder) RecordPlay(ctx context.Context, p domain.Play, now time.Time) ([]domain.Event, bool, error) {
	const op = "record play"
	event := domain.NewPlayReported(p, now)
	row, err := sqlrows.PlayRow(event)
	if err != nil {
		return nil, false, r.db.wrap(op, err)
	}
	after, before := sqlrows.PlayWindow(row.At)
	events := []domain.Event{event}
	recorded := false
	err = r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		var same bool
		if err := tx.GetContext(ctx, &same, `SELECT EXISTS (SELECT 1 FROM plays
			WHERE user_id = ? AND source = ? AND kind = ? AND film_key = ? AND at > ? AND at < ?)`,
			idArg(row.UserID), row.Source, row.Kind, row.FilmKey, watchedArg(after), watchedArg(before)); err != nil {
			return err
		}
		if same {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO plays (user_id, source, kind, film_key, at, event_id)
			VALUES (?, ?, ?, ?, ?, ?)`,
			idArg(row.UserID), row.Source, row.Kind, row.FilmKey, watchedArg(row.At), idArg(row.EventID)); err != nil {
			return err
		}
		if r.db.outboxMode {
			if err := insertEvents(ctx, tx, events); err != nil {
				return err
			}
		}
		recorded = true
		return nil
	})
	if err != nil || !recorded {
		return nil, false, err
	}
	return events, true, nil
}
