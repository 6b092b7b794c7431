package porttest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// TestWebhookRepository runs the WebhookRepository contract. newRepo must
// return a new, empty repository each time; it is called once per subtest.
//
// The suite pins saving and finding by source and secret hash with every
// field (a Plex account or none), ErrNotFound for an unknown hash or the
// right hash under another source, ErrConflict for a stored ID or hash,
// listing a user's webhooks newest first (none is an empty list),
// rotation and deletion by the owner only — a rotated secret is not found
// at once, the new one is, and nothing else changes — and TouchWebhook
// moving LastUsedAt forward only and ignoring unknown webhooks. Times are
// compared as the domain makes them: to the microsecond.
func TestWebhookRepository(t *testing.T, newRepo func(t *testing.T) domain.WebhookRepository) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, repo domain.WebhookRepository)
	}{
		{"saved webhook is found by source and hash with every field", testWebhookRoundTrip},
		{"unknown hash or another source is not found", testWebhookNotFound},
		{"stored ID or hash is a conflict", testWebhookConflict},
		{"Webhooks lists the user's webhooks newest first", testWebhooksList},
		{"RotateWebhook replaces the owner's secret at once", testWebhookRotate},
		{"RotateWebhook of another user's webhook is not found", testWebhookRotateOther},
		{"DeleteWebhook removes the owner's webhook", testWebhookDelete},
		{"DeleteWebhook of another user's webhook is not found", testWebhookDeleteOther},
		{"TouchWebhook moves LastUsedAt forward only", testWebhookTouch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newRepo(t))
		})
	}
}

func testWebhookRoundTrip(t *testing.T, repo domain.WebhookRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	hooks := []domain.Webhook{
		newWebhook(t, user, domain.SourcePlex, "", FixtureTime),
		newWebhook(t, user, domain.SourcePlex, "Ann — アン", FixtureTime.Add(time.Second)),
		newWebhook(t, user, domain.SourceJellyfin, "", FixtureTime.Add(2*time.Second)),
		newWebhook(t, user, domain.SourceEmby, "", FixtureTime.Add(3*time.Second)),
	}
	for _, w := range hooks {
		mustSaveWebhook(t, repo, w)
	}
	for _, want := range hooks {
		got, err := repo.WebhookBySecret(ctx, want.Source, want.SecretHash)
		if err != nil {
			t.Fatalf("WebhookBySecret(%s, %q): %v", want.Source, want.PlexAccount, err)
		}
		checkWebhook(t, "WebhookBySecret", got, want)
	}
}

func testWebhookNotFound(t *testing.T, repo domain.WebhookRepository) {
	ctx := t.Context()
	stored := newWebhook(t, domain.NewUserID(), domain.SourceJellyfin, "", FixtureTime)
	mustSaveWebhook(t, repo, stored)
	if _, err := repo.WebhookBySecret(ctx, domain.SourceJellyfin, domain.HashWebhookSecret(domain.NewWebhookSecret())); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("WebhookBySecret(unknown hash) error = %v, want ErrNotFound", err)
	}
	for _, source := range []domain.WebhookSource{domain.SourcePlex, domain.SourceEmby} {
		if _, err := repo.WebhookBySecret(ctx, source, stored.SecretHash); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("WebhookBySecret(%s, a jellyfin webhook's hash) error = %v, want ErrNotFound", source, err)
		}
	}
}

