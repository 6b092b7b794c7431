package sqlite

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// IdentifyMovie attaches md to the movie id in one write transaction, as
// domain.MovieIdentifier describes. When another movie holds
// md.ExternalID, id's reviews move to it and id is deleted; the diary
// counters (review_counts, kept by triggers on insert and delete only)
// are moved by hand in the same transaction, so every total stays exact.
// In outbox mode MovieDiscovered is inserted in the transaction. An error
// wrapping domain.ErrNotFound when id is unknown.
func (r *MovieRepository) IdentifyMovie(ctx context.Context, id domain.MovieID, md domain.MovieMetadata, at time.Time) (domain.Movie, []domain.Event, error) {
	const op = "identify movie"
	if md.ExternalID.IsZero() {
		return domain.Movie{}, nil, r.db.wrap(op, domain.FieldError{Field: "external_id", Rule: "must be set"})
	}
	var (
		movie  domain.Movie
		events []domain.Event
	)
	err := r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		m, err := movieByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if !m.ExternalID.IsZero() {
			movie = m
			return nil
		}
		holder, held, err := selectMovie(ctx, tx, sqlMovieByExternalID, md.ExternalID.String())
		if err != nil {
			return err
		}
		if held {
			movie = holder
			return mergeMovie(ctx, tx, id, holder.ID)
		}
		movie, _, err = selectMovie(ctx, tx, `UPDATE movies SET external_id = ?, director = coalesce(director, ?)
			WHERE id = ? RETURNING `+movieColumns,
			md.ExternalID.String(), nullString(md.Director.String()), idArg(id.UUID()))
		if err != nil {
			return err
		}
		if !movie.HasPoster() {
			events = []domain.Event{domain.NewMovieDiscovered(movie, md.PosterURL, at)}
			if r.db.outboxMode {
				return insertEvents(ctx, tx, events)
			}
		}
		return nil
	})
	if err != nil {
		return domain.Movie{}, nil, err
	}
	return movie, events, nil
}

// mergeMovie moves every review of from to into and deletes from, moving
// from's counters into into's.
func mergeMovie(ctx context.Context, tx *sqlx.Tx, from, into domain.MovieID) error {
	f, i := idArg(from.UUID()), idArg(into.UUID())
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO review_counts (movie_id, user_id, n)
			SELECT ?, user_id, n FROM review_counts WHERE movie_id = ?
			ON CONFLICT (movie_id, user_id) DO UPDATE SET n = n + excluded.n`, []any{i, f}},
		{`DELETE FROM review_counts WHERE movie_id = ?`, []any{f}},
		{`UPDATE reviews SET movie_id = ? WHERE movie_id = ?`, []any{i, f}},
		{`DELETE FROM movies WHERE id = ?`, []any{f}},
	} {
		if _, err := tx.ExecContext(ctx, stmt.sql, stmt.args...); err != nil {
			return err
		}
	}
	return nil
}

// ExportDiary calls fn with every entry of user, oldest first (watched_at,
// then review ID), and stops at fn's first error, which it returns. One
// query on a reader connection walks the user's index in diary order and
// hands each row on as it is read, so memory stays flat; a viewing is a
// rewatch when the user has an earlier viewing of the movie, one seek in
// reviews_movie_user_watched per row.
func (r *MovieRepository) ExportDiary(ctx context.Context, user domain.UserID, fn func(domain.ExportedEntry) error) error {
	const op = "export diary"
	var fnErr error
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryxContext(ctx, sqlExport, idArg(user.UUID()))
		if err != nil {
			return err
		}
		defer rows.Close()
		var row exportRow
		for rows.Next() {
			if err := rows.StructScan(&row); err != nil {
				return err
			}
			e, err := row.entryRow.toDomain()
			if err != nil {
				return err
			}
			if err := fn(domain.ExportedEntry{DiaryEntry: e, Rewatch: row.Rewatch}); err != nil {
				fnErr = err
				return nil
			}
		}
		return rows.Err()
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// exportRow is an entry with its rewatch flag.
type exportRow struct {
	entryRow
	Rewatch bool `db:"rewatch"`
}

// sqlExport reads a user's entries oldest first with their rewatch flags.
const sqlExport = `SELECT ` + entryColumns + `,
	EXISTS (SELECT 1 FROM reviews AS e INDEXED BY reviews_movie_user_watched
		WHERE e.movie_id = r.movie_id AND e.user_id = r.user_id AND (e.watched_at, e.id) < (r.watched_at, r.id)) AS rewatch
	FROM reviews AS r INDEXED BY reviews_user_watched JOIN movies AS m ON m.id = r.movie_id
	WHERE r.user_id = ? ORDER BY r.watched_at, r.id`
