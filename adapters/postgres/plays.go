package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// PlayRecorder records the plays media servers report in plays (migration
// 0007); it implements domain.PlayRecorder. Get one from (*DB).Plays.
type PlayRecorder struct {
	db     *sqlx.DB
	outbox bool
}

var _ domain.PlayRecorder = (*PlayRecorder)(nil)

// Plays returns the play recorder on this pool.
func (db *DB) Plays() *PlayRecorder { return db.plays }

// Play statements. sqlLockPlay takes the transaction-level advisory lock
// of a play's de-duplication key (user, source, kind, film key), so that
// of concurrent reports of one play the second waits for the first to
// end; it is a statement of its own, so that sqlInsertPlay's snapshot,
// taken after the lock, sees the play the first stored. sqlInsertPlay
// stores the play unless one of its key lies strictly between $5 and $6,
// through plays_dedup_idx, and returns a row only when it stored.
const (
	sqlLockPlay   = `SELECT pg_advisory_xact_lock(hashtextextended($1::text || '|' || $2 || '|' || $3 || '|' || $4, 0))`
	sqlInsertPlay = `INSERT INTO plays (user_id, source, kind, film_key, at, event_id)
		SELECT $1, $2, $3, $4, $7, $8
		WHERE NOT EXISTS (SELECT 1 FROM plays
			WHERE user_id = $1 AND source = $2 AND kind = $3 AND film_key = $4 AND at > $5 AND at < $6)
		RETURNING id`
)

// RecordPlay stores p and its PlayReported event, occurring at now, in one
// transaction, and returns the event for the caller to publish once
// committed; in outbox mode (Config.Outbox) the event is inserted into
// outbox_events in that transaction, with the nil UUID as its movie (the
// film is not resolved yet), and the caller notifies the outbox after
// commit as it does after SaveViewing. When a play of the same kind, user,
// source and film (Play.FilmKey) less than domain.PlayDedupWindow from
// p.At is stored, it stores nothing and returns recorded false and no
// events. Concurrent reports of one play are serialised by an advisory
// lock on that key, taken first in the transaction, so exactly one of them
// is recorded. A p that sqlrows.PlayRow refuses (not made by
// domain.NewPlay) is refused with ErrValidation.
func (r *PlayRecorder) RecordPlay(ctx context.Context, p domain.Play, now time.Time) (events []domain.Event, recorded bool, err error) {
	const op = "record play"
	event := domain.NewPlayReported(p, now)
	row, err := sqlrows.PlayRow(event)
	if err != nil {
		return nil, false, dbError(op, err)
	}
	after, before := sqlrows.PlayWindow(row.At)
	err = inTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, sqlLockPlay, row.UserID.String(), row.Source, row.Kind, row.FilmKey); err != nil {
			return dbError(op+": lock", err)
		}
		var id int64
		err := tx.GetContext(ctx, &id, sqlInsertPlay, row.UserID, row.Source, row.Kind, row.FilmKey, after, before, row.At, row.EventID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the same play is stored: store nothing
		}
		if err != nil {
			return dbError(op, err)
		}
		recorded = true
		if !r.outbox {
			return nil
		}
		return insertEvents(ctx, tx, op, []domain.Event{event})
	})
	if err != nil {
		return nil, false, err
	}
	if !recorded {
		return nil, false, nil
	}
	return []domain.Event{event}, true, nil
}
