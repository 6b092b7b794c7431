package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// MovieRepository stores movies and viewings; it implements
// domain.MovieRepository. Get one from (*DB).Movies.
type MovieRepository struct {
	db *sqlx.DB
	// outbox is Config.Outbox: SaveViewing stores its events too.
	outbox bool
}

var _ domain.MovieRepository = (*MovieRepository)(nil)

// MovieByExternalID returns the movie with that IMDb ID, or ErrNotFound.
func (r *MovieRepository) MovieByExternalID(ctx context.Context, id domain.ExternalMetadataID) (domain.Movie, error) {
	const op = "movie by external ID"
	m, ok, err := selectMovie(ctx, r.db, op, sqlMovieByExternalID, id.String())
	if err == nil && !ok {
		err = fmt.Errorf("postgres: %s: no movie has external ID %s: %w", op, id, domain.ErrNotFound)
	}
	return m, err
}

// MovieByID returns the movie, or ErrNotFound.
func (r *MovieRepository) MovieByID(ctx context.Context, id domain.MovieID) (domain.Movie, error) {
	return movieByID(ctx, r.db, "movie by ID", id)
}

func movieByID(ctx context.Context, q sqlx.QueryerContext, op string, id domain.MovieID) (domain.Movie, error) {
	m, ok, err := selectMovie(ctx, q, op, sqlMovieByID, id.UUID())
	if err == nil && !ok {
		err = fmt.Errorf("postgres: %s: movie %s: %w", op, id, domain.ErrNotFound)
	}
	return m, err
}

// MoviesByTitleYear returns the movies whose title equals title ignoring
// case and whose release year is year, ordered by ID. The index on
// (release_year, lower(title)) finds the candidates and the domain's own
// case-insensitive comparison has the last word. For an ASCII title SQL's
// lower() is exact in every locale; for any other title the query reads
// the whole year, since a server whose locale is C folds ASCII only.
func (r *MovieRepository) MoviesByTitleYear(ctx context.Context, title domain.MovieTitle, year domain.ReleaseYear) ([]domain.Movie, error) {
	const op = "movies by title and year"
	query := sqlMoviesByYearTitle
	args := []any{year.Int(), title.String()}
	if !isASCII(title.String()) {
		query = sqlMoviesByYear
		args = args[:1]
	}
	var rows []movieRow
	if err := r.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, dbError(op, err)
	}
	movies := make([]domain.Movie, 0, len(rows))
	for _, row := range rows {
		m, err := row.toDomain()
		if err != nil {
			return nil, dbError(op, err)
		}
		if m.Title.EqualFold(title) {
			movies = append(movies, m)
		}
	}
	return movies, nil
}

// UpsertMovie stores m and returns the stored movie. When another movie
// already holds m's external ID, that movie is returned unchanged; otherwise
// m is inserted, or updated in place when its ID is stored. It is race-free:
// the insert is ON CONFLICT DO NOTHING, and a lost race looks again.
func (r *MovieRepository) UpsertMovie(ctx context.Context, m domain.Movie) (domain.Movie, error) {
	const op = "upsert movie"
	if err := sqlrows.CheckMovie(m); err != nil {
		return domain.Movie{}, dbError(op, err)
	}
	var stored domain.Movie
	err := inTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
		for range sqlrows.MaxResolveAttempts {
			if !m.ExternalID.IsZero() {
				holder, ok, err := selectMovie(ctx, tx, op, sqlMovieByExternalID, m.ExternalID.String())
				if err != nil {
					return err
				}
				if ok && holder.ID != m.ID {
					stored = holder
					return nil
				}
			}
			updated, ok, err := withSavepoint(ctx, tx, op, func() (domain.Movie, bool, error) {
				return selectMovie(ctx, tx, op, `UPDATE movies
					SET external_id = $2, title = $3, release_year = $4, director = $5, poster_path = $6
					WHERE id = $1 RETURNING `+movieColumns, movieArgs(m)...)
			})
			if err != nil {
				return err
			}
			if ok {
				stored = updated
				return nil
			}
			inserted, ok, err := insertMovie(ctx, tx, op, m)
			if err != nil {
				return err
			}
			if ok {
				stored = inserted
				return nil
			}
		}
		return fmt.Errorf("postgres: %s: movie %s kept changing under concurrent writers: %w", op, m.ID, domain.ErrConflict)
	})
	return stored, err
}

