package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// TestSaveImportBatchConcurrentImports: users importing at once the same
// films, each row with a movie ID of its own, end with one movie per IMDb
// ID, every row stored, exact totals and one MovieDiscovered per film in
// all: the batches that lose the race to insert a movie are stored again
// and find it.
func TestSaveImportBatchConcurrentImports(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	db := openOutboxURL(t, url, true)
	raw := rawDB(t, url)
	const importers, films, rounds = 4, 60, 3
	exts := make([]domain.ExternalMetadataID, films)
	for i := range exts {
		exts[i] = domain.MustParseExternalMetadataID(fmt.Sprintf("tt%08d", 7_000_000+i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, importers*rounds)
	discovered := make(chan int, importers*rounds)
	for g := range importers {
		user := porttest.NewUser(t, fmt.Sprintf("importer-%d@example.com", g))
		if err := db.Users().SaveUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		job := domain.ImportJob{
			ID: domain.NewImportJobID(), User: user.ID, StartedBy: user.ID, Source: domain.ImportIMDb,
			State: domain.ImportQueued, CreatedAt: porttest.FixtureTime, UpdatedAt: porttest.FixtureTime,
		}
		if err := db.Imports().CreateImportJob(ctx, job, nil); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for round := range rounds {
				batch := make([]domain.ImportedViewing, 0, films)
				for i, ext := range exts {
					// Every importer goes through the films in its own order.
					ext = exts[(i*(g+1)+round)%films]
					m := porttest.NewMovie(t, ext, "Film "+ext.String(), 1990, "")
					r := porttest.NewReview(t, m.ID, user.ID, 3, porttest.FixtureTime.Add(-time.Duration(round*films+i)*time.Hour))
					batch = append(batch, domain.ImportedViewing{
						Key:     domain.ImportRowKey(fmt.Sprintf("imdb:%d:%d", round, i)),
						Viewing: domain.Viewing{Movie: m, Review: r},
					})
				}
				res, err := db.Imports().SaveImportBatch(ctx, domain.ImportBatch{Job: job, Viewings: batch})
				if err != nil {
					errs <- err
					return
				}
				if len(res.Saved) != films {
					errs <- fmt.Errorf("importer %d round %d saved %d rows, want %d", g, round, len(res.Saved), films)
				}
				n := 0
				for _, e := range res.Events {
					if _, ok := e.(domain.MovieDiscovered); ok {
						n++
					}
				}
				discovered <- n
				job = res.Job
			}
		})
	}
	wg.Wait()
	close(errs)
	close(discovered)
	for err := range errs {
		t.Error(err)
	}
	total := 0
	for n := range discovered {
		total += n
	}
	if total != films {
		t.Errorf("%d MovieDiscovered events in all, want one per film (%d)", total, films)
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM movies`); n != films {
		t.Errorf("%d movies stored, want %d", n, films)
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM reviews`); n != importers*rounds*films {
		t.Errorf("%d reviews stored, want %d", n, importers*rounds*films)
	}
	checkCountsExact(t, raw)
}

// TestSaveImportBatchRowByRow: a batch the set-based statements cannot
// take — one movie ID given with and without its IMDb ID, two rows of one
// key — is stored as SaveViewing would store its rows one after the other.
func TestSaveImportBatchRowByRow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	db := openURL(t, url, true)
	raw := rawDB(t, url)
	user := porttest.NewUser(t, "rows@example.com")
	if err := db.Users().SaveUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	job := domain.ImportJob{
		ID: domain.NewImportJobID(), User: user.ID, StartedBy: user.ID, Source: domain.ImportMoviediary,
		State: domain.ImportQueued, CreatedAt: porttest.FixtureTime, UpdatedAt: porttest.FixtureTime,
	}
	if err := db.Imports().CreateImportJob(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	bare := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Ran", 1985, "")
	identified := bare
	identified.ExternalID = porttest.NewExternalID(t)
	watched := porttest.FixtureTime.Add(-48 * time.Hour)
	rows := []domain.ImportedViewing{
		{Key: "moviediary:1", Viewing: domain.Viewing{Movie: bare, Review: porttest.NewReview(t, bare.ID, user.ID, 3, watched)}},
		{Key: "moviediary:2", Viewing: domain.Viewing{Movie: identified, Review: porttest.NewReview(t, bare.ID, user.ID, 4, watched.Add(time.Hour))}},
		{Key: "moviediary:2", Viewing: domain.Viewing{Movie: identified, Review: porttest.NewReview(t, bare.ID, user.ID, 5, watched.Add(2*time.Hour))}},
	}
	res, err := db.Imports().SaveImportBatch(ctx, domain.ImportBatch{Job: job, Viewings: rows})
	if err != nil {
		t.Fatalf("SaveImportBatch: %v", err)
	}
	if len(res.Saved) != 2 || res.Job.Imported != 2 || res.Job.AlreadyPresent != 1 {
		t.Fatalf("SaveImportBatch saved %d, imported %d, present %d; want 2, 2, 1", len(res.Saved), res.Job.Imported, res.Job.AlreadyPresent)
	}
	if c := res.Saved[0].Change; c != domain.MovieCreated {
		t.Errorf("first row's change = %v, want MovieCreated", c)
	}
	if c, m := res.Saved[1].Change, res.Saved[1].Movie; c != domain.MovieIdentified || m.ID != bare.ID || m.ExternalID != identified.ExternalID {
		t.Errorf("second row: change %v, movie %v (%v); want MovieIdentified, %v (%v)", c, m.ID, m.ExternalID, bare.ID, identified.ExternalID)
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM movies`); n != 1 {
		t.Errorf("%d movies stored, want 1", n)
	}
	checkCountsExact(t, raw)
}
