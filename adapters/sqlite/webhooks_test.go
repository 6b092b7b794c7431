package sqlite_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// webhooksMigration adds webhooks and plays.
const webhooksMigration = "0006_webhooks.sql"

func TestWebhookRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.TestWebhookRepository(t, func(t *testing.T) domain.WebhookRepository {
		db, _ := mustOpenTemp(t)
		return db.Webhooks()
	})
}

func TestPlayRecorderContract(t *testing.T) {
	t.Parallel()
	porttest.TestPlayRecorder(t, func(t *testing.T) domain.PlayRecorder {
		db, _ := mustOpenTemp(t)
		return db.Plays()
	})
}

func TestPlayRecorderContractInOutboxMode(t *testing.T) {
	t.Parallel()
	porttest.TestPlayRecorder(t, func(t *testing.T) domain.PlayRecorder {
		return mustOpenOutbox(t, filepath.Join(t.TempDir(), "moviediary.db")).Plays()
	})
	porttest.TestPlayRecorderOutbox(t, func(t *testing.T) (domain.Outbox, domain.PlayRecorder) {
		db := mustOpenOutbox(t, filepath.Join(t.TempDir(), "moviediary.db"))
		return db.Outbox(), db.Plays()
	})
}

// TestPlayRecorderWithoutOutboxModeStoresNoEvent: out of outbox mode the
// event is only returned, for the caller to publish.
func TestPlayRecorderWithoutOutboxModeStoresNoEvent(t *testing.T) {
	t.Parallel()
	db, _ := mustOpenTemp(t)
	if _, recorded, err := db.Plays().RecordPlay(t.Context(), mustPlay(t, domain.NewUserID(), porttest.NewExternalID(t)), porttest.FixtureTime); err != nil || !recorded {
		t.Fatalf("RecordPlay = %v, %v; want recorded", recorded, err)
	}
	if n, err := db.Outbox().PendingEvents(t.Context()); err != nil || n != 0 {
		t.Errorf("PendingEvents = %d, %v; want 0: the database is not in outbox mode", n, err)
	}
}

