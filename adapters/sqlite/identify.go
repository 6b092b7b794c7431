package sqlite

import (
	"context"
	"database/sql"
	"errors"
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
// then review ID), and stops at fn's first error, which it returns. In one
// read transaction, a first query reads the movies the user's diary
// counters name into a map keyed by movie ID; a second walks the user's
// index in diary order, reads only the review columns and hands each row
// on, with its movie from the map, as it is read. A movie the counters
// miss is read on its own the first time it comes up, so the counters
// only make it fast, not correct. A viewing is a rewatch when its movie
// came up earlier in the walk. The map grows with the user's distinct
// films, not with the entries, so memory stays flat however long the
// diary. (Joining movies on every row spent a fifth of the walk on probes
// that repeat for every rewatch; reading each movie the first time it
// comes up costs about twice the join when most films are seen once; a
// per-row EXISTS on reviews_movie_user_watched costs a fifth more a row,
// and ROW_NUMBER() OVER (PARTITION BY movie_id …) a third more and a sort
// of the whole diary before the first row.) A review whose movie is
// missing is skipped, as the join skipped it.
func (r *MovieRepository) ExportDiary(ctx context.Context, user domain.UserID, fn func(domain.ExportedEntry) error) error {
	const op = "export diary"
	var fnErr error
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		movies, err := exportMovies(ctx, tx, user)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, sqlExport, idArg(user.UUID()))
		if err != nil {
			return err
		}
		defer rows.Close()
		var rv reviewRow
		for rows.Next() {
			if err := rows.Scan(&rv.ID, &rv.MovieID, &rv.UserID, &rv.Rating, &rv.Comment, &rv.WatchedAt, &rv.CreatedAt); err != nil {
				return err
			}
			review, err := rv.toDomain()
			if err != nil {
				return err
			}
			key := [16]byte(review.MovieID.UUID())
			m, ok := movies[key]
			if !ok {
				// Not counted under the user: read it on its own.
				if m, err = exportMovie(ctx, tx, rv.MovieID); err != nil {
					return err
				}
				movies[key] = m
			}
			if m == nil {
				continue
			}
			rewatch := m.seen
			m.seen = true
			e := domain.ExportedEntry{DiaryEntry: domain.DiaryEntry{Movie: m.movie, Review: review}, Rewatch: rewatch}
			if err := fn(e); err != nil {
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

// exportedMovie is a movie of an export and whether the walk has reached
// it yet.
type exportedMovie struct {
	movie domain.Movie
	seen  bool
}

// exportMovies reads the movies user has reviewed (sqlExportMovies),
// keyed by ID.
func exportMovies(ctx context.Context, tx *sqlx.Tx, user domain.UserID) (map[[16]byte]*exportedMovie, error) {
	rows, err := tx.QueryContext(ctx, sqlExportMovies, idArg(user.UUID()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	movies := make(map[[16]byte]*exportedMovie)
	var m movieRow
	for rows.Next() {
		if err := rows.Scan(&m.ID, &m.ExternalID, &m.Title, &m.ReleaseYear, &m.Director, &m.PosterPath); err != nil {
			return nil, err
		}
		movie, err := m.toDomain()
		if err != nil {
			return nil, err
		}
		movies[[16]byte(movie.ID.UUID())] = &exportedMovie{movie: movie}
	}
	return movies, rows.Err()
}

// exportMovie reads the movie id; nil when there is none.
func exportMovie(ctx context.Context, tx *sqlx.Tx, id []byte) (*exportedMovie, error) {
	var m movieRow
	err := tx.QueryRowContext(ctx, sqlExportMovie, id).Scan(&m.ID, &m.ExternalID, &m.Title, &m.ReleaseYear, &m.Director, &m.PosterPath)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	movie, err := m.toDomain()
	if err != nil {
		return nil, err
	}
	return &exportedMovie{movie: movie}, nil
}

// sqlExport reads a user's reviews oldest first, in reviewRow's order.
const sqlExport = `SELECT r.id, r.movie_id, r.user_id, r.rating_halves, r.comment, r.watched_at, r.created_at
	FROM reviews AS r INDEXED BY reviews_user_watched
	WHERE r.user_id = ? ORDER BY r.watched_at, r.id`

// sqlExportMovies reads the movies a user has reviewed, in movieRow's
// order: a walk of movies with one primary-key probe of review_counts
// each, so its cost follows the catalogue, not the user's diary.
const sqlExportMovies = `SELECT ` + movieColumns + ` FROM movies AS m
	WHERE EXISTS (SELECT 1 FROM review_counts AS c WHERE c.movie_id = m.id AND c.user_id = ?1 AND c.n > 0)`

// sqlExportMovie reads one movie, in movieRow's order.
const sqlExportMovie = `SELECT ` + movieColumns + ` FROM movies WHERE id = ?`
