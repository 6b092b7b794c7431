package application_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// importsStore is an application.ImportsRepository made of two mocks.
type importsStore struct {
	*mock.MockImportRepository
	*mock.MockMovieFinder
}

type importsHarness struct {
	jobs      *mock.MockImportRepository
	movies    *mock.MockMovieFinder
	users     *mock.MockUserRepository
	parser    *mock.MockImportParser
	publisher *mock.MockEventPublisher
	logs      *logRecorder
	uc        *application.Imports
}

// importLease is the lease the harness's use case claims jobs for.
const importLease = 2 * time.Minute

func newImportsHarness(t *testing.T) importsHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	logger, logs := newLogger()
	h := importsHarness{
		jobs:      mock.NewMockImportRepository(ctrl),
		movies:    mock.NewMockMovieFinder(ctrl),
		users:     mock.NewMockUserRepository(ctrl),
		parser:    mock.NewMockImportParser(ctrl),
		publisher: mock.NewMockEventPublisher(ctrl),
		logs:      logs,
	}
	h.uc = must(application.NewImports(importsStore{h.jobs, h.movies}, h.users, h.parser, h.publisher,
		application.ImportConfig{BatchSize: 2, Lease: importLease}, logger, clock))
	return h
}

// expectOwner makes id the owner.
func (h importsHarness) expectOwner(id domain.UserID) {
	h.users.EXPECT().Owner(gomock.Any()).Return(domain.User{ID: id}, nil).AnyTimes()
}

// importFiles are the files the tests upload.
var importFiles = []domain.ImportFile{{Name: "diary.csv", Data: []byte("Date,Name,Year\n")}}

// importRow builds a row of diary.csv: a film seen on a day.
func importRow(line int, externalID, title string, year int) domain.ImportRow {
	r := domain.ImportRow{
		File:      "diary.csv",
		Line:      line,
		Key:       domain.ImportRowKey(fmt.Sprintf("diary.csv:%d", line)),
		Title:     domain.MustNewMovieTitle(title),
		Year:      domain.MustNewReleaseYear(year),
		Rating:    domain.MustNewRating(3.5),
		WatchedAt: time.Date(2024, 3, line%28+1, 0, 0, 0, 0, time.UTC),
	}
	if externalID != "" {
		r.ExternalID = domain.MustParseExternalMetadataID(externalID)
	}
	return r
}

func TestNewImportsRejectsNilPortsAndBadConfig(t *testing.T) {
	ctrl := gomock.NewController(t)
	store := importsStore{mock.NewMockImportRepository(ctrl), mock.NewMockMovieFinder(ctrl)}
	users, parser, pub := mock.NewMockUserRepository(ctrl), mock.NewMockImportParser(ctrl), mock.NewMockEventPublisher(ctrl)
	_, err := application.NewImports(nil, users, nil, pub, application.ImportConfig{}, nil, nil)
	requireKind(t, err, application.ErrMissingDependency)
	_, err = application.NewImports(store, users, parser, pub, application.ImportConfig{BatchSize: -1}, nil, nil)
	requireKind(t, err, domain.ErrValidation)
	if _, err := application.NewImports(store, users, parser, pub, application.ImportConfig{}, nil, nil); err != nil {
		t.Fatalf("zero config: %v", err)
	}
}

func TestImportsStartValidatesBeforeAnything(t *testing.T) {
	h := newImportsHarness(t) // no port may be called
	_, err := h.uc.Start(t.Context(), application.ImportCommand{Actor: domain.NewUserID(), Source: "trakt"})
	requireFields(t, err, "file", "source")
}

