package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// ImportRepository keeps import jobs in import_jobs, their files in
// import_files and the keys of imported rows in import_keys (migration
// 0007), and stores the rows' viewings as the MovieRepository does; it
// implements domain.ImportRepository. Get it from DB.Imports. When the DB
// was opened with Config.Outbox, a batch's events are stored in
// outbox_events in the batch's transaction.
//
// Writes are serialised (one writer connection, IMMEDIATE transactions),
// and the partial unique index import_jobs_one_active holds one active job
// per user, so concurrent creations for one user store one job and
// concurrent claims of one job give it to one claimer.
type ImportRepository struct {
	db *DB
}

var _ domain.ImportRepository = (*ImportRepository)(nil)

// Imports returns the import repository of db.
func (db *DB) Imports() *ImportRepository { return db.imports }

// importJobColumns lists importJobRow's columns.
const importJobColumns = `id, user_id, started_by, source, dry_run, state, rows_total, rows_done, imported,
	already_present, skipped, unmatched, problems, problems_more, error, created_at, updated_at`

// importJobRow is a row of import_jobs.
type importJobRow struct {
	ID             []byte `db:"id"`
	UserID         []byte `db:"user_id"`
	StartedBy      []byte `db:"started_by"`
	Source         string `db:"source"`
	DryRun         bool   `db:"dry_run"`
	State          string `db:"state"`
	RowsTotal      int    `db:"rows_total"`
	RowsDone       int    `db:"rows_done"`
	Imported       int    `db:"imported"`
	AlreadyPresent int    `db:"already_present"`
	Skipped        int    `db:"skipped"`
	Unmatched      int    `db:"unmatched"`
	Problems       string `db:"problems"`
	ProblemsMore   int    `db:"problems_more"`
	Error          string `db:"error"`
	CreatedAt      int64  `db:"created_at"`
	UpdatedAt      int64  `db:"updated_at"`
}

// wireProblem is an ImportProblem in the problems column.
type wireProblem struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// problemsArg encodes problems for the problems column.
func problemsArg(problems []domain.ImportProblem) (string, error) {
	w := make([]wireProblem, len(problems))
	for i, p := range problems {
		w[i] = wireProblem(p)
	}
	b, err := json.Marshal(w)
	return string(b), err
}

func (r importJobRow) toDomain() (domain.ImportJob, error) {
	var bad []domain.FieldError
	id, _ := domain.ImportJobIDFromUUID(blobUUID(&bad, "id", r.ID))
	user, _ := domain.UserIDFromUUID(blobUUID(&bad, "user_id", r.UserID))
	startedBy, _ := domain.UserIDFromUUID(blobUUID(&bad, "started_by", r.StartedBy))
	var wire []wireProblem
	if err := json.Unmarshal([]byte(r.Problems), &wire); err != nil {
		bad = append(bad, domain.FieldError{Field: "problems", Rule: "must be a JSON array of problems"})
	}
	if len(bad) > 0 {
		return domain.ImportJob{}, sqlrows.Corrupt("import job", &domain.ValidationError{Fields: bad})
	}
	var problems []domain.ImportProblem
	if len(wire) > 0 {
		problems = make([]domain.ImportProblem, len(wire))
		for i, p := range wire {
			problems[i] = domain.ImportProblem(p)
		}
	}
	return domain.ImportJob{
		ID: id, User: user, StartedBy: startedBy, Source: domain.ImportSource(r.Source), DryRun: r.DryRun,
		State: domain.ImportState(r.State), RowsTotal: r.RowsTotal, RowsDone: r.RowsDone, Imported: r.Imported,
		AlreadyPresent: r.AlreadyPresent, Skipped: r.Skipped, Unmatched: r.Unmatched, Problems: problems,
		ProblemsMore: r.ProblemsMore, Error: r.Error, CreatedAt: createdTime(r.CreatedAt), UpdatedAt: createdTime(r.UpdatedAt),
	}, nil
}

