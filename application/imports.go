package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// ImportsRepository is what Imports needs of the store: import jobs and
// their rows, and the stored movies the rows are matched against.
type ImportsRepository interface {
	domain.ImportRepository
	domain.MovieFinder
}

// ImportConfig tunes how Imports runs a job.
type ImportConfig struct {
	// BatchSize is how many rows are stored per transaction; 0 means 500.
	BatchSize int
	// Lease is how long a runner's claim on a job lasts without a batch
	// stored (after which another runner may resume the job); 0 means one
	// minute.
	Lease time.Duration
}

// Defaults of ImportConfig.
const (
	defaultImportBatchSize = 500
	defaultImportLease     = time.Minute
)

// ImportCommand asks to import files into a diary.
type ImportCommand struct {
	// Actor is the authenticated caller.
	Actor domain.UserID
	// User is whose diary the rows go to; the zero UserID means Actor's.
	// Another user's needs Actor to be the owner (the first account).
	User domain.UserID
	// Files are the uploaded files.
	Files []domain.ImportFile
	// Source is "letterboxd", "imdb" or "moviediary"; "" detects it from
	// the files.
	Source string
	// DryRun reports what the import would do and writes no entry.
	DryRun bool
}

// ErrImportRunning is the error of Start when the user already has an
// active (queued or running) import. It wraps domain.ErrConflict.
var ErrImportRunning = fmt.Errorf("%w: an import for this user is already queued or running", domain.ErrConflict)

// ErrImportClaimed is the error of Run when another runner holds the job.
// It wraps domain.ErrConflict.
var ErrImportClaimed = fmt.Errorf("%w: another runner holds the import job", domain.ErrConflict)

// Imports starts import jobs, shows them, and runs them: the rows of the
// job's files are stored in batches, each in one transaction with its
// events, so an interrupted job resumes where it stopped without
// duplicates or gaps.
//
// Rows are matched to movies without asking the metadata source (which is
// scarce): by the movie ID a moviediary export carries, by IMDb ID against
// the stored movies, or by title and year; a film that is not stored
// becomes a new movie, and one without an IMDb ID is looked up later
// (domain.MovieNeedsMetadata, handled by EnrichMovies).
type Imports struct {
	store     ImportsRepository
	users     domain.UserRepository
	parser    domain.ImportParser
	publisher domain.EventPublisher
	cfg       ImportConfig
	logger    *slog.Logger
	now       func() time.Time
}

// NewImports returns the Imports use case. The ports must not be nil; a
// nil logger means slog.Default() and a nil now means time.Now. Zero
// fields of cfg take their defaults; negative ones are refused.
func NewImports(store ImportsRepository, users domain.UserRepository, parser domain.ImportParser, publisher domain.EventPublisher, cfg ImportConfig, logger *slog.Logger, now func() time.Time) (*Imports, error) {
	if err := checkDependencies("Imports",
		dependency{"store", store},
		dependency{"users", users},
		dependency{"parser", parser},
		dependency{"publisher", publisher},
	); err != nil {
		return nil, err
	}
	var v domain.Validation
	if cfg.BatchSize < 0 {
		v.Add("batch_size", "must not be negative")
	}
	if cfg.Lease < 0 {
		v.Add("lease", "must not be negative")
	}
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("imports config: %w", err)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = defaultImportBatchSize
	}
	if cfg.Lease == 0 {
		cfg.Lease = defaultImportLease
	}
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Imports{store: store, users: users, parser: parser, publisher: publisher, cfg: cfg, logger: logger, now: now}, nil
}

