package application_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// benchImportStore is an application.ImportsRepository that stores
// nothing and finds no movie, so a benchmark measures the use case's own
// work per row (matching, building viewings, batching), not storage.
type benchImportStore struct {
	job  domain.ImportJob
	rows int
}

func (s *benchImportStore) CreateImportJob(context.Context, domain.ImportJob, []domain.ImportFile) error {
	return nil
}
func (s *benchImportStore) ImportJob(context.Context, domain.ImportJobID) (domain.ImportJob, error) {
	return s.job, nil
}
func (s *benchImportStore) ImportFiles(context.Context, domain.ImportJobID) ([]domain.ImportFile, error) {
	return importFiles, nil
}
func (s *benchImportStore) ActiveImportJobs(context.Context) ([]domain.ImportJob, error) {
	return nil, nil
}
func (s *benchImportStore) ClaimImportJob(context.Context, domain.ImportJobID, time.Time, time.Time) (bool, error) {
	return true, nil
}
func (s *benchImportStore) SaveImportBatch(_ context.Context, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	s.rows += len(b.Viewings)
	return domain.ImportBatchResult{Job: b.Job}, nil
}
func (s *benchImportStore) PresentImportRows(_ context.Context, _ domain.UserID, v []domain.ImportedViewing) ([]bool, error) {
	return make([]bool, len(v)), nil
}
func (s *benchImportStore) UpdateImportJob(context.Context, domain.ImportJob) error { return nil }
func (s *benchImportStore) MovieByExternalID(context.Context, domain.ExternalMetadataID) (domain.Movie, error) {
	return domain.Movie{}, domain.ErrNotFound
}
func (s *benchImportStore) MovieByID(context.Context, domain.MovieID) (domain.Movie, error) {
	return domain.Movie{}, domain.ErrNotFound
}
func (s *benchImportStore) MoviesByTitleYear(context.Context, domain.MovieTitle, domain.ReleaseYear) ([]domain.Movie, error) {
	return nil, nil
}

// benchParser returns the same rows every time.
type benchParser struct{ rows []domain.ImportRow }

func (p benchParser) ParseImport([]domain.ImportFile, domain.ImportSource, time.Time) (domain.ParsedImport, error) {
	return domain.ParsedImport{Source: domain.ImportLetterboxd, Rows: p.rows}, nil
}

// noPublisher drops events.
type noPublisher struct{}

func (noPublisher) Publish(context.Context, domain.Event) error { return nil }

// BenchmarkImportsRun runs a 10,000-row Letterboxd diary of 2,500 films
// (each seen four times) through Imports.Run; rows/s is the use case's
// ceiling, storage aside.
func BenchmarkImportsRun(b *testing.B) {
	const n = 10_000
	rows := make([]domain.ImportRow, n)
	for i := range rows {
		rows[i] = importRow(i+2, "", fmt.Sprintf("Film number %d", i%2500), 1950+i%70)
	}
	store := &benchImportStore{job: runningJob(n, 0, false)}
	uc := must(application.NewImports(store, noUsers{}, benchParser{rows}, noPublisher{}, application.ImportConfig{}, nil, clock))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := uc.Run(ctx, store.job.ID, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(store.rows)/b.Elapsed().Seconds(), "rows/s")
}

// noUsers is a domain.UserRepository that Run never calls.
type noUsers struct{ domain.UserRepository }
