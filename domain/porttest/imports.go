package porttest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// importStore is what a TestImportRepository subtest works on: three ports
// of one store.
type importStore struct {
	imports domain.ImportRepository
	movies  domain.MovieRepository
	users   domain.UserRepository
}

// TestImportRepository runs the ImportRepository contract. newStore must
// return a new, empty store each time, as the three ports it holds — the
// import jobs, and the movies and users they refer to; it is called once
// per subtest. The suite saves the importing users through the
// UserRepository first, so a store may refer to them.
//
// The suite pins CreateImportJob with the round trip of a job and its
// files, ErrConflict for a second active job of one user (also when many
// are created at once) while an ended job allows a new one;
// ActiveImportJobs' order; ClaimImportJob (one claimer, a lapsed claim
// taken over, an ended job never claimed); UpdateImportJob (every field it
// writes, an ended job's files dropped, ErrNotFound); and SaveImportBatch:
// the viewings stored with their keys and movies resolved as SaveViewing
// resolves them (one movie per IMDb ID, a movie identified given the
// viewing's director when it has none), domain.ImportEvents of each saved
// viewing occurring at its review's created_at, rows whose key the user
// holds or whose review ID is stored found already present and counted in
// the job as stored, keys scoped to their user, and PresentImportRows
// agreeing with it.
func TestImportRepository(t *testing.T, newStore func(t *testing.T) (domain.ImportRepository, domain.MovieRepository, domain.UserRepository)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s importStore)
	}{
		{"a created job and its files round-trip", testImportJobRoundTrip},
		{"an unknown job is not found", testImportJobNotFound},
		{"a user has one active job at a time", testImportJobOneActive},
		{"of concurrent creations for one user exactly one succeeds", testImportJobConcurrentCreate},
		{"UpdateImportJob writes progress, problems and error", testImportJobUpdate},
		{"an ended job loses its files", testImportJobEndDropsFiles},
		{"ActiveImportJobs lists queued and running jobs oldest first", testActiveImportJobs},
		{"ClaimImportJob claims an active job once until its claim lapses", testClaimImportJob},
		{"of concurrent claims exactly one succeeds", testClaimImportJobConcurrent},
		{"SaveImportBatch stores viewings, their movies and their events", testSaveImportBatch},
		{"SaveImportBatch finds the same keys already present", testImportBatchSameKeys},
		{"SaveImportBatch finds a stored review ID already present", testImportBatchStoredReview},
		{"SaveImportBatch resolves one movie per film", testImportBatchOneMovie},
		{"SaveImportBatch gives a movie it identifies a missing director", testImportBatchIdentifiedDirector},
		{"SaveImportBatch of an unknown job is not found and stores nothing", testImportBatchUnknownJob},
		{"PresentImportRows agrees with SaveImportBatch", testPresentImportRows},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			imports, movies, users := newStore(t)
			tc.run(t, importStore{imports: imports, movies: movies, users: users})
		})
	}
}

// TestImportRepositoryOutbox runs the part of the ImportRepository
// contract that concerns outbox mode. newStore must return a new, empty
// outbox, an import repository in outbox mode on the same store and the
// store's users; it is called once per subtest.
//
// The suite pins that the events SaveImportBatch returns are in the outbox
// once it returns, in order and unchanged, and that rows found already
// present store none.
func TestImportRepositoryOutbox(t *testing.T, newStore func(t *testing.T) (domain.Outbox, domain.ImportRepository, domain.UserRepository)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, ob domain.Outbox, s importStore)
	}{
		{"a batch's events are in the outbox, unchanged", testImportOutboxEvents},
		{"rows already present store no event", testImportOutboxPresent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ob, imports, users := newStore(t)
			tc.run(t, ob, importStore{imports: imports, users: users})
		})
	}
}

// importTime is when the suite's jobs are created.
var importTime = FixtureTime.Add(time.Hour)

// newImportUser stores a new user and returns its ID.
func newImportUser(t *testing.T, s importStore) domain.UserID {
	t.Helper()
	u := NewUser(t, fmt.Sprintf("importer-%s@example.com", domain.NewUserID().String()[24:]))
	mustSaveUser(t, s.users, u)
	return u.ID
}

// newImportJob returns a queued job of user created at created.
func newImportJob(user domain.UserID, created time.Time) domain.ImportJob {
	return domain.ImportJob{
		ID: domain.NewImportJobID(), User: user, StartedBy: user, Source: domain.ImportLetterboxd,
		State: domain.ImportQueued, RowsTotal: 3, CreatedAt: created, UpdatedAt: created,
	}
}

// importFiles returns two files with distinct content.
func importFiles() []domain.ImportFile {
	return []domain.ImportFile{
		{Name: "diary.csv", Data: []byte("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n2024-01-02,Ran,1985,https://boxd.it/x,4.5,,,2024-01-01\n")},
		{Name: "ratings.csv", Data: []byte{0xef, 0xbb, 0xbf, 'D', 'a', 't', 'e', '\r', '\n', 0}},
	}
}

func mustCreateJob(t *testing.T, s importStore, job domain.ImportJob, files []domain.ImportFile) {
	t.Helper()
	if err := s.imports.CreateImportJob(t.Context(), job, files); err != nil {
		t.Fatalf("CreateImportJob(%v): %v", job.ID, err)
	}
}

func mustImportJob(t *testing.T, s importStore, id domain.ImportJobID) domain.ImportJob {
	t.Helper()
	job, err := s.imports.ImportJob(t.Context(), id)
	if err != nil {
		t.Fatalf("ImportJob(%v): %v", id, err)
	}
	return job
}

func mustUpdateJob(t *testing.T, s importStore, job domain.ImportJob) {
	t.Helper()
	if err := s.imports.UpdateImportJob(t.Context(), job); err != nil {
		t.Fatalf("UpdateImportJob(%v, %s): %v", job.ID, job.State, err)
	}
}