func TestImportsStartStoresAQueuedJob(t *testing.T) {
	h := newImportsHarness(t)
	actor := domain.NewUserID()
	parsed := domain.ParsedImport{
		Source:   domain.ImportLetterboxd,
		Rows:     []domain.ImportRow{importRow(2, "", "Heat", 1995), importRow(3, "", "Alien", 1979)},
		Skipped:  1,
		Problems: []domain.ImportProblem{{File: "diary.csv", Line: 4, Reason: "bad rating"}},
	}
	h.parser.EXPECT().ParseImport(importFiles, domain.ImportSource(""), fixedNow).Return(parsed, nil)
	var stored domain.ImportJob
	h.jobs.EXPECT().CreateImportJob(gomock.Any(), gomock.Any(), importFiles).DoAndReturn(
		func(_ context.Context, j domain.ImportJob, _ []domain.ImportFile) error { stored = j; return nil })

	job, err := h.uc.Start(t.Context(), application.ImportCommand{Actor: actor, Files: importFiles, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if job.ID.IsZero() || job.User != actor || job.StartedBy != actor || job.State != domain.ImportQueued ||
		job.Source != domain.ImportLetterboxd || !job.DryRun || job.RowsTotal != 3 || job.RowsDone != 0 ||
		job.Skipped != 1 || !slices.Equal(job.Problems, parsed.Problems) || !job.CreatedAt.Equal(fixedNow) {
		t.Fatalf("job = %+v", job)
	}
	if stored.ID != job.ID || stored.RowsTotal != 3 {
		t.Fatalf("stored %+v, returned %+v", stored, job)
	}
}

func TestImportsStartAuthorisation(t *testing.T) {
	owner, other, target := domain.NewUserID(), domain.NewUserID(), domain.NewUserID()
	tests := []struct {
		name     string
		actor    domain.UserID
		user     domain.UserID
		expect   func(h importsHarness)
		wantUser domain.UserID
		wantErr  error
	}{
		{"own diary needs no owner", other, domain.UserID{}, func(importsHarness) {}, other, nil},
		{"own diary named", other, other, func(importsHarness) {}, other, nil},
		{"the owner imports for another user", owner, target, func(h importsHarness) {
			h.expectOwner(owner)
			h.users.EXPECT().UserByID(gomock.Any(), target).Return(domain.User{ID: target}, nil)
		}, target, nil},
		{"a non-owner may not", other, target, func(h importsHarness) { h.expectOwner(owner) }, domain.UserID{}, domain.ErrForbidden},
		{"no owner yet: nobody may", other, target, func(h importsHarness) {
			h.users.EXPECT().Owner(gomock.Any()).Return(domain.User{}, domain.ErrNotFound)
		}, domain.UserID{}, domain.ErrForbidden},
		{"an unknown user", owner, target, func(h importsHarness) {
			h.expectOwner(owner)
			h.users.EXPECT().UserByID(gomock.Any(), target).Return(domain.User{}, domain.ErrNotFound)
		}, domain.UserID{}, domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newImportsHarness(t)
			tt.expect(h)
			if tt.wantErr == nil {
				h.parser.EXPECT().ParseImport(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.ParsedImport{Source: domain.ImportIMDb}, nil)
				h.jobs.EXPECT().CreateImportJob(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
			}
			job, err := h.uc.Start(t.Context(), application.ImportCommand{Actor: tt.actor, User: tt.user, Files: importFiles, Source: "imdb"})
			if tt.wantErr != nil {
				requireKind(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if job.User != tt.wantUser || job.StartedBy != tt.actor {
				t.Fatalf("job user %v started by %v, want %v by %v", job.User, job.StartedBy, tt.wantUser, tt.actor)
			}
		})
	}
}

func TestImportsStartRefusesBadFilesBeforeStoring(t *testing.T) {
	h := newImportsHarness(t)
	bad := fmt.Errorf("%w: diary.csv: missing columns Name, Year", domain.ErrValidation)
	h.parser.EXPECT().ParseImport(gomock.Any(), domain.ImportLetterboxd, gomock.Any()).Return(domain.ParsedImport{}, bad)
	_, err := h.uc.Start(t.Context(), application.ImportCommand{Actor: domain.NewUserID(), Files: importFiles, Source: "Letterboxd"})
	if err != bad {
		t.Fatalf("error %v, want the parser's", err)
	}
}

func TestImportsStartSecondImportConflicts(t *testing.T) {
	h := newImportsHarness(t)
	h.parser.EXPECT().ParseImport(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.ParsedImport{Source: domain.ImportIMDb}, nil)
	h.jobs.EXPECT().CreateImportJob(gomock.Any(), gomock.Any(), gomock.Any()).Return(fmt.Errorf("store: %w", domain.ErrConflict))
	_, err := h.uc.Start(t.Context(), application.ImportCommand{Actor: domain.NewUserID(), Files: importFiles})
	if !errors.Is(err, application.ErrImportRunning) || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("error %v, want ErrImportRunning", err)
	}
}

func TestImportsJobIsShownToItsUserStarterAndOwner(t *testing.T) {
	owner, user, stranger := domain.NewUserID(), domain.NewUserID(), domain.NewUserID()
	job := domain.ImportJob{ID: domain.NewImportJobID(), User: user, StartedBy: owner, State: domain.ImportRunning}
	for _, tt := range []struct {
		name    string
		actor   domain.UserID
		wantErr error
	}{
		{"its user", user, nil},
		{"who started it", owner, nil},
		{"anyone else", stranger, domain.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newImportsHarness(t)
			h.jobs.EXPECT().ImportJob(gomock.Any(), job.ID).Return(job, nil)
			h.expectOwner(owner)
			got, err := h.uc.Job(t.Context(), tt.actor, job.ID)
			if tt.wantErr != nil {
				requireKind(t, err, tt.wantErr)
				return
			}
			if err != nil || got.ID != job.ID {
				t.Fatalf("Job = %+v, %v", got, err)
			}
		})
	}
	t.Run("the owner sees another's", func(t *testing.T) {
		h := newImportsHarness(t)
		other := job
		other.StartedBy = user
		h.jobs.EXPECT().ImportJob(gomock.Any(), job.ID).Return(other, nil)
		h.expectOwner(owner)
		if _, err := h.uc.Job(t.Context(), owner, job.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an unknown job", func(t *testing.T) {
		h := newImportsHarness(t)
		h.jobs.EXPECT().ImportJob(gomock.Any(), job.ID).Return(domain.ImportJob{}, domain.ErrNotFound)
		_, err := h.uc.Job(t.Context(), user, job.ID)
		requireKind(t, err, domain.ErrNotFound)
	})
}

// runningJob is a claimed job of rows rows, done up to done.
func runningJob(rows, done int, dryRun bool) domain.ImportJob {
	return domain.ImportJob{
		ID: domain.NewImportJobID(), User: domain.NewUserID(), Source: domain.ImportLetterboxd, DryRun: dryRun,
		State: domain.ImportRunning, RowsTotal: rows, RowsDone: done, CreatedAt: fixedNow.Add(-time.Hour),
	}
}

// expectClaim makes the claim of job succeed and the job and its files
// readable, parsing to rows.
func (h importsHarness) expectClaim(job domain.ImportJob, rows []domain.ImportRow) {
	h.jobs.EXPECT().ClaimImportJob(gomock.Any(), job.ID, fixedNow, fixedNow.Add(importLease)).Return(true, nil)
	h.jobs.EXPECT().ImportJob(gomock.Any(), job.ID).Return(job, nil)
	h.jobs.EXPECT().ImportFiles(gomock.Any(), job.ID).Return(importFiles, nil)
	h.parser.EXPECT().ParseImport(importFiles, job.Source, job.CreatedAt).Return(domain.ParsedImport{Source: job.Source, Rows: rows}, nil)
}

// batchRecorder answers SaveImportBatch as a store that finds nothing
// present, recording the batches.
type batchRecorder struct {
	batches []domain.ImportBatch
}

func (r *batchRecorder) save(_ context.Context, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	b.Viewings = slices.Clone(b.Viewings)
	r.batches = append(r.batches, b)
	res := domain.ImportBatchResult{Job: b.Job}
	for _, v := range b.Viewings {
		res.Job.Imported++
		if v.Viewing.Movie.ExternalID.IsZero() {
			res.Job.Unmatched++
		}
		rv := v.Viewing.Review
		rv.MovieID = v.Viewing.Movie.ID
		res.Saved = append(res.Saved, domain.SavedViewing{Movie: v.Viewing.Movie, Change: domain.MovieCreated, Review: rv})
		res.Events = append(res.Events, domain.NewReviewLogged(rv, fixedNow))
	}
	return res, nil
}

// keys returns the row keys of b.
func keys(b domain.ImportBatch) []domain.ImportRowKey {
	var out []domain.ImportRowKey
	for _, v := range b.Viewings {
		out = append(out, v.Key)
	}
	return out
}

func TestImportsRunResumesAfterTheRowsDone(t *testing.T) {
	h := newImportsHarness(t)
	rows := []domain.ImportRow{
		importRow(2, "", "Heat", 1995), importRow(3, "", "Alien", 1979), importRow(4, "", "Brazil", 1985),
		importRow(5, "", "Ran", 1985), importRow(6, "", "Ikiru", 1952),
	}
	job := runningJob(5, 2, false)
	job.Imported = 2
	h.expectClaim(job, rows)
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, nil).Times(3)
	rec := &batchRecorder{}
	h.jobs.EXPECT().SaveImportBatch(gomock.Any(), gomock.Any()).DoAndReturn(rec.save).Times(2)
	h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(nil).Times(3)
	var final domain.ImportJob
	h.jobs.EXPECT().UpdateImportJob(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, j domain.ImportJob) error { final = j; return nil })

	var seen []int
	got, err := h.uc.Run(t.Context(), job.ID, func(j domain.ImportJob) { seen = append(seen, j.RowsDone) })
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.batches) != 2 ||
		!slices.Equal(keys(rec.batches[0]), []domain.ImportRowKey{"diary.csv:4", "diary.csv:5"}) ||
		!slices.Equal(keys(rec.batches[1]), []domain.ImportRowKey{"diary.csv:6"}) {
		t.Fatalf("batches %v", rec.batches)
	}
	b := rec.batches[0]
	if b.Job.RowsDone != 4 || b.Job.Imported != 2 || b.Job.State != domain.ImportRunning || !b.ClaimUntil.Equal(fixedNow.Add(importLease)) {
		t.Fatalf("first batch job %+v, claim until %v", b.Job, b.ClaimUntil)
	}
	if rec.batches[1].Job.Imported != 4 {
		t.Fatalf("second batch does not carry the first's counts: %+v", rec.batches[1].Job)
	}
	if !slices.Equal(seen, []int{4, 5}) {
		t.Fatalf("progress saw %v", seen)
	}
	if final.State != domain.ImportDone || final.RowsDone != 5 || final.Imported != 5 || final.Unmatched != 3 || got.State != domain.ImportDone {
		t.Fatalf("final job %+v, returned %+v", final, got)
	}
	for _, v := range rec.batches[0].Viewings {
		r := v.Viewing.Review
		if r.UserID != job.User || !r.CreatedAt.Equal(fixedNow) || r.ID.IsZero() || r.MovieID != v.Viewing.Movie.ID {
			t.Fatalf("review %+v", r)
		}
	}
}