// Start validates cmd, reads its files and stores a queued job with them;
// Run (or Work) stores the rows. It returns the job as stored.
//
// No file is a validation error on field "file" and an unknown source one
// on field "source"; a caller other than the owner naming another user
// gets domain.ErrForbidden, and an unknown user domain.ErrNotFound. Files
// the parser cannot read give its error (wrapping domain.ErrValidation),
// before anything is stored; malformed rows are counted in the job's
// Skipped and listed in its Problems. ErrImportRunning when the user
// already has an active import.
func (uc *Imports) Start(ctx context.Context, cmd ImportCommand) (domain.ImportJob, error) {
	var v domain.Validation
	if cmd.Actor.IsZero() {
		v.Add("user_id", ruleUserIDRequired)
	}
	if len(cmd.Files) == 0 {
		v.Add("file", "at least one file is required")
	}
	source, err := domain.ParseImportSource(cmd.Source)
	v.Check("source", err)
	if err := v.Err(); err != nil {
		return domain.ImportJob{}, err
	}
	user, err := actingFor(ctx, uc.users, cmd.Actor, cmd.User, "import into")
	if err != nil {
		return domain.ImportJob{}, fmt.Errorf("start import: %w", err)
	}
	now := uc.now().UTC()
	parsed, err := uc.parser.ParseImport(cmd.Files, source, now)
	if err != nil {
		if errors.Is(err, domain.ErrValidation) {
			return domain.ImportJob{}, err
		}
		return domain.ImportJob{}, fmt.Errorf("start import: read files: %w", err)
	}
	job := domain.ImportJob{
		ID:        domain.NewImportJobID(),
		User:      user,
		StartedBy: cmd.Actor,
		Source:    parsed.Source,
		DryRun:    cmd.DryRun,
		State:     domain.ImportQueued,
		RowsTotal: len(parsed.Rows) + parsed.Skipped,
		Skipped:   parsed.Skipped,
		CreatedAt: now,
		UpdatedAt: now,
	}
	if job.Source == "" {
		job.Source = source
	}
	for _, p := range parsed.Problems {
		job.AddProblem(p)
	}
	if err := uc.store.CreateImportJob(ctx, job, cmd.Files); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return domain.ImportJob{}, ErrImportRunning
		}
		return domain.ImportJob{}, fmt.Errorf("start import: store job: %w", err)
	}
	return job, nil
}

// Job returns import job id to actor: the job's user, who started it, or
// the owner. domain.ErrNotFound for anyone else, as for an unknown job.
func (uc *Imports) Job(ctx context.Context, actor domain.UserID, id domain.ImportJobID) (domain.ImportJob, error) {
	job, err := uc.store.ImportJob(ctx, id)
	if err != nil {
		return domain.ImportJob{}, fmt.Errorf("import job %s: %w", id, err)
	}
	if job.User == actor || job.StartedBy == actor {
		return job, nil
	}
	owner, err := isOwner(ctx, uc.users, actor)
	if err != nil {
		return domain.ImportJob{}, fmt.Errorf("import job %s: %w", id, err)
	}
	if !owner {
		return domain.ImportJob{}, fmt.Errorf("import job %s: %w", id, domain.ErrNotFound)
	}
	return job, nil
}