func mustClaimJob(t *testing.T, s importStore, id domain.ImportJobID, now, until time.Time, want bool) {
	t.Helper()
	got, err := s.imports.ClaimImportJob(t.Context(), id, now, until)
	if err != nil {
		t.Fatalf("ClaimImportJob(%v): %v", id, err)
	}
	if got != want {
		t.Errorf("ClaimImportJob(%v, now %s, until %s) = %v, want %v", id, now.Format(time.TimeOnly), until.Format(time.TimeOnly), got, want)
	}
}

func mustSaveBatch(t *testing.T, s importStore, b domain.ImportBatch) domain.ImportBatchResult {
	t.Helper()
	res, err := s.imports.SaveImportBatch(t.Context(), b)
	if err != nil {
		t.Fatalf("SaveImportBatch(%d viewings): %v", len(b.Viewings), err)
	}
	return res
}

func checkImportFiles(t *testing.T, s importStore, id domain.ImportJobID, want []domain.ImportFile) {
	t.Helper()
	got, err := s.imports.ImportFiles(t.Context(), id)
	if err != nil {
		t.Fatalf("ImportFiles(%v): %v", id, err)
	}
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].Name == want[i].Name && string(got[i].Data) == string(want[i].Data)
	}
	if !same {
		names := func(fs []domain.ImportFile) []string {
			out := make([]string, len(fs))
			for i, f := range fs {
				out[i] = fmt.Sprintf("%s (%d bytes)", f.Name, len(f.Data))
			}
			return out
		}
		t.Errorf("ImportFiles = %v, want %v with the same bytes", names(got), names(want))
	}
}

// checkImportJob compares every field; times must be equal instants in UTC.
func checkImportJob(t *testing.T, what string, got, want domain.ImportJob) {
	t.Helper()
	same := got.ID == want.ID && got.User == want.User && got.StartedBy == want.StartedBy && got.Source == want.Source &&
		got.DryRun == want.DryRun && got.State == want.State && got.RowsTotal == want.RowsTotal && got.RowsDone == want.RowsDone &&
		got.Imported == want.Imported && got.AlreadyPresent == want.AlreadyPresent && got.Skipped == want.Skipped &&
		got.Unmatched == want.Unmatched && slices.Equal(got.Problems, want.Problems) && got.ProblemsMore == want.ProblemsMore &&
		got.Error == want.Error && got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt)
	if !same {
		t.Errorf("%s =\n %s,\nwant\n %s", what, describeImportJob(got), describeImportJob(want))
	}
	if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("%s times are in %v and %v, want UTC", what, got.CreatedAt.Location(), got.UpdatedAt.Location())
	}
}

func describeImportJob(j domain.ImportJob) string {
	return fmt.Sprintf("{ID %v, User %v, StartedBy %v, Source %q, DryRun %v, State %s, rows %d/%d, imported %d, present %d, skipped %d, unmatched %d, problems %v +%d, error %q, created %s, updated %s}",
		j.ID, j.User, j.StartedBy, j.Source, j.DryRun, j.State, j.RowsDone, j.RowsTotal, j.Imported, j.AlreadyPresent, j.Skipped,
		j.Unmatched, j.Problems, j.ProblemsMore, j.Error, j.CreatedAt.Format(time.RFC3339Nano), j.UpdatedAt.Format(time.RFC3339Nano))
}

func testImportJobRoundTrip(t *testing.T, s importStore) {
	owner, user := newImportUser(t, s), newImportUser(t, s)
	job := newImportJob(user, importTime)
	job.StartedBy = owner
	job.Source = domain.ImportIMDb
	job.DryRun = true
	job.RowsTotal = 120_000
	files := importFiles()
	mustCreateJob(t, s, job, files)
	checkImportJob(t, "ImportJob", mustImportJob(t, s, job.ID), job)
	checkImportFiles(t, s, job.ID, files)

	bare := newImportJob(newImportUser(t, s), importTime)
	bare.Source = ""
	bare.RowsTotal = 0
	mustCreateJob(t, s, bare, nil)
	checkImportJob(t, "ImportJob without source or files", mustImportJob(t, s, bare.ID), bare)
	checkImportFiles(t, s, bare.ID, nil)
}