// CreateImportJob stores job, queued, and its files in one transaction;
// an error wrapping domain.ErrConflict when the user has an active job.
func (r *ImportRepository) CreateImportJob(ctx context.Context, job domain.ImportJob, files []domain.ImportFile) error {
	const op = "create import job"
	if job.ID.IsZero() || job.User.IsZero() {
		return r.db.wrap(op, domain.FieldError{Field: "import_job", Rule: "must have an ID and a user"})
	}
	startedBy := job.StartedBy
	if startedBy.IsZero() {
		startedBy = job.User
	}
	problems, err := problemsArg(job.Problems)
	if err != nil {
		return r.db.wrap(op, err)
	}
	return r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO import_jobs (`+importJobColumns+`)
			VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(job.ID.UUID()), idArg(job.User.UUID()), idArg(startedBy.UUID()), string(job.Source), job.DryRun,
			job.RowsTotal, job.RowsDone, job.Imported, job.AlreadyPresent, job.Skipped, job.Unmatched,
			problems, job.ProblemsMore, job.Error, createdArg(job.CreatedAt), createdArg(job.UpdatedAt)); err != nil {
			return err
		}
		for i, f := range files {
			data := f.Data
			if data == nil {
				data = []byte{}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO import_files (job_id, position, name, data) VALUES (?, ?, ?, ?)`,
				idArg(job.ID.UUID()), i, f.Name, data); err != nil {
				return err
			}
		}
		return nil
	})
}

// ImportJob returns the job, or an error wrapping domain.ErrNotFound.
func (r *ImportRepository) ImportJob(ctx context.Context, id domain.ImportJobID) (domain.ImportJob, error) {
	const op = "import job"
	var job domain.ImportJob
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		var err error
		job, err = importJobByID(ctx, tx, id)
		return err
	})
	return job, err
}

// importJobByID reads the job, or returns an error wrapping
// domain.ErrNotFound.
func importJobByID(ctx context.Context, q sqlx.QueryerContext, id domain.ImportJobID) (domain.ImportJob, error) {
	var row importJobRow
	err := sqlx.GetContext(ctx, q, &row, `SELECT `+importJobColumns+` FROM import_jobs WHERE id = ?`, idArg(id.UUID()))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ImportJob{}, fmt.Errorf("import job %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return domain.ImportJob{}, err
	}
	return row.toDomain()
}

// ImportFiles returns the job's files in upload order, none once it
// ended; an error wrapping domain.ErrNotFound when the job is unknown.
func (r *ImportRepository) ImportFiles(ctx context.Context, id domain.ImportJobID) ([]domain.ImportFile, error) {
	const op = "import files"
	var files []domain.ImportFile
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM import_jobs WHERE id = ?)`, idArg(id.UUID())); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("import job %s: %w", id, domain.ErrNotFound)
		}
		rows, err := tx.QueryContext(ctx, `SELECT name, data FROM import_files WHERE job_id = ? ORDER BY position`, idArg(id.UUID()))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f domain.ImportFile
			if err := rows.Scan(&f.Name, &f.Data); err != nil {
				return err
			}
			files = append(files, f)
		}
		return rows.Err()
	})
	return files, err
}