// Run claims job id and runs it to its end, calling progress (when not
// nil) after each batch with the job as stored. It returns the job at its
// end: done, or failed when its files can no longer be read.
//
// A job that has ended is returned as it is. ErrImportClaimed, with the
// job as stored, when another runner holds it. A failing store (or a
// cancelled ctx) stops the run with the error; the job stays running, and
// the next Run after its claim lapsed resumes it after the rows stored.
func (uc *Imports) Run(ctx context.Context, id domain.ImportJobID, progress func(domain.ImportJob)) (domain.ImportJob, error) {
	now := uc.now().UTC()
	claimed, err := uc.store.ClaimImportJob(ctx, id, now, now.Add(uc.cfg.Lease))
	if err != nil {
		return domain.ImportJob{}, fmt.Errorf("run import %s: claim: %w", id, err)
	}
	job, err := uc.store.ImportJob(ctx, id)
	if err != nil {
		return domain.ImportJob{}, fmt.Errorf("run import %s: %w", id, err)
	}
	if !claimed {
		if !job.State.Active() {
			return job, nil
		}
		return job, ErrImportClaimed
	}
	files, err := uc.store.ImportFiles(ctx, id)
	if err != nil {
		return job, fmt.Errorf("run import %s: read files: %w", id, err)
	}
	// The job's creation time, not now: parsing gives the rows and keys it
	// gave when the job started.
	parsed, err := uc.parser.ParseImport(files, job.Source, job.CreatedAt)
	if err != nil {
		if !errors.Is(err, domain.ErrValidation) {
			return job, fmt.Errorf("run import %s: read files: %w", id, err)
		}
		return uc.fail(ctx, job, fmt.Sprintf("the files can no longer be read: %v", err))
	}
	r := importRun{uc: uc, job: job, matcher: newMovieMatcher(uc.store)}
	if job, err = r.rows(ctx, parsed.Rows, progress); err != nil {
		return job, fmt.Errorf("run import %s: %w", id, err)
	}
	job.State = domain.ImportDone
	job.RowsDone = job.RowsTotal
	job.UpdatedAt = uc.now().UTC()
	if err := uc.store.UpdateImportJob(ctx, job); err != nil {
		return job, fmt.Errorf("run import %s: finish: %w", id, err)
	}
	uc.logger.LogAttrs(ctx, slog.LevelInfo, "import done",
		slog.String("import_id", job.ID.String()),
		slog.String("user_id", job.User.String()),
		slog.Bool("dry_run", job.DryRun),
		slog.Int("rows", job.RowsTotal),
		slog.Int("imported", job.Imported),
		slog.Int("already_present", job.AlreadyPresent),
		slog.Int("skipped", job.Skipped),
		slog.Int("unmatched", job.Unmatched))
	return job, nil
}

// fail ends job as failed, saying why.
func (uc *Imports) fail(ctx context.Context, job domain.ImportJob, reason string) (domain.ImportJob, error) {
	job.State = domain.ImportFailed
	job.Error = reason
	job.UpdatedAt = uc.now().UTC()
	if err := uc.store.UpdateImportJob(ctx, job); err != nil {
		return job, fmt.Errorf("run import %s: record failure: %w", job.ID, err)
	}
	uc.logger.LogAttrs(ctx, slog.LevelWarn, "import failed",
		slog.String("import_id", job.ID.String()), slog.String("reason", reason))
	return job, nil
}

// Work runs the active jobs (queued, or running with a lapsed claim) one
// at a time, oldest first: at once, whenever wake receives, and every
// every (never when every is not positive), until ctx ends; it returns
// nil then. A job that fails to run is logged and retried on a later
// round.
func (uc *Imports) Work(ctx context.Context, wake <-chan struct{}, every time.Duration) error {
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for {
		uc.runActive(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick:
		}
	}
}

// runActive runs each active job once.
func (uc *Imports) runActive(ctx context.Context) {
	jobs, err := uc.store.ActiveImportJobs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			uc.logger.LogAttrs(ctx, slog.LevelError, "listing active imports failed", slog.String("error", err.Error()))
		}
		return
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		_, err := uc.Run(ctx, j.ID, nil)
		switch {
		case err == nil, ctx.Err() != nil:
		case errors.Is(err, ErrImportClaimed):
			uc.logger.LogAttrs(ctx, slog.LevelDebug, "import held by another runner", slog.String("import_id", j.ID.String()))
		default:
			uc.logger.LogAttrs(ctx, slog.LevelError, "import stopped; it resumes later",
				slog.String("import_id", j.ID.String()), slog.String("error", err.Error()))
		}
	}
}

// importRun is one run of a job: its progress and the movies matched so
// far.
type importRun struct {
	uc      *Imports
	job     domain.ImportJob
	matcher *movieMatcher
}

