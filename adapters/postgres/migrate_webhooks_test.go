package postgres_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// webhooksMigration adds media-server webhooks and plays.
const webhooksMigration = "0007_webhooks.sql"

// TestWebhooksMigrationKeepsTheDiary: a database at the schema before
// webhooks, holding users, movies, rated and unrated reviews, an API token
// and outbox events, migrates by applying 0007 alone; everything reads
// back as before, the diary totals stay exact, and the new tables take
// webhooks and plays and refuse rows that break their rules.
func TestWebhooksMigrationKeepsTheDiary(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	raw := rawDB(t, url)
	migrateRawBefore(t, raw, webhooksMigration)

	// Filled through the repositories: 0007 changes none of their tables.
	old := openOutboxURL(t, url, false)
	user := porttest.NewUser(t, "before@example.com")
	if err := old.Users().SaveUser(ctx, user); err != nil {
		t.Fatalf("SaveUser at the old schema: %v", err)
	}
	token, _, err := domain.NewAPIToken(user.ID, "scripts", time.Time{}, porttest.FixtureTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Tokens().SaveAPIToken(ctx, token); err != nil {
		t.Fatalf("SaveAPIToken at the old schema: %v", err)
	}
	var (
		movies  []domain.Movie
		reviews []domain.Review
	)
	for i, title := range []string{"Ran", "Ikiru", "Kagemusha"} {
		m := porttest.NewMovie(t, porttest.NewExternalID(t), title, 1950+i, "Akira Kurosawa")
		for j := range 4 {
			r := porttest.NewReview(t, m.ID, user.ID, float64(j)+0.5, porttest.FixtureTime.Add(time.Duration(i*4+j)*time.Hour))
			if j == 0 {
				r.Rating = domain.Rating{}
			}
			saved, err := old.Movies().SaveViewing(ctx, domain.Viewing{Movie: m, Review: r})
			if err != nil {
				t.Fatalf("SaveViewing at the old schema: %v", err)
			}
			m = saved.Movie
			reviews = append(reviews, r)
		}
		movies = append(movies, m)
	}
	events := queryInt(t, raw, `SELECT count(*) FROM outbox_events`)
	if events == 0 {
		t.Fatal("no outbox events stored at the old schema")
	}

	db := openOutboxURL(t, url, false)
	applied, err := db.MigrateReport(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	// 0007 and the migrations after it, nothing before.
	if len(applied) == 0 || applied[0] != 7 || !slices.IsSorted(applied) {
		t.Errorf("Migrate applied %v, want 7 and the later versions", applied)
	}

	// The diary reads back as before.
	if got, err := db.Users().UserByID(ctx, user.ID); err != nil || got.Email != user.Email {
		t.Errorf("UserByID after the migration = %v, %v; want %v", got.Email, err, user.Email)
	}
	if got, err := db.Tokens().APITokenByHash(ctx, token.Hash); err != nil || got.ID != token.ID {
		t.Errorf("APITokenByHash after the migration = %v, %v; want token %v", got.ID, err, token.ID)
	}
	for _, r := range reviews {
		e, err := db.Movies().EntryByReviewID(ctx, r.ID)
		if err != nil {
			t.Fatalf("EntryByReviewID after the migration: %v", err)
		}
		if e.Review.Rating != r.Rating || !e.Review.WatchedAt.Equal(r.WatchedAt) {
			t.Errorf("review %v after the migration: rated %q watched %v, want %q watched %v", r.ID, e.Review.Rating, e.Review.WatchedAt, r.Rating, r.WatchedAt)
		}
	}
	if got := queryInt(t, raw, `SELECT count(*) FROM outbox_events`); got != events {
		t.Errorf("outbox_events holds %d events after the migration, want %d", got, events)
	}
	movieIDs := make([]uuid.UUID, 0, len(movies))
	for _, m := range movies {
		movieIDs = append(movieIDs, m.ID.UUID())
	}
	checkTotals(t, db.Movies(), raw, movieIDs, []uuid.UUID{user.ID.UUID()}, len(reviews))
	checkCountsExact(t, raw)

	// The new tables work, through the repositories and their indexes.
	hook, _, err := domain.NewWebhook(user.ID, domain.SourcePlex, "anna", porttest.FixtureTime)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Webhooks().SaveWebhook(ctx, hook); err != nil {
		t.Fatalf("SaveWebhook after the migration: %v", err)
	}
	if got, err := db.Webhooks().WebhookBySecret(ctx, domain.SourcePlex, hook.SecretHash); err != nil || got.ID != hook.ID || got.PlexAccount != "anna" {
		t.Errorf("WebhookBySecret after the migration = %+v, %v; want webhook %v of anna", got, err, hook.ID)
	}
	play := newPlay(t, user.ID, movies[0].ExternalID, porttest.FixtureTime)
	if _, ok, err := db.Plays().RecordPlay(ctx, play, porttest.FixtureTime.Add(time.Hour)); err != nil || !ok {
		t.Errorf("RecordPlay after the migration = %v, %v; want recorded", ok, err)
	}
	for _, index := range []string{"webhooks_pkey", "webhooks_secret_hash_key", "webhooks_user_created_idx", "plays_pkey", "plays_dedup_idx"} {
		if n := queryInt(t, raw, `SELECT count(*) FROM pg_indexes WHERE indexname = $1`, index); n != 1 {
			t.Errorf("index %s exists %d times after the migration, want once", index, n)
		}
	}

	// Rows that break the new tables' rules are refused.
	hash := make([]byte, 32)
	for _, tc := range []struct {
		name, sql string
		args      []any
	}{
		{"an unknown source", `INSERT INTO webhooks (id, user_id, source, secret_hash, created_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'kodi', $1, now())`, []any{hash}},
		{"a Plex account on a Jellyfin webhook", `INSERT INTO webhooks (id, user_id, source, plex_account, secret_hash, created_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'jellyfin', 'anna', $1, now())`, []any{hash}},
		{"an empty Plex account", `INSERT INTO webhooks (id, user_id, source, plex_account, secret_hash, created_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'plex', ' ', $1, now())`, []any{hash}},
		{"a secret hash of 31 bytes", `INSERT INTO webhooks (id, user_id, source, secret_hash, created_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'emby', $1, now())`, []any{hash[:31]}},
		{"a second webhook with a stored secret hash", `INSERT INTO webhooks (id, user_id, source, secret_hash, created_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'plex', $1, now())`, []any{hook.SecretHash[:]}},
		{"a play of an unknown kind", `INSERT INTO plays (user_id, source, kind, film_key, at, event_id) VALUES (gen_random_uuid(), 'plex', 'paused', 'imdb:tt0090728', now(), gen_random_uuid())`, nil},
		{"a play of an unknown source", `INSERT INTO plays (user_id, source, kind, film_key, at, event_id) VALUES (gen_random_uuid(), 'kodi', 'watched', 'imdb:tt0090728', now(), gen_random_uuid())`, nil},
		{"a play without a film key", `INSERT INTO plays (user_id, source, kind, film_key, at, event_id) VALUES (gen_random_uuid(), 'plex', 'watched', '', now(), gen_random_uuid())`, nil},
	} {
		if _, err := raw.ExecContext(ctx, tc.sql, tc.args...); err == nil {
			t.Errorf("%s was stored", tc.name)
		}
	}

	// And the migration is applied once.
	if again, err := db.MigrateReport(ctx); err != nil || len(again) != 0 {
		t.Errorf("a second Migrate applied %v, %v; want nothing", again, err)
	}
	if _, err := db.Webhooks().WebhookBySecret(ctx, domain.SourceJellyfin, hook.SecretHash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("WebhookBySecret of another source = %v, want ErrNotFound", err)
	}
}
