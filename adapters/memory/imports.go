package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/moviediary/moviediary/domain"
)

var _ domain.ImportRepository = (*ImportRepository)(nil)

// ImportRepository is an in-memory domain.ImportRepository. It keeps its
// jobs beside a MovieRepository, under that repository's lock, so that a
// batch's viewings, keys, job progress and (in outbox mode) events change
// in one step. The zero value is not usable; make one with
// NewImportRepository.
type ImportRepository struct {
	r *MovieRepository
	// Guarded by r.mu.
	jobs   map[domain.ImportJobID]*importJob
	keys   map[importKey]domain.ReviewID
	active map[domain.UserID]domain.ImportJobID
}

// importJob is a stored job with its files and claim.
type importJob struct {
	job        domain.ImportJob
	files      []domain.ImportFile
	claimUntil time.Time
}

// importKey is a row key of one user.
type importKey struct {
	user domain.UserID
	key  domain.ImportRowKey
}

// NewImportRepository returns a repository with no jobs that stores
// viewings in movies, and its events in movies' outbox when movies is in
// outbox mode.
func NewImportRepository(movies *MovieRepository) *ImportRepository {
	return &ImportRepository{
		r:      movies,
		jobs:   make(map[domain.ImportJobID]*importJob),
		keys:   make(map[importKey]domain.ReviewID),
		active: make(map[domain.UserID]domain.ImportJobID),
	}
}

// CreateImportJob stores job, queued, with a copy of its files;
// ErrConflict when the user has an active job.
func (ir *ImportRepository) CreateImportJob(_ context.Context, job domain.ImportJob, files []domain.ImportFile) error {
	if job.ID.IsZero() || job.User.IsZero() {
		return fmt.Errorf("create import job: %w", domain.FieldError{Field: "import_job", Rule: "must have an ID and a user"})
	}
	ir.r.mu.Lock()
	defer ir.r.mu.Unlock()
	if _, ok := ir.jobs[job.ID]; ok {
		return fmt.Errorf("create import job: job %v exists: %w", job.ID, domain.ErrConflict)
	}
	if other, ok := ir.active[job.User]; ok {
		return fmt.Errorf("create import job: user %v has an active import (%v): %w", job.User, other, domain.ErrConflict)
	}
	job.State = domain.ImportQueued
	copied := make([]domain.ImportFile, len(files))
	for i, f := range files {
		copied[i] = domain.ImportFile{Name: f.Name, Data: slices.Clone(f.Data)}
	}
	ir.jobs[job.ID] = &importJob{job: cloneJob(job), files: copied}
	ir.active[job.User] = job.ID
	return nil
}

// ImportJob returns the job, or ErrNotFound.
func (ir *ImportRepository) ImportJob(_ context.Context, id domain.ImportJobID) (domain.ImportJob, error) {
	ir.r.mu.RLock()
	defer ir.r.mu.RUnlock()
	j, err := ir.job(id)
	if err != nil {
		return domain.ImportJob{}, err
	}
	return cloneJob(j.job), nil
}

// ImportFiles returns the job's files in upload order, none once it ended;
// ErrNotFound when the job is unknown.
func (ir *ImportRepository) ImportFiles(_ context.Context, id domain.ImportJobID) ([]domain.ImportFile, error) {
	ir.r.mu.RLock()
	defer ir.r.mu.RUnlock()
	j, err := ir.job(id)
	if err != nil {
		return nil, err
	}
	out := make([]domain.ImportFile, len(j.files))
	for i, f := range j.files {
		out[i] = domain.ImportFile{Name: f.Name, Data: slices.Clone(f.Data)}
	}
	return out, nil
}

// ActiveImportJobs returns the queued and running jobs, oldest first.
func (ir *ImportRepository) ActiveImportJobs(context.Context) ([]domain.ImportJob, error) {
	ir.r.mu.RLock()
	defer ir.r.mu.RUnlock()
	out := make([]domain.ImportJob, 0, len(ir.active))
	for _, id := range ir.active {
		out = append(out, cloneJob(ir.jobs[id].job))
	}
	slices.SortFunc(out, func(a, b domain.ImportJob) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return compareUUID(a.ID.UUID(), b.ID.UUID())
	})
	return out, nil
}

// ClaimImportJob sets the job running, claimed until until, when it is
// active and unclaimed or its claim ended before now.
func (ir *ImportRepository) ClaimImportJob(_ context.Context, id domain.ImportJobID, now, until time.Time) (bool, error) {
	ir.r.mu.Lock()
	defer ir.r.mu.Unlock()
	j, err := ir.job(id)
	if err != nil {
		return false, err
	}
	if !j.job.State.Active() || (!j.claimUntil.IsZero() && !j.claimUntil.Before(now)) {
		return false, nil
	}
	j.job.State = domain.ImportRunning
	j.claimUntil = until
	return true, nil
}

