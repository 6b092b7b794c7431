package sqlite

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// Outbox is the durable event store of the transactional outbox, in the
// table outbox_events (migration 0002); it implements domain.Outbox. Get it
// from (*DB).Outbox. Events get there from SaveViewing (and the other
// writes of outbox mode, RecordPlay among them) when the DB was opened with
// Config.Outbox, and from BackfillPosterEvents.
//
// Claims run in one IMMEDIATE write transaction, a single UPDATE …
// RETURNING, so claimers in this process and in others sharing the file
// never lease one event twice. Completed events are deleted.
type Outbox struct {
	db *DB
}

var _ domain.Outbox = (*Outbox)(nil)

// Outbox returns the outbox of db. It works whether or not db was opened
// in outbox mode; only in that mode does SaveViewing fill it.
func (db *DB) Outbox() *Outbox { return db.outbox }

// sqlInsertEvent stores one event, due at its occurrence.
const sqlInsertEvent = `INSERT INTO outbox_events
	(id, name, payload, movie_id, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)`

// insertEvents stores events, due at their occurrence, in tx, in order.
func insertEvents(ctx context.Context, tx *sqlx.Tx, events []domain.Event) error {
	for _, e := range events {
		payload, err := domain.MarshalEvent(e)
		if err != nil {
			return err
		}
		at := createdArg(e.OccurredAt())
		if _, err := tx.ExecContext(ctx, sqlInsertEvent,
			idArg(e.EventID().UUID()), string(e.EventName()), string(payload), idArg(e.MovieID().UUID()), at, at); err != nil {
			return err
		}
	}
	return nil
}

// sqlClaim leases the oldest due, unleased live events: ?1 is now and ?2
// the lease's end, in Unix microseconds like every stored time; ?3 is the
// limit.
const sqlClaim = `UPDATE outbox_events SET locked_until = ?2
	WHERE seq IN (
		SELECT seq FROM outbox_events
		WHERE dead = 0 AND next_attempt_at <= ?1 AND locked_until <= ?1
		ORDER BY seq LIMIT ?3)
	RETURNING ` + outboxColumns

// ClaimEvents leases up to limit events due at now, oldest first, for
// lease. A lease ends at now + lease exactly.
func (o *Outbox) ClaimEvents(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]domain.OutboxEvent, error) {
	const op = "claim events"
	if limit <= 0 {
		return []domain.OutboxEvent{}, nil
	}
	var rows []outboxRow
	err := o.db.write(ctx, op, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, sqlClaim, createdArg(now), createdArg(now.Add(lease)), limit)
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order: restore the storage order.
	slices.SortFunc(rows, func(a, b outboxRow) int { return cmp.Compare(a.Seq, b.Seq) })
	events, err := outboxEvents(rows)
	return events, o.db.wrap(op, err)
}

// ExtendClaims leases the listed events that are leased at now until
// now + lease, in one statement; the others are left alone.
func (o *Outbox) ExtendClaims(ctx context.Context, ids []domain.EventID, now time.Time, lease time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+2)
	args = append(args, createdArg(now), createdArg(now.Add(lease)))
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = "?"
		args = append(args, idArg(id.UUID()))
	}
	query := `UPDATE outbox_events SET locked_until = ?2
		WHERE dead = 0 AND locked_until > ?1 AND id IN (` + strings.Join(marks, ",") + `)`
	// Numbered and plain placeholders mix: the plain ones continue after ?2.
	return o.db.write(ctx, "extend claims", func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
}

// CompleteEvent deletes the delivered event; an unknown ID is not an error.
func (o *Outbox) CompleteEvent(ctx context.Context, id domain.EventID) error {
	return o.db.write(ctx, "complete event", func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox_events WHERE id = ?`, idArg(id.UUID()))
		return err
	})
}

// FailEvent records a failed attempt and releases the lease: the event is
// due again at next, or parked when dead is true. An unknown (or completed)
// ID gives domain.ErrNotFound.
func (o *Outbox) FailEvent(ctx context.Context, id domain.EventID, failure string, next time.Time, dead bool) error {
	return o.db.write(ctx, "fail event", func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox_events
			SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, dead = ?, locked_until = 0
			WHERE id = ?`, failure, createdArg(next), dead, idArg(id.UUID()))
		return sqlrows.OneEvent(res, err, id)
	})
}

// sqlDead lists the oldest ?1 dead events.
const sqlDead = `SELECT ` + outboxColumns + ` FROM outbox_events WHERE dead = 1 ORDER BY seq LIMIT ?`

// DeadEvents lists up to limit parked events, oldest first.
func (o *Outbox) DeadEvents(ctx context.Context, limit int) ([]domain.OutboxEvent, error) {
	const op = "dead events"
	if limit <= 0 {
		return []domain.OutboxEvent{}, nil
	}
	var rows []outboxRow
	err := o.db.read(ctx, op, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, sqlDead, limit)
	})
	if err != nil {
		return nil, err
	}
	events, err := outboxEvents(rows)
	return events, o.db.wrap(op, err)
}

// RequeueEvent makes a dead event due at now with no attempts; its last
// error stays until the next failure replaces it. An ID that names no dead
// event gives domain.ErrNotFound.
func (o *Outbox) RequeueEvent(ctx context.Context, id domain.EventID, now time.Time) error {
	return o.db.write(ctx, "requeue event", func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox_events
			SET dead = 0, attempts = 0, next_attempt_at = ?, locked_until = 0
			WHERE id = ? AND dead = 1`, createdArg(now), idArg(id.UUID()))
		return sqlrows.OneEvent(res, err, id)
	})
}

// sqlNeedingPoster selects the movies that backfill gives an event: an IMDb
// ID, no poster, no pending MovieDiscovered event. Dead events are not
// pending.
const sqlNeedingPoster = `SELECT ` + movieColumns + ` FROM movies AS m
	WHERE external_id IS NOT NULL AND poster_path IS NULL
	  AND NOT EXISTS (SELECT 1 FROM outbox_events AS o
	                  WHERE o.movie_id = m.id AND o.dead = 0 AND o.name = 'movie_discovered')
	ORDER BY id`

// BackfillPosterEvents stores a MovieDiscovered event, occurring at now,
// for every movie with an external ID and no poster that has no pending
// MovieDiscovered event, and returns how many it stored. Dead events are
// not pending: their movies get a new event, and the dead one stays listed
// by DeadEvents until it is requeued. It looks and inserts in one write
// transaction, so two processes starting at once store one event per
// movie.
func (o *Outbox) BackfillPosterEvents(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := o.db.write(ctx, "backfill poster events", func(tx *sqlx.Tx) error {
		var rows []movieRow
		if err := tx.SelectContext(ctx, &rows, sqlNeedingPoster); err != nil {
			return err
		}
		events := make([]domain.Event, len(rows))
		for i, row := range rows {
			m, err := row.toDomain()
			if err != nil {
				return err
			}
			events[i] = domain.NewMovieDiscovered(m, domain.PosterURL{}, now)
		}
		n = len(events)
		return insertEvents(ctx, tx, events)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// PendingEvents counts the stored events that are not dead.
func (o *Outbox) PendingEvents(ctx context.Context) (int, error) {
	var n int
	err := o.db.read(ctx, "pending events", func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &n, `SELECT count(*) FROM outbox_events WHERE dead = 0`)
	})
	return n, err
}
