package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// importBatchRows is the size of an import batch, as the use case cuts
// them.
const importBatchRows = 500

// BenchmarkSaveImportBatch stores batches of importBatchRows rows of a
// Letterboxd-like diary into a fresh database file: no IMDb IDs, a new film
// every other row (MovieCreated, with MovieNeedsMetadata) and the rest
// viewings of films already stored (by their movie ID, as the use case
// resolves a title it met before), plus every 25th row with an IMDb ID.
// One op is one batch; ns/row and rows/s are the figures that matter, and
// cpu-ns/row (the process's CPU time a row, SQLite's work included) is the
// one a busy machine disturbs least.
//
//	go test -run '^$' -bench SaveImportBatch -benchtime 40x ./adapters/sqlite
func BenchmarkSaveImportBatch(b *testing.B) {
	for _, outbox := range []bool{false, true} {
		b.Run(fmt.Sprintf("outbox=%v", outbox), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "moviediary.db")
			var db *sqlite.DB
			if outbox {
				db = mustOpenOutbox(b, path)
			} else {
				db = mustOpen(b, path)
			}
			benchImportBatches(b, db)
		})
	}
}

// benchImportBatches stores b.N batches of importBatchRows rows into db
// for a new user, as BenchmarkSaveImportBatch describes, and reports the
// figures a row.
func benchImportBatches(b *testing.B, db *sqlite.DB) {
	b.Helper()
	imports := db.Imports()
	user := porttest.NewUser(b, "importer@example.com")
	if err := db.Users().SaveUser(b.Context(), user); err != nil {
		b.Fatal(err)
	}
	job := domain.ImportJob{ID: domain.NewImportJobID(), User: user.ID, StartedBy: user.ID, Source: domain.ImportLetterboxd,
		State: domain.ImportQueued, CreatedAt: porttest.FixtureTime, UpdatedAt: porttest.FixtureTime}
	if err := imports.CreateImportJob(b.Context(), job, nil); err != nil {
		b.Fatal(err)
	}
	job.State = domain.ImportRunning
	batches := make([][]domain.ImportedViewing, b.N)
	var known []domain.Movie
	row := 0
	watched := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range batches {
		batch := make([]domain.ImportedViewing, importBatchRows)
		for j := range batch {
			row++
			var m domain.Movie
			switch {
			case row%25 == 0:
				m = porttest.NewMovie(b, porttest.NewExternalID(b), fmt.Sprintf("Film %d", row), 1990+row%30, "")
			case row%2 == 0 && len(known) > 0:
				m = known[row%len(known)]
			default:
				m = porttest.NewMovie(b, domain.ExternalMetadataID{}, fmt.Sprintf("Film %d", row), 1990+row%30, "")
				known = append(known, m)
			}
			// As the use case makes them: time-ordered IDs.
			rv, err := domain.NewReview(m.ID, user.ID, domain.MustNewRating(float64(row%11)/2), domain.Comment{},
				watched.Add(time.Duration(row)*time.Hour), time.Now())
			if err != nil {
				b.Fatal(err)
			}
			batch[j] = domain.ImportedViewing{Key: domain.ImportRowKey(fmt.Sprintf("letterboxd:diary.csv:%d", row)),
				Viewing: domain.Viewing{Movie: m, Review: rv}}
		}
		batches[i] = batch
	}
	b.ResetTimer()
	cpu := processCPU()
	for i := range b.N {
		job.RowsDone += importBatchRows
		res, err := imports.SaveImportBatch(b.Context(), domain.ImportBatch{Job: job, Viewings: batches[i], ClaimUntil: time.Now().Add(time.Minute)})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Saved) != importBatchRows {
			b.Fatalf("batch %d saved %d rows, want %d", i, len(res.Saved), importBatchRows)
		}
		job = res.Job
	}
	rows := float64(b.N * importBatchRows)
	if cpu := processCPU() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/rows, "cpu-ns/row")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
}
