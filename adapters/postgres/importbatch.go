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

// SaveImportBatch stores b in one transaction, as domain.ImportRepository
// documents: each viewing whose key b.Job.User holds already, or whose
// review ID is stored, is already present and stores nothing; every other
// one is stored as SaveViewing stores a viewing — its movie resolved to
// the holder of its external ID, else the movie stored under its ID
// (given the external ID when it had none, and the director when it had
// none either), else inserted — with its key
// and its domain.ImportEvents, occurring at the review's created_at as
// SaveViewing's do, stored in the outbox in outbox mode. b.Job is written
// with the stored viewings added to Imported, those of them whose movie
// as stored has no external ID to Unmatched (domain.CountUnmatched) and
// the present ones to AlreadyPresent, and its claim extended to
// b.ClaimUntil.
//
// A batch costs a handful of statements whatever its size, each taking
// the whole batch as arrays (unnest):
//  1. the keys of the viewings whose review ID is not stored are inserted,
//     ON CONFLICT DO NOTHING: those it returns are the viewings to store
//     (a concurrent runner of the job waits here, then finds them held);
//  2. the batch's distinct movies are resolved at once, one statement for
//     those with an external ID (holder, else the ID's row, identified,
//     else inserted) and one for those without (the ID's row, else
//     inserted);
//  3. the reviews, their events and the job are written by one statement
//     (the diary totals follow by the schema's statement trigger, once for
//     the batch).
//
// The SQL cannot follow SaveViewing's order row by row, so batches it
// does not describe — two viewings with one key or one review ID, or one
// movie ID given with different external IDs — take the row-by-row path,
// in the same single transaction: sqlrows.ResolveMovie per viewing, then
// step 3. So does the last attempt after a lost race: a movie or review
// that a concurrent transaction inserted first (a unique violation), or
// one it changed or deleted meanwhile, undoes the transaction, and the
// batch is stored again.
//
// ErrValidation, before anything is written, when b's job or a viewing
// would not read back, a key is empty or a review is not the job user's;
// ErrNotFound when the job is unknown; ErrConflict when a viewing's movie
// ID is stored with another external ID.
func (r *ImportRepository) SaveImportBatch(ctx context.Context, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	const op = "save import batch"
	if err := checkImportBatch(b); err != nil {
		return domain.ImportBatchResult{}, dbError(op, err)
	}
	fast := setBased(b.Viewings)
	stmts, err := statementsOf(r.db).prepare(ctx, r.batchStatements(fast)...)
	if err != nil {
		return domain.ImportBatchResult{}, dbError(op+": prepare", err)
	}
	for attempt := 1; ; attempt++ {
		rowByRow := !fast || attempt == sqlrows.MaxResolveAttempts
		var res domain.ImportBatchResult
		err := inTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
			var err error
			if rowByRow {
				res, err = r.saveRowByRow(ctx, tx, stmts, b)
			} else {
				res, err = r.saveSetBased(ctx, tx, stmts, b)
			}
			return err
		})
		if err != nil && !rowByRow && (errors.Is(err, errBatchRaced) || lostBatchRace(err)) {
			continue
		}
		if err != nil {
			return domain.ImportBatchResult{}, err
		}
		return res, nil
	}
}

// batchStatements lists the statements SaveImportBatch runs, for
// preparing: the set-based ones when fast, and the batch's write.
func (r *ImportRepository) batchStatements(fast bool) []string {
	write := sqlWriteBatch
	if r.outbox {
		write = sqlWriteBatchOutbox
	}
	if !fast {
		return []string{write}
	}
	return []string{sqlTakeImportKeys, sqlResolveIdentified, sqlResolveUnidentified, write}
}

// errBatchRaced undoes a set-based attempt whose movies a concurrent
// transaction changed between two of its statements.
var errBatchRaced = fmt.Errorf("postgres: save import batch: a movie changed under a concurrent writer: %w", domain.ErrUnavailable)

// lostBatchRace reports whether err is a race a set-based attempt loses
// and a new attempt resolves: a movie or review that a concurrent
// transaction inserted first, or a deadlock with one.
func lostBatchRace(err error) bool {
	if pq.As(err, pqerror.TRDeadlockDetected) != nil {
		return true
	}
	pqErr := pq.As(err, pqerror.UniqueViolation)
	return pqErr != nil && (pqErr.Constraint == "movies_pkey" || pqErr.Constraint == "movies_external_id_key" ||
		pqErr.Constraint == "reviews_pkey")
}

