package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// SaveViewing stores v's movie and review in one transaction: a failure
// stores neither. The movie resolves to the stored holder of its external
// ID, else the stored movie with its ID (attaching the external ID when the
// row has none, with the director when it has none either), else a new
// row; concurrent first saves of one external ID
// end with one movie and MovieCreated for exactly one of them. The review is
// stored under the canonical movie's ID and the exact diary totals are
// bumped in the same transaction. In outbox mode (Config.Outbox) the
// returned events are inserted into outbox_events in that transaction too.
//
// With v.Idempotency set, the user's key is stored in idempotency_keys in
// that transaction as well, created at the review's created_at. A record
// of the key created less than domain.IdempotencyWindow before that makes
// the save store nothing and fail with an error wrapping ErrConflict; an
// older one is replaced. Of concurrent saves under one key exactly one
// stores: the key's upsert is the first write of each, and a second waits
// there for the first to end.
//
// The usual viewings — of a movie stored under v.Movie's ID and external
// ID, or of a movie whose ID and external ID are both new — are stored by
// one statement, in one round trip (see saveViewingSQL). Any other, and
// one that loses a race to store a new movie, is stored by a transaction
// that resolves the movie step by step with sqlrows.ResolveMovie.
func (r *MovieRepository) SaveViewing(ctx context.Context, v domain.Viewing) (domain.SavedViewing, error) {
	const op = opSaveViewing
	if err := sqlrows.CheckViewing(v); err != nil {
		return domain.SavedViewing{}, dbError(op, err)
	}
	saved, ok, err := r.saveViewingAtOnce(ctx, v)
	if err != nil || ok {
		return saved, err
	}
	return r.saveViewingTx(ctx, v)
}

// saveViewingAtOnce stores v with saveViewingSQL's statement. ok is false,
// with nothing stored, when the statement could not store v by itself:
// v.Movie's ID or external ID is stored but not together on one row, or a
// concurrent save stored one of them first.
func (r *MovieRepository) saveViewingAtOnce(ctx context.Context, v domain.Viewing) (saved domain.SavedViewing, ok bool, err error) {
	const op = opSaveViewing
	rv := v.Review
	review, err := domain.RestoreReview(rv.ID, v.Movie.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt)
	if err != nil {
		return domain.SavedViewing{}, false, dbError(op, err)
	}
	// The events of either outcome: a new movie may be discovered; the
	// review is logged in both.
	created := domain.LogEvents(v.Movie, domain.MovieCreated, review, v.PosterURL, review.CreatedAt)
	logged := created[len(created)-1]
	keyed := !v.Idempotency.IsZero()

	args := append(make([]any, 0, saveParams), movieArgs(v.Movie)...)
	args = append(args, review.ID.UUID(), review.UserID.UUID(), sqlrows.RatingArg(review.Rating),
		nullString(review.Comment.String()), review.WatchedAt, review.CreatedAt)
	if r.outbox {
		var discoveredID, discoveredPayload any
		if len(created) > 1 {
			payload, err := domain.MarshalEvent(created[0])
			if err != nil {
				return domain.SavedViewing{}, false, fmt.Errorf("postgres: %s: %w", op, err)
			}
			discoveredID, discoveredPayload = created[0].EventID().UUID(), string(payload)
		}
		payload, err := domain.MarshalEvent(logged)
		if err != nil {
			return domain.SavedViewing{}, false, fmt.Errorf("postgres: %s: %w", op, err)
		}
		args = append(args, discoveredID, discoveredPayload, logged.EventID().UUID(), string(payload))
	}
	if keyed {
		req := v.Idempotency
		args = append(args, req.User.UUID(), req.Key.String(), req.Fingerprint, sqlrows.IdempotencyCutoff(review.CreatedAt))
	}

	rows, err := statementsOf(r.db).query(ctx, saveViewingSQL[b2i(r.outbox)][b2i(keyed)], args...)
	if err != nil {
		if lostMovieRace(err) {
			return domain.SavedViewing{}, false, nil
		}
		return domain.SavedViewing{}, false, dbError(op, err)
	}
	defer rows.Close()
	var (
		row                movieRow
		isNew, reviewSaved bool
	)
	if rows.Next() {
		ok = true
		err = rows.Scan(&row.ID, &row.ExternalID, &row.Title, &row.ReleaseYear, &row.Director, &row.PosterPath, &isNew, &reviewSaved)
	}
	if err == nil {
		err = rows.Err()
	}
	if err == nil {
		err = rows.Close()
	}
	if lostMovieRace(err) {
		return domain.SavedViewing{}, false, nil
	}
	if err != nil || !ok {
		return domain.SavedViewing{}, false, dbError(op, err)
	}
	if !reviewSaved {
		return domain.SavedViewing{}, false, fmt.Errorf("postgres: %s: %w", op, sqlrows.IdempotencyConflict(v.Idempotency))
	}
	movie, err := row.toDomain()
	if err != nil {
		return domain.SavedViewing{}, false, dbError(op, err)
	}
	saved = domain.SavedViewing{Movie: movie, Change: domain.MovieUnchanged, Review: review, Events: []domain.Event{logged}}
	if isNew {
		saved.Change, saved.Events = domain.MovieCreated, created
	}
	return saved, true, nil
}