// TestImportsRunMatchesMoviesWithoutTheMetadataSource: every way a row
// finds its movie, looked up once per run, never two movies for one film.
func TestImportsRunMatchesMoviesWithoutTheMetadataSource(t *testing.T) {
	h := newImportsHarness(t)
	stored := mustMovie("tt0113277", "Heat", 1995, "Michael Mann")
	manual := mustMovie("", "Alien", 1979, "")
	otherFilm := mustMovie("tt0000009", "Solaris", 1972, "")
	exported := mustMovie("tt0078748", "Stalker", 1979, "Andrei Tarkovsky")
	reviewID, created := domain.NewReviewID(), time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

	moviediaryRow := importRow(9, "tt0078748", "Stalker", 1979)
	moviediaryRow.MovieID, moviediaryRow.ReviewID, moviediaryRow.CreatedAt = exported.ID, reviewID, created
	moviediaryRow.Director = exported.Director
	future := importRow(10, "", "Tomorrow", 2020)
	future.WatchedAt = fixedNow.Add(time.Hour)
	alien := importRow(4, "tt0078749", "Alien", 1979)
	alien.Director = must(domain.NewDirector("Ridley Scott"))
	rows := []domain.ImportRow{
		importRow(2, "tt0113277", "Heat", 1995),    // stored by IMDb ID
		importRow(3, "", "HEAT", 1995),             // by title: the stored movie, IMDb ID and all
		alien,                                      // not stored by ID: the manual movie gets it, and its director
		importRow(5, "", "alien", 1979),            // the same movie, from the cache
		importRow(6, "tt0069293", "Solaris", 1972), // another IMDb title's movie is not it: new
		importRow(7, "", "Brazil", 1985),           // nothing stored: new, without IMDb ID
		importRow(8, "", "Brazil", 1985),           // the new one again
		moviediaryRow,                              // a moviediary export: its movie and review
		future,                                     // refused: a problem
		importRow(11, "tt0113277", "Heat", 1995),   // the cache again
	}
	job := runningJob(len(rows), 0, false)
	h.expectClaim(job, rows)
	h.movies.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil)
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), domain.MustNewMovieTitle("HEAT"), stored.ReleaseYear).Return([]domain.Movie{stored}, nil)
	h.movies.EXPECT().MovieByExternalID(gomock.Any(), domain.MustParseExternalMetadataID("tt0078749")).Return(domain.Movie{}, domain.ErrNotFound)
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), manual.Title, manual.ReleaseYear).Return([]domain.Movie{manual}, nil)
	h.movies.EXPECT().MovieByExternalID(gomock.Any(), domain.MustParseExternalMetadataID("tt0069293")).Return(domain.Movie{}, domain.ErrNotFound)
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), otherFilm.Title, otherFilm.ReleaseYear).Return([]domain.Movie{otherFilm}, nil)
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), domain.MustNewMovieTitle("Brazil"), domain.MustNewReleaseYear(1985)).Return(nil, nil)
	rec := &batchRecorder{}
	h.jobs.EXPECT().SaveImportBatch(gomock.Any(), gomock.Any()).DoAndReturn(rec.save).Times(5)
	h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	var final domain.ImportJob
	h.jobs.EXPECT().UpdateImportJob(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, j domain.ImportJob) error { final = j; return nil })

	if _, err := h.uc.Run(t.Context(), job.ID, nil); err != nil {
		t.Fatal(err)
	}
	movies := map[domain.ImportRowKey]domain.Movie{}
	reviews := map[domain.ImportRowKey]domain.Review{}
	for _, b := range rec.batches {
		for _, v := range b.Viewings {
			movies[v.Key] = v.Viewing.Movie
			reviews[v.Key] = v.Viewing.Review
		}
	}
	m := func(line int) domain.Movie { return movies[domain.ImportRowKey(fmt.Sprintf("diary.csv:%d", line))] }
	if m(2) != stored || m(3) != stored || m(11) != stored {
		t.Errorf("Heat rows: %v %v %v, want the stored movie", m(2), m(3), m(11))
	}
	if m(4).ID != manual.ID || m(4).ExternalID.String() != "tt0078749" || m(4).Director.String() != "Ridley Scott" || m(5) != m(4) {
		t.Errorf("Alien rows: %+v %+v, want the manual movie holding tt0078749 and the row's director", m(4), m(5))
	}
	if m(6).ID == otherFilm.ID || m(6).ExternalID.String() != "tt0069293" {
		t.Errorf("Solaris row: %+v, want a new movie", m(6))
	}
	if !m(7).ExternalID.IsZero() || m(7).ID != m(8).ID {
		t.Errorf("Brazil rows: %+v %+v, want one new movie without IMDb ID", m(7), m(8))
	}
	if m(9) != exported {
		t.Errorf("moviediary row: %+v, want %+v", m(9), exported)
	}
	if r := reviews["diary.csv:9"]; r.ID != reviewID || !r.CreatedAt.Equal(created) {
		t.Errorf("moviediary review %+v, want ID %v created %v", r, reviewID, created)
	}
	if _, ok := movies["diary.csv:10"]; ok {
		t.Error("the future row was stored")
	}
	if final.Skipped != 1 || len(final.Problems) != 1 || final.Problems[0].Line != 10 || final.Imported != 9 || final.Unmatched != 2 || final.RowsDone != 10 {
		t.Errorf("final job %+v", final)
	}
}

