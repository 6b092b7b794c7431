package sqlrows_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

func TestWebhookToDomain(t *testing.T) {
	t.Parallel()
	user, _ := domain.UserIDFromUUID(userUUID)
	plex, _, err := domain.NewWebhook(user, domain.SourcePlex, "ann", created)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	emby, _, err := domain.NewWebhook(user, domain.SourceEmby, "", created)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	t.Run("a webhook round-trips through its row", func(t *testing.T) {
		t.Parallel()
		used := emby
		used.LastUsedAt = created.Add(time.Minute)
		for _, want := range []domain.Webhook{plex, emby, used} {
			row := sqlrows.WebhookRow(want)
			row.CreatedAt = row.CreatedAt.In(time.FixedZone("CET", 3600))
			got, err := row.ToDomain()
			if err != nil {
				t.Fatalf("ToDomain: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ToDomain = %+v, want %+v", got, want)
			}
			if err := sqlrows.CheckWebhook(want); err != nil {
				t.Errorf("CheckWebhook(new webhook) = %v, want nil", err)
			}
		}
	})
	t.Run("PlexAccountArg is NULL for every account", func(t *testing.T) {
		t.Parallel()
		if a := sqlrows.PlexAccountArg(""); a.Valid {
			t.Errorf("PlexAccountArg(\"\") = %+v, want NULL", a)
		}
		if a := sqlrows.PlexAccountArg("ann"); !a.Valid || a.String != "ann" {
			t.Errorf("PlexAccountArg(\"ann\") = %+v, want \"ann\"", a)
		}
	})
	t.Run("every bad column is reported", func(t *testing.T) {
		t.Parallel()
		row := sqlrows.Webhook{ID: uuid.Nil, UserID: uuid.Nil, Source: "kodi", PlexAccount: "ann", SecretHash: []byte{1}}
		_, err := row.ToDomain()
		want := sorted("id", "user_id", "source", "plex_account", "secret_hash", "created_at")
		if got := fieldsOf(t, err); !slices.Equal(got, want) {
			t.Errorf("ToDomain reports %q, want %q (error: %v)", got, want, err)
		}
		if err := sqlrows.CheckWebhook(domain.Webhook{}); err == nil {
			t.Error("CheckWebhook(zero webhook) = nil, want a validation error")
		}
	})
	for _, account := range []string{" ann", "a\x00nn", "\xff", strings.Repeat("x", 256)} {
		row := sqlrows.WebhookRow(plex)
		row.PlexAccount = account
		if _, err := row.ToDomain(); !slices.Equal(fieldsOf(t, err), []string{"plex_account"}) {
			t.Errorf("ToDomain(plex_account %q) error = %v, want the plex_account reported", account, err)
		}
	}
	jellyfin := sqlrows.WebhookRow(emby)
	jellyfin.Source, jellyfin.PlexAccount = "jellyfin", "ann"
	if _, err := jellyfin.ToDomain(); !slices.Equal(fieldsOf(t, err), []string{"plex_account"}) {
		t.Errorf("ToDomain(a Jellyfin webhook with a Plex account) error = %v, want the plex_account reported", err)
	}
}