func testImportJobNotFound(t *testing.T, s importStore) {
	ctx := t.Context()
	mustCreateJob(t, s, newImportJob(newImportUser(t, s), importTime), importFiles())
	unknown := newImportJob(newImportUser(t, s), importTime)
	if _, err := s.imports.ImportJob(ctx, unknown.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ImportJob(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := s.imports.ImportFiles(ctx, unknown.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ImportFiles(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := s.imports.ClaimImportJob(ctx, unknown.ID, importTime, importTime.Add(time.Minute)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ClaimImportJob(unknown) error = %v, want ErrNotFound", err)
	}
	unknown.State = domain.ImportDone
	if err := s.imports.UpdateImportJob(ctx, unknown); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UpdateImportJob(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := s.imports.ImportJob(ctx, unknown.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ImportJob after UpdateImportJob(unknown) error = %v, want ErrNotFound: nothing is stored", err)
	}
}

func testImportJobOneActive(t *testing.T, s importStore) {
	ctx := t.Context()
	user := newImportUser(t, s)
	first := newImportJob(user, importTime)
	mustCreateJob(t, s, first, importFiles())

	second := newImportJob(user, importTime.Add(time.Minute))
	second.StartedBy = newImportUser(t, s)
	if err := s.imports.CreateImportJob(ctx, second, importFiles()); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("CreateImportJob(second queued job of the user) error = %v, want ErrConflict", err)
	}
	if _, err := s.imports.ImportJob(ctx, second.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ImportJob(refused job) error = %v, want ErrNotFound", err)
	}
	mustCreateJob(t, s, newImportJob(newImportUser(t, s), importTime), importFiles())

	mustClaimJob(t, s, first.ID, importTime, importTime.Add(time.Hour), true)
	if err := s.imports.CreateImportJob(ctx, second, importFiles()); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("CreateImportJob(second job, the first running) error = %v, want ErrConflict", err)
	}

	for _, end := range []domain.ImportState{domain.ImportDone, domain.ImportFailed} {
		t.Run("after the first is "+string(end), func(t *testing.T) {
			active := mustImportJob(t, s, first.ID)
			ended := active
			ended.State = end
			mustUpdateJob(t, s, ended)
			next := newImportJob(user, importTime.Add(2*time.Minute))
			mustCreateJob(t, s, next, importFiles())
			checkImportJob(t, "ImportJob(new job)", mustImportJob(t, s, next.ID), next)
			first = next
		})
	}
}

func testImportJobConcurrentCreate(t *testing.T, s importStore) {
	const n = 12
	user := newImportUser(t, s)
	jobs := make([]domain.ImportJob, n)
	errs := make([]error, n)
	for i := range jobs {
		jobs[i] = newImportJob(user, importTime.Add(time.Duration(i)*time.Second))
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.imports.CreateImportJob(t.Context(), jobs[i], importFiles())
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, domain.ErrConflict):
			t.Errorf("CreateImportJob #%d: %v, want nil or ErrConflict", i, err)
		}
	}
	if created != 1 {
		t.Errorf("%d of %d concurrent CreateImportJob calls for one user succeeded, want exactly 1", created, n)
	}
	active, err := s.imports.ActiveImportJobs(t.Context())
	if err != nil {
		t.Fatalf("ActiveImportJobs: %v", err)
	}
	if len(active) != 1 {
		t.Errorf("ActiveImportJobs lists %d jobs, want 1", len(active))
	}
}

func testImportJobUpdate(t *testing.T, s importStore) {
	job := newImportJob(newImportUser(t, s), importTime)
	job.RowsTotal = 2500
	mustCreateJob(t, s, job, importFiles())

	updated := job
	updated.State = domain.ImportRunning
	updated.RowsDone, updated.Imported, updated.AlreadyPresent, updated.Skipped, updated.Unmatched = 1500, 1200, 200, 100, 40
	updated.Problems = []domain.ImportProblem{
		{File: "diary.csv", Line: 7, Reason: "bad rating \"6\""},
		{File: "letterboxd.zip/extra.txt", Line: 0, Reason: "unknown file, ignored"},
		{File: "diary.csv", Line: 9, Reason: "ragged row: «8 cells», want 9"},
	}
	updated.ProblemsMore = 3
	updated.UpdatedAt = importTime.Add(90 * time.Second)
	// What UpdateImportJob does not write.
	changed := updated
	changed.User, changed.StartedBy = domain.NewUserID(), domain.NewUserID()
	changed.Source, changed.DryRun = domain.ImportMoviediary, true
	changed.CreatedAt = importTime.Add(time.Hour)
	mustUpdateJob(t, s, changed)
	checkImportJob(t, "ImportJob after an update", mustImportJob(t, s, job.ID), updated)
	checkImportFiles(t, s, job.ID, importFiles())

	failed := updated
	failed.State = domain.ImportFailed
	failed.Error = "the files could not be read: diary.csv: missing columns Name, Year"
	failed.Problems = nil
	failed.ProblemsMore = 0
	failed.UpdatedAt = importTime.Add(2 * time.Minute)
	mustUpdateJob(t, s, failed)
	checkImportJob(t, "ImportJob after failing", mustImportJob(t, s, job.ID), failed)
}

func testImportJobEndDropsFiles(t *testing.T, s importStore) {
	for _, end := range []domain.ImportState{domain.ImportDone, domain.ImportFailed} {
		t.Run(string(end), func(t *testing.T) {
			job := newImportJob(newImportUser(t, s), importTime)
			mustCreateJob(t, s, job, importFiles())
			running := job
			running.State = domain.ImportRunning
			mustUpdateJob(t, s, running)
			checkImportFiles(t, s, job.ID, importFiles())
			ended := running
			ended.State = end
			ended.RowsDone = ended.RowsTotal
			mustUpdateJob(t, s, ended)
			checkImportFiles(t, s, job.ID, nil)
			checkImportJob(t, "ImportJob after ending", mustImportJob(t, s, job.ID), ended)
			mustClaimJob(t, s, job.ID, importTime, importTime.Add(time.Minute), false)
		})
	}
}

func testActiveImportJobs(t *testing.T, s importStore) {
	// Created in an order unrelated to their creation times.
	offsets := []time.Duration{3 * time.Minute, time.Minute, 5 * time.Minute, 2 * time.Minute, 4 * time.Minute}
	jobs := make([]domain.ImportJob, len(offsets))
	for i, off := range offsets {
		jobs[i] = newImportJob(newImportUser(t, s), importTime.Add(off))
		mustCreateJob(t, s, jobs[i], importFiles())
	}
	mustClaimJob(t, s, jobs[1].ID, importTime, importTime.Add(time.Hour), true)
	done := jobs[3]
	done.State = domain.ImportDone
	mustUpdateJob(t, s, done)
	failed := jobs[4]
	failed.State = domain.ImportFailed
	mustUpdateJob(t, s, failed)

	got, err := s.imports.ActiveImportJobs(t.Context())
	if err != nil {
		t.Fatalf("ActiveImportJobs: %v", err)
	}
	want := []domain.ImportJob{jobs[1], jobs[0], jobs[2]}
	want[0].State = domain.ImportRunning
	ids := func(js []domain.ImportJob) []domain.ImportJobID {
		out := make([]domain.ImportJobID, len(js))
		for i, j := range js {
			out[i] = j.ID
		}
		return out
	}
	if !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("ActiveImportJobs = %v, want %v (queued and running, oldest first)", ids(got), ids(want))
	}
	for i := range want {
		if got[i].State != want[i].State || got[i].User != want[i].User || !got[i].CreatedAt.Equal(want[i].CreatedAt) {
			t.Errorf("ActiveImportJobs[%d] = %s, want %s", i, describeImportJob(got[i]), describeImportJob(want[i]))
		}
	}

	empty, err := s.imports.ActiveImportJobs(t.Context())
	if err != nil || len(empty) != 3 {
		t.Errorf("ActiveImportJobs again = %d jobs, %v; want the same 3", len(empty), err)
	}
}