// lostMovieRace reports whether err is the unique violation of a movie
// that saveViewingSQL's statement found free in its snapshot and a
// concurrent transaction stored before it could: the statement stored
// nothing, and the transaction path resolves the movie again.
func lostMovieRace(err error) bool {
	pqErr := pq.As(err, pqerror.UniqueViolation)
	return pqErr != nil && (pqErr.Constraint == "movies_pkey" || pqErr.Constraint == "movies_external_id_key")
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// saveViewingSQL holds the statements of saveViewingAtOnce by [outbox
// mode][idempotency key given].
var saveViewingSQL = [2][2]string{
	{saveViewingStatement(false, false), saveViewingStatement(false, true)},
	{saveViewingStatement(true, false), saveViewingStatement(true, true)},
}

// saveParams is the most parameters a saveViewingSQL statement takes.
const saveParams = 20

// saveViewingStatement builds the one statement that stores a viewing in
// the usual cases, a transaction of its own. Its parameters are the
// movie's columns ($1–$6, as movieArgs gives them), the review's but its
// movie ($7–$12: id, user_id, rating_halves, comment, watched_at,
// created_at); in outbox mode the IDs and payloads of the MovieDiscovered
// event of a new movie (NULL when a new movie would not be discovered) and
// of the ReviewLogged event; with a key, the key's user, the key, the
// fingerprint and the cutoff before which a stored record is replaced.
//
// It stores the review when the movie row with the viewing's ID holds its
// external ID (or the viewing has none), or when neither the ID nor the
// external ID is stored: then it inserts the movie. Otherwise it stores
// nothing and returns no row. A concurrent save that stores the new movie
// first makes the insert fail with a unique violation, undoing the whole
// statement. With a key, the key's upsert comes first and the movie and the
// review are written only when it took the key; a save whose key is held
// stores nothing and returns the stored movie with review_saved false.
//
// It returns the movie's columns, is_new and review_saved.
func saveViewingStatement(outbox, keyed bool) string {
	next := 13
	param := func() string {
		p := "$" + strconv.Itoa(next)
		next++
		return p
	}
	var discoveredID, discoveredPayload, loggedID, loggedPayload string
	if outbox {
		discoveredID, discoveredPayload, loggedID, loggedPayload = param(), param(), param(), param()
	}
	// keyCond is the condition of the writes that follow the key's upsert.
	keyCond := ""
	q := `WITH m AS (
		SELECT ` + movieColumns + ` FROM movies WHERE id = $1::uuid AND ($2::text IS NULL OR external_id = $2::text)
	), free AS (
		SELECT NOT EXISTS (SELECT FROM movies WHERE id = $1::uuid OR external_id = $2::text) AS free
	)`
	if keyed {
		user, key, fingerprint, cutoff := param(), param(), param(), param()
		q += `, k AS (
		INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, review_id, created_at)
		SELECT ` + user + `::uuid, ` + key + `::text, ` + fingerprint + `::text, $7::uuid, $12::timestamptz
		 WHERE EXISTS (SELECT FROM m) OR (SELECT free FROM free)
		ON CONFLICT (user_id, key) DO UPDATE
		   SET fingerprint = EXCLUDED.fingerprint, review_id = EXCLUDED.review_id, created_at = EXCLUDED.created_at
		 WHERE k.created_at <= ` + cutoff + `::timestamptz
		RETURNING 1
	)`
		keyCond = ` AND EXISTS (SELECT FROM k)`
	}
	q += `, ins AS (
		INSERT INTO movies (` + movieColumns + `)
		SELECT $1::uuid, $2::text, $3::text, $4::integer, $5::text, $6::text
		 WHERE NOT EXISTS (SELECT FROM m) AND (SELECT free FROM free)` + keyCond + `
		RETURNING ` + movieColumns + `
	), r AS (
		INSERT INTO reviews (` + reviewColumns + `)
		SELECT $7::uuid, $1::uuid, $8::uuid, $9::smallint, $10::text, $11::timestamptz, $12::timestamptz
		  FROM (SELECT 1 FROM m UNION ALL SELECT 1 FROM ins) AS movie
		 WHERE true` + keyCond + `
		RETURNING id
	)`
	if outbox {
		q += `, e AS (
		INSERT INTO outbox_events (id, name, payload, movie_id, created_at, next_attempt_at)
		SELECT ` + discoveredID + `::uuid, '` + string(domain.EventMovieDiscovered) + `', ` + discoveredPayload + `::jsonb, $1::uuid, $12::timestamptz, $12::timestamptz
		  FROM ins WHERE ` + discoveredID + `::uuid IS NOT NULL
		UNION ALL
		SELECT ` + loggedID + `::uuid, '` + string(domain.EventReviewLogged) + `', ` + loggedPayload + `::jsonb, $1::uuid, $12::timestamptz, $12::timestamptz
		  FROM r
	)`
	}
	return q + `
	SELECT ` + movieColumns + `, false AS is_new, EXISTS (SELECT FROM r) AS review_saved FROM m
	UNION ALL
	SELECT ` + movieColumns + `, true, true FROM ins`
}

// saveViewingTx stores v in a transaction that resolves its movie with
// sqlrows.ResolveMovie: the path of the viewings saveViewingAtOnce leaves.
// With a key, the key's upsert is the transaction's first statement.
func (r *MovieRepository) saveViewingTx(ctx context.Context, v domain.Viewing) (domain.SavedViewing, error) {
	const op = opSaveViewing
	var saved domain.SavedViewing
	err := inTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
		if !v.Idempotency.IsZero() {
			if err := takeIdempotencyKey(ctx, tx, v.Idempotency, v.Review); err != nil {
				return err
			}
		}
		movie, change, err := sqlrows.ResolveMovie(ctx, movieTx{tx}, v.Movie)
		if err != nil {
			return dbError(op, err)
		}
		rv := v.Review
		review, err := domain.RestoreReview(rv.ID, movie.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt)
		if err != nil {
			return dbError(op, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO reviews (`+reviewColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			review.ID.UUID(), review.MovieID.UUID(), review.UserID.UUID(), sqlrows.RatingArg(review.Rating),
			nullString(review.Comment.String()), review.WatchedAt, review.CreatedAt)
		if err != nil {
			return dbError(op+": insert review", err)
		}
		saved = domain.SavedViewing{
			Movie:  movie,
			Change: change,
			Review: review,
			Events: domain.LogEvents(movie, change, review, v.PosterURL, review.CreatedAt),
		}
		if r.outbox {
			return insertEvents(ctx, tx, op, saved.Events)
		}
		return nil
	})
	if err != nil {
		return domain.SavedViewing{}, err
	}
	return saved, nil
}

// sqlTakeIdempotencyKey stores a key's record unless the user's key is
// held by a record created after the cutoff ($6); it returns a row when it
// stored one. A concurrent transaction's uncommitted record of the key
// makes it wait for that transaction's end.
const sqlTakeIdempotencyKey = `INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, review_id, created_at)
	VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (user_id, key) DO UPDATE
	   SET fingerprint = EXCLUDED.fingerprint, review_id = EXCLUDED.review_id, created_at = EXCLUDED.created_at
	 WHERE k.created_at <= $6
	RETURNING 1`

// takeIdempotencyKey stores req's record of review in tx, or returns
// sqlrows.IdempotencyConflict when the key is held.
func takeIdempotencyKey(ctx context.Context, tx *sqlx.Tx, req domain.IdempotentRequest, review domain.Review) error {
	const op = opSaveViewing + ": take idempotency key"
	var one int
	err := tx.QueryRowContext(ctx, sqlTakeIdempotencyKey, req.User.UUID(), req.Key.String(), req.Fingerprint,
		review.ID.UUID(), review.CreatedAt, sqlrows.IdempotencyCutoff(review.CreatedAt)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, sqlrows.IdempotencyConflict(req))
	}
	return dbError(op, err)
}

// sqlIdempotencyRecord reads a user's key, served by the primary key.
const sqlIdempotencyRecord = `SELECT user_id, key, fingerprint, review_id, created_at
	FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND created_at >= $3`

// IdempotencyRecord returns the record of user's key created at or after
// since, or ErrNotFound.
func (r *MovieRepository) IdempotencyRecord(ctx context.Context, user domain.UserID, key domain.IdempotencyKey, since time.Time) (domain.IdempotencyRecord, error) {
	const op = "idempotency record"
	var row sqlrows.IdempotencyRecord
	err := r.db.QueryRowContext(ctx, sqlIdempotencyRecord, user.UUID(), key.String(), since).
		Scan(&row.UserID, &row.Key, &row.Fingerprint, &row.ReviewID, &row.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.IdempotencyRecord{}, fmt.Errorf("postgres: %s: user %v has no key %q since %v: %w", op, user, key, since, domain.ErrNotFound)
	}
	if err != nil {
		return domain.IdempotencyRecord{}, dbError(op, err)
	}
	rec, err := row.ToDomain()
	if err != nil {
		return domain.IdempotencyRecord{}, dbError(op, sqlrows.Corrupt("idempotency key of user "+row.UserID.String(), err))
	}
	return rec, nil
}