// TestPlayRecordedOnceAcrossProcesses: two handles on one file, as two
// processes would hold, report one play at once; SQLite's write lock lets
// exactly one record it.
func TestPlayRecordedOnceAcrossProcesses(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "moviediary.db")
	first := mustOpenOutbox(t, path)
	second := mustOpenOutbox(t, path)
	p := mustPlay(t, domain.NewUserID(), porttest.NewExternalID(t))
	const perHandle = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		recorded int
	)
	start := make(chan struct{})
	for i := range 2 * perHandle {
		rec := first.Plays()
		if i%2 == 1 {
			rec = second.Plays()
		}
		wg.Go(func() {
			<-start
			_, ok, err := rec.RecordPlay(t.Context(), p, porttest.FixtureTime)
			if err != nil {
				t.Errorf("RecordPlay: %v", err)
			}
			if ok {
				mu.Lock()
				recorded++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if recorded != 1 {
		t.Errorf("%d of %d reports through two handles recorded the play, want exactly one", recorded, 2*perHandle)
	}
	if n, err := first.Outbox().PendingEvents(t.Context()); err != nil || n != 1 {
		t.Errorf("PendingEvents = %d, %v; want the one recorded play's event", n, err)
	}
}

// TestRotatedSecretFailsInEveryHandle: a rotation through one handle on
// the file is seen by the next lookup through another.
func TestRotatedSecretFailsInEveryHandle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "moviediary.db")
	first, second := mustOpen(t, path), mustOpen(t, path)
	user := domain.NewUserID()
	w, _, err := domain.NewWebhook(user, domain.SourcePlex, "", porttest.FixtureTime)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	if err := first.Webhooks().SaveWebhook(ctx, w); err != nil {
		t.Fatalf("SaveWebhook: %v", err)
	}
	if _, err := second.Webhooks().WebhookBySecret(ctx, w.Source, w.SecretHash); err != nil {
		t.Fatalf("WebhookBySecret through the other handle: %v", err)
	}
	if _, err := first.Webhooks().RotateWebhook(ctx, user, w.ID, domain.HashWebhookSecret(domain.NewWebhookSecret())); err != nil {
		t.Fatalf("RotateWebhook: %v", err)
	}
	if _, err := second.Webhooks().WebhookBySecret(ctx, w.Source, w.SecretHash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("WebhookBySecret(rotated secret) through the other handle: error = %v, want ErrNotFound", err)
	}
}

// TestWebhookRowsAreRevalidated: a row the domain would refuse reads as
// corrupt storage, not as a webhook.
func TestWebhookRowsAreRevalidated(t *testing.T) {
	t.Parallel()
	db, path := mustOpenTemp(t)
	user := domain.NewUserID()
	w, _, err := domain.NewWebhook(user, domain.SourcePlex, "ann", porttest.FixtureTime)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	if err := db.Webhooks().SaveWebhook(t.Context(), w); err != nil {
		t.Fatalf("SaveWebhook: %v", err)
	}
	raw := rawDB(t, path)
	if _, err := raw.Exec(`UPDATE webhooks SET plex_account = ' ann' WHERE id = ?`, idBytes(w.ID.UUID())); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Webhooks().WebhookBySecret(t.Context(), w.Source, w.SecretHash); !errors.Is(err, domain.ErrInfrastructure) {
		t.Errorf("WebhookBySecret of a corrupt row: error = %v, want ErrInfrastructure", err)
	}
	if _, err := db.Webhooks().Webhooks(t.Context(), user); !errors.Is(err, domain.ErrInfrastructure) {
		t.Errorf("Webhooks with a corrupt row: error = %v, want ErrInfrastructure", err)
	}
	if _, err := raw.Exec(`UPDATE webhooks SET source = 'emby' WHERE id = ?`, idBytes(w.ID.UUID())); err == nil {
		t.Error("webhooks accepted an Emby webhook with a Plex account, want the CHECK to refuse it")
	}
}

// TestWebhooksMigrationKeepsEarlierData: a database at schema 5 holding a
// viewing and an API token migrates to 6; the earlier rows read as before
// and the new tables work.
func TestWebhooksMigrationKeepsEarlierData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "moviediary.db")
	raw := rawDB(t, path)
	migrateRawBefore(t, raw, webhooksMigration)

	movie, user, review := uuid.New(), uuid.New(), uuid.New()
	watched := time.Date(2023, 1, 1, 20, 0, 0, 0, time.UTC)
	if _, err := raw.Exec(`INSERT INTO movies (id, title, title_key, release_year) VALUES (?, 'Old Film', 'old film', 1960)`, movie[:]); err != nil {
		t.Fatalf("insert movie at schema 5: %v", err)
	}
	if _, err := raw.Exec(`INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at) VALUES (?, ?, ?, 7, NULL, ?, ?)`,
		review[:], movie[:], user[:], watched.Unix(), watched.UnixMicro()); err != nil {
		t.Fatalf("insert review at schema 5: %v", err)
	}
	tok, _, err := domain.NewAPIToken(mustUserID(t, user), "old script", time.Time{}, watched)
	if err != nil {
		t.Fatalf("NewAPIToken: %v", err)
	}
	if _, err := raw.Exec(`INSERT INTO api_tokens (id, user_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		idBytes(tok.ID.UUID()), user[:], tok.Name, tok.Prefix, tok.Hash[:], tok.CreatedAt.UnixMicro()); err != nil {
		t.Fatalf("insert API token at schema 5: %v", err)
	}
	_ = raw.Close()

	db := mustOpen(t, path) // migrates
	e, err := db.Movies().EntryByReviewID(ctx, mustReviewID(t, review))
	if err != nil {
		t.Fatalf("EntryByReviewID after migrating: %v", err)
	}
	if e.Movie.Title.String() != "Old Film" || e.Review.Rating != domain.MustNewRating(3.5) {
		t.Errorf("entry after migrating = %q rated %v, want \"Old Film\" rated 3.5", e.Movie.Title, e.Review.Rating)
	}
	if got, err := db.Tokens().APITokenByHash(ctx, tok.Hash); err != nil || got.ID != tok.ID {
		t.Errorf("APITokenByHash after migrating = %v, %v; want the old token", got.ID, err)
	}

	w, _, err := domain.NewWebhook(mustUserID(t, user), domain.SourceJellyfin, "", porttest.FixtureTime)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	if err := db.Webhooks().SaveWebhook(ctx, w); err != nil {
		t.Fatalf("SaveWebhook after migrating: %v", err)
	}
	if list, err := db.Webhooks().Webhooks(ctx, w.UserID); err != nil || len(list) != 1 {
		t.Errorf("Webhooks after migrating = %d webhooks, %v; want the one saved", len(list), err)
	}
	if _, recorded, err := db.Plays().RecordPlay(ctx, mustPlay(t, w.UserID, porttest.NewExternalID(t)), porttest.FixtureTime); err != nil || !recorded {
		t.Errorf("RecordPlay after migrating = %v, %v; want recorded", recorded, err)
	}

	// Migrating again changes nothing.
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	var applied int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM schema_migrations WHERE version = 6 AND name = ?`, webhooksMigration).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != 1 {
		t.Errorf("schema_migrations records %s %d times, want once", webhooksMigration, applied)
	}
}

func mustPlay(t *testing.T, user domain.UserID, ext domain.ExternalMetadataID) domain.Play {
	t.Helper()
	p, err := domain.NewPlay(user, domain.SourcePlex, domain.PlayWatched, ext, domain.MovieTitle{}, domain.ReleaseYear{},
		porttest.FixtureTime, domain.Rating{}, porttest.FixtureTime)
	if err != nil {
		t.Fatalf("NewPlay: %v", err)
	}
	return p
}

func idBytes(u uuid.UUID) []byte { return u[:] }