func testWebhookConflict(t *testing.T, repo domain.WebhookRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	stored := newWebhook(t, user, domain.SourcePlex, "", FixtureTime)
	mustSaveWebhook(t, repo, stored)

	sameID := newWebhook(t, user, domain.SourceEmby, "", FixtureTime)
	sameID.ID = stored.ID
	sameHash := newWebhook(t, domain.NewUserID(), domain.SourceJellyfin, "", FixtureTime)
	sameHash.SecretHash = stored.SecretHash
	for name, w := range map[string]domain.Webhook{"ID": sameID, "hash": sameHash} {
		if err := repo.SaveWebhook(ctx, w); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("SaveWebhook with a stored %s: error = %v, want ErrConflict", name, err)
		}
	}
	got, err := repo.WebhookBySecret(ctx, stored.Source, stored.SecretHash)
	if err != nil {
		t.Fatalf("WebhookBySecret: %v", err)
	}
	checkWebhook(t, "stored webhook after conflicts", got, stored)
	if _, err := repo.WebhookBySecret(ctx, sameID.Source, sameID.SecretHash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("WebhookBySecret(refused webhook) error = %v, want ErrNotFound", err)
	}
	for _, u := range []domain.UserID{user, sameHash.UserID} {
		want := []domain.Webhook{}
		if u == user {
			want = []domain.Webhook{stored}
		}
		list, err := repo.Webhooks(ctx, u)
		if err != nil {
			t.Fatalf("Webhooks: %v", err)
		}
		checkWebhooks(t, list, want)
	}
}

func testWebhooksList(t *testing.T, repo domain.WebhookRepository) {
	ctx := t.Context()
	ann, bob := domain.NewUserID(), domain.NewUserID()
	list, err := repo.Webhooks(ctx, ann)
	if err != nil {
		t.Fatalf("Webhooks of a user without webhooks: %v, want none and no error", err)
	}
	if len(list) != 0 {
		t.Errorf("Webhooks of a user without webhooks = %d webhooks, want none", len(list))
	}
	// Saved out of creation order, interleaved with another user's.
	sources := []domain.WebhookSource{domain.SourcePlex, domain.SourceJellyfin, domain.SourceEmby}
	var annHooks []domain.Webhook
	for i, h := range []int{3, 1, 4, 0, 2} {
		created := FixtureTime.Add(time.Duration(h) * time.Hour)
		w := newWebhook(t, ann, sources[i%len(sources)], "", created)
		mustSaveWebhook(t, repo, w)
		mustSaveWebhook(t, repo, newWebhook(t, bob, sources[i%len(sources)], "", created))
		annHooks = append(annHooks, w)
	}
	list, err = repo.Webhooks(ctx, ann)
	if err != nil {
		t.Fatalf("Webhooks: %v", err)
	}
	// Newest first: created 4, 3, 2, 1, 0 hours after FixtureTime.
	want := []domain.Webhook{annHooks[2], annHooks[0], annHooks[4], annHooks[1], annHooks[3]}
	checkWebhooks(t, list, want)
}

func testWebhookRotate(t *testing.T, repo domain.WebhookRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	w := newWebhook(t, user, domain.SourcePlex, "ann", FixtureTime)
	other := newWebhook(t, user, domain.SourceEmby, "", FixtureTime.Add(time.Second))
	mustSaveWebhook(t, repo, w)
	mustSaveWebhook(t, repo, other)
	used := FixtureTime.Add(time.Hour)
	if err := repo.TouchWebhook(ctx, w.ID, used); err != nil {
		t.Fatalf("TouchWebhook: %v", err)
	}

	newHash := domain.HashWebhookSecret(domain.NewWebhookSecret())
	got, err := repo.RotateWebhook(ctx, user, w.ID, newHash)
	if err != nil {
		t.Fatalf("RotateWebhook: %v", err)
	}
	want := w
	want.SecretHash = newHash
	want.LastUsedAt = used
	checkWebhook(t, "RotateWebhook", got, want)
	if _, err := repo.WebhookBySecret(ctx, w.Source, w.SecretHash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("WebhookBySecret(rotated secret) error = %v, want ErrNotFound", err)
	}
	got, err = repo.WebhookBySecret(ctx, w.Source, newHash)
	if err != nil {
		t.Fatalf("WebhookBySecret(new secret): %v", err)
	}
	checkWebhook(t, "WebhookBySecret(new secret)", got, want)
	list, err := repo.Webhooks(ctx, user)
	if err != nil {
		t.Fatalf("Webhooks: %v", err)
	}
	checkWebhooks(t, list, []domain.Webhook{other, want})

	if _, err := repo.RotateWebhook(ctx, user, domain.NewWebhookID(), domain.HashWebhookSecret(domain.NewWebhookSecret())); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("RotateWebhook(unknown) error = %v, want ErrNotFound", err)
	}
}

