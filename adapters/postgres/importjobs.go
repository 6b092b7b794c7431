package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// ImportRepository keeps import jobs, their files and the keys of the rows
// they imported (migration 0008), and stores import batches; it implements
// domain.ImportRepository. Get one from (*DB).Imports.
type ImportRepository struct {
	db *sqlx.DB
	// outbox is Config.Outbox: SaveImportBatch stores its events too.
	outbox bool
}

var _ domain.ImportRepository = (*ImportRepository)(nil)

// Imports returns the import repository on this pool.
func (db *DB) Imports() domain.ImportRepository { return db.imports }

// importJobRow is a row of import_jobs but its claim.
type importJobRow struct {
	ID             uuid.UUID `db:"id"`
	UserID         uuid.UUID `db:"user_id"`
	StartedBy      uuid.UUID `db:"started_by"`
	Source         string    `db:"source"`
	DryRun         bool      `db:"dry_run"`
	State          string    `db:"state"`
	RowsTotal      int       `db:"rows_total"`
	RowsDone       int       `db:"rows_done"`
	Imported       int       `db:"imported"`
	AlreadyPresent int       `db:"already_present"`
	Skipped        int       `db:"skipped"`
	Unmatched      int       `db:"unmatched"`
	Problems       []byte    `db:"problems"`
	ProblemsMore   int       `db:"problems_more"`
	Error          string    `db:"error"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
}

// importJobColumns lists importJobRow's columns in table order.
const importJobColumns = `id, user_id, started_by, source, dry_run, state, rows_total, rows_done, imported,
	already_present, skipped, unmatched, problems, problems_more, error, created_at, updated_at`

// problemJSON is an ImportProblem in the problems column.
type problemJSON struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// problemsArg encodes problems for the problems column.
func problemsArg(problems []domain.ImportProblem) (string, error) {
	out := make([]problemJSON, len(problems))
	for i, p := range problems {
		out[i] = problemJSON(p)
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// toDomain rebuilds the job, re-validating every column; every failing
// column is reported.
func (r importJobRow) toDomain() (domain.ImportJob, error) {
	var v domain.Validation
	id, err := domain.ImportJobIDFromUUID(r.ID)
	v.Check("id", err)
	user, err := domain.UserIDFromUUID(r.UserID)
	v.Check("user_id", err)
	by, err := domain.UserIDFromUUID(r.StartedBy)
	v.Check("started_by", err)
	source, err := domain.ParseImportSource(r.Source)
	if err != nil || string(source) != r.Source {
		v.Add("source", "must be empty, letterboxd, imdb or moviediary")
	}
	state := domain.ImportState(r.State)
	switch state {
	case domain.ImportQueued, domain.ImportRunning, domain.ImportDone, domain.ImportFailed:
	default:
		v.Add("state", "must be queued, running, done or failed")
	}
	for _, c := range []struct {
		name string
		n    int
	}{
		{"rows_total", r.RowsTotal}, {"rows_done", r.RowsDone}, {"imported", r.Imported},
		{"already_present", r.AlreadyPresent}, {"skipped", r.Skipped}, {"unmatched", r.Unmatched},
		{"problems_more", r.ProblemsMore},
	} {
		if c.n < 0 {
			v.Add(c.name, "must not be negative")
		}
	}
	var stored []problemJSON
	if err := json.Unmarshal(r.Problems, &stored); err != nil {
		v.Add("problems", "must be a JSON array of problems")
	} else if len(stored) > domain.MaxImportProblems {
		v.Add("problems", fmt.Sprintf("must list at most %d problems", domain.MaxImportProblems))
	}
	if r.CreatedAt.IsZero() {
		v.Add("created_at", "is required")
	}
	if err := v.Err(); err != nil {
		return domain.ImportJob{}, err
	}
	var problems []domain.ImportProblem
	if len(stored) > 0 {
		problems = make([]domain.ImportProblem, len(stored))
		for i, p := range stored {
			problems[i] = domain.ImportProblem(p)
		}
	}
	return domain.ImportJob{
		ID: id, User: user, StartedBy: by, Source: source, DryRun: r.DryRun, State: state,
		RowsTotal: r.RowsTotal, RowsDone: r.RowsDone, Imported: r.Imported, AlreadyPresent: r.AlreadyPresent,
		Skipped: r.Skipped, Unmatched: r.Unmatched, Problems: problems, ProblemsMore: r.ProblemsMore,
		Error: r.Error, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}, nil
}

// checkImportJob refuses a job that would not read back: it returns a
// *domain.ValidationError listing every failing field, or nil. The fields
// written only when the job is created (its users, source and creation
// time) are checked when creating is true.
func checkImportJob(j domain.ImportJob, creating bool) error {
	var v domain.Validation
	if j.ID.IsZero() {
		v.Add("import_id", "is required")
	}
	if creating {
		if j.User.IsZero() {
			v.Add("user_id", "is required")
		}
		if j.StartedBy.IsZero() {
			v.Add("started_by", "is required")
		}
		if src, err := domain.ParseImportSource(string(j.Source)); err != nil || src != j.Source {
			v.Add("source", "must be empty, letterboxd, imdb or moviediary")
		}
		if j.CreatedAt.IsZero() {
			v.Add("created_at", "is required")
		}
	}
	switch j.State {
	case domain.ImportQueued, domain.ImportRunning, domain.ImportDone, domain.ImportFailed:
	default:
		v.Add("state", "must be queued, running, done or failed")
	}
	for _, c := range []struct {
		name string
		n    int
	}{
		{"rows_total", j.RowsTotal}, {"rows_done", j.RowsDone}, {"imported", j.Imported},
		{"already_present", j.AlreadyPresent}, {"skipped", j.Skipped}, {"unmatched", j.Unmatched},
		{"problems_more", j.ProblemsMore},
	} {
		if c.n < 0 || int64(c.n) > 1<<31-1 {
			v.Add(c.name, "must be 0 to 2^31-1")
		}
	}
	if len(j.Problems) > domain.MaxImportProblems {
		v.Add("problems", fmt.Sprintf("must list at most %d problems", domain.MaxImportProblems))
	}
	return v.Err()
}

// updatedAtArg is the job's UpdatedAt for an update: NULL when unset,
// which keeps the stored time.
func updatedAtArg(j domain.ImportJob) sql.NullTime {
	return sql.NullTime{Time: j.UpdatedAt.UTC(), Valid: !j.UpdatedAt.IsZero()}
}

// CreateImportJob stores job, as queued, and its files in one transaction:
// a row of import_jobs and a row of import_files per file, each file's
// bytes sent as a binary parameter. ErrConflict when job.User has an
// active job already (import_jobs_active_user_key) or the ID is taken.
func (r *ImportRepository) CreateImportJob(ctx context.Context, job domain.ImportJob, files []domain.ImportFile) error {
	const op = "create import job"
	if job.State == "" {
		job.State = domain.ImportQueued
	}
	if err := checkImportJob(job, true); err != nil {
		return dbError(op, err)
	}
	if job.State != domain.ImportQueued {
		return dbError(op, domain.FieldError{Field: "state", Rule: "must be queued for a new job"})
	}
	problems, err := problemsArg(job.Problems)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w: %v", op, domain.ErrInfrastructure, err)
	}
	return inTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO import_jobs (`+importJobColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16, $17)`,
			job.ID.UUID(), job.User.UUID(), job.StartedBy.UUID(), string(job.Source), job.DryRun, string(job.State),
			job.RowsTotal, job.RowsDone, job.Imported, job.AlreadyPresent, job.Skipped, job.Unmatched,
			problems, job.ProblemsMore, job.Error, job.CreatedAt.UTC(), cmp.Or(job.UpdatedAt, job.CreatedAt).UTC())
		if err != nil {
			return dbError(op, err)
		}
		for i, f := range files {
			data := f.Data
			if data == nil {
				data = []byte{}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO import_files (job_id, position, name, data) VALUES ($1, $2, $3, $4)`,
				job.ID.UUID(), i, f.Name, data); err != nil {
				return dbError(op+": store file "+f.Name, err)
			}
		}
		return nil
	})
}