func testClaimImportJob(t *testing.T, s importStore) {
	job := newImportJob(newImportUser(t, s), importTime)
	mustCreateJob(t, s, job, importFiles())
	now := importTime.Add(time.Minute)
	mustClaimJob(t, s, job.ID, now, now.Add(time.Minute), true)
	if got := mustImportJob(t, s, job.ID); got.State != domain.ImportRunning {
		t.Errorf("claimed job is %s, want running", got.State)
	}
	// Held: another claimer gets nothing, before and at its end.
	mustClaimJob(t, s, job.ID, now, now.Add(time.Hour), false)
	mustClaimJob(t, s, job.ID, now.Add(30*time.Second), now.Add(time.Hour), false)

	// The runner's progress keeps its claim.
	progress := mustImportJob(t, s, job.ID)
	progress.RowsDone = 1
	mustUpdateJob(t, s, progress)
	mustClaimJob(t, s, job.ID, now.Add(59*time.Second), now.Add(time.Hour), false)

	// A batch extends it.
	batch := mustSaveBatch(t, s, domain.ImportBatch{Job: progress, ClaimUntil: now.Add(3 * time.Minute)})
	checkImportJob(t, "SaveImportBatch(no viewings).Job", batch.Job, progress)
	mustClaimJob(t, s, job.ID, now.Add(2*time.Minute), now.Add(time.Hour), false)

	// Lapsed: the next claimer takes over.
	later := now.Add(4 * time.Minute)
	mustClaimJob(t, s, job.ID, later, later.Add(time.Minute), true)
	mustClaimJob(t, s, job.ID, later.Add(30*time.Second), later.Add(time.Hour), false)
	got := mustImportJob(t, s, job.ID)
	if got.State != domain.ImportRunning || got.RowsDone != 1 {
		t.Errorf("job taken over = %s, want running with its progress", describeImportJob(got))
	}

	ended := got
	ended.State = domain.ImportDone
	mustUpdateJob(t, s, ended)
	mustClaimJob(t, s, job.ID, later.Add(time.Hour), later.Add(2*time.Hour), false)
	if got := mustImportJob(t, s, job.ID); got.State != domain.ImportDone {
		t.Errorf("ended job after a refused claim is %s, want done", got.State)
	}
}

