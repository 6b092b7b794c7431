package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// MovieRepository stores movies and their viewings; it implements
// domain.MovieRepository. Get it from DB.Movies.
type MovieRepository struct {
	db *DB
}

var _ domain.MovieRepository = (*MovieRepository)(nil)

// NewMovieRepository returns the movie repository of db (the same as
// db.Movies()).
func NewMovieRepository(db *DB) *MovieRepository { return db.Movies() }

// MovieByExternalID returns the movie with that IMDb ID, or an error
// wrapping domain.ErrNotFound.
func (r *MovieRepository) MovieByExternalID(ctx context.Context, id domain.ExternalMetadataID) (domain.Movie, error) {
	const op = "movie by external id"
	if r.db.closed.Load() {
		return domain.Movie{}, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	m, err := movieBy(ctx, r.db.r, "external_id", id.String())
	return m, r.db.wrap(op, err)
}

// MovieByID returns the movie, or an error wrapping domain.ErrNotFound.
func (r *MovieRepository) MovieByID(ctx context.Context, id domain.MovieID) (domain.Movie, error) {
	const op = "movie by id"
	if r.db.closed.Load() {
		return domain.Movie{}, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	m, err := movieBy(ctx, r.db.r, "id", idArg(id.UUID()))
	return m, r.db.wrap(op, err)
}

// MoviesByTitleYear returns the movies whose title equals title ignoring
// case (Unicode case folding, as strings.EqualFold) and whose release year
// is year, ordered by ID; none is an empty slice.
func (r *MovieRepository) MoviesByTitleYear(ctx context.Context, title domain.MovieTitle, year domain.ReleaseYear) ([]domain.Movie, error) {
	const op = "movies by title and year"
	if r.db.closed.Load() {
		return nil, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var rows []movieRow
	err := r.db.r.SelectContext(ctx, &rows,
		`SELECT `+movieColumns+` FROM movies WHERE title_key = ? AND release_year = ? ORDER BY id`,
		titleKey(title), year.Int())
	if err != nil {
		return nil, r.db.wrap(op, err)
	}
	movies := make([]domain.Movie, 0, len(rows))
	for _, row := range rows {
		m, err := row.toDomain()
		if err != nil {
			return nil, r.db.wrap(op, err)
		}
		if m.Title.EqualFold(title) {
			movies = append(movies, m)
		}
	}
	return movies, nil
}

// UpsertMovie stores m and returns the stored movie. When another movie
// already holds m's external ID that movie is returned unchanged;
// otherwise m is inserted, or replaces the stored row with its ID. An
// invalid m gives domain.ErrValidation; an update that would take an
// external ID another movie holds cannot happen, since that movie is
// returned instead.
func (r *MovieRepository) UpsertMovie(ctx context.Context, m domain.Movie) (domain.Movie, error) {
	const op = "upsert movie"
	if _, err := domain.RestoreMovie(m.ID, m.ExternalID, m.Title, m.ReleaseYear, m.Director, m.PosterPath); err != nil {
		return domain.Movie{}, r.db.wrap(op, err)
	}
	var stored domain.Movie
	err := r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		if !m.ExternalID.IsZero() {
			holder, err := movieBy(ctx, tx, "external_id", m.ExternalID.String())
			switch {
			case err == nil && holder.ID != m.ID:
				stored = holder
				return nil
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE movies
			SET external_id = ?, title = ?, title_key = ?, release_year = ?, director = ?, poster_path = ?
			WHERE id = ?`,
			nullString(m.ExternalID.String()), m.Title.String(), titleKey(m.Title), m.ReleaseYear.Int(),
			nullString(m.Director.String()), nullString(m.PosterPath.String()), idArg(m.ID.UUID()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := insertMovie(ctx, tx, m); err != nil {
				return err
			}
		}
		// Read the canonical row back: after a lost insert race it is the
		// other movie holding the external ID.
		if !m.ExternalID.IsZero() {
			stored, err = movieBy(ctx, tx, "external_id", m.ExternalID.String())
		} else {
			stored, err = movieBy(ctx, tx, "id", idArg(m.ID.UUID()))
		}
		return err
	})
	return stored, err
}

// SetPosterPath records where the movie's poster is stored, or returns an
// error wrapping domain.ErrNotFound when the movie is unknown.
func (r *MovieRepository) SetPosterPath(ctx context.Context, id domain.MovieID, path domain.PosterPath) error {
	const op = "set poster path"
	if path.IsZero() {
		return r.db.wrap(op, domain.FieldError{Field: "poster_path", Rule: "must not be empty"})
	}
	return r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE movies SET poster_path = ? WHERE id = ?`, path.String(), idArg(id.UUID()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("movie %s: %w", id, domain.ErrNotFound)
		}
		return nil
	})
}

// SaveViewing stores v's movie and review in one write transaction: a
// failure stores neither. The movie is resolved as domain.ViewingSaver
// documents: a stored movie holding v.Movie's external ID wins; else a
// stored movie with v.Movie's ID is used (gaining the external ID when it
// had none, or failing with domain.ErrConflict when it holds another); else
// v.Movie is inserted. The review is stored under the canonical movie's
// ID; a review ID already stored gives domain.ErrConflict. Writes are
// serialised, so concurrent first logs of one film give one movie. In
// outbox mode (Config.Outbox) the returned events are inserted into
// outbox_events in the same transaction.
func (r *MovieRepository) SaveViewing(ctx context.Context, v domain.Viewing) (domain.SavedViewing, error) {
	const op = "save viewing"
	m := v.Movie
	if _, err := domain.RestoreMovie(m.ID, m.ExternalID, m.Title, m.ReleaseYear, m.Director, m.PosterPath); err != nil {
		return domain.SavedViewing{}, r.db.wrap(op, err)
	}
	rv := v.Review
	if _, err := domain.RestoreReview(rv.ID, m.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt); err != nil {
		return domain.SavedViewing{}, r.db.wrap(op, err)
	}
	var saved domain.SavedViewing
	err := r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		movie, change, err := resolveMovie(ctx, tx, m)
		if err != nil {
			return err
		}
		review, err := domain.RestoreReview(rv.ID, movie.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt)
		if err != nil {
			return err
		}
		if err := insertReview(ctx, tx, review); err != nil {
			return err
		}
		saved = domain.SavedViewing{
			Movie:  movie,
			Change: change,
			Review: review,
			Events: domain.LogEvents(movie, change, review, review.CreatedAt),
		}
		if r.db.outboxMode {
			return insertEvents(ctx, tx, saved.Events)
		}
		return nil
	})
	if err != nil {
		return domain.SavedViewing{}, err
	}
	return saved, nil
}

// resolveMovie finds or stores the movie a viewing is of, inside the
// viewing's transaction.
func resolveMovie(ctx context.Context, tx *sqlx.Tx, m domain.Movie) (domain.Movie, domain.MovieChange, error) {
	if !m.ExternalID.IsZero() {
		holder, err := movieBy(ctx, tx, "external_id", m.ExternalID.String())
		if err == nil {
			return holder, domain.MovieUnchanged, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return domain.Movie{}, 0, err
		}
	}
	stored, err := movieBy(ctx, tx, "id", idArg(m.ID.UUID()))
	switch {
	case err == nil:
		switch {
		case m.ExternalID.IsZero() || stored.ExternalID == m.ExternalID:
			return stored, domain.MovieUnchanged, nil
		case !stored.ExternalID.IsZero():
			return domain.Movie{}, 0, fmt.Errorf("%w: movie %s already has external ID %s, not %s",
				domain.ErrConflict, m.ID, stored.ExternalID, m.ExternalID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE movies SET external_id = ? WHERE id = ?`,
			m.ExternalID.String(), idArg(m.ID.UUID())); err != nil {
			return domain.Movie{}, 0, err
		}
		stored.ExternalID = m.ExternalID
		return stored, domain.MovieIdentified, nil
	case !errors.Is(err, sql.ErrNoRows):
		return domain.Movie{}, 0, err
	}
	inserted, err := insertMovie(ctx, tx, m)
	if err != nil {
		return domain.Movie{}, 0, err
	}
	if inserted {
		return m, domain.MovieCreated, nil
	}
	// Another writer stored the external ID first: use its movie.
	holder, err := movieBy(ctx, tx, "external_id", m.ExternalID.String())
	return holder, domain.MovieUnchanged, err
}

// insertMovie inserts m unless a movie already holds its external ID, and
// reports whether it did.
func insertMovie(ctx context.Context, tx *sqlx.Tx, m domain.Movie) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO movies
		(id, external_id, title, title_key, release_year, director, poster_path)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (external_id) DO NOTHING`,
		idArg(m.ID.UUID()), nullString(m.ExternalID.String()), m.Title.String(), titleKey(m.Title),
		m.ReleaseYear.Int(), nullString(m.Director.String()), nullString(m.PosterPath.String()))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// insertReview appends a review; the triggers bump the diary counters in
// the same transaction.
func insertReview(ctx context.Context, tx *sqlx.Tx, rv domain.Review) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO reviews (`+reviewColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		idArg(rv.ID.UUID()), idArg(rv.MovieID.UUID()), idArg(rv.UserID.UUID()), rv.Rating.Int(),
		nullString(rv.Comment.String()), watchedArg(rv.WatchedAt), createdArg(rv.CreatedAt))
	return err
}

// movieBy reads the movie whose column equals arg; column is one of the
// constants "id" or "external_id".
func movieBy(ctx context.Context, q sqlx.QueryerContext, column string, arg any) (domain.Movie, error) {
	var row movieRow
	if err := sqlx.GetContext(ctx, q, &row, `SELECT `+movieColumns+` FROM movies WHERE `+column+` = ?`, arg); err != nil {
		return domain.Movie{}, err
	}
	return row.toDomain()
}