// Import job statements: by ID through the primary key, the active ones
// through import_jobs_active_idx.
const (
	sqlImportJob        = `SELECT ` + importJobColumns + ` FROM import_jobs WHERE id = $1`
	sqlActiveImportJobs = `SELECT ` + importJobColumns + ` FROM import_jobs
		WHERE state IN ('queued', 'running') ORDER BY created_at, id`
	sqlImportFiles = `SELECT name, data FROM import_files WHERE job_id = $1 ORDER BY position`
	// sqlClaimImportJob claims an active job that is unclaimed or whose
	// claim ended before now ($2), until $3.
	sqlClaimImportJob = `UPDATE import_jobs SET state = 'running', claimed_until = $3
		WHERE id = $1 AND state IN ('queued', 'running') AND claimed_until < $2
		RETURNING 1`
)

// ImportJob returns the job, or ErrNotFound.
func (r *ImportRepository) ImportJob(ctx context.Context, id domain.ImportJobID) (domain.ImportJob, error) {
	const op = "import job"
	var row importJobRow
	err := r.db.GetContext(ctx, &row, sqlImportJob, id.UUID())
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ImportJob{}, fmt.Errorf("postgres: %s: import job %s: %w", op, id, domain.ErrNotFound)
	}
	if err != nil {
		return domain.ImportJob{}, dbError(op, err)
	}
	return importJobToDomain(op, row)
}

