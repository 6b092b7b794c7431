package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
		var err error
		out, err = presentRows(ctx, tx, idArg(user.UUID()), viewings)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SaveImportBatch stores b in one write transaction: the viewings not
// already present with their keys, their movies resolved by
// sqlrows.ResolveMovie as SaveViewing resolves them, their ImportEvents
// (inserted into outbox_events in outbox mode), and b.Job with the counts
// added and its claim extended. An error wrapping domain.ErrNotFound when
// the job is unknown; any failure stores nothing.
//
// A batch costs a few statements for all its rows, not a few a row: one
// query finds the keys and review IDs already stored, two read every movie
// the rows name (by ID and by IMDb ID), after which resolving a row reads
// nothing; the new movies, reviews, keys and events are then inserted
// with multi-row statements, and the diary
// counters and the statistics of the whole batch are added at once, a few
// multi-row upserts, while the per-review triggers are paused
// (review_counts_paused, migrations 0007 and 0008; addBatchStats).
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
		// The batch's statements do not watch ctx each: that costs a
		// goroutine a statement. A cancelled ctx still rolls the
		// transaction back (database/sql ends it), at the latest on commit.
		res, err = r.saveBatch(context.WithoutCancel(ctx), tx, userBlob, b)
		return err
	})
	if err != nil {
		return domain.ImportBatchResult{}, err
	}
	return res, nil
}

// saveBatch does SaveImportBatch's work in tx, the job being stored.
func (r *ImportRepository) saveBatch(ctx context.Context, tx *sqlx.Tx, userBlob []byte, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	res := domain.ImportBatchResult{Job: b.Job}
	if len(b.Viewings) > 0 {
		present, err := presentRows(ctx, tx, userBlob, b.Viewings)
		if err != nil {
			return res, err
		}
		movies, err := loadBatchMovies(ctx, tx, b.Viewings)
		if err != nil {
			return res, err
		}
		defer movies.close()
		keys := make([]domain.ImportRowKey, 0, len(b.Viewings))
		seenKeys := make(map[domain.ImportRowKey]bool, len(b.Viewings))
		seenReviews := make(map[domain.ReviewID]bool, len(b.Viewings))
		for i, v := range b.Viewings {
			rv := v.Viewing.Review
			if present[i] || seenKeys[v.Key] || seenReviews[rv.ID] {
				res.Job.AlreadyPresent++
				continue
			}
			seenKeys[v.Key], seenReviews[rv.ID] = true, true
			movie, change, err := sqlrows.ResolveMovie(ctx, movies, v.Viewing.Movie)
			if err != nil {
				return res, err
			}
			review, err := domain.RestoreReview(rv.ID, movie.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt)
			if err != nil {
				return res, err
			}
			events := domain.ImportEvents(movie, change, review, v.Viewing.PosterURL, review.CreatedAt)
			res.Saved = append(res.Saved, domain.SavedViewing{Movie: movie, Change: change, Review: review, Events: events})
			res.Events = append(res.Events, events...)
			keys = append(keys, v.Key)
		}
		if err := movies.flush(ctx); err != nil {
			return res, err
		}
		if err := insertBatchRows(ctx, tx, userBlob, res.Saved, keys); err != nil {
			return res, err
		}
		if !r.db.skipBatchStats {
			if err := addBatchStats(ctx, tx, res.Saved, movies.byID); err != nil {
				return res, err
			}
		}
		if r.db.outboxMode {
			if err := insertEventRows(ctx, tx, res.Events); err != nil {
				return res, err
			}
		}
		res.Job.Imported += len(res.Saved)
		res.Job.Unmatched += domain.CountUnmatched(res.Saved)
	}
	if err := updateImportJob(ctx, tx, res.Job, createdArg(b.ClaimUntil)); err != nil {
		return res, err
	}
	return res, nil
}

// maxChunkArgs bounds the arguments of one statement, well below SQLite's
// limit (32,766).
const maxChunkArgs = 3000