// ActiveImportJobs returns the queued and running jobs, oldest first.
func (r *ImportRepository) ActiveImportJobs(ctx context.Context) ([]domain.ImportJob, error) {
	const op = "active import jobs"
	if r.db.closed.Load() {
		return nil, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var rows []importJobRow
	if err := r.db.r.SelectContext(ctx, &rows, `SELECT `+importJobColumns+` FROM import_jobs
		WHERE state IN ('queued', 'running') ORDER BY created_at, id`); err != nil {
		return nil, r.db.wrap(op, err)
	}
	jobs, err := sqlrows.ToDomainAll(rows, importJobRow.toDomain)
	return jobs, r.db.wrap(op, err)
}

// ClaimImportJob sets the job running, claimed until until, when it is
// active and unclaimed or its claim ended before now, and reports whether
// it did; an error wrapping domain.ErrNotFound when the job is unknown.
func (r *ImportRepository) ClaimImportJob(ctx context.Context, id domain.ImportJobID, now, until time.Time) (bool, error) {
	const op = "claim import job"
	claimed := false
	err := r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET state = 'running', claimed_until = ?
			WHERE id = ? AND state IN ('queued', 'running') AND claimed_until < ?`,
			createdArg(until), idArg(id.UUID()), createdArg(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			claimed = true
			return nil
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM import_jobs WHERE id = ?)`, idArg(id.UUID())); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("import job %s: %w", id, domain.ErrNotFound)
		}
		return nil
	})
	return claimed, err
}

// UpdateImportJob writes job's state, progress, problems, error and update
// time; a job that ends loses its files and claim. An error wrapping
// domain.ErrNotFound when the job is unknown.
func (r *ImportRepository) UpdateImportJob(ctx context.Context, job domain.ImportJob) error {
	const op = "update import job"
	return r.db.write(ctx, op, func(tx *sqlx.Tx) error { return updateImportJob(ctx, tx, job, -1) })
}

