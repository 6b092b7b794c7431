package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// OutboxChannel is the LISTEN/NOTIFY channel that outbox inserts notify at
// commit; ListenOutbox listens on it.
const OutboxChannel = "moviediary_outbox"

// backfillLockKey is the transaction-level advisory lock that serialises
// backfills of one database ("mdbackfl" in ASCII), so that two processes
// starting at once store one event per movie.
const backfillLockKey int64 = 0x6d646261636b666c

// maxEventsPerInsert bounds the rows of one INSERT (7 parameters each, far
// below PostgreSQL's 65,535).
const maxEventsPerInsert = 1000

// Outbox is the durable event store of the transactional outbox, in the
// table outbox_events (migration 0002); it implements domain.Outbox. Get it
// from (*DB).Outbox. Events get there from SaveViewing when the pool was
// opened with Config.Outbox, and from BackfillPosterEvents.
//
// Several processes may claim from one database: a claim locks the due
// rows it takes with FOR UPDATE SKIP LOCKED, so concurrent claimers pass
// each other's rows by instead of waiting, and leases them by setting
// locked_until in the same statement. Completed events are deleted.
type Outbox struct {
	db *sqlx.DB
}

var _ domain.Outbox = (*Outbox)(nil)

// Outbox returns the outbox on this pool. It works whether or not the pool
// was opened in outbox mode; only in that mode does SaveViewing fill it.
func (db *DB) Outbox() *Outbox { return db.outbox }

// insertEvents stores events, due at their occurrence, in tx, in order:
// one round trip per maxEventsPerInsert events.
//
// It sends no NOTIFY. PostgreSQL serialises the commits of notifying
// transactions on one global lock, held across the WAL flush, so a NOTIFY
// in every save would take group commit away from concurrent saves and cap
// them at one per disk flush. Writers call NotifyOutbox after committing
// instead, coalesced, outside the save.
func insertEvents(ctx context.Context, tx *sqlx.Tx, op string, events []domain.Event) error {
	for batch := range slices.Chunk(events, maxEventsPerInsert) {
		var q strings.Builder
		q.WriteString(`INSERT INTO outbox_events
			(id, name, payload, movie_id, created_at, next_attempt_at) VALUES `)
		args := make([]any, 0, 5*len(batch))
		for i, e := range batch {
			payload, err := domain.MarshalEvent(e)
			if err != nil {
				return fmt.Errorf("postgres: %s: %w", op, err)
			}
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d::jsonb, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+5)
			args = append(args, e.EventID().UUID(), string(e.EventName()), string(payload), e.MovieID().UUID(), e.OccurredAt().UTC())
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return dbError(op+": insert events", err)
		}
	}
	return nil
}

// sqlClaim leases the oldest due, unleased live events: $1 is now, $2 the
// lease's end, $3 the limit. The CTE is materialised, so it runs once and
// locks exactly the rows the UPDATE then changes; a row another claimer
// leased meanwhile is skipped while locked and, once committed, fails the
// re-checked condition.
const sqlClaim = `WITH due AS MATERIALIZED (
		SELECT id FROM outbox_events
		WHERE NOT dead AND next_attempt_at <= $1 AND locked_until <= $1
		ORDER BY seq LIMIT $3
		FOR UPDATE SKIP LOCKED)
	UPDATE outbox_events AS o SET locked_until = $2
	FROM due WHERE o.id = due.id
	RETURNING o.seq, o.id, o.name, o.payload, o.created_at, o.next_attempt_at, o.attempts, o.last_error, o.dead`