func testClaimImportJobConcurrent(t *testing.T, s importStore) {
	const n = 12
	job := newImportJob(newImportUser(t, s), importTime)
	mustCreateJob(t, s, job, importFiles())
	var (
		mu      sync.Mutex
		claimed int
		wg      sync.WaitGroup
	)
	start := make(chan struct{})
	for g := range n {
		wg.Go(func() {
			<-start
			ok, err := s.imports.ClaimImportJob(t.Context(), job.ID, importTime, importTime.Add(time.Hour))
			if err != nil {
				t.Errorf("goroutine %d: ClaimImportJob: %v", g, err)
			}
			if ok {
				mu.Lock()
				claimed++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if claimed != 1 {
		t.Errorf("%d of %d concurrent ClaimImportJob calls claimed the job, want exactly 1", claimed, n)
	}
}

// claimedJob creates a job of a new user, claims it and returns it.
func claimedJob(t *testing.T, s importStore) domain.ImportJob {
	t.Helper()
	job := newImportJob(newImportUser(t, s), importTime)
	mustCreateJob(t, s, job, importFiles())
	mustClaimJob(t, s, job.ID, importTime, importTime.Add(time.Minute), true)
	job.State = domain.ImportRunning
	return job
}

var importKeySeq struct {
	sync.Mutex
	n int
}

// importKey returns a key no other row of the suite has.
func importKey() domain.ImportRowKey {
	importKeySeq.Lock()
	defer importKeySeq.Unlock()
	importKeySeq.n++
	return domain.ImportRowKey(fmt.Sprintf("letterboxd:diary:%d:%s", importKeySeq.n, domain.NewReviewID()))
}

// imported returns a viewing of m by user, logged at FixtureTime.
func imported(t *testing.T, m domain.Movie, user domain.UserID, rating float64, comment string, watched time.Time) domain.ImportedViewing {
	t.Helper()
	return domain.ImportedViewing{Key: importKey(), Viewing: domain.Viewing{Movie: m, Review: NewReviewWithComment(t, m.ID, user, rating, comment, watched)}}
}

// checkBatchSaved checks that res.Saved are the viewings of want (the
// batch's viewings not found present) resolved to the movies of movies and
// changed as changes say, and that res.Events are their ImportEvents in
// order.
func checkBatchSaved(t *testing.T, res domain.ImportBatchResult, want []domain.ImportedViewing, movies []domain.Movie, changes []domain.MovieChange) {
	t.Helper()
	if len(res.Saved) != len(want) {
		t.Fatalf("SaveImportBatch saved %d viewings, want %d", len(res.Saved), len(want))
	}
	var events []string
	for i, sv := range res.Saved {
		what := fmt.Sprintf("Saved[%d]", i)
		checkMovie(t, what+".Movie", sv.Movie, movies[i])
		if sv.Change != changes[i] {
			t.Errorf("%s.Change = %v, want %v", what, sv.Change, changes[i])
		}
		r := want[i].Viewing.Review
		r.MovieID = movies[i].ID
		checkReview(t, what+".Review", sv.Review, r)
		for _, e := range domain.ImportEvents(sv.Movie, sv.Change, sv.Review, want[i].Viewing.PosterURL, r.CreatedAt) {
			events = append(events, string(e.EventName())+"/"+e.MovieID().String())
		}
	}
	got := make([]string, len(res.Events))
	for i, e := range res.Events {
		got[i] = string(e.EventName()) + "/" + e.MovieID().String()
	}
	if !slices.Equal(got, events) {
		t.Fatalf("SaveImportBatch events (name/movie) =\n %v,\nwant the ImportEvents of the saved viewings\n %v", got, events)
	}
	// Every field of every event.
	k := 0
	seen := map[domain.EventID]bool{}
	for i, sv := range res.Saved {
		for range domain.ImportEvents(sv.Movie, sv.Change, sv.Review, want[i].Viewing.PosterURL, sv.Review.CreatedAt) {
			e := res.Events[k]
			k++
			if e.EventID().IsZero() || seen[e.EventID()] {
				t.Errorf("event %s has ID %v, want a fresh non-zero ID", e.EventName(), e.EventID())
			}
			seen[e.EventID()] = true
			if !e.OccurredAt().Equal(sv.Review.CreatedAt) {
				t.Errorf("event %s occurred at %v, want the review's created_at %v (as SaveViewing)", e.EventName(), e.OccurredAt(), sv.Review.CreatedAt)
			}
			switch ev := e.(type) {
			case domain.MovieNeedsMetadata:
				if ev.Title != sv.Movie.Title || ev.Year != sv.Movie.ReleaseYear {
					t.Errorf("MovieNeedsMetadata{Title %q, Year %v}, want the movie's %q, %v", ev.Title, ev.Year, sv.Movie.Title, sv.Movie.ReleaseYear)
				}
			case domain.MovieDiscovered:
				if ev.ExternalMetadataID != sv.Movie.ExternalID || ev.PosterURL != want[i].Viewing.PosterURL {
					t.Errorf("MovieDiscovered{ExternalMetadataID %v, PosterURL %q}, want %v, %q", ev.ExternalMetadataID, ev.PosterURL, sv.Movie.ExternalID, want[i].Viewing.PosterURL)
				}
			case domain.ReviewLogged:
				if ev.ReviewID != sv.Review.ID || ev.UserID != sv.Review.UserID || ev.Rating != sv.Review.Rating || !ev.WatchedAt.Equal(sv.Review.WatchedAt) {
					t.Errorf("ReviewLogged{ReviewID %v, UserID %v} does not describe %s", ev.ReviewID, ev.UserID, describeReview(sv.Review))
				}
			}
		}
	}
}

func testSaveImportBatch(t *testing.T, s importStore) {
	ctx := t.Context()
	job := claimedJob(t, s)
	user := job.User
	watched := time.Date(2023, 5, 6, 0, 0, 0, 0, time.UTC)
	storedMovie := mustUpsert(t, s.movies, NewMovie(t, NewExternalID(t), "Ran", 1985, "Akira Kurosawa"))
	storedNoID := mustUpsert(t, s.movies, NewMovie(t, domain.ExternalMetadataID{}, "Dodes'ka-den", 1970, ""))
	known := NewMovie(t, NewExternalID(t), "Ikiru", 1952, "Akira Kurosawa")
	unknown := NewMovie(t, domain.ExternalMetadataID{}, "Drunken Angel", 1948, "")
	sameFilm := storedMovie
	sameFilm.ID = domain.NewMovieID()
	sameFilm.Title = domain.MustNewMovieTitle("Ran (Letterboxd)")

	viewings := []domain.ImportedViewing{
		imported(t, known, user, 4.5, "", watched),
		imported(t, unknown, user, 0, "a comment, with \"quotes\"\nand a newline", watched.Add(24*time.Hour)),
		imported(t, sameFilm, user, 3, "", watched.Add(48*time.Hour)),
		imported(t, storedNoID, user, 0.5, "", watched.Add(72*time.Hour)),
	}
	viewings[0].Viewing.PosterURL = domain.MustParsePosterURL("https://img.example/ikiru.jpg")
	b := domain.ImportBatch{Job: job, Viewings: viewings, ClaimUntil: importTime.Add(2 * time.Minute)}
	b.Job.RowsDone, b.Job.Unmatched, b.Job.Skipped = 5, 1, 1
	b.Job.Imported, b.Job.AlreadyPresent = 10, 2 // earlier batches'
	b.Job.Problems = []domain.ImportProblem{{File: "diary.csv", Line: 3, Reason: "bad date"}}
	b.Job.UpdatedAt = importTime.Add(time.Minute)
	res := mustSaveBatch(t, s, b)

	checkBatchSaved(t, res, viewings,
		[]domain.Movie{known, unknown, storedMovie, storedNoID},
		[]domain.MovieChange{domain.MovieCreated, domain.MovieCreated, domain.MovieUnchanged, domain.MovieUnchanged})
	wantJob := b.Job
	// Unknown and storedNoID have no IMDb ID: unmatched.
	wantJob.Imported, wantJob.AlreadyPresent, wantJob.Unmatched = 14, 2, 3
	checkImportJob(t, "ImportBatchResult.Job", res.Job, wantJob)
	checkImportJob(t, "ImportJob after the batch", mustImportJob(t, s, job.ID), wantJob)

	page := checkDiaryTotal(t, s.movies, domain.DiaryFilter{UserID: user, Sort: domain.SortAsc}, 4)
	for i, e := range page.Entries {
		if i < len(res.Saved) {
			checkReview(t, fmt.Sprintf("diary entry %d", i), e.Review, res.Saved[i].Review)
			checkMovie(t, fmt.Sprintf("diary entry %d movie", i), e.Movie, res.Saved[i].Movie)
		}
	}
	for _, m := range []domain.Movie{known, unknown} {
		got, err := s.movies.MovieByID(ctx, m.ID)
		if err != nil {
			t.Fatalf("MovieByID(imported %q): %v", m.Title, err)
		}
		checkMovie(t, "imported movie", got, m)
	}
	if _, err := s.movies.MovieByID(ctx, sameFilm.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByID(given movie of a stored IMDb ID) error = %v, want ErrNotFound", err)
	}
	// Every total counts the batch, and later saves count as before.
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{MovieID: storedMovie.ID}, 1)
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{MovieID: unknown.ID, UserID: user}, 1)
	mustSaveViewing(t, s.movies, domain.Viewing{Movie: storedMovie, Review: NewReview(t, storedMovie.ID, user, 2, watched)})
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{}, 5)
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{MovieID: storedMovie.ID}, 2)
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{MovieID: storedMovie.ID, UserID: user}, 2)
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{UserID: user}, 5)
}