func testWebhookRotateOther(t *testing.T, repo domain.WebhookRepository) {
	ctx := t.Context()
	w := newWebhook(t, domain.NewUserID(), domain.SourceJellyfin, "", FixtureTime)
	mustSaveWebhook(t, repo, w)
	newHash := domain.HashWebhookSecret(domain.NewWebhookSecret())
	if _, err := repo.RotateWebhook(ctx, domain.NewUserID(), w.ID, newHash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("RotateWebhook by another user: error = %v, want ErrNotFound", err)
	}
	got, err := repo.WebhookBySecret(ctx, w.Source, w.SecretHash)
	if err != nil {
		t.Fatalf("WebhookBySecret after another user's RotateWebhook: %v, want the old secret still working", err)
	}
	checkWebhook(t, "webhook after another user's RotateWebhook", got, w)
	if _, err := repo.WebhookBySecret(ctx, w.Source, newHash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("WebhookBySecret(the refused new secret) error = %v, want ErrNotFound", err)
	}
}

func testWebhookDelete(t *testing.T, repo domain.WebhookRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	gone := newWebhook(t, user, domain.SourcePlex, "", FixtureTime)
	kept := newWebhook(t, user, domain.SourcePlex, "", FixtureTime.Add(time.Second))
	mustSaveWebhook(t, repo, gone)
	mustSaveWebhook(t, repo, kept)

	if err := repo.DeleteWebhook(ctx, user, gone.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if _, err := repo.WebhookBySecret(ctx, gone.Source, gone.SecretHash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("WebhookBySecret(deleted) error = %v, want ErrNotFound", err)
	}
	if err := repo.DeleteWebhook(ctx, user, gone.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteWebhook(deleted again) error = %v, want ErrNotFound", err)
	}
	if err := repo.DeleteWebhook(ctx, user, domain.NewWebhookID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteWebhook(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := repo.RotateWebhook(ctx, user, gone.ID, domain.HashWebhookSecret(domain.NewWebhookSecret())); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("RotateWebhook(deleted) error = %v, want ErrNotFound", err)
	}
	list, err := repo.Webhooks(ctx, user)
	if err != nil {
		t.Fatalf("Webhooks: %v", err)
	}
	checkWebhooks(t, list, []domain.Webhook{kept})
}

func testWebhookDeleteOther(t *testing.T, repo domain.WebhookRepository) {
	ctx := t.Context()
	owner := domain.NewUserID()
	w := newWebhook(t, owner, domain.SourceEmby, "", FixtureTime)
	mustSaveWebhook(t, repo, w)
	if err := repo.DeleteWebhook(ctx, domain.NewUserID(), w.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteWebhook by another user: error = %v, want ErrNotFound", err)
	}
	got, err := repo.WebhookBySecret(ctx, w.Source, w.SecretHash)
	if err != nil {
		t.Fatalf("WebhookBySecret after another user's DeleteWebhook: %v, want the webhook still there", err)
	}
	checkWebhook(t, "webhook after another user's DeleteWebhook", got, w)
	list, err := repo.Webhooks(ctx, owner)
	if err != nil {
		t.Fatalf("Webhooks: %v", err)
	}
	checkWebhooks(t, list, []domain.Webhook{w})
}

func testWebhookTouch(t *testing.T, repo domain.WebhookRepository) {
	ctx := t.Context()
	w := newWebhook(t, domain.NewUserID(), domain.SourcePlex, "", FixtureTime)
	other := newWebhook(t, domain.NewUserID(), domain.SourcePlex, "", FixtureTime)
	mustSaveWebhook(t, repo, w)
	mustSaveWebhook(t, repo, other)

	used := FixtureTime.Add(time.Hour + 123456*time.Microsecond)
	steps := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"first use", used, used},
		{"an older use does not move it back", used.Add(-time.Minute), used},
		{"the same use again", used, used},
		{"a later use moves it", used.Add(2 * time.Minute), used.Add(2 * time.Minute)},
	}
	for _, step := range steps {
		if err := repo.TouchWebhook(ctx, w.ID, step.at); err != nil {
			t.Fatalf("TouchWebhook(%s): %v", step.name, err)
		}
		want := w
		want.LastUsedAt = step.want
		got, err := repo.WebhookBySecret(ctx, w.Source, w.SecretHash)
		if err != nil {
			t.Fatalf("WebhookBySecret: %v", err)
		}
		checkWebhook(t, "webhook after "+step.name, got, want)
	}
	if err := repo.TouchWebhook(ctx, domain.NewWebhookID(), used); err != nil {
		t.Errorf("TouchWebhook(unknown) = %v, want nil", err)
	}
	got, err := repo.WebhookBySecret(ctx, other.Source, other.SecretHash)
	if err != nil {
		t.Fatalf("WebhookBySecret(other): %v", err)
	}
	checkWebhook(t, "untouched webhook", got, other)
}