// ClaimEvents leases up to limit events due at now, oldest first, for
// lease. A lease ends at now + lease exactly.
func (o *Outbox) ClaimEvents(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]domain.OutboxEvent, error) {
	const op = "claim events"
	if limit <= 0 {
		return []domain.OutboxEvent{}, nil
	}
	// Like completions, claims commit without waiting for the WAL flush: a
	// claim lost in a server crash only means the event is claimed again,
	// which at-least-once delivery allows. This keeps a delivered event at
	// one synchronous flush — the save that stored it.
	var rows []outboxRow
	err := inTx(ctx, o.db, op, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit TO off`); err != nil {
			return dbError(op, err)
		}
		return dbError(op, tx.SelectContext(ctx, &rows, sqlClaim, now.UTC(), now.Add(lease).UTC(), limit))
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order: restore the storage order.
	slices.SortFunc(rows, func(a, b outboxRow) int { return cmp.Compare(a.Seq, b.Seq) })
	events, err := outboxEvents(rows)
	return events, dbError(op, err)
}

// CompleteEvent deletes the delivered event; an unknown ID is not an error.
//
// Its transaction commits asynchronously (synchronous_commit off): it does
// not wait for the WAL flush, which would otherwise bound one dispatcher
// to one event per disk flush. A server crash may then lose the last
// fraction of a second of completions, and those events are delivered
// again — which at-least-once delivery allows and idempotent handlers
// absorb. Saves and failures stay synchronous; claims are asynchronous for the
// same reason (see ClaimEvents).
func (o *Outbox) CompleteEvent(ctx context.Context, id domain.EventID) error {
	const op = "complete event"
	return inTx(ctx, o.db, op, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit TO off`); err != nil {
			return dbError(op, err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox_events WHERE id = $1`, id.UUID())
		return dbError(op, err)
	})
}

// ExtendClaims leases the listed events that are leased at now until
// now + lease, in one statement; the others are left alone. Like claims,
// renewals commit without waiting for the WAL flush: a renewal lost in a
// server crash only shortens a lease.
func (o *Outbox) ExtendClaims(ctx context.Context, ids []domain.EventID, now time.Time, lease time.Duration) error {
	const op = "extend claims"
	if len(ids) == 0 {
		return nil
	}
	uuids := make([]string, len(ids))
	for i, id := range ids {
		uuids[i] = id.String()
	}
	return inTx(ctx, o.db, op, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit TO off`); err != nil {
			return dbError(op, err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE outbox_events SET locked_until = $3
			WHERE NOT dead AND locked_until > $2 AND id = ANY($1::uuid[])`,
			pq.Array(uuids), now.UTC(), now.Add(lease).UTC())
		return dbError(op, err)
	})
}

// FailEvent records a failed attempt and releases the lease: the event is
// due again at next, or parked when dead is true. An unknown (or completed)
// ID gives domain.ErrNotFound.
func (o *Outbox) FailEvent(ctx context.Context, id domain.EventID, failure string, next time.Time, dead bool) error {
	const op = "fail event"
	res, err := o.db.ExecContext(ctx, `UPDATE outbox_events
		SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, dead = $4, locked_until = '-infinity'
		WHERE id = $1`, id.UUID(), failure, next.UTC(), dead)
	return dbError(op, sqlrows.OneEvent(res, err, id))
}

// sqlDead lists the oldest $1 dead events.
const sqlDead = `SELECT ` + outboxColumns + ` FROM outbox_events WHERE dead ORDER BY seq LIMIT $1`

// DeadEvents lists up to limit parked events, oldest first.
func (o *Outbox) DeadEvents(ctx context.Context, limit int) ([]domain.OutboxEvent, error) {
	const op = "dead events"
	if limit <= 0 {
		return []domain.OutboxEvent{}, nil
	}
	var rows []outboxRow
	if err := o.db.SelectContext(ctx, &rows, sqlDead, limit); err != nil {
		return nil, dbError(op, err)
	}
	events, err := outboxEvents(rows)
	return events, dbError(op, err)
}

// RequeueEvent makes a dead event due at now with no attempts; its last
// error stays until the next failure replaces it. An ID that names no dead
// event gives domain.ErrNotFound. Listeners are notified at once.
func (o *Outbox) RequeueEvent(ctx context.Context, id domain.EventID, now time.Time) error {
	const op = "requeue event"
	return inTx(ctx, o.db, op, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox_events
			SET dead = false, attempts = 0, next_attempt_at = $2, locked_until = '-infinity'
			WHERE id = $1 AND dead`, id.UUID(), now.UTC())
		if err := sqlrows.OneEvent(res, err, id); err != nil {
			return dbError(op, err)
		}
		_, err = tx.ExecContext(ctx, `SELECT pg_notify('`+OutboxChannel+`', '')`)
		return dbError(op+": notify", err)
	})
}

// sqlNeedingPoster selects the movies that backfill gives an event: an IMDb
// ID, no poster, no pending MovieDiscovered event. Dead events are not
// pending.
const sqlNeedingPoster = selectMovies + `AS m
	WHERE external_id IS NOT NULL AND poster_path IS NULL
	  AND NOT EXISTS (SELECT 1 FROM outbox_events AS o
	                  WHERE o.movie_id = m.id AND NOT o.dead AND o.name = 'movie_discovered')
	ORDER BY id`

// BackfillPosterEvents stores a MovieDiscovered event, occurring at now,
// for every movie with an external ID and no poster that has no pending
// MovieDiscovered event, and returns how many it stored. Dead events are
// not pending: their movies get a new event, and the dead one stays listed
// by DeadEvents until it is requeued. Backfills of one database take turns
// (a transaction-level advisory lock), so two processes starting at once
// store one event per movie.
func (o *Outbox) BackfillPosterEvents(ctx context.Context, now time.Time) (int, error) {
	const op = "backfill poster events"
	var n int
	err := inTx(ctx, o.db, op, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, backfillLockKey); err != nil {
			return dbError(op+": lock", err)
		}
		// Read after the lock: an earlier backfill has committed by now.
		var rows []movieRow
		if err := tx.SelectContext(ctx, &rows, sqlNeedingPoster); err != nil {
			return dbError(op, err)
		}
		events := make([]domain.Event, len(rows))
		for i, row := range rows {
			m, err := row.toDomain()
			if err != nil {
				return dbError(op, err)
			}
			events[i] = domain.NewMovieDiscovered(m, domain.PosterURL{}, now)
		}
		n = len(events)
		return insertEvents(ctx, tx, op, events)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// PendingEvents counts the stored events that are not dead.
func (o *Outbox) PendingEvents(ctx context.Context) (int, error) {
	var n int
	err := o.db.GetContext(ctx, &n, `SELECT count(*) FROM outbox_events WHERE NOT dead`)
	return n, dbError("pending events", err)
}
