package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// importsMigration adds import jobs, import keys, quotas and the update
// trigger of the diary totals.
const importsMigration = "0008_imports.sql"

// TestImportsMigrationKeepsTheDiary: a database at the schema before
// imports, holding two users, an identified movie and an unidentified
// copy of the same film with viewings of both users, migrates by applying
// 0008 and the later migrations; everything reads back, the totals stay
// exact, the owner is the older account, and the new parts work on the
// old rows: merging the copy moves its viewings and their totals (the
// update trigger), an edit leaves the totals alone, an import stores its
// rows and refuses a second active job, a quota counts; rows that break
// the new tables' rules are refused.
func TestImportsMigrationKeepsTheDiary(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	raw := rawDB(t, url)
	migrateRawBefore(t, raw, importsMigration)

	old := openOutboxURL(t, url, false)
	owner := porttest.NewUser(t, "owner@example.com")
	owner.CreatedAt = porttest.FixtureTime.Add(-time.Hour)
	later := porttest.NewUser(t, "later@example.com")
	for _, u := range []domain.User{later, owner} {
		if err := old.Users().SaveUser(ctx, u); err != nil {
			t.Fatalf("SaveUser at the old schema: %v", err)
		}
	}
	ext := porttest.NewExternalID(t)
	canonical := porttest.NewMovie(t, ext, "Ran", 1985, "Akira Kurosawa")
	copyOf := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Ran", 1985, "")
	other := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Ikiru", 1952, "")
	var reviews []domain.Review
	for i, m := range []domain.Movie{canonical, copyOf, copyOf, other, copyOf, canonical, copyOf} {
		user := owner.ID
		if i%2 == 1 {
			user = later.ID
		}
		r := porttest.NewReview(t, m.ID, user, float64(i%5)+0.5, porttest.FixtureTime.Add(time.Duration(i)*time.Hour))
		if _, err := old.Movies().SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
			t.Fatalf("SaveViewing at the old schema: %v", err)
		}
		reviews = append(reviews, r)
	}

	db := openOutboxURL(t, url, false)
	applied, err := db.MigrateReport(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if len(applied) == 0 || applied[0] != 8 {
		t.Errorf("Migrate applied %v, want 8 and the later versions", applied)
	}
	movies := []uuid.UUID{canonical.ID.UUID(), copyOf.ID.UUID(), other.ID.UUID()}
	users := []uuid.UUID{owner.ID.UUID(), later.ID.UUID()}
	checkTotals(t, db.Movies(), raw, movies, users, len(reviews))
	checkCountsExact(t, raw)
	if got, err := db.Users().Owner(ctx); err != nil || got.ID != owner.ID {
		t.Errorf("Owner after the migration = %v, %v; want the older account %v", got.ID, err, owner.ID)
	}

	// The copy merges into the identified movie: its viewings move, with
	// their totals.
	md := domain.MovieMetadata{ExternalID: ext, Title: copyOf.Title, ReleaseYear: copyOf.ReleaseYear}
	got, events, err := db.Movies().IdentifyMovie(ctx, copyOf.ID, md, porttest.FixtureTime.Add(24*time.Hour))
	if err != nil || got.ID != canonical.ID || len(events) != 0 {
		t.Fatalf("IdentifyMovie(copy) = %v, %d events, %v; want the identified movie, no event", got.ID, len(events), err)
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM reviews WHERE movie_id = $1`, canonical.ID.UUID()); n != 6 {
		t.Errorf("the identified movie has %d viewings after the merge, want 6", n)
	}
	checkTotals(t, db.Movies(), raw, movies, users, len(reviews))
	checkCountsExact(t, raw)

	// An edit moves no total; a review moved by hand moves its totals.
	edited := reviews[0]
	edited.Rating = domain.Rating{}
	if _, err := db.Movies().UpdateReview(ctx, edited, porttest.FixtureTime.Add(25*time.Hour)); err != nil {
		t.Fatalf("UpdateReview: %v", err)
	}
	if _, err := raw.ExecContext(ctx, `UPDATE reviews SET user_id = $2, movie_id = $3 WHERE id = $1`,
		reviews[3].ID.UUID(), owner.ID.UUID(), canonical.ID.UUID()); err != nil {
		t.Fatalf("move a review by hand: %v", err)
	}
	checkTotals(t, db.Movies(), raw, movies, users, len(reviews))
	checkCountsExact(t, raw)

	// An import into the old diary.
	job := domain.ImportJob{
		ID: domain.NewImportJobID(), User: later.ID, StartedBy: owner.ID, Source: domain.ImportIMDb,
		State: domain.ImportQueued, RowsTotal: 1, CreatedAt: porttest.FixtureTime, UpdatedAt: porttest.FixtureTime,
	}
	if err := db.Imports().CreateImportJob(ctx, job, []domain.ImportFile{{Name: "ratings.csv", Data: []byte("Const\n")}}); err != nil {
		t.Fatalf("CreateImportJob after the migration: %v", err)
	}
	second := job
	second.ID = domain.NewImportJobID()
	if err := db.Imports().CreateImportJob(ctx, second, nil); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateImportJob(second active job) error = %v, want ErrConflict", err)
	}
	row := domain.ImportedViewing{
		Key:     "imdb:ratings.csv:" + domain.ImportRowKey(ext.String()),
		Viewing: domain.Viewing{Movie: porttest.NewMovie(t, ext, "Ran", 1985, ""), Review: porttest.NewReview(t, domain.NewMovieID(), later.ID, 4, porttest.FixtureTime)},
	}
	res, err := db.Imports().SaveImportBatch(ctx, domain.ImportBatch{Job: job, Viewings: []domain.ImportedViewing{row}})
	if err != nil || len(res.Saved) != 1 || res.Saved[0].Movie.ID != canonical.ID || res.Job.Imported != 1 {
		t.Fatalf("SaveImportBatch after the migration = %+v, %v; want one viewing of the identified movie", res, err)
	}
	checkTotals(t, db.Movies(), raw, movies, users, len(reviews)+1)
	checkCountsExact(t, raw)
	if taken, err := db.Quota().TakeQuota(ctx, "omdb", porttest.FixtureTime.Truncate(24*time.Hour), 1); err != nil || !taken {
		t.Errorf("TakeQuota after the migration = %v, %v; want taken", taken, err)
	}

	// Rows that break the new tables' rules are refused.
	for _, tc := range []struct {
		name, sql string
		args      []any
	}{
		{"a job in an unknown state", `INSERT INTO import_jobs (id, user_id, started_by, source, dry_run, state, rows_total, rows_done, imported,
			already_present, skipped, unmatched, problems, problems_more, error, created_at, updated_at)
			VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'imdb', false, 'paused', 0, 0, 0, 0, 0, 0, '[]', 0, '', now(), now())`, nil},
		{"a second active job of a user", `INSERT INTO import_jobs (id, user_id, started_by, source, dry_run, state, rows_total, rows_done, imported,
			already_present, skipped, unmatched, problems, problems_more, error, created_at, updated_at)
			VALUES (gen_random_uuid(), $1, $1, 'imdb', false, 'running', 0, 0, 0, 0, 0, 0, '[]', 0, '', now(), now())`, []any{later.ID.UUID()}},
		{"problems that are not a list", `INSERT INTO import_jobs (id, user_id, started_by, source, dry_run, state, rows_total, rows_done, imported,
			already_present, skipped, unmatched, problems, problems_more, error, created_at, updated_at)
			VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'imdb', false, 'done', 0, 0, 0, 0, 0, 0, '{}', 0, '', now(), now())`, nil},
		{"a file of an unknown job", `INSERT INTO import_files (job_id, position, name, data) VALUES (gen_random_uuid(), 0, 'x.csv', '')`, nil},
		{"an empty key", `INSERT INTO import_keys (user_id, key, review_id) VALUES (gen_random_uuid(), '', gen_random_uuid())`, nil},
		{"a negative quota", `INSERT INTO quota (name, window_start, used) VALUES ('omdb', now(), -1)`, nil},
	} {
		if _, err := raw.ExecContext(ctx, tc.sql, tc.args...); err == nil {
			t.Errorf("%s was stored", tc.name)
		}
	}

	// And the migration is applied once.
	if again, err := db.MigrateReport(ctx); err != nil || len(again) != 0 {
		t.Errorf("a second Migrate applied %v, %v; want nothing", again, err)
	}
}