func testImportBatchSameKeys(t *testing.T, s importStore) {
	job := claimedJob(t, s)
	user := job.User
	watched := time.Date(2022, 2, 2, 0, 0, 0, 0, time.UTC)
	m := NewMovie(t, NewExternalID(t), "Stray Dog", 1949, "")
	first := []domain.ImportedViewing{
		imported(t, m, user, 4, "", watched),
		imported(t, m, user, 5, "", watched.Add(time.Hour)),
		imported(t, NewMovie(t, domain.ExternalMetadataID{}, "Scandal", 1950, ""), user, 3, "", watched),
	}
	b := domain.ImportBatch{Job: job, Viewings: first, ClaimUntil: importTime.Add(time.Minute)}
	b.Job.RowsDone = 3
	res := mustSaveBatch(t, s, b)
	if len(res.Saved) != 3 || res.Job.Imported != 3 || res.Job.AlreadyPresent != 0 {
		t.Fatalf("first batch saved %d viewings, job imported %d, present %d; want 3, 3, 0", len(res.Saved), res.Job.Imported, res.Job.AlreadyPresent)
	}

	// The same rows parsed again: the same keys, fresh review and movie IDs.
	again := make([]domain.ImportedViewing, len(first))
	for i, v := range first {
		mv := v.Viewing.Movie
		mv.ID = domain.NewMovieID()
		again[i] = imported(t, mv, user, 1, "", watched.Add(5*time.Hour))
		again[i].Key = v.Key
	}
	b2 := domain.ImportBatch{Job: res.Job, Viewings: again, ClaimUntil: importTime.Add(time.Minute)}
	b2.Job.RowsDone = 6
	res2 := mustSaveBatch(t, s, b2)
	if len(res2.Saved) != 0 || len(res2.Events) != 0 {
		t.Errorf("batch of stored keys saved %d viewings with %s, want none", len(res2.Saved), describeEvents(res2.Events))
	}
	wantJob := b2.Job
	wantJob.Imported, wantJob.AlreadyPresent = 3, 3
	checkImportJob(t, "ImportBatchResult.Job", res2.Job, wantJob)
	checkImportJob(t, "ImportJob", mustImportJob(t, s, job.ID), wantJob)
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{UserID: user}, 3)
	if got, err := s.movies.MoviesByTitleYear(t.Context(), domain.MustNewMovieTitle("Scandal"), domain.MustNewReleaseYear(1950)); err != nil || len(got) != 1 {
		t.Errorf("MoviesByTitleYear(Scandal) = %d movies, %v; want 1", len(got), err)
	}

	// A mix: stored keys are present, a new one is stored.
	fresh := imported(t, m, user, 2, "", watched.Add(9*time.Hour))
	mixed := []domain.ImportedViewing{again[0], fresh, again[2]}
	b3 := domain.ImportBatch{Job: res2.Job, Viewings: mixed, ClaimUntil: importTime.Add(time.Minute)}
	res3 := mustSaveBatch(t, s, b3)
	checkBatchSaved(t, res3, []domain.ImportedViewing{fresh}, []domain.Movie{m}, []domain.MovieChange{domain.MovieUnchanged})
	if res3.Job.Imported != 4 || res3.Job.AlreadyPresent != 5 {
		t.Errorf("job after a mixed batch: imported %d, present %d; want 4, 5", res3.Job.Imported, res3.Job.AlreadyPresent)
	}
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{UserID: user}, 4)

	// Keys belong to their user.
	other := claimedJob(t, s)
	theirs := make([]domain.ImportedViewing, len(first))
	for i, v := range first {
		theirs[i] = imported(t, v.Viewing.Movie, other.User, 3, "", watched)
		theirs[i].Key = v.Key
	}
	res4 := mustSaveBatch(t, s, domain.ImportBatch{Job: other, Viewings: theirs, ClaimUntil: importTime.Add(time.Minute)})
	if len(res4.Saved) != 3 || res4.Job.Imported != 3 || res4.Job.AlreadyPresent != 0 {
		t.Errorf("another user's batch of the same keys saved %d, imported %d, present %d; want 3, 3, 0", len(res4.Saved), res4.Job.Imported, res4.Job.AlreadyPresent)
	}
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{UserID: other.User}, 3)
}

func testImportBatchStoredReview(t *testing.T, s importStore) {
	job := claimedJob(t, s)
	m := NewMovie(t, NewExternalID(t), "High and Low", 1963, "")
	logged := imported(t, m, job.User, 4, "logged by hand", time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))
	mustSaveViewing(t, s.movies, logged.Viewing)

	// A moviediary export of that diary, imported back under a new key.
	back := logged
	back.Key = importKey()
	fresh := imported(t, m, job.User, 2, "", time.Date(2021, 1, 2, 0, 0, 0, 0, time.UTC))
	res := mustSaveBatch(t, s, domain.ImportBatch{Job: job, Viewings: []domain.ImportedViewing{back, fresh}, ClaimUntil: importTime.Add(time.Minute)})
	checkBatchSaved(t, res, []domain.ImportedViewing{fresh}, []domain.Movie{m}, []domain.MovieChange{domain.MovieUnchanged})
	if res.Job.Imported != 1 || res.Job.AlreadyPresent != 1 {
		t.Errorf("job: imported %d, present %d; want 1, 1", res.Job.Imported, res.Job.AlreadyPresent)
	}
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{UserID: job.User}, 2)
}