// chunks calls fn with consecutive ranges [from, to) of n items, each with
// at most maxChunkArgs/perItem items.
func chunks(n, perItem int, fn func(from, to int) error) error {
	size := max(1, maxChunkArgs/perItem)
	for from := 0; from < n; from += size {
		if err := fn(from, min(from+size, n)); err != nil {
			return err
		}
	}
	return nil
}

// valuesSQL returns prefix followed by rows groups of cols placeholders.
func valuesSQL(prefix string, rows, cols int) string {
	group := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.Grow(len(prefix) + rows*(len(group)+2))
	b.WriteString(prefix)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(group)
	}
	return b.String()
}

// inList returns "(?, ?, …)" with n placeholders.
func inList(n int) string {
	return "(" + strings.Repeat("?, ", n-1) + "?)"
}

// presentRows reports for each viewing whether userBlob holds its key or
// its review ID is stored, with one query a chunk.
func presentRows(ctx context.Context, q sqlx.QueryerContext, userBlob []byte, viewings []domain.ImportedViewing) ([]bool, error) {
	heldKeys := make(map[string]bool)
	storedReviews := make(map[uuid.UUID]bool)
	err := chunks(len(viewings), 2, func(from, to int) error {
		part := viewings[from:to]
		args := make([]any, 0, 1+2*len(part))
		args = append(args, userBlob)
		for _, v := range part {
			args = append(args, string(v.Key))
		}
		for _, v := range part {
			args = append(args, idArg(v.Viewing.Review.ID.UUID()))
		}
		list := inList(len(part))
		rows, err := q.QueryContext(ctx, `SELECT 1, key FROM import_keys WHERE user_id = ? AND key IN `+list+`
			UNION ALL SELECT 2, id FROM reviews WHERE id IN `+list, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				kind int
				val  []byte
			)
			if err := rows.Scan(&kind, &val); err != nil {
				return err
			}
			if kind == 1 {
				heldKeys[string(val)] = true
			} else if u, err := uuid.FromBytes(val); err == nil {
				storedReviews[u] = true
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(viewings))
	for i, v := range viewings {
		out[i] = heldKeys[string(v.Key)] || storedReviews[v.Viewing.Review.ID.UUID()]
	}
	return out, nil
}

// insertBatchRows inserts the saved reviews and their keys, and adds their
// diary counts, with the per-review triggers paused (the statistics are
// added by addBatchStats).
func insertBatchRows(ctx context.Context, tx *sqlx.Tx, userBlob []byte, saved []domain.SavedViewing, keys []domain.ImportRowKey) error {
	if len(saved) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE review_counts_paused SET paused = 1`); err != nil {
		return err
	}
	err := chunks(len(saved), 7, func(from, to int) error {
		args := make([]any, 0, 7*(to-from))
		for _, sv := range saved[from:to] {
			rv := sv.Review
			args = append(args, idArg(rv.ID.UUID()), idArg(rv.MovieID.UUID()), idArg(rv.UserID.UUID()), sqlrows.RatingArg(rv.Rating),
				nullString(rv.Comment.String()), watchedArg(rv.WatchedAt), createdArg(rv.CreatedAt))
		}
		_, err := tx.ExecContext(ctx, valuesSQL(`INSERT INTO reviews (`+reviewColumns+`) VALUES `, to-from, 7), args...)
		return err
	})
	if err != nil {
		return err
	}
	err = chunks(len(saved), 3, func(from, to int) error {
		args := make([]any, 0, 3*(to-from))
		for i := from; i < to; i++ {
			args = append(args, userBlob, string(keys[i]), idArg(saved[i].Review.ID.UUID()))
		}
		_, err := tx.ExecContext(ctx, valuesSQL(`INSERT INTO import_keys (user_id, key, review_id) VALUES `, to-from, 3), args...)
		return err
	})
	if err != nil {
		return err
	}
	// The counts the trigger would have added: every review, per movie,
	// per user, per movie and user.
	type scope struct{ movie, user uuid.UUID }
	var none uuid.UUID
	counts := make(map[scope]int)
	var order []scope
	add := func(s scope) {
		if counts[s] == 0 {
			order = append(order, s)
		}
		counts[s]++
	}
	for _, sv := range saved {
		m, u := sv.Review.MovieID.UUID(), sv.Review.UserID.UUID()
		add(scope{none, none})
		add(scope{m, none})
		add(scope{none, u})
		add(scope{m, u})
	}
	blob := func(u uuid.UUID) []byte {
		if u == none {
			return anyScope
		}
		return idArg(u)
	}
	err = chunks(len(order), 3, func(from, to int) error {
		args := make([]any, 0, 3*(to-from))
		for _, s := range order[from:to] {
			args = append(args, blob(s.movie), blob(s.user), counts[s])
		}
		_, err := tx.ExecContext(ctx, valuesSQL(`INSERT INTO review_counts (movie_id, user_id, n) VALUES `, to-from, 3)+`
			ON CONFLICT (movie_id, user_id) DO UPDATE SET n = n + excluded.n`, args...)
		return err
	})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE review_counts_paused SET paused = 0`)
	return err
}

// insertEventRows stores events in the outbox, due at their occurrence,
// in order, as insertEvents does, with multi-row statements.
func insertEventRows(ctx context.Context, tx *sqlx.Tx, events []domain.Event) error {
	return chunks(len(events), 6, func(from, to int) error {
		args := make([]any, 0, 6*(to-from))
		for _, e := range events[from:to] {
			payload, err := domain.MarshalEvent(e)
			if err != nil {
				return err
			}
			at := createdArg(e.OccurredAt())
			args = append(args, idArg(e.EventID().UUID()), string(e.EventName()), string(payload), idArg(e.MovieID().UUID()), at, at)
		}
		_, err := tx.ExecContext(ctx, valuesSQL(`INSERT INTO outbox_events
			(id, name, payload, movie_id, created_at, next_attempt_at) VALUES `, to-from, 6), args...)
		return err
	})
}

// batchMovies resolves a batch's movies (as sqlrows.MovieTx) from what
// loadBatchMovies read up front: every movie the rows name by ID or IMDb
// ID, and which of those are not stored. Writes are serialised and the
// batch is one transaction, so that stays true as long as batchMovies
// records its own writes, which it does; a look-up it did not prepare for
// asks the database.
type batchMovies struct {
	tx          *sqlx.Tx
	byID        map[uuid.UUID]domain.Movie
	byExt       map[domain.ExternalMetadataID]domain.Movie
	checkedIDs  map[uuid.UUID]bool
	checkedExts map[domain.ExternalMetadataID]bool
	// pending are the new movies, inserted together by flush before the
	// reviews that refer to them; pendingAt finds one by ID.
	pending   []domain.Movie
	pendingAt map[uuid.UUID]int
	attach    *sqlx.Stmt
}

var _ sqlrows.MovieTx = (*batchMovies)(nil)

// loadBatchMovies reads the movies viewings name and prepares the
// statements that write movies.
func loadBatchMovies(ctx context.Context, tx *sqlx.Tx, viewings []domain.ImportedViewing) (*batchMovies, error) {
	b := &batchMovies{
		tx: tx, byID: map[uuid.UUID]domain.Movie{}, byExt: map[domain.ExternalMetadataID]domain.Movie{},
		checkedIDs: map[uuid.UUID]bool{}, checkedExts: map[domain.ExternalMetadataID]bool{},
		pendingAt: map[uuid.UUID]int{},
	}
	var ids, exts []any
	for _, v := range viewings {
		m := v.Viewing.Movie
		if id := m.ID.UUID(); !b.checkedIDs[id] {
			b.checkedIDs[id] = true
			ids = append(ids, idArg(id))
		}
		if ext := m.ExternalID; !ext.IsZero() && !b.checkedExts[ext] {
			b.checkedExts[ext] = true
			exts = append(exts, ext.String())
		}
	}
	for _, q := range []struct {
		column string
		args   []any
	}{{"id", ids}, {"external_id", exts}} {
		err := chunks(len(q.args), 1, func(from, to int) error {
			var rows []movieRow
			if err := tx.SelectContext(ctx, &rows, selectMovies+`WHERE `+q.column+` IN `+inList(to-from), q.args[from:to]...); err != nil {
				return err
			}
			for _, row := range rows {
				m, err := row.toDomain()
				if err != nil {
					return err
				}
				b.remember(m)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var err error
	if b.attach, err = tx.PreparexContext(ctx, sqlAttachExternalID); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *batchMovies) close() { _ = b.attach.Close() }

// flush inserts the pending movies.
func (b *batchMovies) flush(ctx context.Context) error {
	err := chunks(len(b.pending), 7, func(from, to int) error {
		args := make([]any, 0, 7*(to-from))
		for _, m := range b.pending[from:to] {
			args = append(args, insertMovieArgs(m)...)
		}
		_, err := b.tx.ExecContext(ctx, valuesSQL(`INSERT INTO movies
			(id, external_id, title, title_key, release_year, director, poster_path) VALUES `, to-from, 7), args...)
		return err
	})
	b.pending = b.pending[:0]
	clear(b.pendingAt)
	return err
}

func (b *batchMovies) remember(m domain.Movie) {
	b.byID[m.ID.UUID()] = m
	if !m.ExternalID.IsZero() {
		b.byExt[m.ExternalID] = m
	}
}

// MovieByExternalID returns the movie holding ext.
func (b *batchMovies) MovieByExternalID(ctx context.Context, ext domain.ExternalMetadataID) (domain.Movie, bool, error) {
	if m, ok := b.byExt[ext]; ok || b.checkedExts[ext] {
		return m, ok, nil
	}
	return b.read(ctx, b.tx, sqlMovieByExternalID, ext.String())
}

// MovieByID returns the movie with id.
func (b *batchMovies) MovieByID(ctx context.Context, id domain.MovieID) (domain.Movie, bool, error) {
	if m, ok := b.byID[id.UUID()]; ok || b.checkedIDs[id.UUID()] {
		return m, ok, nil
	}
	return b.read(ctx, b.tx, sqlMovieByID, idArg(id.UUID()))
}

// AttachExternalID sets the external ID of the movie id, and its director
// when it has none.
func (b *batchMovies) AttachExternalID(ctx context.Context, id domain.MovieID, ext domain.ExternalMetadataID, director domain.Director) (domain.Movie, bool, error) {
	if i, ok := b.pendingAt[id.UUID()]; ok {
		if _, held := b.byExt[ext]; held {
			return domain.Movie{}, false, nil
		}
		b.pending[i].ExternalID = ext
		if b.pending[i].Director.IsZero() {
			b.pending[i].Director = director
		}
		b.remember(b.pending[i])
		return b.pending[i], true, nil
	}
	var row movieRow
	err := b.attach.QueryRowxContext(ctx, ext.String(), nullString(director.String()), idArg(id.UUID())).StructScan(&row)
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
	b.remember(m)
	return m, true, nil
}

// InsertMovie records m for flush unless a movie holds its external ID or
// its ID: ResolveMovie asks only after looking both up, so what
// batchMovies knows decides.
func (b *batchMovies) InsertMovie(_ context.Context, m domain.Movie) (domain.Movie, bool, error) {
	if _, held := b.byExt[m.ExternalID]; held && !m.ExternalID.IsZero() {
		return domain.Movie{}, false, nil
	}
	if _, stored := b.byID[m.ID.UUID()]; stored {
		return domain.Movie{}, false, nil
	}
	b.pendingAt[m.ID.UUID()] = len(b.pending)
	b.pending = append(b.pending, m)
	b.remember(m)
	return m, true, nil
}

// read runs a statement yielding at most one movie and remembers it.
func (b *batchMovies) read(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) (domain.Movie, bool, error) {
	m, ok, err := selectMovie(ctx, q, query, args...)
	if ok {
		b.remember(m)
	}
	return m, ok, err
}