// checkImportBatch refuses a batch that would not read back: a job that
// checkImportJob refuses or has no user, a viewing without a key, one that
// sqlrows.CheckViewing refuses, or a review of another user than the
// job's. It returns one *domain.ValidationError listing every failure.
func checkImportBatch(b domain.ImportBatch) error {
	var v domain.Validation
	if err := checkImportJob(b.Job, false); err != nil {
		v.Check("job", err)
	}
	if b.Job.User.IsZero() {
		v.Add("job.user_id", "is required")
	}
	for i, iv := range b.Viewings {
		field := "viewings[" + strconv.Itoa(i) + "]"
		if iv.Key.IsZero() {
			v.Add(field+".key", "is required")
		}
		if err := sqlrows.CheckViewing(iv.Viewing); err != nil {
			v.Check(field, err)
		} else if iv.Viewing.Review.UserID != b.Job.User {
			v.Add(field+".user_id", "must be the job's user")
		}
	}
	return v.Err()
}

// setBased reports whether the set-based statements store viewings as
// SaveViewing would, one after the other: no two viewings share a key or a
// review ID, and every movie ID comes with one external ID (or none).
func setBased(viewings []domain.ImportedViewing) bool {
	keys := make(map[domain.ImportRowKey]struct{}, len(viewings))
	reviews := make(map[domain.ReviewID]struct{}, len(viewings))
	movies := make(map[domain.MovieID]domain.ExternalMetadataID, len(viewings))
	for _, iv := range viewings {
		if _, dup := keys[iv.Key]; dup {
			return false
		}
		keys[iv.Key] = struct{}{}
		if _, dup := reviews[iv.Viewing.Review.ID]; dup {
			return false
		}
		reviews[iv.Viewing.Review.ID] = struct{}{}
		m := iv.Viewing.Movie
		if ext, seen := movies[m.ID]; seen && ext != m.ExternalID {
			return false
		}
		movies[m.ID] = m.ExternalID
	}
	return true
}

// The batch statements look rows up by index one viewing or movie at a
// time, whatever the planner believes of the tables' sizes: they run as
// prepared statements, whose generic plan may have been made while an
// import was filling an empty database, and a hash join over a table
// that has grown since would read all of it for every batch. A scalar
// subquery (never turned into a join) and a LATERAL subquery with LIMIT 1
// (never flattened into one) keep each look-up a probe of one index.

// sqlTakeImportKeys stores the keys ($2) of a user's ($1) viewings whose
// review IDs ($3) are not stored, and returns those it stored: a key the
// user holds is left alone. A key a concurrent transaction is storing
// makes it wait for that one's end.
const sqlTakeImportKeys = `INSERT INTO import_keys (user_id, key, review_id)
	SELECT $1, v.key, v.review_id FROM unnest($2::text[], $3::uuid[]) AS v (key, review_id)
	 WHERE (SELECT true FROM reviews r WHERE r.id = v.review_id) IS NULL
	ON CONFLICT DO NOTHING
	RETURNING key`

// Movie changes as the resolving statements report them.
const (
	resolvedUnchanged  = 0
	resolvedCreated    = 1
	resolvedIdentified = 2
	resolvedConflict   = 3
)