func TestImportsDryRunWritesNothingButTheJob(t *testing.T) {
	h := newImportsHarness(t)
	rows := []domain.ImportRow{importRow(2, "tt0113277", "Heat", 1995), importRow(3, "", "Brazil", 1985), importRow(4, "", "Ran", 1985)}
	job := runningJob(3, 0, true)
	h.expectClaim(job, rows)
	h.movies.EXPECT().MovieByExternalID(gomock.Any(), gomock.Any()).Return(domain.Movie{}, domain.ErrNotFound)
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, nil).Times(3)
	gomock.InOrder(
		h.jobs.EXPECT().PresentImportRows(gomock.Any(), job.User, gomock.Len(2)).Return([]bool{true, false}, nil),
		h.jobs.EXPECT().UpdateImportJob(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, j domain.ImportJob) error {
			if j.RowsDone != 2 || j.AlreadyPresent != 1 || j.Imported != 1 || j.Unmatched != 1 || j.State != domain.ImportRunning {
				t.Errorf("progress %+v", j)
			}
			return nil
		}),
		h.jobs.EXPECT().PresentImportRows(gomock.Any(), job.User, gomock.Len(1)).Return([]bool{false}, nil),
		h.jobs.EXPECT().UpdateImportJob(gomock.Any(), gomock.Any()).Return(nil),
		h.jobs.EXPECT().UpdateImportJob(gomock.Any(), gomock.Any()).Return(nil),
	)
	// No SaveImportBatch, no Publish: the mocks fail on them.
	got, err := h.uc.Run(t.Context(), job.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.ImportDone || got.Imported != 2 || got.AlreadyPresent != 1 || got.Unmatched != 2 {
		t.Fatalf("job %+v", got)
	}
}