func testImportBatchOneMovie(t *testing.T, s importStore) {
	job := claimedJob(t, s)
	user := job.User
	watched := time.Date(2020, 7, 7, 0, 0, 0, 0, time.UTC)
	ext := NewExternalID(t)
	a := NewMovie(t, ext, "Yojimbo", 1961, "Akira Kurosawa")
	b := NewMovie(t, ext, "Yojimbo", 1961, "")
	// An unmatched film, every row of it resolved to one new movie ID.
	home := NewMovie(t, domain.ExternalMetadataID{}, "Sanjuro", 1962, "")
	// Another unmatched film, identified by a later row of the batch.
	late := NewMovie(t, domain.ExternalMetadataID{}, "Dersu Uzala", 1975, "")
	lateIdentified := late
	lateIdentified.ExternalID = NewExternalID(t)
	viewings := []domain.ImportedViewing{
		imported(t, a, user, 4, "", watched),
		imported(t, home, user, 3, "", watched),
		imported(t, late, user, 2, "", watched),
		imported(t, b, user, 5, "", watched.Add(time.Hour)),
		imported(t, home, user, 3.5, "", watched.Add(time.Hour)),
		imported(t, lateIdentified, user, 4, "", watched.Add(time.Hour)),
	}
	res := mustSaveBatch(t, s, domain.ImportBatch{Job: job, Viewings: viewings, ClaimUntil: importTime.Add(time.Minute)})
	checkBatchSaved(t, res, viewings, []domain.Movie{a, home, late, a, home, lateIdentified},
		[]domain.MovieChange{domain.MovieCreated, domain.MovieCreated, domain.MovieCreated, domain.MovieUnchanged, domain.MovieUnchanged, domain.MovieIdentified})
	needs, discovered := 0, 0
	for _, e := range res.Events {
		switch e.(type) {
		case domain.MovieNeedsMetadata:
			needs++
		case domain.MovieDiscovered:
			discovered++
		}
	}
	if needs != 2 || discovered != 2 {
		t.Errorf("batch events hold %d MovieNeedsMetadata and %d MovieDiscovered, want two each", needs, discovered)
	}
	if _, err := s.movies.MovieByID(t.Context(), b.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByID(second movie of one IMDb ID) error = %v, want ErrNotFound", err)
	}
	h, err := s.movies.ReviewHistory(t.Context(), home.ID, domain.UserID{})
	if err != nil || len(h.Viewings) != 2 {
		t.Errorf("ReviewHistory(unmatched film) = %d viewings, %v; want 2", len(h.Viewings), err)
	}

	// A later batch of the same films adds viewings, not movies.
	c := NewMovie(t, ext, "Yojimbo", 1961, "")
	more := []domain.ImportedViewing{
		imported(t, c, user, 1, "", watched.Add(2*time.Hour)),
		imported(t, home, user, 1, "", watched.Add(2*time.Hour)),
		imported(t, late, user, 1, "", watched.Add(2*time.Hour)),
	}
	res2 := mustSaveBatch(t, s, domain.ImportBatch{Job: res.Job, Viewings: more, ClaimUntil: importTime.Add(time.Minute)})
	checkBatchSaved(t, res2, more, []domain.Movie{a, home, lateIdentified}, []domain.MovieChange{domain.MovieUnchanged, domain.MovieUnchanged, domain.MovieUnchanged})
	if res2.Job.Imported != 9 {
		t.Errorf("job imported %d, want 9", res2.Job.Imported)
	}
	got, err := s.movies.MovieByExternalID(t.Context(), lateIdentified.ExternalID)
	if err != nil {
		t.Fatalf("MovieByExternalID(identified in the batch): %v", err)
	}
	checkMovie(t, "movie identified in the batch", got, lateIdentified)
}

func testImportBatchIdentifiedDirector(t *testing.T, s importStore) {
	ctx := t.Context()
	job := claimedJob(t, s)
	user := job.User
	watched := time.Date(2020, 2, 2, 0, 0, 0, 0, time.UTC)
	// Stored by an earlier import without an IMDb ID, one without a
	// director, one with; an IMDb ratings import then identifies both.
	cats := mustUpsert(t, s.movies, NewMovie(t, domain.ExternalMetadataID{}, "Cats", 2019, ""))
	mirror := mustUpsert(t, s.movies, NewMovie(t, domain.ExternalMetadataID{}, "The Mirror", 1975, "Andrei Tarkovsky"))
	catsGiven := NewMovie(t, NewExternalID(t), "Cats", 2019, "Tom Hooper")
	catsGiven.ID = cats.ID
	mirrorGiven := NewMovie(t, NewExternalID(t), "The Mirror", 1975, "A. Tarkovsky")
	mirrorGiven.ID = mirror.ID
	mirrorWant := mirror
	mirrorWant.ExternalID = mirrorGiven.ExternalID
	viewings := []domain.ImportedViewing{
		imported(t, catsGiven, user, 1, "", watched),
		imported(t, mirrorGiven, user, 5, "", watched),
	}
	res := mustSaveBatch(t, s, domain.ImportBatch{Job: job, Viewings: viewings, ClaimUntil: importTime.Add(time.Minute)})
	checkBatchSaved(t, res, viewings, []domain.Movie{catsGiven, mirrorWant},
		[]domain.MovieChange{domain.MovieIdentified, domain.MovieIdentified})

	// A film first stored by the batch without a director, identified by
	// a later row of it that names one.
	late := NewMovie(t, domain.ExternalMetadataID{}, "Dreams", 1990, "")
	lateGiven := NewMovie(t, NewExternalID(t), "Dreams", 1990, "Akira Kurosawa")
	lateGiven.ID = late.ID
	more := []domain.ImportedViewing{
		imported(t, late, user, 3, "", watched),
		imported(t, lateGiven, user, 4, "", watched.Add(time.Hour)),
	}
	res2 := mustSaveBatch(t, s, domain.ImportBatch{Job: res.Job, Viewings: more, ClaimUntil: importTime.Add(time.Minute)})
	checkBatchSaved(t, res2, more, []domain.Movie{late, lateGiven},
		[]domain.MovieChange{domain.MovieCreated, domain.MovieIdentified})

	for _, want := range []domain.Movie{catsGiven, mirrorWant, lateGiven} {
		got, err := s.movies.MovieByExternalID(ctx, want.ExternalID)
		if err != nil {
			t.Fatalf("MovieByExternalID(%q identified): %v", want.Title, err)
		}
		checkMovie(t, "identified movie", got, want)
	}
}