// sqlResolveIdentified resolves the distinct movies with an external ID
// of a batch: $1–$6 are their external IDs, IDs, titles, years, directors
// and poster paths (” for none). Each is the holder of its external ID;
// else the movie stored under its ID, given the external ID when it has
// none, and the director when it has none either (a conflict when it has
// another external ID); else inserted, in external-ID
// order so that concurrent batches insert in one order. It returns, per
// movie resolved, its ordinal (from 1), how it was resolved and the
// stored movie's columns. A movie that a concurrent transaction gave an
// external ID or deleted meanwhile is not returned; one it inserted first
// fails the statement with a unique violation.
const sqlResolveIdentified = `WITH g AS (
		SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::integer[], $5::text[], $6::text[])
			WITH ORDINALITY AS g (external_id, id, title, release_year, director, poster_path, i)
	), holder AS (
		SELECT g.i, ` + mMovieColumns + ` FROM g,
		       LATERAL (SELECT ` + movieColumns + ` FROM movies WHERE external_id = g.external_id LIMIT 1) AS m
	), by_id AS (
		SELECT g.i, ` + mMovieColumns + ` FROM g,
		       LATERAL (SELECT ` + movieColumns + ` FROM movies WHERE id = g.id LIMIT 1) AS m
		 WHERE NOT EXISTS (SELECT FROM holder h WHERE h.i = g.i)
	), identified AS (
		UPDATE movies m SET external_id = g.external_id, director = coalesce(m.director, nullif(g.director, ''))
		  FROM g JOIN by_id b ON b.i = g.i AND b.external_id IS NULL
		 WHERE m.id = g.id AND m.external_id IS NULL
		RETURNING g.i, ` + mMovieColumns + `
	), inserted AS (
		INSERT INTO movies (` + movieColumns + `)
		SELECT id, external_id, title, release_year, nullif(director, ''), nullif(poster_path, '') FROM g
		 WHERE NOT EXISTS (SELECT FROM holder h WHERE h.i = g.i) AND NOT EXISTS (SELECT FROM by_id b WHERE b.i = g.i)
		 ORDER BY external_id
		RETURNING ` + movieColumns + `
	)
	SELECT i, 0, ` + movieColumns + ` FROM holder
	UNION ALL
	SELECT i, 2, ` + movieColumns + ` FROM identified
	UNION ALL
	SELECT g.i, 1, ` + nMovieColumns + ` FROM inserted n JOIN g ON g.id = n.id
	UNION ALL
	SELECT i, 3, ` + movieColumns + ` FROM by_id WHERE external_id IS NOT NULL`

// sqlResolveUnidentified resolves the distinct movies without an external
// ID of a batch: $1–$5 are their IDs, titles, years, directors and poster
// paths. Each is the movie stored under its ID, else inserted, in ID
// order. It returns what sqlResolveIdentified returns.
const sqlResolveUnidentified = `WITH g AS (
		SELECT * FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::text[], $5::text[])
			WITH ORDINALITY AS g (id, title, release_year, director, poster_path, i)
	), stored AS (
		SELECT g.i, ` + mMovieColumns + ` FROM g,
		       LATERAL (SELECT ` + movieColumns + ` FROM movies WHERE id = g.id LIMIT 1) AS m
	), inserted AS (
		INSERT INTO movies (` + movieColumns + `)
		SELECT id, NULL, title, release_year, nullif(director, ''), nullif(poster_path, '') FROM g
		 WHERE NOT EXISTS (SELECT FROM stored s WHERE s.i = g.i)
		 ORDER BY id
		RETURNING ` + movieColumns + `
	)
	SELECT i, 0, ` + movieColumns + ` FROM stored
	UNION ALL
	SELECT g.i, 1, ` + nMovieColumns + ` FROM inserted n JOIN g ON g.id = n.id`

// movieColumns qualified by the aliases m and n.
const (
	mMovieColumns = `m.id, m.external_id, m.title, m.release_year, m.director, m.poster_path`
	nMovieColumns = `n.id, n.external_id, n.title, n.release_year, n.director, n.poster_path`
)

// resolvedMovie is a movie of a batch as a resolving statement stored it.
type resolvedMovie struct {
	movie  domain.Movie
	change int
	ok     bool
}

// movieGroups gathers a batch's viewings by the movie they resolve to:
// those with an external ID by it, the others by movie ID. first holds the
// index of each group's first viewing, which gives the group its movie.
type movieGroups struct {
	byExt   map[domain.ExternalMetadataID]int
	byID    map[domain.MovieID]int
	first   []int
	ofIndex map[int]int // viewing index → group
}

func newMovieGroups(n int) *movieGroups {
	return &movieGroups{byExt: map[domain.ExternalMetadataID]int{}, byID: map[domain.MovieID]int{}, ofIndex: make(map[int]int, n)}
}

// add puts viewing i of movie m in its group.
func (g *movieGroups) add(i int, m domain.Movie) {
	var (
		group int
		ok    bool
	)
	if m.ExternalID.IsZero() {
		if group, ok = g.byID[m.ID]; !ok {
			group = len(g.first)
			g.byID[m.ID] = group
			g.first = append(g.first, i)
		}
	} else if group, ok = g.byExt[m.ExternalID]; !ok {
		group = len(g.first)
		g.byExt[m.ExternalID] = group
		g.first = append(g.first, i)
	}
	g.ofIndex[i] = group
}