func TestImportsRunClaimedElsewhere(t *testing.T) {
	h := newImportsHarness(t)
	job := runningJob(3, 1, false)
	h.jobs.EXPECT().ClaimImportJob(gomock.Any(), job.ID, gomock.Any(), gomock.Any()).Return(false, nil)
	h.jobs.EXPECT().ImportJob(gomock.Any(), job.ID).Return(job, nil)
	got, err := h.uc.Run(t.Context(), job.ID, nil)
	if !errors.Is(err, application.ErrImportClaimed) || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("error %v, want ErrImportClaimed", err)
	}
	if got.ID != job.ID || got.RowsDone != 1 {
		t.Fatalf("job %+v, want it as stored", got)
	}
}

func TestImportsRunOfAnEndedJobReturnsIt(t *testing.T) {
	h := newImportsHarness(t)
	job := runningJob(3, 3, false)
	job.State = domain.ImportDone
	h.jobs.EXPECT().ClaimImportJob(gomock.Any(), job.ID, gomock.Any(), gomock.Any()).Return(false, nil)
	h.jobs.EXPECT().ImportJob(gomock.Any(), job.ID).Return(job, nil)
	if got, err := h.uc.Run(t.Context(), job.ID, nil); err != nil || got.State != domain.ImportDone {
		t.Fatalf("Run = %+v, %v", got, err)
	}
}