// updateImportJob writes what UpdateImportJob writes, and the claim when
// claimUntil is not negative (Unix microseconds).
func updateImportJob(ctx context.Context, tx *sqlx.Tx, job domain.ImportJob, claimUntil int64) error {
	problems, err := problemsArg(job.Problems)
	if err != nil {
		return err
	}
	ended := !job.State.Active()
	if ended {
		claimUntil = 0
	}
	res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET state = ?, rows_total = ?, rows_done = ?, imported = ?,
		already_present = ?, skipped = ?, unmatched = ?, problems = ?, problems_more = ?, error = ?, updated_at = ?,
		claimed_until = CASE WHEN ? < 0 THEN claimed_until ELSE ? END
		WHERE id = ?`,
		string(job.State), job.RowsTotal, job.RowsDone, job.Imported, job.AlreadyPresent, job.Skipped, job.Unmatched,
		problems, job.ProblemsMore, job.Error, createdArg(job.UpdatedAt), claimUntil, claimUntil, idArg(job.ID.UUID()))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("import job %s: %w", job.ID, domain.ErrNotFound)
	}
	if ended {
		_, err = tx.ExecContext(ctx, `DELETE FROM import_files WHERE job_id = ?`, idArg(job.ID.UUID()))
	}
	return err
}

// PresentImportRows reports for each viewing whether user holds its key
// or its review ID is stored.
func (r *ImportRepository) PresentImportRows(ctx context.Context, user domain.UserID, viewings []domain.ImportedViewing) ([]bool, error) {
	const op = "present import rows"
	out := make([]bool, len(viewings))
	if len(viewings) == 0 {
		return out, nil
	}
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		stmt, err := tx.PreparexContext(ctx, sqlPresent)
		if err != nil {
			return err
		}
		defer stmt.Close()
		userArg := idArg(user.UUID())
		for i, v := range viewings {
			if err := stmt.QueryRowContext(ctx, userArg, string(v.Key), idArg(v.Viewing.Review.ID.UUID())).Scan(&out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sqlPresent tells whether a row is already present: its key held by the
// user, or its review stored.
const sqlPresent = `SELECT EXISTS (SELECT 1 FROM import_keys WHERE user_id = ?1 AND key = ?2)
	OR EXISTS (SELECT 1 FROM reviews WHERE id = ?3)`

// SaveImportBatch stores b in one write transaction: the viewings not
// already present (sqlPresent) with their keys, their movies resolved by
// sqlrows.ResolveMovie as SaveViewing resolves them, their ImportEvents
// (inserted into outbox_events in outbox mode), and b.Job with the counts
// added and its claim extended. Every statement is prepared once for the
// batch, and the movies the batch looks up are remembered for the rest of
// it, so a batch costs a handful of statements a row. An error wrapping
// domain.ErrNotFound when the job is unknown; any failure stores nothing.
func (r *ImportRepository) SaveImportBatch(ctx context.Context, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	const op = "save import batch"
	for _, v := range b.Viewings {
		if err := sqlrows.CheckViewing(v.Viewing); err != nil {
			return domain.ImportBatchResult{}, r.db.wrap(op, err)
		}
		if v.Key.IsZero() {
			return domain.ImportBatchResult{}, r.db.wrap(op, domain.FieldError{Field: "key", Rule: "must be set"})
		}
	}
	var res domain.ImportBatchResult
	err := r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		var userBlob []byte
		err := tx.GetContext(ctx, &userBlob, `SELECT user_id FROM import_jobs WHERE id = ?`, idArg(b.Job.ID.UUID()))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("import job %s: %w", b.Job.ID, domain.ErrNotFound)
		}
		if err != nil {
			return err
		}
		res, err = r.saveBatch(ctx, tx, userBlob, b)
		return err
	})
	if err != nil {
		return domain.ImportBatchResult{}, err
	}
	return res, nil
}

func (r *ImportRepository) saveBatch(ctx context.Context, tx *sqlx.Tx, userBlob []byte, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	res := domain.ImportBatchResult{Job: b.Job}
	if len(b.Viewings) > 0 {
		st, err := prepareBatch(ctx, tx, r.db.outboxMode)
		if err != nil {
			return res, err
		}
		defer st.close()
		movies := &batchMovies{st: st, byID: map[uuid.UUID]domain.Movie{}, byExt: map[domain.ExternalMetadataID]domain.Movie{}}
		for _, v := range b.Viewings {
			var present bool
			if err := st.present.QueryRowContext(ctx, userBlob, string(v.Key), idArg(v.Viewing.Review.ID.UUID())).Scan(&present); err != nil {
				return res, err
			}
			if present {
				res.Job.AlreadyPresent++
				continue
			}
			movie, change, err := sqlrows.ResolveMovie(ctx, movies, v.Viewing.Movie)
			if err != nil {
				return res, err
			}
			rv := v.Viewing.Review
			review, err := domain.RestoreReview(rv.ID, movie.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt)
			if err != nil {
				return res, err
			}
			if _, err := st.review.ExecContext(ctx, idArg(review.ID.UUID()), idArg(movie.ID.UUID()), idArg(review.UserID.UUID()),
				sqlrows.RatingArg(review.Rating), nullString(review.Comment.String()), watchedArg(review.WatchedAt),
				createdArg(review.CreatedAt)); err != nil {
				return res, err
			}
			if _, err := st.key.ExecContext(ctx, userBlob, string(v.Key), idArg(review.ID.UUID())); err != nil {
				return res, err
			}
			events := domain.ImportEvents(movie, change, review, v.Viewing.PosterURL, review.CreatedAt)
			if st.event != nil {
				if err := st.insertEvents(ctx, events); err != nil {
					return res, err
				}
			}
			res.Saved = append(res.Saved, domain.SavedViewing{Movie: movie, Change: change, Review: review, Events: events})
			res.Events = append(res.Events, events...)
			res.Job.Imported++
		}
	}
	if err := updateImportJob(ctx, tx, res.Job, createdArg(b.ClaimUntil)); err != nil {
		return res, err
	}
	return res, nil
}

// batchStatements are the statements of a batch, prepared once.
type batchStatements struct {
	present, movieByID, movieByExt, attach, insertMovie, review, key, event *sqlx.Stmt
}

func prepareBatch(ctx context.Context, tx *sqlx.Tx, outbox bool) (*batchStatements, error) {
	st := &batchStatements{}
	queries := []struct {
		stmt **sqlx.Stmt
		sql  string
	}{
		{&st.present, sqlPresent},
		{&st.movieByID, sqlMovieByID},
		{&st.movieByExt, sqlMovieByExternalID},
		{&st.attach, `UPDATE movies SET external_id = ? WHERE id = ? RETURNING ` + movieColumns},
		{&st.insertMovie, sqlInsertMovie},
		{&st.review, `INSERT INTO reviews (` + reviewColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`},
		{&st.key, `INSERT INTO import_keys (user_id, key, review_id) VALUES (?, ?, ?)`},
	}
	if outbox {
		queries = append(queries, struct {
			stmt **sqlx.Stmt
			sql  string
		}{&st.event, sqlInsertEvent})
	}
	for _, q := range queries {
		s, err := tx.PreparexContext(ctx, q.sql)
		if err != nil {
			st.close()
			return nil, err
		}
		*q.stmt = s
	}
	return st, nil
}