// saveSetBased is SaveImportBatch's set-based attempt, in tx.
func (r *ImportRepository) saveSetBased(ctx context.Context, tx *sqlx.Tx, stmts txStatements, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	const op = "save import batch"
	n := len(b.Viewings)
	keys, reviewIDs := make([]string, n), make([]string, n)
	for i, iv := range b.Viewings {
		keys[i], reviewIDs[i] = string(iv.Key), iv.Viewing.Review.ID.String()
	}
	taken := make(map[string]struct{}, n)
	if n > 0 {
		rows, err := stmts.query(ctx, tx, sqlTakeImportKeys, b.Job.User.UUID(), pq.StringArray(keys), pq.StringArray(reviewIDs))
		if err != nil {
			return domain.ImportBatchResult{}, dbError(op+": take keys", err)
		}
		if err := scanKeys(rows, taken); err != nil {
			return domain.ImportBatchResult{}, dbError(op+": take keys", err)
		}
	}
	groups := newMovieGroups(len(taken))
	var toStore []int
	for i, iv := range b.Viewings {
		if _, ok := taken[string(iv.Key)]; ok {
			toStore = append(toStore, i)
			groups.add(i, iv.Viewing.Movie)
		}
	}
	resolved, err := resolveGroups(ctx, tx, stmts, b.Viewings, groups)
	if err != nil {
		return domain.ImportBatchResult{}, err
	}
	// Each group's change belongs to its first viewing; the others find
	// the movie stored.
	var batch writeBatch
	for _, i := range toStore {
		iv := b.Viewings[i]
		g := groups.ofIndex[i]
		change := domain.MovieUnchanged
		if groups.first[g] == i {
			switch resolved[g].change {
			case resolvedCreated:
				change = domain.MovieCreated
			case resolvedIdentified:
				change = domain.MovieIdentified
			}
		}
		if err := batch.add(iv, resolved[g].movie, change); err != nil {
			return domain.ImportBatchResult{}, dbError(op, err)
		}
	}
	return r.writeBatch(ctx, tx, stmts, b, &batch, n-len(toStore))
}

// resolveGroups resolves the movie of every group of viewings with
// sqlResolveIdentified and sqlResolveUnidentified. A movie that is not
// returned was changed by a concurrent writer: errBatchRaced.
func resolveGroups(ctx context.Context, tx *sqlx.Tx, stmts txStatements, viewings []domain.ImportedViewing, groups *movieGroups) ([]resolvedMovie, error) {
	const op = "save import batch: resolve movies"
	resolved := make([]resolvedMovie, len(groups.first))
	var identified, unidentified []int // group numbers
	for g, i := range groups.first {
		if viewings[i].Viewing.Movie.ExternalID.IsZero() {
			unidentified = append(unidentified, g)
		} else {
			identified = append(identified, g)
		}
	}
	run := func(gs []int, withExt bool) error {
		if len(gs) == 0 {
			return nil
		}
		exts, ids, titles, directors, posters := make([]string, len(gs)), make([]string, len(gs)), make([]string, len(gs)), make([]string, len(gs)), make([]string, len(gs))
		years := make([]int64, len(gs))
		for k, g := range gs {
			m := viewings[groups.first[g]].Viewing.Movie
			exts[k], ids[k], titles[k] = m.ExternalID.String(), m.ID.String(), m.Title.String()
			years[k], directors[k], posters[k] = int64(m.ReleaseYear.Int()), m.Director.String(), m.PosterPath.String()
		}
		var (
			rows *sql.Rows
			err  error
		)
		if withExt {
			rows, err = stmts.query(ctx, tx, sqlResolveIdentified, pq.StringArray(exts), pq.StringArray(ids),
				pq.StringArray(titles), pq.Int64Array(years), pq.StringArray(directors), pq.StringArray(posters))
		} else {
			rows, err = stmts.query(ctx, tx, sqlResolveUnidentified, pq.StringArray(ids),
				pq.StringArray(titles), pq.Int64Array(years), pq.StringArray(directors), pq.StringArray(posters))
		}
		if err != nil {
			return dbError(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				ord    int
				change int
				row    movieRow
			)
			if err := rows.Scan(&ord, &change, &row.ID, &row.ExternalID, &row.Title, &row.ReleaseYear, &row.Director, &row.PosterPath); err != nil {
				return dbError(op, err)
			}
			if ord < 1 || ord > len(gs) {
				return fmt.Errorf("postgres: %s: %w: movie ordinal %d out of range", op, domain.ErrInfrastructure, ord)
			}
			g := gs[ord-1]
			m, err := row.toDomain()
			if err != nil {
				return dbError(op, err)
			}
			if change == resolvedConflict {
				given := viewings[groups.first[g]].Viewing.Movie
				return fmt.Errorf("postgres: %s: movie %s already has external ID %s, not %s: %w",
					op, given.ID, m.ExternalID, given.ExternalID, domain.ErrConflict)
			}
			resolved[g] = resolvedMovie{movie: m, change: change, ok: true}
		}
		if err := rows.Err(); err != nil {
			return dbError(op, err)
		}
		return dbError(op, rows.Close())
	}
	if err := run(identified, true); err != nil {
		return nil, err
	}
	if err := run(unidentified, false); err != nil {
		return nil, err
	}
	for _, rm := range resolved {
		if !rm.ok {
			return nil, errBatchRaced
		}
	}
	return resolved, nil
}

