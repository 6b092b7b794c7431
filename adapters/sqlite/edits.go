package sqlite

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

// EntryByReviewID returns the review and its movie, or an error wrapping
// domain.ErrNotFound.
func (r *MovieRepository) EntryByReviewID(ctx context.Context, id domain.ReviewID) (domain.DiaryEntry, error) {
	const op = "entry by review id"
	if r.db.closed.Load() {
		return domain.DiaryEntry{}, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var row entryRow
	err := r.db.r.GetContext(ctx, &row, `SELECT `+entryColumns+`
		FROM reviews AS r JOIN movies AS m ON m.id = r.movie_id WHERE r.id = ?`, idArg(id.UUID()))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.DiaryEntry{}, r.db.wrap(op, fmt.Errorf("review %s: %w", id, domain.ErrNotFound))
	}
	if err != nil {
		return domain.DiaryEntry{}, r.db.wrap(op, err)
	}
	e, err := row.toDomain()
	return e, r.db.wrap(op, err)
}

// UpdateReview replaces the rating, comment and watched_at of the stored
// review rv.ID with rv's in one write transaction, keeping its movie, user
// and created_at, and returns the review as stored with its movie and the
// ReviewEdited event occurring at at; in outbox mode the event is inserted
// in the same transaction. The diary counters do not change. A review that
// is not stored gives domain.ErrNotFound, a zero watched_at
// domain.ErrValidation.
func (r *MovieRepository) UpdateReview(ctx context.Context, rv domain.Review, at time.Time) (domain.EditedReview, error) {
	const op = "update review"
	if rv.WatchedAt.IsZero() {
		return domain.EditedReview{}, r.db.wrap(op, domain.FieldError{Field: "watched_at", Rule: "is required"})
	}
	update, err := r.db.writerStmt(ctx, sqlUpdateReview)
	if err != nil {
		return domain.EditedReview{}, r.db.wrap(op, err)
	}
	var edited domain.EditedReview
	err = r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		review, err := changeReview(ctx, tx, rv.ID, update,
			sqlrows.RatingArg(rv.Rating), nullString(rv.Comment.String()), watchedArg(rv.WatchedAt), idArg(rv.ID.UUID()))
		if err != nil {
			return err
		}
		movie, err := movieByID(ctx, tx, review.MovieID)
		if err != nil {
			return err
		}
		edited = domain.EditedReview{
			Entry:  domain.DiaryEntry{Movie: movie, Review: review},
			Events: []domain.Event{domain.NewReviewEdited(review, at)},
		}
		if r.db.outboxMode {
			return insertEvents(ctx, tx, edited.Events)
		}
		return nil
	})
	if err != nil {
		return domain.EditedReview{}, err
	}
	return edited, nil
}

// DeleteReview removes the review in one write transaction and returns the
// ReviewDeleted event occurring at at; in outbox mode the event is inserted
// in the same transaction. The triggers of reviews lower the diary
// counters in that transaction too; the movie stays. A review that is not
// stored gives domain.ErrNotFound.
func (r *MovieRepository) DeleteReview(ctx context.Context, id domain.ReviewID, at time.Time) ([]domain.Event, error) {
	const op = "delete review"
	del, err := r.db.writerStmt(ctx, sqlDeleteReview)
	if err != nil {
		return nil, r.db.wrap(op, err)
	}
	var events []domain.Event
	err = r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		review, err := changeReview(ctx, tx, id, del, idArg(id.UUID()))
		if err != nil {
			return err
		}
		events = []domain.Event{domain.NewReviewDeleted(review, at)}
		if r.db.outboxMode {
			return insertEvents(ctx, tx, events)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// Review changes, prepared once (writerStmt): SQLite compiles the
// statistics triggers into them.
const (
	sqlUpdateReview = `UPDATE reviews SET rating_halves = ?, comment = ?, watched_at = ?
		WHERE id = ? RETURNING ` + reviewColumns
	sqlDeleteReview = `DELETE FROM reviews WHERE id = ? RETURNING ` + reviewColumns
)

// changeReview runs stmt, an UPDATE or DELETE of review id RETURNING its
// columns, and returns the review it returned, or an error wrapping
// domain.ErrNotFound when it changed no row.
func changeReview(ctx context.Context, tx *sqlx.Tx, id domain.ReviewID, stmt *sqlx.Stmt, args ...any) (domain.Review, error) {
	var row reviewRow
	err := tx.StmtxContext(ctx, stmt).GetContext(ctx, &row, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Review{}, fmt.Errorf("review %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return domain.Review{}, err
	}
	return row.toDomain()
}