func TestImportsRunStopsOnAFailingStoreAndLeavesTheJobRunning(t *testing.T) {
	h := newImportsHarness(t)
	rows := []domain.ImportRow{importRow(2, "", "Heat", 1995)}
	job := runningJob(1, 0, false)
	h.expectClaim(job, rows)
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, nil)
	h.jobs.EXPECT().SaveImportBatch(gomock.Any(), gomock.Any()).Return(domain.ImportBatchResult{}, fmt.Errorf("db: %w", domain.ErrInfrastructure))
	// No UpdateImportJob: the job stays running, to resume.
	got, err := h.uc.Run(t.Context(), job.ID, nil)
	requireKind(t, err, domain.ErrInfrastructure)
	if got.State != domain.ImportRunning || got.RowsDone != 0 {
		t.Fatalf("job %+v", got)
	}
}

func TestImportsRunStopsWhenTheContextEnds(t *testing.T) {
	h := newImportsHarness(t)
	rows := []domain.ImportRow{importRow(2, "", "Heat", 1995), importRow(3, "", "Alien", 1979), importRow(4, "", "Ran", 1985)}
	job := runningJob(3, 0, false)
	h.expectClaim(job, rows)
	ctx, cancel := context.WithCancel(t.Context())
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, nil).Times(2)
	rec := &batchRecorder{}
	h.jobs.EXPECT().SaveImportBatch(gomock.Any(), gomock.Any()).DoAndReturn(rec.save)
	h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(nil).Times(2)
	_, err := h.uc.Run(ctx, job.ID, func(domain.ImportJob) { cancel() })
	requireKind(t, err, context.Canceled)
	if len(rec.batches) != 1 {
		t.Fatalf("%d batches stored after the context ended", len(rec.batches))
	}
}

