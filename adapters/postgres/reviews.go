package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// Statements of the review editor, each served by the reviews primary key
// (and the movies primary key for the join).
const (
	sqlEntryByReviewID = `SELECT ` + entryColumns + `
		FROM reviews r JOIN movies m ON m.id = r.movie_id WHERE r.id = $1`
	sqlUpdateReview = `UPDATE reviews r SET rating_halves = $2, comment = $3, watched_at = $4
		FROM movies m WHERE r.id = $1 AND m.id = r.movie_id
		RETURNING ` + entryColumns
	sqlDeleteReview = `DELETE FROM reviews WHERE id = $1 RETURNING ` + reviewColumns
)

// EntryByReviewID returns the review and its movie, or ErrNotFound.
func (r *MovieRepository) EntryByReviewID(ctx context.Context, id domain.ReviewID) (domain.DiaryEntry, error) {
	const op = "entry by review ID"
	e, ok, err := queryEntry(ctx, r.db, op, sqlEntryByReviewID, id.UUID())
	if err == nil && !ok {
		err = fmt.Errorf("postgres: %s: review %s: %w", op, id, domain.ErrNotFound)
	}
	return e, err
}

// UpdateReview replaces the rating, comment and watched_at of the stored
// review r.ID with r's and returns the entry as stored, with the
// ReviewEdited event (occurring at at) of the review as stored: its movie,
// user and created_at stay as they were, whatever r says. In outbox mode
// the event is stored in the update's transaction; otherwise the update is
// one statement. ErrNotFound when the review is unknown.
func (r *MovieRepository) UpdateReview(ctx context.Context, rv domain.Review, at time.Time) (domain.EditedReview, error) {
	const op = "update review"
	if _, err := domain.RestoreReview(rv.ID, rv.MovieID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt); err != nil {
		return domain.EditedReview{}, dbError(op, err)
	}
	var edited domain.EditedReview
	update := func(q sqlx.QueryerContext) error {
		e, ok, err := queryEntry(ctx, q, op, sqlUpdateReview,
			rv.ID.UUID(), sqlrows.RatingArg(rv.Rating), nullString(rv.Comment.String()), rv.WatchedAt)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("postgres: %s: review %s: %w", op, rv.ID, domain.ErrNotFound)
		}
		edited = domain.EditedReview{Entry: e, Events: []domain.Event{domain.NewReviewEdited(e.Review, at)}}
		return nil
	}
	var err error
	if r.outbox {
		err = inTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
			if err := update(tx); err != nil {
				return err
			}
			return insertEvents(ctx, tx, op, edited.Events)
		})
	} else {
		err = update(r.db)
	}
	if err != nil {
		return domain.EditedReview{}, err
	}
	return edited, nil
}

// DeleteReview removes the review and returns its ReviewDeleted event
// (occurring at at); the exact totals drop in the same statement (the
// schema's delete trigger) and the movie stays. In outbox mode the event
// is stored in the deletion's transaction; otherwise the deletion is one
// statement. ErrNotFound when the review is unknown.
func (r *MovieRepository) DeleteReview(ctx context.Context, id domain.ReviewID, at time.Time) ([]domain.Event, error) {
	const op = "delete review"
	var events []domain.Event
	remove := func(q sqlx.QueryerContext) error {
		var row reviewRow
		err := sqlx.GetContext(ctx, q, &row, sqlDeleteReview, id.UUID())
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("postgres: %s: review %s: %w", op, id, domain.ErrNotFound)
		}
		if err != nil {
			return dbError(op, err)
		}
		deleted, err := row.toDomain()
		if err != nil {
			return dbError(op, err)
		}
		events = []domain.Event{domain.NewReviewDeleted(deleted, at)}
		return nil
	}
	var err error
	if r.outbox {
		err = inTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
			if err := remove(tx); err != nil {
				return err
			}
			return insertEvents(ctx, tx, op, events)
		})
	} else {
		err = remove(r.db)
	}
	if err != nil {
		return nil, err
	}
	return events, nil
}

// queryEntry runs a query that yields at most one row of entryColumns; ok
// is false when there is none.
func queryEntry(ctx context.Context, q sqlx.QueryerContext, op, query string, args ...any) (domain.DiaryEntry, bool, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return domain.DiaryEntry{}, false, dbError(op, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return domain.DiaryEntry{}, false, dbError(op, err)
		}
		return domain.DiaryEntry{}, false, nil
	}
	var row entryRow
	if err := row.scan(rows, nil); err != nil {
		return domain.DiaryEntry{}, false, dbError(op, err)
	}
	if err := rows.Close(); err != nil {
		return domain.DiaryEntry{}, false, dbError(op, err)
	}
	e, err := row.toDomain()
	if err != nil {
		return domain.DiaryEntry{}, false, dbError(op, err)
	}
	return e, true, nil
}
