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
		movie, _, err = selectMovie(ctx, tx, sqlAttachExternalID,
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
// hands each row on as it is read. A viewing is a rewatch when its movie
// came up earlier in the walk: the set of movies seen grows with the
// user's distinct films (16 bytes each), not with the entries, so memory
// stays flat however long the diary. (A per-row EXISTS on
// reviews_movie_user_watched costs a fifth more a row, and ROW_NUMBER()
// OVER (PARTITION BY movie_id …) a third more and a sort of the whole
// diary before the first row.)
func (r *MovieRepository) ExportDiary(ctx context.Context, user domain.UserID, fn func(domain.ExportedEntry) error) error {
	const op = "export diary"
	var fnErr error
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryContext(ctx, sqlExport, idArg(user.UUID()))
		if err != nil {
			return err
		}
		defer rows.Close()
		seen := make(map[[16]byte]struct{})
		var row entryRow
		m, rv := &row.Movie, &row.Review
		for rows.Next() {
			if err := rows.Scan(&m.ID, &m.ExternalID, &m.Title, &m.ReleaseYear, &m.Director, &m.PosterPath,
				&rv.ID, &rv.MovieID, &rv.UserID, &rv.Rating, &rv.Comment, &rv.WatchedAt, &rv.CreatedAt); err != nil {
				return err
			}
			e, err := row.toDomain()
			if err != nil {
				return err
			}
			movie := [16]byte(e.Movie.ID.UUID())
			_, rewatch := seen[movie]
			seen[movie] = struct{}{}
			if err := fn(domain.ExportedEntry{DiaryEntry: e, Rewatch: rewatch}); err != nil {
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

// sqlExport reads a user's entries oldest first, in entryRow's order.
const sqlExport = `SELECT m.id, m.external_id, m.title, m.release_year, m.director, m.poster_path,
	r.id, r.movie_id, r.user_id, r.rating_halves, r.comment, r.watched_at, r.created_at
	FROM reviews AS r INDEXED BY reviews_user_watched JOIN movies AS m ON m.id = r.movie_id
	WHERE r.user_id = ? ORDER BY r.watched_at, r.id`