func TestImportsRunFailsAJobWhoseFilesCannotBeRead(t *testing.T) {
	h := newImportsHarness(t)
	job := runningJob(3, 0, false)
	h.jobs.EXPECT().ClaimImportJob(gomock.Any(), job.ID, gomock.Any(), gomock.Any()).Return(true, nil)
	h.jobs.EXPECT().ImportJob(gomock.Any(), job.ID).Return(job, nil)
	h.jobs.EXPECT().ImportFiles(gomock.Any(), job.ID).Return(nil, nil)
	h.parser.EXPECT().ParseImport(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.ParsedImport{}, fmt.Errorf("%w: no file", domain.ErrValidation))
	h.jobs.EXPECT().UpdateImportJob(gomock.Any(), gomock.Any()).Return(nil)
	got, err := h.uc.Run(t.Context(), job.ID, nil)
	if err != nil || got.State != domain.ImportFailed || got.Error == "" {
		t.Fatalf("Run = %+v, %v", got, err)
	}
}

func TestImportsWorkRunsActiveJobsUntilTheContextEnds(t *testing.T) {
	h := newImportsHarness(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	job := runningJob(1, 0, false)
	wake := make(chan struct{})
	gomock.InOrder(
		h.jobs.EXPECT().ActiveImportJobs(gomock.Any()).Return([]domain.ImportJob{job}, nil),
		h.jobs.EXPECT().ClaimImportJob(gomock.Any(), job.ID, gomock.Any(), gomock.Any()).Return(false, nil),
		h.jobs.EXPECT().ImportJob(gomock.Any(), job.ID).Return(job, nil),
		h.jobs.EXPECT().ActiveImportJobs(gomock.Any()).Return(nil, fmt.Errorf("db: %w", domain.ErrInfrastructure)),
		h.jobs.EXPECT().ActiveImportJobs(gomock.Any()).DoAndReturn(func(context.Context) ([]domain.ImportJob, error) {
			cancel()
			return nil, nil
		}),
	)
	done := make(chan error, 1)
	go func() { done <- h.uc.Work(ctx, wake, 0) }()
	wake <- struct{}{}
	wake <- struct{}{}
	if err := <-done; err != nil {
		t.Fatalf("Work = %v, want nil once ctx ends", err)
	}
	if len(h.logs.at(slog.LevelError)) != 1 {
		t.Errorf("want the failed listing logged at ERROR once")
	}
}

// TestImportsRunReusesTheMovieTheStoreKept: when another runner stored the
// same IMDb ID first, the store keeps its movie, and the later rows use it.
func TestImportsRunReusesTheMovieTheStoreKept(t *testing.T) {
	h := newImportsHarness(t)
	rows := []domain.ImportRow{importRow(2, "tt0113277", "Heat", 1995), importRow(3, "", "Ran", 1985), importRow(4, "tt0113277", "Heat", 1995)}
	job := runningJob(3, 0, false)
	h.expectClaim(job, rows)
	h.movies.EXPECT().MovieByExternalID(gomock.Any(), heatID).Return(domain.Movie{}, domain.ErrNotFound)
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, nil).Times(2)
	canonical := mustMovie("tt0113277", "Heat", 1995, "Michael Mann")
	rec := &batchRecorder{}
	h.jobs.EXPECT().SaveImportBatch(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, b domain.ImportBatch) (domain.ImportBatchResult, error) {
		res, err := rec.save(ctx, b)
		for i := range res.Saved {
			if res.Saved[i].Movie.ExternalID == heatID {
				res.Saved[i].Movie = canonical
			}
		}
		return res, err
	}).Times(2)
	h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	h.jobs.EXPECT().UpdateImportJob(gomock.Any(), gomock.Any()).Return(nil)
	if _, err := h.uc.Run(t.Context(), job.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := rec.batches[1].Viewings[0].Viewing.Movie; got != canonical {
		t.Fatalf("the second batch's Heat is %+v, want the stored %+v", got, canonical)
	}
}