// newWebhook returns a webhook of user for source made at now, as
// domain.NewWebhook makes it; the secret itself is dropped.
func newWebhook(t testing.TB, user domain.UserID, source domain.WebhookSource, plexAccount string, now time.Time) domain.Webhook {
	t.Helper()
	w, _, err := domain.NewWebhook(user, source, plexAccount, now)
	if err != nil {
		t.Fatalf("porttest: webhook: %v", err)
	}
	return w
}

func mustSaveWebhook(t *testing.T, repo domain.WebhookRepository, w domain.Webhook) {
	t.Helper()
	if err := repo.SaveWebhook(t.Context(), w); err != nil {
		t.Fatalf("SaveWebhook(%s %v): %v", w.Source, w.ID, err)
	}
}

// checkWebhook compares every field; times must be equal instants in UTC,
// and zero times zero.
func checkWebhook(t *testing.T, what string, got, want domain.Webhook) {
	t.Helper()
	sameTime := func(a, b time.Time) bool { return a.IsZero() == b.IsZero() && a.Equal(b) }
	same := got.ID == want.ID && got.UserID == want.UserID && got.Source == want.Source &&
		got.PlexAccount == want.PlexAccount && got.SecretHash == want.SecretHash &&
		sameTime(got.CreatedAt, want.CreatedAt) && sameTime(got.LastUsedAt, want.LastUsedAt)
	if !same {
		t.Errorf("%s = %s, want %s", what, describeWebhook(got), describeWebhook(want))
	}
	for _, tm := range []time.Time{got.CreatedAt, got.LastUsedAt} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s has a time in %v, want UTC", what, tm.Location())
		}
	}
}

// checkWebhooks compares lists by ID first, so a wrong order reads as
// such, then every field.
func checkWebhooks(t *testing.T, got, want []domain.Webhook) {
	t.Helper()
	ids := func(ws []domain.Webhook) []string {
		out := make([]string, len(ws))
		for i, w := range ws {
			out[i] = string(w.Source) + " " + w.ID.String()
		}
		return out
	}
	if len(got) != len(want) {
		t.Errorf("Webhooks = %q, want %q", ids(got), ids(want))
		return
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Errorf("Webhooks = %q, want %q", ids(got), ids(want))
			return
		}
	}
	for i := range want {
		checkWebhook(t, fmt.Sprintf("Webhooks[%d]", i), got[i], want[i])
	}
}

func describeWebhook(w domain.Webhook) string {
	return fmt.Sprintf("{ID %v, UserID %v, Source %s, PlexAccount %q, SecretHash %x…, CreatedAt %s, LastUsedAt %s}",
		w.ID, w.UserID, w.Source, w.PlexAccount, w.SecretHash[:4], w.CreatedAt.Format(time.RFC3339Nano),
		w.LastUsedAt.Format(time.RFC3339Nano))
}
