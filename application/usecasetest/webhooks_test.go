package application_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// webhooksHarness wires Webhooks to a mocked repository and a settable
// clock.
type webhooksHarness struct {
	repo  *mock.MockWebhookRepository
	logs  *logRecorder
	clock *fakeClock
	uc    *application.Webhooks
}

func newWebhooksHarness(t *testing.T) *webhooksHarness {
	t.Helper()
	logger, logs := newLogger()
	h := &webhooksHarness{repo: mock.NewMockWebhookRepository(gomock.NewController(t)), logs: logs, clock: newFakeClock()}
	h.uc = must(application.NewWebhooks(h.repo, logger, h.clock.Now))
	return h
}

// requireValidationField fails unless err is a validation error (a
// FieldError or a *ValidationError) naming field.
func requireValidationField(tb testing.TB, err error, field string) {
	tb.Helper()
	if !errors.Is(err, domain.ErrValidation) {
		tb.Fatalf("error %v: want a validation error on %q", err, field)
	}
	var fe domain.FieldError
	if errors.As(err, &fe) && fe.Field == field {
		return
	}
	if _, ok := fieldRules(tb, err)[field]; !ok {
		tb.Fatalf("error %v: does not name %q", err, field)
	}
}

func TestNewWebhooksRejectsANilRepository(t *testing.T) {
	t.Parallel()
	if _, err := application.NewWebhooks(nil, slog.Default(), clock); err == nil {
		t.Fatal("NewWebhooks(nil) succeeded")
	}
	if _, err := application.NewWebhooks(mock.NewMockWebhookRepository(gomock.NewController(t)), nil, nil); err != nil {
		t.Fatalf("a nil logger and clock are defaults: %v", err)
	}
}

func TestWebhooksCreate(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	tests := []struct {
		name        string
		cmd         application.CreateWebhookCommand
		wantSource  domain.WebhookSource
		wantAccount string
	}{
		{"a plex webhook for every account", application.CreateWebhookCommand{UserID: user, Source: "plex"}, domain.SourcePlex, ""},
		{"a plex webhook for one account", application.CreateWebhookCommand{UserID: user, Source: "plex", PlexAccount: " alice "}, domain.SourcePlex, "alice"},
		{"a jellyfin webhook", application.CreateWebhookCommand{UserID: user, Source: "jellyfin"}, domain.SourceJellyfin, ""},
		{"an emby webhook", application.CreateWebhookCommand{UserID: user, Source: "emby"}, domain.SourceEmby, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newWebhooksHarness(t)
			var saved domain.Webhook
			h.repo.EXPECT().SaveWebhook(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, w domain.Webhook) error {
				saved = w
				return nil
			})
			got, err := h.uc.Create(t.Context(), tt.cmd)
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if got.Record != saved {
				t.Errorf("returned %+v, want the stored %+v", got.Record, saved)
			}
			if saved.ID.IsZero() || saved.UserID != user || saved.Source != tt.wantSource || saved.PlexAccount != tt.wantAccount ||
				!saved.CreatedAt.Equal(fixedNow) || !saved.LastUsedAt.IsZero() {
				t.Errorf("stored %+v, want user %v, source %q, account %q, created now, never used", saved, user, tt.wantSource, tt.wantAccount)
			}
			if got.Secret == "" || saved.SecretHash != domain.HashWebhookSecret(got.Secret) {
				t.Errorf("stored hash is not the hash of the secret %q", got.Secret)
			}
		})
	}
}

func TestWebhooksCreateRefusesBeforeStoring(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	tests := []struct {
		name  string
		cmd   application.CreateWebhookCommand
		field string
	}{
		{"an unknown source", application.CreateWebhookCommand{UserID: user, Source: "kodi"}, "source"},
		{"a source in capitals", application.CreateWebhookCommand{UserID: user, Source: "Plex"}, "source"},
		{"no source", application.CreateWebhookCommand{UserID: user}, "source"},
		{"a plex account for jellyfin", application.CreateWebhookCommand{UserID: user, Source: "jellyfin", PlexAccount: "alice"}, "plex_account"},
		{"a plex account with a control character", application.CreateWebhookCommand{UserID: user, Source: "plex", PlexAccount: "a\x07"}, "plex_account"},
		{"no user", application.CreateWebhookCommand{Source: "plex"}, "user_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newWebhooksHarness(t) // gomock fails on any repository call
			got, err := h.uc.Create(t.Context(), tt.cmd)
			requireValidationField(t, err, tt.field)
			if got.Secret != "" || got.Record != (domain.Webhook{}) {
				t.Errorf("a refused webhook came with %+v", got)
			}
		})
	}
}