// saveRowByRow is SaveImportBatch's path for the batches the set-based
// statements cannot take, in tx: each viewing is checked for presence
// against the store and the viewings before it, its key stored, and its
// movie resolved by sqlrows.ResolveMovie, one after the other; the reviews,
// events and job are then written as the set-based path writes them.
func (r *ImportRepository) saveRowByRow(ctx context.Context, tx *sqlx.Tx, stmts txStatements, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	const op = "save import batch"
	var batch writeBatch
	present := 0
	reviews := make(map[domain.ReviewID]struct{}, len(b.Viewings))
	for _, iv := range b.Viewings {
		rid := iv.Viewing.Review.ID
		if _, ok := reviews[rid]; ok {
			present++
			continue
		}
		var stored bool
		if err := tx.GetContext(ctx, &stored, `SELECT EXISTS (SELECT FROM reviews WHERE id = $1)`, rid.UUID()); err != nil {
			return domain.ImportBatchResult{}, dbError(op, err)
		}
		if stored {
			present++
			continue
		}
		var one int
		err := tx.GetContext(ctx, &one, `INSERT INTO import_keys (user_id, key, review_id) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING RETURNING 1`, b.Job.User.UUID(), string(iv.Key), rid.UUID())
		if errors.Is(err, sql.ErrNoRows) {
			present++
			continue
		}
		if err != nil {
			return domain.ImportBatchResult{}, dbError(op+": take key", err)
		}
		movie, change, err := sqlrows.ResolveMovie(ctx, movieTx{tx}, iv.Viewing.Movie)
		if err != nil {
			return domain.ImportBatchResult{}, dbError(op, err)
		}
		if err := batch.add(iv, movie, change); err != nil {
			return domain.ImportBatchResult{}, dbError(op, err)
		}
		reviews[rid] = struct{}{}
	}
	return r.writeBatch(ctx, tx, stmts, b, &batch, present)
}

// writeBatch is what a batch writes once its movies are resolved: its
// reviews as arrays, its events and what it returns.
type writeBatch struct {
	saved  []domain.SavedViewing
	events []domain.Event

	reviewIDs, movieIDs, comments []string
	ratings, watched, created     []int64
}

// microsArg is t for a timestamptz column as microseconds since the Unix
// epoch, rounded as PostgreSQL rounds a time parameter: a bigint array is
// read far faster than timestamps written out. The statements turn it
// back exactly as whole seconds and microseconds after the epoch (each
// product well within a double's integers), PostgreSQL's own resolution.
func microsArg(t time.Time) int64 { return t.Round(time.Microsecond).UnixMicro() }

// add records viewing iv, resolved to movie with change; its events occur
// at the review's creation, as SaveViewing's do.
func (w *writeBatch) add(iv domain.ImportedViewing, movie domain.Movie, change domain.MovieChange) error {
	rv := iv.Viewing.Review
	review, err := domain.RestoreReview(rv.ID, movie.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt)
	if err != nil {
		return err
	}
	events := domain.ImportEvents(movie, change, review, iv.Viewing.PosterURL, review.CreatedAt)
	w.saved = append(w.saved, domain.SavedViewing{Movie: movie, Change: change, Review: review, Events: events})
	w.events = append(w.events, events...)
	rating := int64(-1)
	if r := sqlrows.RatingArg(review.Rating); r.Valid {
		rating = r.Int64
	}
	w.reviewIDs = append(w.reviewIDs, review.ID.String())
	w.movieIDs = append(w.movieIDs, movie.ID.String())
	w.ratings = append(w.ratings, rating)
	w.comments = append(w.comments, review.Comment.String())
	w.watched = append(w.watched, microsArg(review.WatchedAt))
	w.created = append(w.created, microsArg(review.CreatedAt))
	return nil
}

