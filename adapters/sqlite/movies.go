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
	m, err := movieByExternalID(ctx, r.db.r, id)
	return m, r.db.wrap(op, err)
}

// movieByExternalID reads the movie holding that IMDb ID, or returns an
// error wrapping domain.ErrNotFound.
func movieByExternalID(ctx context.Context, q sqlx.QueryerContext, id domain.ExternalMetadataID) (domain.Movie, error) {
	m, ok, err := selectMovie(ctx, q, sqlMovieByExternalID, id.String())
	if err == nil && !ok {
		err = fmt.Errorf("no movie has external ID %s: %w", id, domain.ErrNotFound)
	}
	return m, err
}

// MovieByID returns the movie, or an error wrapping domain.ErrNotFound.
func (r *MovieRepository) MovieByID(ctx context.Context, id domain.MovieID) (domain.Movie, error) {
	const op = "movie by id"
	if r.db.closed.Load() {
		return domain.Movie{}, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	m, err := movieByID(ctx, r.db.r, id)
	return m, r.db.wrap(op, err)
}

// movieByID reads the movie with that ID, or returns an error wrapping
// domain.ErrNotFound.
func movieByID(ctx context.Context, q sqlx.QueryerContext, id domain.MovieID) (domain.Movie, error) {
	m, ok, err := selectMovie(ctx, q, sqlMovieByID, idArg(id.UUID()))
	if err == nil && !ok {
		err = fmt.Errorf("movie %s: %w", id, domain.ErrNotFound)
	}
	return m, err
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
		selectMovies+`WHERE title_key = ? AND release_year = ? ORDER BY id`,
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
	if err := sqlrows.CheckMovie(m); err != nil {
		return domain.Movie{}, r.db.wrap(op, err)
	}
	var stored domain.Movie
	err := r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		if !m.ExternalID.IsZero() {
			holder, ok, err := selectMovie(ctx, tx, sqlMovieByExternalID, m.ExternalID.String())
			if err != nil {
				return err
			}
			if ok && holder.ID != m.ID {
				stored = holder
				return nil
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
			if _, _, err := insertMovie(ctx, tx, m); err != nil {
				return err
			}
		}
		// Read the canonical row back: after a lost insert race it is the
		// other movie holding the external ID.
		if !m.ExternalID.IsZero() {
			stored, err = movieByExternalID(ctx, tx, m.ExternalID)
			return err
		}
		stored, err = movieByID(ctx, tx, m.ID)
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
//
// With v.Idempotency set, the transaction starts by claiming the key: one
// upsert into idempotency_keys that replaces a record only when it is older
// than the window (sqlrows.IdempotencyCutoff). When it changes no row the
// key is held and the error wraps domain.ErrConflict, before anything else
// ran. Writes are serialised and (user_id, key) is the primary key, so of
// concurrent saves under one key exactly one stores. Without a key no
// statement is added.
func (r *MovieRepository) SaveViewing(ctx context.Context, v domain.Viewing) (domain.SavedViewing, error) {
	const op = "save viewing"
	if err := sqlrows.CheckViewing(v); err != nil {
		return domain.SavedViewing{}, r.db.wrap(op, err)
	}
	insert, err := r.db.writerStmt(ctx, sqlInsertReview)
	if err != nil {
		return domain.SavedViewing{}, r.db.wrap(op, err)
	}
	var saved domain.SavedViewing
	err = r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		if !v.Idempotency.IsZero() {
			if err := claimKey(ctx, tx, v.Idempotency, v.Review); err != nil {
				return err
			}
		}
		movie, change, err := sqlrows.ResolveMovie(ctx, movieTx{tx}, v.Movie)
		if err != nil {
			return err
		}
		rv := v.Review
		review, err := domain.RestoreReview(rv.ID, movie.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt)
		if err != nil {
			return err
		}
		if err := insertReview(ctx, tx, insert, review); err != nil {
			return err
		}
		saved = domain.SavedViewing{
			Movie:  movie,
			Change: change,
			Review: review,
			Events: domain.LogEvents(movie, change, review, v.PosterURL, review.CreatedAt),
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

// claimKey stores req's record for review rv, or returns an error wrapping
// domain.ErrConflict when the user's key is held by a record newer than
// the window allows.
func claimKey(ctx context.Context, tx *sqlx.Tx, req domain.IdempotentRequest, rv domain.Review) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, key) DO UPDATE
		SET fingerprint = excluded.fingerprint, review_id = excluded.review_id, created_at = excluded.created_at
		WHERE idempotency_keys.created_at <= ?`,
		idArg(req.User.UUID()), req.Key.String(), req.Fingerprint, idArg(rv.ID.UUID()), createdArg(rv.CreatedAt),
		createdArg(sqlrows.IdempotencyCutoff(rv.CreatedAt)))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sqlrows.IdempotencyConflict(req)
	}
	return nil
}

// IdempotencyRecord returns the record of user's key created at or after
// since, or an error wrapping domain.ErrNotFound.
func (r *MovieRepository) IdempotencyRecord(ctx context.Context, user domain.UserID, key domain.IdempotencyKey, since time.Time) (domain.IdempotencyRecord, error) {
	const op = "idempotency record"
	if r.db.closed.Load() {
		return domain.IdempotencyRecord{}, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var row keyRow
	err := r.db.r.GetContext(ctx, &row, `SELECT `+keyColumns+` FROM idempotency_keys
		WHERE user_id = ? AND key = ? AND created_at >= ?`,
		idArg(user.UUID()), key.String(), sinceArg(since))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.IdempotencyRecord{}, r.db.wrap(op, fmt.Errorf("no key %q of user %s since %v: %w", key, user, since, domain.ErrNotFound))
	}
	if err != nil {
		return domain.IdempotencyRecord{}, r.db.wrap(op, err)
	}
	rec, err := row.toDomain()
	return rec, r.db.wrap(op, err)
}

// sinceArg is the first stored microsecond at or after since.
func sinceArg(since time.Time) int64 {
	us := since.UnixMicro()
	if since.Nanosecond()%1000 != 0 && us >= 0 {
		us++
	}
	return us
}

// movieTx runs sqlrows.ResolveMovie's statements in a write transaction.
// Writes are serialised (one writer connection, IMMEDIATE transactions,
// across processes too), so no other writer stores a movie between a
// look-up and the write that follows it: AttachExternalID and InsertMovie
// never lose a race, and MovieByID needs no row lock.
type movieTx struct{ tx *sqlx.Tx }

var _ sqlrows.MovieTx = movieTx{}

// MovieByExternalID reads the movie holding ext.
func (t movieTx) MovieByExternalID(ctx context.Context, ext domain.ExternalMetadataID) (domain.Movie, bool, error) {
	return selectMovie(ctx, t.tx, sqlMovieByExternalID, ext.String())
}

// MovieByID reads the movie with id.
func (t movieTx) MovieByID(ctx context.Context, id domain.MovieID) (domain.Movie, bool, error) {
	return selectMovie(ctx, t.tx, sqlMovieByID, idArg(id.UUID()))
}

// AttachExternalID sets the external ID of the movie id, and its director
// when it has none.
func (t movieTx) AttachExternalID(ctx context.Context, id domain.MovieID, ext domain.ExternalMetadataID, director domain.Director) (domain.Movie, bool, error) {
	return selectMovie(ctx, t.tx, sqlAttachExternalID, ext.String(), nullString(director.String()), idArg(id.UUID()))
}

// sqlAttachExternalID gives a movie (its ID the third argument) an
// external ID, and a director when it has none (NULL, an unknown
// director, keeps what is stored); it returns the movie.
const sqlAttachExternalID = `UPDATE movies SET external_id = ?, director = coalesce(director, ?)
	WHERE id = ? RETURNING ` + movieColumns

// InsertMovie inserts m unless a movie holds its external ID.
func (t movieTx) InsertMovie(ctx context.Context, m domain.Movie) (domain.Movie, bool, error) {
	return insertMovie(ctx, t.tx, m)
}

// insertMovie inserts m unless a movie already holds its external ID; ok
// reports whether it did, and the stored movie is m.
func insertMovie(ctx context.Context, tx *sqlx.Tx, m domain.Movie) (domain.Movie, bool, error) {
	res, err := tx.ExecContext(ctx, sqlInsertMovie, insertMovieArgs(m)...)
	if err != nil {
		return domain.Movie{}, false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return domain.Movie{}, false, err
	}
	return m, true, nil
}

// sqlInsertMovie inserts a movie unless one holds its external ID; its
// arguments are insertMovieArgs.
const sqlInsertMovie = `INSERT INTO movies
	(id, external_id, title, title_key, release_year, director, poster_path)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (external_id) DO NOTHING`

// insertMovieArgs are sqlInsertMovie's arguments for m.
func insertMovieArgs(m domain.Movie) []any {
	return []any{idArg(m.ID.UUID()), nullString(m.ExternalID.String()), m.Title.String(), titleKey(m.Title),
		m.ReleaseYear.Int(), nullString(m.Director.String()), nullString(m.PosterPath.String())}
}

// sqlInsertReview appends a review; its arguments are insertReview's.
const sqlInsertReview = `INSERT INTO reviews (` + reviewColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`

// insertReview appends rv in tx with stmt, sqlInsertReview prepared by
// writerStmt; the triggers bump the diary counters and the statistics in
// the same transaction. The statement is prepared once and reused: SQLite
// compiles the triggers' programs into it, which costs about as much as
// running them.
func insertReview(ctx context.Context, tx *sqlx.Tx, stmt *sqlx.Stmt, rv domain.Review) error {
	_, err := tx.StmtxContext(ctx, stmt).ExecContext(ctx,
		idArg(rv.ID.UUID()), idArg(rv.MovieID.UUID()), idArg(rv.UserID.UUID()), sqlrows.RatingArg(rv.Rating),
		nullString(rv.Comment.String()), watchedArg(rv.WatchedAt), createdArg(rv.CreatedAt))
	return err
}

// Movie look-ups.
const (
	selectMovies         = `SELECT ` + movieColumns + ` FROM movies `
	sqlMovieByID         = selectMovies + `WHERE id = ?`
	sqlMovieByExternalID = selectMovies + `WHERE external_id = ?`
)

// selectMovie runs a query that yields at most one movie row, a SELECT or a
// statement with RETURNING; ok is false when there is no row.
func selectMovie(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) (domain.Movie, bool, error) {
	var row movieRow
	err := sqlx.GetContext(ctx, q, &row, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Movie{}, false, nil
	}
	if err != nil {
		return domain.Movie{}, false, err
	}
	m, err := row.toDomain()
	if err != nil {
		return domain.Movie{}, false, err
	}
	return m, true, nil
}