func importJobToDomain(op string, row importJobRow) (domain.ImportJob, error) {
	j, err := row.toDomain()
	if err != nil {
		return domain.ImportJob{}, fmt.Errorf("postgres: %s: %w: stored import job %s is invalid: %v", op, domain.ErrInfrastructure, row.ID, err)
	}
	return j, nil
}

// ImportFiles returns the job's files in upload order; none once the job
// ended. ErrNotFound when the job is unknown.
func (r *ImportRepository) ImportFiles(ctx context.Context, id domain.ImportJobID) ([]domain.ImportFile, error) {
	const op = "import files"
	var files []domain.ImportFile
	err := inReadTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT FROM import_jobs WHERE id = $1)`, id.UUID()); err != nil {
			return dbError(op, err)
		}
		if !exists {
			return fmt.Errorf("postgres: %s: import job %s: %w", op, id, domain.ErrNotFound)
		}
		rows, err := tx.QueryContext(ctx, sqlImportFiles, id.UUID())
		if err != nil {
			return dbError(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			var f domain.ImportFile
			if err := rows.Scan(&f.Name, &f.Data); err != nil {
				return dbError(op, err)
			}
			files = append(files, f)
		}
		return dbError(op, rows.Err())
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// inReadTx runs fn in a read-only REPEATABLE READ transaction: its
// statements see one snapshot.
func inReadTx(ctx context.Context, db *sqlx.DB, op string, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return dbError(op+": begin", err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to commit
	return fn(tx)
}

// ActiveImportJobs returns the queued and running jobs, oldest first.
func (r *ImportRepository) ActiveImportJobs(ctx context.Context) ([]domain.ImportJob, error) {
	const op = "active import jobs"
	var rows []importJobRow
	if err := r.db.SelectContext(ctx, &rows, sqlActiveImportJobs); err != nil {
		return nil, dbError(op, err)
	}
	jobs := make([]domain.ImportJob, 0, len(rows))
	for _, row := range rows {
		j, err := importJobToDomain(op, row)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// ClaimImportJob makes the caller the job's runner until until when the
// job is active and unclaimed or its claim ended before now, setting it
// running; the update re-checks the claim on the row it locks, so of
// concurrent claimers exactly one wins. false, with nothing changed,
// otherwise; ErrNotFound when the job is unknown.
func (r *ImportRepository) ClaimImportJob(ctx context.Context, id domain.ImportJobID, now, until time.Time) (bool, error) {
	const op = "claim import job"
	var one int
	err := r.db.GetContext(ctx, &one, sqlClaimImportJob, id.UUID(), now.UTC(), until.UTC())
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, dbError(op, err)
	}
	var exists bool
	if err := r.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT FROM import_jobs WHERE id = $1)`, id.UUID()); err != nil {
		return false, dbError(op, err)
	}
	if !exists {
		return false, fmt.Errorf("postgres: %s: import job %s: %w", op, id, domain.ErrNotFound)
	}
	return false, nil
}

// sqlUpdateImportJob writes a job's state, progress, problems and error;
// a job that ends loses its claim, and its files (in the same statement).
// It returns the job as stored, or no row when the job is unknown.
const sqlUpdateImportJob = `WITH j AS (
		UPDATE import_jobs SET state = $2, rows_total = $3, rows_done = $4, imported = $5, already_present = $6,
			skipped = $7, unmatched = $8, problems = $9::jsonb, problems_more = $10, error = $11, updated_at = coalesce($12, updated_at),
			claimed_until = CASE WHEN $2 IN ('done', 'failed') THEN '-infinity' ELSE claimed_until END
		WHERE id = $1
		RETURNING ` + importJobColumns + `
	), f AS (
		DELETE FROM import_files WHERE job_id IN (SELECT id FROM j WHERE state IN ('done', 'failed'))
	)
	SELECT ` + importJobColumns + ` FROM j`

// UpdateImportJob writes job's state, progress, problems, error and
// UpdatedAt (not its user, source or creation), in one statement. A job
// that ends (done or failed) loses its files and its claim. ErrNotFound
// when the job is unknown; ErrConflict when it would make a second active
// job of its user.
func (r *ImportRepository) UpdateImportJob(ctx context.Context, job domain.ImportJob) error {
	const op = "update import job"
	if err := checkImportJob(job, false); err != nil {
		return dbError(op, err)
	}
	problems, err := problemsArg(job.Problems)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w: %v", op, domain.ErrInfrastructure, err)
	}
	var row importJobRow
	err = r.db.GetContext(ctx, &row, sqlUpdateImportJob, job.ID.UUID(), string(job.State),
		job.RowsTotal, job.RowsDone, job.Imported, job.AlreadyPresent, job.Skipped, job.Unmatched,
		problems, job.ProblemsMore, job.Error, updatedAtArg(job))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("postgres: %s: import job %s: %w", op, job.ID, domain.ErrNotFound)
	}
	return dbError(op, err)
}