// rows stores rows from r.job.RowsDone on, batch by batch, and returns
// the job after the last.
func (r *importRun) rows(ctx context.Context, rows []domain.ImportRow, progress func(domain.ImportJob)) (domain.ImportJob, error) {
	batch := make([]domain.ImportedViewing, 0, min(r.uc.cfg.BatchSize, len(rows)))
	// from[i] is the row batch[i] was read from.
	from := make([]*domain.ImportRow, 0, cap(batch))
	for start := r.job.RowsDone; start < len(rows); {
		if err := ctx.Err(); err != nil {
			return r.job, err
		}
		end := min(start+r.uc.cfg.BatchSize, len(rows))
		now := r.uc.now().UTC()
		next := r.job
		batch, from = batch[:0], from[:0]
		for i := start; i < end; i++ {
			v, err := r.viewing(ctx, &rows[i], now)
			switch {
			case err == nil:
				batch = append(batch, v)
				from = append(from, &rows[i])
			case errors.Is(err, domain.ErrValidation):
				// The domain refuses the row: list it, import the rest.
				next.Skipped++
				next.AddProblem(domain.ImportProblem{File: rows[i].File, Line: rows[i].Line, Reason: err.Error()})
			default:
				return r.job, err
			}
		}
		next.State = domain.ImportRunning
		next.RowsDone = end
		next.UpdatedAt = now
		var err error
		if r.job.DryRun {
			next, err = r.present(ctx, next, batch)
		} else {
			next, err = r.save(ctx, next, batch, from, now)
		}
		if err != nil {
			return r.job, err
		}
		r.job = next
		start = end
		if progress != nil {
			progress(r.job)
		}
	}
	return r.job, nil
}

// save stores batch with job's progress and publishes its events; it
// returns the job as stored. A batch the store refuses for good (a row
// contradicting the diary, say a movie ID stored with another IMDb ID) is
// stored row by row instead, so that only the rows refused are skipped
// and listed (from[i] is the row batch[i] came from).
func (r *importRun) save(ctx context.Context, job domain.ImportJob, batch []domain.ImportedViewing, from []*domain.ImportRow, now time.Time) (domain.ImportJob, error) {
	res, err := r.uc.store.SaveImportBatch(ctx, domain.ImportBatch{Job: job, Viewings: batch, ClaimUntil: now.Add(r.uc.cfg.Lease)})
	switch {
	case err != nil && domain.IsPermanent(err) && len(batch) > 1:
		return r.saveEach(ctx, job, batch, from, now)
	case err != nil:
		return job, fmt.Errorf("store rows %d to %d: %w", r.job.RowsDone+1, job.RowsDone, err)
	}
	r.stored(ctx, res)
	return res.Job, nil
}

// saveEach stores batch one viewing at a time; a viewing the store
// refuses for good is skipped and listed as its row's problem. Until the
// last step the job's progress stays where it was before the batch, so a
// crash part way redoes the batch (keys already held store nothing).
func (r *importRun) saveEach(ctx context.Context, job domain.ImportJob, batch []domain.ImportedViewing, from []*domain.ImportRow, now time.Time) (domain.ImportJob, error) {
	acc := job
	written := false
	for i := range batch {
		step := acc
		written = i == len(batch)-1
		if !written {
			step.RowsDone = r.job.RowsDone
		}
		res, err := r.uc.store.SaveImportBatch(ctx, domain.ImportBatch{Job: step, Viewings: batch[i : i+1], ClaimUntil: now.Add(r.uc.cfg.Lease)})
		switch {
		case err == nil:
			r.stored(ctx, res)
			acc.Imported, acc.AlreadyPresent, acc.Unmatched = res.Job.Imported, res.Job.AlreadyPresent, res.Job.Unmatched
		case domain.IsPermanent(err):
			written = false
			acc.Skipped++
			acc.AddProblem(domain.ImportProblem{File: from[i].File, Line: from[i].Line, Reason: err.Error()})
		default:
			return r.job, fmt.Errorf("store row %d of %s: %w", from[i].Line, from[i].File, err)
		}
	}
	if !written {
		if err := r.uc.store.UpdateImportJob(ctx, acc); err != nil {
			return r.job, fmt.Errorf("record progress: %w", err)
		}
	}
	return acc, nil
}