func TestWebhooksCreateKeepsTheStoreErrorKind(t *testing.T) {
	t.Parallel()
	for _, kind := range []error{domain.ErrConflict, domain.ErrUnavailable} {
		h := newWebhooksHarness(t)
		h.repo.EXPECT().SaveWebhook(gomock.Any(), gomock.Any()).Return(kind)
		got, err := h.uc.Create(t.Context(), application.CreateWebhookCommand{UserID: domain.NewUserID(), Source: "emby"})
		requireKind(t, err, kind)
		if got.Secret != "" {
			t.Errorf("a secret %q came with a failed store", got.Secret)
		}
	}
}

func TestWebhooksList(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	newer, _ := must2(domain.NewWebhook(user, domain.SourcePlex, "", fixedNow))
	older, _ := must2(domain.NewWebhook(user, domain.SourceEmby, "", fixedNow.Add(-time.Hour)))
	hooks := []domain.Webhook{newer, older}

	h := newWebhooksHarness(t)
	h.repo.EXPECT().Webhooks(gomock.Any(), user).Return(hooks, nil)
	got, err := h.uc.List(t.Context(), user)
	if err != nil || len(got) != 2 || got[0] != hooks[0] || got[1] != hooks[1] {
		t.Errorf("List = %+v, %v; want the stored webhooks in order", got, err)
	}

	h = newWebhooksHarness(t)
	h.repo.EXPECT().Webhooks(gomock.Any(), user).Return(nil, nil)
	if got, err := h.uc.List(t.Context(), user); err != nil || len(got) != 0 {
		t.Errorf("List of none = %v, %v", got, err)
	}

	h = newWebhooksHarness(t)
	h.repo.EXPECT().Webhooks(gomock.Any(), user).Return(nil, errDB)
	_, err = h.uc.List(t.Context(), user)
	requireKind(t, err, domain.ErrInfrastructure)

	h = newWebhooksHarness(t)
	_, err = h.uc.List(t.Context(), domain.UserID{})
	requireValidationField(t, err, "user_id")
}

func TestWebhooksRotate(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	old, oldSecret := must2(domain.NewWebhook(user, domain.SourcePlex, "alice", fixedNow.Add(-time.Hour)))

	h := newWebhooksHarness(t)
	var newHash domain.WebhookSecretHash
	h.repo.EXPECT().RotateWebhook(gomock.Any(), user, old.ID, gomock.Any()).DoAndReturn(
		func(_ context.Context, _ domain.UserID, _ domain.WebhookID, hash domain.WebhookSecretHash) (domain.Webhook, error) {
			newHash = hash
			w := old
			w.SecretHash = hash
			return w, nil
		})
	got, err := h.uc.Rotate(t.Context(), user, old.ID.String())
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if got.Secret == "" || got.Secret == oldSecret || newHash != domain.HashWebhookSecret(got.Secret) || newHash == old.SecretHash {
		t.Errorf("rotated to secret %q with hash %x: want a new secret whose hash is stored", got.Secret, newHash)
	}
	if got.Record.ID != old.ID || got.Record.SecretHash != newHash || got.Record.PlexAccount != "alice" {
		t.Errorf("record %+v, want the stored webhook with the new hash", got.Record)
	}

	t.Run("another user's or an unknown webhook is not found", func(t *testing.T) {
		t.Parallel()
		h := newWebhooksHarness(t)
		h.repo.EXPECT().RotateWebhook(gomock.Any(), user, old.ID, gomock.Any()).Return(domain.Webhook{}, errNoRow)
		got, err := h.uc.Rotate(t.Context(), user, old.ID.String())
		requireKind(t, err, domain.ErrNotFound)
		if got.Secret != "" {
			t.Errorf("a secret %q came with a failed rotation", got.Secret)
		}
	})
	t.Run("a malformed ID is refused before the repository", func(t *testing.T) {
		t.Parallel()
		h := newWebhooksHarness(t)
		for _, id := range []string{"", "nope", "00000000-0000-0000-0000-000000000000"} {
			_, err := h.uc.Rotate(t.Context(), user, id)
			requireValidationField(t, err, "webhook_id")
		}
	})
	t.Run("a failing repository keeps its kind", func(t *testing.T) {
		t.Parallel()
		h := newWebhooksHarness(t)
		h.repo.EXPECT().RotateWebhook(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.Webhook{}, errDB)
		_, err := h.uc.Rotate(t.Context(), user, old.ID.String())
		requireKind(t, err, domain.ErrInfrastructure)
	})
}

func TestWebhooksDelete(t *testing.T) {
	t.Parallel()
	user, id := domain.NewUserID(), domain.NewWebhookID()

	h := newWebhooksHarness(t)
	h.repo.EXPECT().DeleteWebhook(gomock.Any(), user, id).Return(nil)
	if err := h.uc.Delete(t.Context(), user, id.String()); err != nil {
		t.Errorf("Delete: %v", err)
	}

	h = newWebhooksHarness(t)
	h.repo.EXPECT().DeleteWebhook(gomock.Any(), user, id).Return(errNoRow)
	requireKind(t, h.uc.Delete(t.Context(), user, id.String()), domain.ErrNotFound)

	h = newWebhooksHarness(t)
	h.repo.EXPECT().DeleteWebhook(gomock.Any(), user, id).Return(errDB)
	requireKind(t, h.uc.Delete(t.Context(), user, id.String()), domain.ErrInfrastructure)

	h = newWebhooksHarness(t)
	requireValidationField(t, h.uc.Delete(t.Context(), user, "not-an-id"), "webhook_id")
}