func (st *batchStatements) close() {
	for _, s := range []*sqlx.Stmt{st.present, st.movieByID, st.movieByExt, st.attach, st.insertMovie, st.review, st.key, st.event} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// insertEvents stores events in the outbox, as insertEvents does.
func (st *batchStatements) insertEvents(ctx context.Context, events []domain.Event) error {
	for _, e := range events {
		payload, err := domain.MarshalEvent(e)
		if err != nil {
			return err
		}
		at := createdArg(e.OccurredAt())
		if _, err := st.event.ExecContext(ctx, idArg(e.EventID().UUID()), string(e.EventName()), string(payload),
			idArg(e.MovieID().UUID()), at, at); err != nil {
			return err
		}
	}
	return nil
}

// batchMovies resolves a batch's movies with its prepared statements,
// remembering every movie it read or wrote: writes are serialised and the
// batch is one transaction, so what it remembers stays true until it
// commits.
type batchMovies struct {
	st    *batchStatements
	byID  map[uuid.UUID]domain.Movie
	byExt map[domain.ExternalMetadataID]domain.Movie
}

var _ sqlrows.MovieTx = (*batchMovies)(nil)

func (b *batchMovies) remember(m domain.Movie) {
	b.byID[m.ID.UUID()] = m
	if !m.ExternalID.IsZero() {
		b.byExt[m.ExternalID] = m
	}
}

func (t *batchMovies) get(ctx context.Context, stmt *sqlx.Stmt, args ...any) (domain.Movie, bool, error) {
	var row movieRow
	err := stmt.GetContext(ctx, &row, args...)
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
	t.remember(m)
	return m, true, nil
}

// MovieByExternalID reads the movie holding ext.
func (t *batchMovies) MovieByExternalID(ctx context.Context, ext domain.ExternalMetadataID) (domain.Movie, bool, error) {
	if m, ok := t.byExt[ext]; ok {
		return m, true, nil
	}
	return t.get(ctx, t.st.movieByExt, ext.String())
}

// MovieByID reads the movie with id.
func (t *batchMovies) MovieByID(ctx context.Context, id domain.MovieID) (domain.Movie, bool, error) {
	if m, ok := t.byID[id.UUID()]; ok {
		return m, true, nil
	}
	return t.get(ctx, t.st.movieByID, idArg(id.UUID()))
}

// AttachExternalID sets the external ID of the movie id.
func (t *batchMovies) AttachExternalID(ctx context.Context, id domain.MovieID, ext domain.ExternalMetadataID) (domain.Movie, bool, error) {
	return t.get(ctx, t.st.attach, ext.String(), idArg(id.UUID()))
}

// InsertMovie inserts m unless a movie holds its external ID.
func (t *batchMovies) InsertMovie(ctx context.Context, m domain.Movie) (domain.Movie, bool, error) {
	res, err := t.st.insertMovie.ExecContext(ctx, insertMovieArgs(m)...)
	if err != nil {
		return domain.Movie{}, false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return domain.Movie{}, false, err
	}
	t.remember(m)
	return m, true, nil
}