// sqlWriteBatch writes a batch's reviews ($3–$8, for user $2: IDs, movie
// IDs, ratings in halves (-1 for none), comments (” for none),
// watched_at, created_at) and its job ($1, $9–$20), in one statement, and
// returns the job as stored (no row when it is unknown). In outbox mode
// (sqlWriteBatchOutbox) it also inserts the events ($21–$25: IDs, names,
// payloads, movie IDs, times), in order.
const sqlWriteBatchReviews = `WITH r AS (
		INSERT INTO reviews (` + reviewColumns + `)
		SELECT v.id, v.movie_id, $2::uuid, nullif(v.rating, -1), nullif(v.comment, ''),
		       (timestamptz 'epoch' + v.watched_at / 1000000 * interval '1 second' + v.watched_at % 1000000 * interval '1 microsecond'), (timestamptz 'epoch' + v.created_at / 1000000 * interval '1 second' + v.created_at % 1000000 * interval '1 microsecond')
		  FROM unnest($3::uuid[], $4::uuid[], $5::smallint[], $6::text[], $7::bigint[], $8::bigint[])
		       AS v (id, movie_id, rating, comment, watched_at, created_at)
	), j AS (
		UPDATE import_jobs SET state = $9, rows_total = $10, rows_done = $11, imported = $12, already_present = $13,
			skipped = $14, unmatched = $15, problems = $16::jsonb, problems_more = $17, error = $18,
			updated_at = coalesce($19, updated_at), claimed_until = coalesce($20, claimed_until)
		 WHERE id = $1
		RETURNING ` + importJobColumns + `
	)`

var (
	sqlWriteBatch       = sqlWriteBatchReviews + ` SELECT ` + importJobColumns + ` FROM j`
	sqlWriteBatchOutbox = sqlWriteBatchReviews + `, e AS (
		INSERT INTO outbox_events (id, name, payload, movie_id, created_at, next_attempt_at)
		SELECT e.id, e.name, $23::jsonb -> (e.n::integer - 1), e.movie_id, (timestamptz 'epoch' + e.at / 1000000 * interval '1 second' + e.at % 1000000 * interval '1 microsecond'), (timestamptz 'epoch' + e.at / 1000000 * interval '1 second' + e.at % 1000000 * interval '1 microsecond')
		  FROM unnest($21::uuid[], $22::text[], $24::uuid[], $25::bigint[])
		       WITH ORDINALITY AS e (id, name, movie_id, at, n)
		 ORDER BY e.n
	) SELECT ` + importJobColumns + ` FROM j`
)