// stored remembers the movies of a stored batch and publishes its events.
func (r *importRun) stored(ctx context.Context, res domain.ImportBatchResult) {
	for i := range res.Saved {
		r.matcher.stored(res.Saved[i].Movie)
	}
	publishStored(ctx, r.uc.publisher, r.uc.logger, res.Events)
}

// present counts what storing batch would do, and writes job's progress.
func (r *importRun) present(ctx context.Context, job domain.ImportJob, batch []domain.ImportedViewing) (domain.ImportJob, error) {
	if len(batch) > 0 {
		present, err := r.uc.store.PresentImportRows(ctx, job.User, batch)
		if err != nil {
			return job, fmt.Errorf("check rows %d to %d: %w", r.job.RowsDone+1, job.RowsDone, err)
		}
		for i := range batch {
			switch {
			case i < len(present) && present[i]:
				job.AlreadyPresent++
			default:
				job.Imported++
				if batch[i].Viewing.Movie.ExternalID.IsZero() {
					job.Unmatched++
				}
			}
		}
	}
	if err := r.uc.store.UpdateImportJob(ctx, job); err != nil {
		return job, fmt.Errorf("record progress: %w", err)
	}
	return job, nil
}

// viewing turns row into the viewing to store: its movie, resolved
// without the metadata source, and its review. A row the domain refuses
// gives an error wrapping domain.ErrValidation.
func (r *importRun) viewing(ctx context.Context, row *domain.ImportRow, now time.Time) (domain.ImportedViewing, error) {
	// The review's rules first: a refused row costs no lookup.
	if err := domain.ValidateWatchedAt(row.WatchedAt, now); err != nil {
		return domain.ImportedViewing{}, err
	}
	movie, err := r.matcher.movie(ctx, row)
	if err != nil {
		return domain.ImportedViewing{}, err
	}
	var review domain.Review
	if row.ReviewID.IsZero() && row.CreatedAt.IsZero() {
		review, err = domain.NewReview(movie.ID, r.job.User, row.Rating, row.Comment, row.WatchedAt, now)
	} else {
		id, created := row.ReviewID, row.CreatedAt
		if id.IsZero() {
			id = domain.NewReviewID()
		}
		if created.IsZero() {
			created = now
		}
		review, err = domain.RestoreReview(id, movie.ID, r.job.User, row.Rating, row.Comment, row.WatchedAt, created)
	}
	if err != nil {
		return domain.ImportedViewing{}, err
	}
	return domain.ImportedViewing{Key: row.Key, Viewing: domain.Viewing{Movie: movie, Review: review}}, nil
}

// titleKey identifies a film by title (lower case) and year.
type titleKey struct {
	title string
	year  int
}

// movieMatcher resolves the movies of a run's rows, remembering the ones
// it resolved (stored or new) so that a film is looked up once per run
// and never becomes two movies.
type movieMatcher struct {
	store domain.MovieFinder
	// byExternalID holds the movies known by IMDb ID.
	byExternalID map[domain.ExternalMetadataID]domain.Movie
	// byTitle holds, for each title and year looked up in the store, the
	// movies stored then and the ones created since.
	byTitle map[titleKey][]domain.Movie
}

func newMovieMatcher(store domain.MovieFinder) *movieMatcher {
	return &movieMatcher{
		store:        store,
		byExternalID: make(map[domain.ExternalMetadataID]domain.Movie),
		byTitle:      make(map[titleKey][]domain.Movie),
	}
}

