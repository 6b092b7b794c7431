package sqlite_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// mustOpenOutbox opens and migrates the file at path in outbox mode,
// closed when the test ends.
func mustOpenOutbox(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, Outbox: true})
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return db
}

func TestOutboxContract(t *testing.T) {
	porttest.TestOutbox(t, func(t *testing.T) (domain.Outbox, domain.ViewingSaver) {
		db := mustOpenOutbox(t, filepath.Join(t.TempDir(), "moviediary.db"))
		return db.Outbox(), db.Movies()
	})
}

func TestMovieRepositoryContractInOutboxMode(t *testing.T) {
	porttest.TestMovieRepository(t, func(t *testing.T) domain.MovieRepository {
		return mustOpenOutbox(t, filepath.Join(t.TempDir(), "moviediary.db")).Movies()
	})
}

func TestTwoHandlesOnOneFileNeverClaimOneEventTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moviediary.db")
	first := mustOpenOutbox(t, path)
	second := mustOpenOutbox(t, path) // as another process would
	porttest.CheckExclusiveClaims(t, first.Movies(), first.Outbox(), second.Outbox())
}

func TestSaveViewingStoresNoEventWithoutOutboxMode(t *testing.T) {
	db, _ := mustOpenTemp(t)
	m := porttest.NewMovie(t, porttest.NewExternalID(t), "Tokyo Story", 1953, "Yasujirō Ozu")
	saved, err := db.Movies().SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: porttest.NewReview(t, m.ID, domain.NewUserID(), 5, porttest.FixtureTime)})
	if err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}
	if len(saved.Events) != 2 {
		t.Fatalf("SaveViewing returned %d events, want 2 for the caller to publish", len(saved.Events))
	}
	if n, err := db.Outbox().PendingEvents(t.Context()); err != nil || n != 0 {
		t.Errorf("PendingEvents = %d, %v; want 0, nil: outbox mode is off", n, err)
	}
}

func TestEditsStoreNoEventWithoutOutboxMode(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpenTemp(t)
	m := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Late Autumn", 1960, "")
	saved, err := db.Movies().SaveViewing(ctx, domain.Viewing{Movie: m, Review: porttest.NewReview(t, m.ID, domain.NewUserID(), 3.5, porttest.FixtureTime)})
	if err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}
	edited := saved.Review
	edited.Rating = domain.Rating{}
	got, err := db.Movies().UpdateReview(ctx, edited, porttest.FixtureTime)
	if err != nil || len(got.Events) != 1 {
		t.Fatalf("UpdateReview = %d events, %v; want one event for the caller to publish", len(got.Events), err)
	}
	events, err := db.Movies().DeleteReview(ctx, edited.ID, porttest.FixtureTime)
	if err != nil || len(events) != 1 {
		t.Fatalf("DeleteReview = %d events, %v; want one event for the caller to publish", len(events), err)
	}
	if n, err := db.Outbox().PendingEvents(ctx); err != nil || n != 0 {
		t.Errorf("PendingEvents = %d, %v; want 0, nil: outbox mode is off", n, err)
	}
}

func TestBackfillHealsMoviesStoredBeforeTheOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moviediary.db")
	// Movies logged by a server without outbox mode, as before this change.
	before := mustOpen(t, path)
	var want []domain.MovieID
	for i, ext := range []bool{true, false, true} {
		var id domain.ExternalMetadataID
		if ext {
			id = porttest.NewExternalID(t)
		}
		m := porttest.NewMovie(t, id, "Early Film", 1990+i, "")
		if _, err := before.Movies().SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: porttest.NewReview(t, m.ID, domain.NewUserID(), 4, porttest.FixtureTime)}); err != nil {
			t.Fatalf("SaveViewing: %v", err)
		}
		if ext {
			want = append(want, m.ID)
		}
	}
	if err := before.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	after := mustOpenOutbox(t, path)
	now := time.Now().UTC()
	n, err := after.Outbox().BackfillPosterEvents(t.Context(), now)
	if err != nil || n != len(want) {
		t.Fatalf("BackfillPosterEvents = %d, %v; want %d, nil", n, err, len(want))
	}
	got, err := after.Outbox().ClaimEvents(t.Context(), now, 10, time.Minute)
	if err != nil {
		t.Fatalf("ClaimEvents: %v", err)
	}
	var movies []domain.MovieID
	for _, e := range got {
		if e.Event.EventName() != domain.EventMovieDiscovered {
			t.Errorf("claimed %s, want only MovieDiscovered events", e.Event.EventName())
		}
		movies = append(movies, e.Event.MovieID())
	}
	byID := func(a, b domain.MovieID) int { return strings.Compare(a.String(), b.String()) }
	slices.SortFunc(movies, byID)
	slices.SortFunc(want, byID)
	if !slices.Equal(movies, want) {
		t.Errorf("backfilled events are about movies %v, want %v", movies, want)
	}
}

// TestOutboxQueriesUseTheirIndexes checks the claim, the backfill look-up
// and the dead list never scan a table.
func TestOutboxQueriesUseTheirIndexes(t *testing.T) {
	_, path := mustOpenTemp(t)
	raw := rawDB(t, path)
	if _, err := raw.Exec(`ANALYZE`); err != nil {
		t.Fatalf("ANALYZE: %v", err)
	}
	for _, tc := range sqlite.OutboxQueries() {
		t.Run(tc.Name, func(t *testing.T) {
			plan := queryPlan(t, raw, tc.SQL, tc.Args...)
			joined := strings.Join(plan, "\n")
			t.Logf("plan:\n%s", joined)
			for _, step := range plan {
				if strings.Contains(step, "SCAN") && !strings.Contains(step, "USING") {
					t.Errorf("plan scans a table:\n%s", joined)
				}
			}
			if !strings.Contains(joined, tc.Index) {
				t.Errorf("plan does not use %s:\n%s", tc.Index, joined)
			}
		})
	}
}