// SetPosterPath records where the movie's poster is stored, or ErrNotFound.
func (r *MovieRepository) SetPosterPath(ctx context.Context, id domain.MovieID, path domain.PosterPath) error {
	const op = "set poster path"
	if path.IsZero() {
		return fmt.Errorf("postgres: %s: %w", op, domain.FieldError{Field: "poster_path", Rule: "must not be empty"})
	}
	res, err := r.db.ExecContext(ctx, `UPDATE movies SET poster_path = $2 WHERE id = $1`, id.UUID(), path.String())
	if err != nil {
		return dbError(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(op, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: %s: movie %s: %w", op, id, domain.ErrNotFound)
	}
	return nil
}

// opSaveViewing names SaveViewing and the statements of its movieTx.
const opSaveViewing = "save viewing"

// movieTx runs sqlrows.ResolveMovie's statements in SaveViewing's
// transaction. Concurrent saves race: MovieByID locks the row it reads, and
// the writes that may collide with another transaction's (attaching an
// external ID, inserting) report a lost race as ok false, leaving the
// transaction usable, so that ResolveMovie looks again.
type movieTx struct{ tx *sqlx.Tx }

var _ sqlrows.MovieTx = movieTx{}

// MovieByExternalID reads the movie holding ext.
func (t movieTx) MovieByExternalID(ctx context.Context, ext domain.ExternalMetadataID) (domain.Movie, bool, error) {
	return selectMovie(ctx, t.tx, opSaveViewing, sqlMovieByExternalID, ext.String())
}

// MovieByID reads and locks the movie with id: a concurrent save attaching
// an external ID to the same movie must see what this one did.
func (t movieTx) MovieByID(ctx context.Context, id domain.MovieID) (domain.Movie, bool, error) {
	return selectMovie(ctx, t.tx, opSaveViewing, sqlMovieByID+` FOR UPDATE`, id.UUID())
}

// AttachExternalID sets the external ID of the movie id, and its director
// when it has none (IdentifyMovie's statement). Another movie may take the
// external ID between ResolveMovie's look-up and this update; then the
// savepoint undoes the failed update and ok is false.
func (t movieTx) AttachExternalID(ctx context.Context, id domain.MovieID, ext domain.ExternalMetadataID, director domain.Director) (domain.Movie, bool, error) {
	return withSavepoint(ctx, t.tx, opSaveViewing, func() (domain.Movie, bool, error) {
		return selectMovie(ctx, t.tx, opSaveViewing, sqlAttachIdentity, id.UUID(), ext.String(), nullString(director.String()))
	})
}

// InsertMovie inserts m unless a row with its ID or external ID exists.
func (t movieTx) InsertMovie(ctx context.Context, m domain.Movie) (domain.Movie, bool, error) {
	return insertMovie(ctx, t.tx, opSaveViewing, m)
}

// insertMovie inserts m unless a row with its ID or external ID exists (or
// is being inserted by a transaction that then commits); ok is false then.
func insertMovie(ctx context.Context, tx *sqlx.Tx, op string, m domain.Movie) (domain.Movie, bool, error) {
	return selectMovie(ctx, tx, op, `INSERT INTO movies (`+movieColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING RETURNING `+movieColumns, movieArgs(m)...)
}

// withSavepoint runs an update that may break the unique external ID under
// a savepoint. On a unique violation it rolls back to the savepoint, keeping
// the transaction usable, and reports ok false.
func withSavepoint(ctx context.Context, tx *sqlx.Tx, op string, update func() (domain.Movie, bool, error)) (domain.Movie, bool, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT movie_update`); err != nil {
		return domain.Movie{}, false, dbError(op, err)
	}
	m, ok, err := update()
	if pq.As(err, pqerror.UniqueViolation) != nil {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT movie_update`); rerr != nil {
			return domain.Movie{}, false, dbError(op, rerr)
		}
		return domain.Movie{}, false, nil
	}
	if err != nil {
		return domain.Movie{}, false, err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT movie_update`); err != nil {
		return domain.Movie{}, false, dbError(op, err)
	}
	return m, ok, nil
}

// Movie look-ups. Each is served by an index (see the plan test).
const (
	selectMovies         = `SELECT ` + movieColumns + ` FROM movies `
	sqlMovieByID         = selectMovies + `WHERE id = $1`
	sqlMovieByExternalID = selectMovies + `WHERE external_id = $1`
	sqlMoviesByYearTitle = selectMovies + `WHERE release_year = $1 AND lower(title) = lower($2) ORDER BY id`
	sqlMoviesByYear      = selectMovies + `WHERE release_year = $1 ORDER BY id`
)

// selectMovie runs a query that yields at most one movie row, a SELECT or a
// statement with RETURNING; ok is false when there is no row.
func selectMovie(ctx context.Context, q sqlx.QueryerContext, op, query string, args ...any) (domain.Movie, bool, error) {
	var row movieRow
	err := sqlx.GetContext(ctx, q, &row, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Movie{}, false, nil
	}
	if err != nil {
		return domain.Movie{}, false, dbError(op, err)
	}
	m, err := row.toDomain()
	if err != nil {
		return domain.Movie{}, false, dbError(op, err)
	}
	return m, true, nil
}

// inTx runs fn in a transaction and commits it, checking Commit's error.
// fn returns errors that are already classified.
func inTx(ctx context.Context, db *sqlx.DB, op string, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return dbError(op+": begin", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return dbError(op+": commit", err)
	}
	return nil
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
