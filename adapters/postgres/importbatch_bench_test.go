package postgres_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// importBatchRows is the batch size the import use case stores.
const importBatchRows = 500

// BenchmarkSaveImportBatch stores import batches of 500 rows into one job
// on a fresh database, as an import does: a Letterboxd diary (no IMDb
// IDs; films the import met before come with their stored movie's ID, the
// others with a new one, about one row in five a rewatch) and an IMDb
// ratings file (every row with an IMDb ID, a fresh movie ID, a fifth of
// them of films stored already), plain and in outbox mode (the events of
// each row stored with it). It reports ns/row and rows/s.
//
//	TEST_DATABASE_URL=… go test -run '^$' -bench SaveImportBatch -count 5 ./adapters/postgres
func BenchmarkSaveImportBatch(b *testing.B) {
	for _, source := range []string{"letterboxd", "imdb"} {
		for _, outbox := range []bool{false, true} {
			mode := "plain"
			if outbox {
				mode = "outbox"
			}
			b.Run(source+"/"+mode, func(b *testing.B) {
				db := openBenchOutbox(b, pgtest.NewDatabase(b), outbox, true)
				benchImportBatches(b, db, source == "imdb")
			})
		}
	}
}

func benchImportBatches(b *testing.B, db *postgres.DB, withExt bool) {
	ctx := b.Context()
	user := porttest.NewUser(b, "importer@example.com")
	if err := db.Users().SaveUser(ctx, user); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	job := domain.ImportJob{
		ID: domain.NewImportJobID(), User: user.ID, StartedBy: user.ID, Source: domain.ImportLetterboxd,
		State: domain.ImportQueued, CreatedAt: now, UpdatedAt: now,
	}
	if err := db.Imports().CreateImportJob(ctx, job, nil); err != nil {
		b.Fatal(err)
	}
	if ok, err := db.Imports().ClaimImportJob(ctx, job.ID, now, now.Add(time.Hour)); err != nil || !ok {
		b.Fatalf("ClaimImportJob = %v, %v", ok, err)
	}
	job.State = domain.ImportRunning

	rng := rand.New(rand.NewPCG(1, 2))
	var (
		films []domain.Movie // the films met so far, as stored
		row   int
	)
	batches := make([][]domain.ImportedViewing, b.N)
	for i := range batches {
		batch := make([]domain.ImportedViewing, importBatchRows)
		for j := range batch {
			row++
			var m domain.Movie
			if len(films) > 0 && rng.IntN(5) == 0 {
				m = films[rng.IntN(len(films))]
				if withExt {
					m.ID = domain.NewMovieID() // resolved by its IMDb ID
				}
			} else {
				ext := domain.ExternalMetadataID{}
				if withExt {
					ext = domain.MustParseExternalMetadataID(fmt.Sprintf("tt%08d", row))
				}
				m = porttest.NewMovie(b, ext, fmt.Sprintf("Film %d", row), 1920+row%100, "")
				films = append(films, m)
			}
			watched := time.Date(2015, 1, 1, 20, 0, 0, 0, time.UTC).Add(time.Duration(row) * time.Hour)
			comment := ""
			if row%4 == 0 {
				comment = fmt.Sprintf("review %d, with \"quotes\"", row)
			}
			// A new review, as the import makes it: a time-ordered ID.
			r := porttest.NewReviewWithComment(b, m.ID, user.ID, float64(row%11)/2, comment, watched)
			r.ID = domain.NewReviewID()
			batch[j] = domain.ImportedViewing{
				Key:     domain.ImportRowKey(fmt.Sprintf("letterboxd:diary.csv:%d", row)),
				Viewing: domain.Viewing{Movie: m, Review: r},
			}
		}
		batches[i] = batch
	}

	b.ResetTimer()
	for i := range b.N {
		job.RowsDone += importBatchRows
		res, err := db.Imports().SaveImportBatch(ctx, domain.ImportBatch{Job: job, Viewings: batches[i], ClaimUntil: now.Add(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Saved) != importBatchRows {
			b.Fatalf("batch %d saved %d rows, want %d", i, len(res.Saved), importBatchRows)
		}
		job = res.Job
	}
	b.StopTimer()
	rows := float64(b.N * importBatchRows)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
}