func TestWebhooksFind(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	hook, secret := must2(domain.NewWebhook(user, domain.SourceJellyfin, "", fixedNow.Add(-24*time.Hour)))
	hash := domain.HashWebhookSecret(secret)

	t.Run("the webhook of the secret, a first use recorded", func(t *testing.T) {
		t.Parallel()
		h := newWebhooksHarness(t)
		h.repo.EXPECT().WebhookBySecret(gomock.Any(), domain.SourceJellyfin, hash).Return(hook, nil)
		h.repo.EXPECT().TouchWebhook(gomock.Any(), hook.ID, fixedNow).Return(nil)
		got, err := h.uc.Find(t.Context(), "jellyfin", secret)
		if err != nil || got != hook {
			t.Errorf("Find = %+v, %v; want %+v", got, err, hook)
		}
	})
	t.Run("a use is recorded once a minute", func(t *testing.T) {
		t.Parallel()
		h := newWebhooksHarness(t)
		used := hook
		used.LastUsedAt = fixedNow
		h.repo.EXPECT().WebhookBySecret(gomock.Any(), domain.SourceJellyfin, hash).Return(used, nil).AnyTimes()
		for _, step := range []time.Duration{0, 30 * time.Second, 30 * time.Second} { // up to a minute: not again
			h.clock.Advance(step)
			if _, err := h.uc.Find(t.Context(), "jellyfin", secret); err != nil {
				t.Fatalf("Find at %v: %v", h.clock.Now(), err)
			}
		}
		h.clock.Advance(time.Second)
		h.repo.EXPECT().TouchWebhook(gomock.Any(), hook.ID, fixedNow.Add(domain.LastUseGranularity+time.Second)).Return(nil)
		if _, err := h.uc.Find(t.Context(), "jellyfin", secret); err != nil {
			t.Fatalf("Find: %v", err)
		}
	})
	t.Run("a failure to record the use is logged, not refused", func(t *testing.T) {
		t.Parallel()
		h := newWebhooksHarness(t)
		h.repo.EXPECT().WebhookBySecret(gomock.Any(), gomock.Any(), gomock.Any()).Return(hook, nil)
		h.repo.EXPECT().TouchWebhook(gomock.Any(), hook.ID, fixedNow).Return(errDB)
		got, err := h.uc.Find(t.Context(), "jellyfin", secret)
		if err != nil || got != hook {
			t.Errorf("Find = %+v, %v; want the webhook", got, err)
		}
		warns := h.logs.at(slog.LevelWarn)
		if len(warns) != 1 || attr(warns[0], "webhook_id") != hook.ID.String() {
			t.Errorf("warnings %v: want one naming the webhook", warns)
		}
		if attr(warns[0], "error") == "" {
			t.Error("the warning does not say what failed")
		}
	})
	t.Run("unknown, rotated and other-source secrets are one not found", func(t *testing.T) {
		t.Parallel()
		h := newWebhooksHarness(t)
		h.repo.EXPECT().WebhookBySecret(gomock.Any(), domain.SourceJellyfin, hash).Return(domain.Webhook{}, errNoRow)
		h.repo.EXPECT().WebhookBySecret(gomock.Any(), domain.SourcePlex, hash).Return(domain.Webhook{}, errNoRow)
		var msgs []string
		for _, c := range []struct{ source, secret string }{
			{"jellyfin", secret}, // rotated or deleted: the repository has no such hash
			{"plex", secret},     // another source's URL
			{"kodi", secret},     // no such source: the repository is not asked
			{"Jellyfin", secret},
			{"jellyfin", ""}, // no secret at all
		} {
			got, err := h.uc.Find(t.Context(), c.source, c.secret)
			requireKind(t, err, domain.ErrNotFound)
			if got != (domain.Webhook{}) {
				t.Errorf("Find(%q) returned %+v with its error", c.source, got)
			}
			msgs = append(msgs, err.Error())
		}
		for _, m := range msgs[1:] {
			if m != msgs[0] {
				t.Errorf("not-found errors differ (%q, %q): they must not hint at why", msgs[0], m)
			}
		}
	})
	t.Run("a failing repository keeps its kind and is not a not found", func(t *testing.T) {
		t.Parallel()
		h := newWebhooksHarness(t)
		h.repo.EXPECT().WebhookBySecret(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.Webhook{}, errDB)
		_, err := h.uc.Find(t.Context(), "jellyfin", secret)
		requireKind(t, err, domain.ErrInfrastructure)
		if errors.Is(err, domain.ErrNotFound) {
			t.Errorf("a database failure reads as not found: %v", err)
		}
	})
}