func testImportBatchUnknownJob(t *testing.T, s importStore) {
	job := newImportJob(newImportUser(t, s), importTime)
	m := NewMovie(t, NewExternalID(t), "Rashomon", 1950, "")
	v := imported(t, m, job.User, 4, "", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	_, err := s.imports.SaveImportBatch(t.Context(), domain.ImportBatch{Job: job, Viewings: []domain.ImportedViewing{v}, ClaimUntil: importTime.Add(time.Minute)})
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("SaveImportBatch(unknown job) error = %v, want ErrNotFound", err)
	}
	if _, err := s.movies.MovieByID(t.Context(), m.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByID(movie of the refused batch) error = %v, want ErrNotFound", err)
	}
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{}, 0)
	present, err := s.imports.PresentImportRows(t.Context(), job.User, []domain.ImportedViewing{v})
	if err != nil || len(present) != 1 || present[0] {
		t.Errorf("PresentImportRows(row of the refused batch) = %v, %v; want [false]", present, err)
	}
}

func testPresentImportRows(t *testing.T, s importStore) {
	job := claimedJob(t, s)
	user := job.User
	watched := time.Date(2019, 9, 9, 0, 0, 0, 0, time.UTC)
	m := NewMovie(t, NewExternalID(t), "Red Beard", 1965, "")
	stored := []domain.ImportedViewing{imported(t, m, user, 4, "", watched), imported(t, m, user, 5, "", watched.Add(time.Hour))}
	mustSaveBatch(t, s, domain.ImportBatch{Job: job, Viewings: stored, ClaimUntil: importTime.Add(time.Minute)})
	byHand := imported(t, m, domain.NewUserID(), 3, "", watched)
	mustSaveViewing(t, s.movies, byHand.Viewing)

	sameKey := imported(t, m, user, 1, "", watched.Add(3*time.Hour))
	sameKey.Key = stored[1].Key
	sameReview := byHand
	sameReview.Key = importKey()
	sameReview.Viewing.Review.UserID = user
	fresh := imported(t, m, user, 2, "", watched.Add(4*time.Hour))
	rows := []domain.ImportedViewing{fresh, sameKey, stored[0], sameReview, imported(t, m, user, 2, "", watched)}
	want := []bool{false, true, true, true, false}

	got, err := s.imports.PresentImportRows(t.Context(), user, rows)
	if err != nil {
		t.Fatalf("PresentImportRows: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("PresentImportRows = %v, want %v", got, want)
	}
	// Another user's rows under those keys, their reviews not stored.
	theirs := []domain.ImportedViewing{sameKey, imported(t, m, domain.NewUserID(), 1, "", watched)}
	theirs[1].Key = stored[0].Key
	other, err := s.imports.PresentImportRows(t.Context(), domain.NewUserID(), theirs)
	if err != nil {
		t.Fatalf("PresentImportRows(another user): %v", err)
	}
	if !slices.Equal(other, []bool{false, false}) {
		t.Errorf("PresentImportRows(another user, keys not theirs) = %v, want all false", other)
	}
	if none, err := s.imports.PresentImportRows(t.Context(), user, nil); err != nil || len(none) != 0 {
		t.Errorf("PresentImportRows(no rows) = %v, %v; want none", none, err)
	}
	checkDiaryTotal(t, s.movies, domain.DiaryFilter{}, 3)

	// SaveImportBatch finds the same.
	res := mustSaveBatch(t, s, domain.ImportBatch{Job: mustImportJob(t, s, job.ID), Viewings: rows, ClaimUntil: importTime.Add(time.Minute)})
	if len(res.Saved) != 2 || res.Job.AlreadyPresent != 3 {
		t.Errorf("SaveImportBatch of the rows saved %d and found %d present; want 2 and 3", len(res.Saved), res.Job.AlreadyPresent)
	}
}

func testImportOutboxEvents(t *testing.T, ob domain.Outbox, s importStore) {
	job := claimedJob(t, s)
	watched := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	viewings := []domain.ImportedViewing{
		imported(t, NewMovie(t, NewExternalID(t), "Kwaidan", 1964, ""), job.User, 4, "", watched),
		imported(t, NewMovie(t, domain.ExternalMetadataID{}, "Onibaba", 1964, ""), job.User, 3.5, "eerie", watched),
	}
	res := mustSaveBatch(t, s, domain.ImportBatch{Job: job, Viewings: viewings, ClaimUntil: importTime.Add(time.Minute)})
	if len(res.Events) != 4 {
		t.Fatalf("SaveImportBatch returned %s, want MovieDiscovered, ReviewLogged, MovieNeedsMetadata, ReviewLogged", describeEvents(res.Events))
	}
	checkPending(t, ob, 4)
	checkOutboxEvents(t, "ClaimEvents", mustClaim(t, ob, outboxStart(), 10, time.Minute), res.Events)
}

func testImportOutboxPresent(t *testing.T, ob domain.Outbox, s importStore) {
	job := claimedJob(t, s)
	v := imported(t, NewMovie(t, domain.ExternalMetadataID{}, "Kuroneko", 1968, ""), job.User, 4, "", time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC))
	res := mustSaveBatch(t, s, domain.ImportBatch{Job: job, Viewings: []domain.ImportedViewing{v}, ClaimUntil: importTime.Add(time.Minute)})
	again := v
	again.Viewing.Review = NewReview(t, v.Viewing.Movie.ID, job.User, 1, v.Viewing.Review.WatchedAt)
	res2 := mustSaveBatch(t, s, domain.ImportBatch{Job: res.Job, Viewings: []domain.ImportedViewing{again, v}, ClaimUntil: importTime.Add(time.Minute)})
	if len(res2.Events) != 0 || res2.Job.AlreadyPresent != 2 {
		t.Errorf("batch of present rows returned %s and found %d present, want no event and 2", describeEvents(res2.Events), res2.Job.AlreadyPresent)
	}
	checkPending(t, ob, 2)
	checkOutboxEvents(t, "ClaimEvents", mustClaim(t, ob, outboxStart(), 10, time.Minute), res.Events)
}