// SaveImportBatch stores b's viewings not already present, with their
// keys and events, and b.Job with the counts added, in one step: a failure
// stores nothing.
func (ir *ImportRepository) SaveImportBatch(_ context.Context, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	for _, v := range b.Viewings {
		if err := validMovie(v.Viewing.Movie); err != nil {
			return domain.ImportBatchResult{}, fmt.Errorf("save import batch: %w", err)
		}
		if v.Key.IsZero() {
			return domain.ImportBatchResult{}, fmt.Errorf("save import batch: %w", domain.FieldError{Field: "key", Rule: "must be set"})
		}
	}
	ir.r.mu.Lock()
	defer ir.r.mu.Unlock()
	j, err := ir.job(b.Job.ID)
	if err != nil {
		return domain.ImportBatchResult{}, fmt.Errorf("save import batch: %w", err)
	}
	user := j.job.User

	// Resolve everything first, on a view of what the batch adds, so that a
	// failure changes nothing.
	view := movieView{r: ir.r, movies: map[domain.MovieID]domain.Movie{}, byExt: map[domain.ExternalMetadataID]domain.MovieID{}}
	batchKeys := map[domain.ImportRowKey]bool{}
	batchReviews := map[domain.ReviewID]bool{}
	var (
		saved   []domain.SavedViewing
		keys    []domain.ImportRowKey
		events  []domain.Event
		present int
	)
	for _, v := range b.Viewings {
		_, held := ir.keys[importKey{user, v.Key}]
		_, stored := ir.r.reviewIDs[v.Viewing.Review.ID]
		if held || stored || batchKeys[v.Key] || batchReviews[v.Viewing.Review.ID] {
			present++
			continue
		}
		movie, change, err := view.resolve(v.Viewing.Movie)
		if err != nil {
			return domain.ImportBatchResult{}, fmt.Errorf("save import batch: row %q: %w", v.Key, err)
		}
		rv := v.Viewing.Review
		review, err := domain.RestoreReview(rv.ID, movie.ID, rv.UserID, rv.Rating, rv.Comment, rv.WatchedAt, rv.CreatedAt)
		if err != nil {
			return domain.ImportBatchResult{}, fmt.Errorf("save import batch: row %q: %w", v.Key, err)
		}
		if change != domain.MovieUnchanged {
			view.movies[movie.ID] = movie
			if !movie.ExternalID.IsZero() {
				view.byExt[movie.ExternalID] = movie.ID
			}
		}
		batchKeys[v.Key], batchReviews[review.ID] = true, true
		ev := domain.ImportEvents(movie, change, review, v.Viewing.PosterURL, review.CreatedAt)
		events = append(events, ev...)
		saved = append(saved, domain.SavedViewing{Movie: movie, Change: change, Review: review, Events: ev})
		keys = append(keys, v.Key)
	}
	encoded, err := ir.r.encodeIfOutbox(events)
	if err != nil {
		return domain.ImportBatchResult{}, fmt.Errorf("save import batch: %w", err)
	}

	for i, sv := range saved {
		if sv.Change != domain.MovieUnchanged {
			ir.r.put(sv.Movie)
		}
		ir.r.insertReview(sv.Review)
		ir.keys[importKey{user, keys[i]}] = sv.Review.ID
	}
	ir.r.box.add(encoded)
	job := b.Job
	job.Imported += len(saved)
	job.Unmatched += domain.CountUnmatched(saved)
	job.AlreadyPresent += present
	ir.update(j, job)
	if j.job.State.Active() {
		j.claimUntil = b.ClaimUntil
	}
	return domain.ImportBatchResult{Job: cloneJob(j.job), Saved: saved, Events: events}, nil
}

// PresentImportRows reports for each viewing whether user holds its key or
// its review ID is stored.
func (ir *ImportRepository) PresentImportRows(_ context.Context, user domain.UserID, viewings []domain.ImportedViewing) ([]bool, error) {
	ir.r.mu.RLock()
	defer ir.r.mu.RUnlock()
	out := make([]bool, len(viewings))
	for i, v := range viewings {
		_, held := ir.keys[importKey{user, v.Key}]
		_, stored := ir.r.reviewIDs[v.Viewing.Review.ID]
		out[i] = held || stored
	}
	return out, nil
}

// UpdateImportJob writes job's state, progress, problems, error and
// update time; an ended job loses its files and claim.
func (ir *ImportRepository) UpdateImportJob(_ context.Context, job domain.ImportJob) error {
	ir.r.mu.Lock()
	defer ir.r.mu.Unlock()
	j, err := ir.job(job.ID)
	if err != nil {
		return fmt.Errorf("update import job: %w", err)
	}
	ir.update(j, job)
	return nil
}

// update writes what UpdateImportJob writes. The caller holds the lock.
func (ir *ImportRepository) update(j *importJob, job domain.ImportJob) {
	s := &j.job
	s.State, s.RowsTotal, s.RowsDone = job.State, job.RowsTotal, job.RowsDone
	s.Imported, s.AlreadyPresent, s.Skipped, s.Unmatched = job.Imported, job.AlreadyPresent, job.Skipped, job.Unmatched
	s.Problems, s.ProblemsMore = slices.Clone(job.Problems), job.ProblemsMore
	s.Error, s.UpdatedAt = job.Error, job.UpdatedAt
	if s.State.Active() {
		ir.active[s.User] = s.ID
		return
	}
	j.files, j.claimUntil = nil, time.Time{}
	if ir.active[s.User] == s.ID {
		delete(ir.active, s.User)
	}
}

// job returns the stored job, or ErrNotFound. The caller holds the lock.
func (ir *ImportRepository) job(id domain.ImportJobID) (*importJob, error) {
	if j, ok := ir.jobs[id]; ok {
		return j, nil
	}
	return nil, fmt.Errorf("import job %v: %w", id, domain.ErrNotFound)
}

func cloneJob(j domain.ImportJob) domain.ImportJob {
	j.Problems = slices.Clone(j.Problems)
	j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	return j
}