func TestImportsRunStoresARefusedBatchRowByRowSkippingOnlyTheRefusedRow(t *testing.T) {
	h := newImportsHarness(t)
	rows := []domain.ImportRow{importRow(2, "", "Heat", 1995), importRow(3, "", "Alien", 1979), importRow(4, "", "Ran", 1985)}
	job := runningJob(3, 0, false)
	h.expectClaim(job, rows)
	h.movies.EXPECT().MoviesByTitleYear(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, nil).Times(3)
	rec := &batchRecorder{}
	var steps []domain.ImportBatch
	h.jobs.EXPECT().SaveImportBatch(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, b domain.ImportBatch) (domain.ImportBatchResult, error) {
		steps = append(steps, b)
		for _, v := range b.Viewings {
			if v.Viewing.Movie.Title.String() == "Alien" {
				return domain.ImportBatchResult{}, fmt.Errorf("movie stored with another IMDb ID: %w", domain.ErrConflict)
			}
		}
		return rec.save(ctx, b)
	}).Times(4) // the first batch of two, each of its rows, the second batch
	h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(nil).Times(2)
	var final domain.ImportJob
	h.jobs.EXPECT().UpdateImportJob(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, j domain.ImportJob) error {
		final = j
		return nil
	}).Times(2) // after the refused row, the last of its batch; at the end
	got, err := h.uc.Run(t.Context(), job.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Imported != 2 || got.Skipped != 1 || len(got.Problems) != 1 || got.Problems[0].Line != 3 || got.State != domain.ImportDone {
		t.Fatalf("job %+v, want 2 imported and row 3 skipped and listed", got)
	}
	if final.Imported != 2 || final.RowsDone != 3 {
		t.Fatalf("stored job %+v", final)
	}
	// Until the last row the progress stays before the batch, so a crash
	// part way redoes it.
	if steps[1].Job.RowsDone != 0 || steps[3].Job.RowsDone != 3 {
		t.Fatalf("row-by-row progress %d, %d; want 0 then 3", steps[1].Job.RowsDone, steps[3].Job.RowsDone)
	}
}