// movie resolves row's movie:
//   - a moviediary export's movie ID: that movie, as the row describes it
//     (saving uses the stored one);
//   - an IMDb ID: the movie holding it; else a movie matching the row's
//     title, year and director that has no IMDb ID, which gets it, and the
//     row's director when it has none; else a new movie holding it;
//   - otherwise a movie matching the row's title, year and director (one
//     that holds another IMDb ID included); else a new movie without an
//     IMDb ID.
func (x *movieMatcher) movie(ctx context.Context, row *domain.ImportRow) (domain.Movie, error) {
	if !row.MovieID.IsZero() {
		return domain.RestoreMovie(row.MovieID, row.ExternalID, row.Title, row.Year, row.Director, domain.PosterPath{})
	}
	if !row.ExternalID.IsZero() {
		if m, ok := x.byExternalID[row.ExternalID]; ok {
			return m, nil
		}
		m, err := x.store.MovieByExternalID(ctx, row.ExternalID)
		switch {
		case err == nil:
			x.byExternalID[row.ExternalID] = m
			return m, nil
		case !errors.Is(err, domain.ErrNotFound):
			return domain.Movie{}, fmt.Errorf("find movie by external ID %s: %w", row.ExternalID, err)
		}
	}
	key := titleKey{strings.ToLower(row.Title.String()), row.Year.Int()}
	candidates, ok := x.byTitle[key]
	if !ok {
		stored, err := x.store.MoviesByTitleYear(ctx, row.Title, row.Year)
		if err != nil {
			return domain.Movie{}, fmt.Errorf("find movies by title and year: %w", err)
		}
		candidates = stored
		x.byTitle[key] = candidates
		for _, c := range stored {
			if !c.ExternalID.IsZero() {
				if _, known := x.byExternalID[c.ExternalID]; !known {
					x.byExternalID[c.ExternalID] = c
				}
			}
		}
	}
	for i, c := range candidates {
		if !c.IsManualMatch(row.Title, row.Year, row.Director) {
			continue
		}
		if row.ExternalID.IsZero() {
			return c, nil
		}
		if c.ExternalID.IsZero() {
			// Keep the row's IMDb ID as the film's identity: saving
			// attaches it to the stored movie, with the row's director
			// when the movie has none (the enrichment skips a movie with
			// an IMDb ID, so it would never fill it in).
			c.ExternalID = row.ExternalID
			if c.Director.IsZero() {
				c.Director = row.Director
			}
			candidates[i] = c
			x.byExternalID[c.ExternalID] = c
			return c, nil
		}
		// A movie holding another IMDb ID is another film.
	}
	m, err := domain.NewMovie(row.ExternalID, row.Title, row.Year, row.Director)
	if err != nil {
		return domain.Movie{}, err
	}
	x.byTitle[key] = append(candidates, m)
	if !m.ExternalID.IsZero() {
		x.byExternalID[m.ExternalID] = m
	}
	return m, nil
}

// stored remembers m, a movie as the store saved it: another runner may
// have stored its IMDb ID first.
func (x *movieMatcher) stored(m domain.Movie) {
	if !m.ExternalID.IsZero() {
		x.byExternalID[m.ExternalID] = m
	}
}

// actingFor returns whose data actor acts on: user, or actor when user is
// zero. Another user's needs actor to be the owner (domain.ErrForbidden
// otherwise); an unknown user is domain.ErrNotFound. what says what the
// actor does, for the error.
func actingFor(ctx context.Context, users domain.UserRepository, actor, user domain.UserID, what string) (domain.UserID, error) {
	if user.IsZero() || user == actor {
		return actor, nil
	}
	owner, err := isOwner(ctx, users, actor)
	if err != nil {
		return domain.UserID{}, err
	}
	if !owner {
		return domain.UserID{}, fmt.Errorf("%w: only the owner may %s another user's diary", domain.ErrForbidden, what)
	}
	if _, err := users.UserByID(ctx, user); err != nil {
		return domain.UserID{}, fmt.Errorf("user %s: %w", user, err)
	}
	return user, nil
}

// isOwner reports whether actor is the owner (the first account).
func isOwner(ctx context.Context, users domain.UserRepository, actor domain.UserID) (bool, error) {
	owner, err := users.Owner(ctx)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("find the owner: %w", err)
	}
	return !actor.IsZero() && owner.ID == actor, nil
}