// writeBatch stores w's reviews and events and b's job, with the stored
// and present viewings counted, and returns what SaveImportBatch returns.
func (r *ImportRepository) writeBatch(ctx context.Context, tx *sqlx.Tx, stmts txStatements, b domain.ImportBatch, w *writeBatch, present int) (domain.ImportBatchResult, error) {
	const op = "save import batch"
	job := b.Job
	job.Imported += len(w.saved)
	job.Unmatched += domain.CountUnmatched(w.saved)
	job.AlreadyPresent += present
	problems, err := problemsArg(job.Problems)
	if err != nil {
		return domain.ImportBatchResult{}, fmt.Errorf("postgres: %s: %w: %v", op, domain.ErrInfrastructure, err)
	}
	claim := sql.NullTime{Time: b.ClaimUntil.UTC(), Valid: !b.ClaimUntil.IsZero()}
	args := []any{
		job.ID.UUID(), job.User.UUID(),
		pq.StringArray(nonNil(w.reviewIDs)), pq.StringArray(nonNil(w.movieIDs)), pq.Int64Array(nonNil(w.ratings)),
		pq.StringArray(nonNil(w.comments)), pq.Int64Array(nonNil(w.watched)), pq.Int64Array(nonNil(w.created)),
		string(job.State), job.RowsTotal, job.RowsDone, job.Imported, job.AlreadyPresent, job.Skipped, job.Unmatched,
		problems, job.ProblemsMore, job.Error, updatedAtArg(job), claim,
	}
	query := sqlWriteBatch
	if r.outbox {
		query = sqlWriteBatchOutbox
		n := len(w.events)
		ids, names, movies, ats := make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
		// The payloads travel as one JSON array, parsed once: as a text
		// array each would be escaped, unescaped and parsed on its own.
		payloads := make([]byte, 0, 256*n+2)
		payloads = append(payloads, '[')
		for i, e := range w.events {
			payload, err := domain.MarshalEvent(e)
			if err != nil {
				return domain.ImportBatchResult{}, fmt.Errorf("postgres: %s: %w", op, err)
			}
			if i > 0 {
				payloads = append(payloads, ',')
			}
			payloads = append(payloads, payload...)
			ids[i], names[i] = e.EventID().String(), string(e.EventName())
			movies[i], ats[i] = e.MovieID().String(), microsArg(e.OccurredAt())
		}
		payloads = append(payloads, ']')
		args = append(args, pq.StringArray(ids), pq.StringArray(names), string(payloads), pq.StringArray(movies), pq.Int64Array(ats))
	}
	rows, err := stmts.query(ctx, tx, query, args...)
	if err != nil {
		return domain.ImportBatchResult{}, dbError(op, err)
	}
	var row importJobRow
	err = scanOne(tx, rows, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ImportBatchResult{}, fmt.Errorf("postgres: %s: import job %s: %w", op, job.ID, domain.ErrNotFound)
	}
	if err != nil {
		return domain.ImportBatchResult{}, dbError(op, err)
	}
	stored, err := importJobToDomain(op, row)
	if err != nil {
		return domain.ImportBatchResult{}, err
	}
	return domain.ImportBatchResult{Job: stored, Saved: w.saved, Events: w.events}, nil
}

// nonNil returns s, or an empty slice for nil: pq encodes a nil slice as
// NULL rather than as an empty array.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sqlPresentImportRows tells, for each of a user's ($1) viewings, in
// order, whether the user holds its key ($2) or its review ID ($3) is
// stored: two primary-key probes a viewing.
const sqlPresentImportRows = `SELECT EXISTS (SELECT FROM import_keys k WHERE k.user_id = $1 AND k.key = v.key)
		OR EXISTS (SELECT FROM reviews r WHERE r.id = v.review_id)
	FROM unnest($2::text[], $3::uuid[]) WITH ORDINALITY AS v (key, review_id, n)
	ORDER BY v.n`

// PresentImportRows reports, for each of viewings, whether user holds its
// key or its review ID is stored: what SaveImportBatch would find already
// present, in one statement.
func (r *ImportRepository) PresentImportRows(ctx context.Context, user domain.UserID, viewings []domain.ImportedViewing) ([]bool, error) {
	const op = "present import rows"
	out := make([]bool, 0, len(viewings))
	if len(viewings) == 0 {
		return out, nil
	}
	keys, reviewIDs := make([]string, len(viewings)), make([]string, len(viewings))
	for i, iv := range viewings {
		keys[i], reviewIDs[i] = string(iv.Key), iv.Viewing.Review.ID.String()
	}
	if err := r.db.SelectContext(ctx, &out, sqlPresentImportRows, user.UUID(), pq.StringArray(keys), pq.StringArray(reviewIDs)); err != nil {
		return nil, dbError(op, err)
	}
	if len(out) != len(viewings) {
		return nil, fmt.Errorf("postgres: %s: %w: %d answers for %d viewings", op, domain.ErrInfrastructure, len(out), len(viewings))
	}
	return out, nil
}

// scanKeys reads the keys rows returns into taken and closes rows.
func scanKeys(rows *sql.Rows, taken map[string]struct{}) error {
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		taken[k] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// scanOne reads the single row of rows into dest, a struct with db tags
// mapped as tx maps them, and closes rows; sql.ErrNoRows when there is
// none.
func scanOne(tx *sqlx.Tx, rows *sql.Rows, dest any) error {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := (&sqlx.Rows{Rows: rows, Mapper: tx.Mapper}).StructScan(dest); err != nil {
		return err
	}
	return rows.Close()
}
