package sqlrows

import (
	"database/sql"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// maxPlexAccount bounds a stored Plex account name, in characters, as
// domain.NewWebhook does.
const maxPlexAccount = 255

// Webhook is a row of webhooks, decoded.
type Webhook struct {
	// ID is the webhook's ID.
	ID uuid.UUID
	// UserID is whose diary the plays go to.
	UserID uuid.UUID
	// Source is the media server: "plex", "jellyfin" or "emby".
	Source string
	// PlexAccount is the Plex account the webhook is limited to; empty when
	// the column is NULL (every account, and every other source).
	PlexAccount string
	// SecretHash is the SHA-256 of the secret in the webhook's URL, 32
	// bytes.
	SecretHash []byte
	// CreatedAt is when the webhook was made.
	CreatedAt time.Time
	// LastUsedAt is when a play last arrived; zero when the column is NULL
	// (never).
	LastUsedAt time.Time
	// DecodeErrors lists the columns the store could not decode, as
	// Movie.DecodeErrors does.
	DecodeErrors []domain.FieldError
}

// WebhookRow is w's row, ready for a store to encode into its own column
// types (PlexAccountArg for plex_account); its ToDomain gives w back when
// w is valid.
func WebhookRow(w domain.Webhook) Webhook {
	return Webhook{
		ID:          w.ID.UUID(),
		UserID:      w.UserID.UUID(),
		Source:      string(w.Source),
		PlexAccount: w.PlexAccount,
		SecretHash:  w.SecretHash[:],
		CreatedAt:   w.CreatedAt,
		LastUsedAt:  w.LastUsedAt,
	}
}

// PlexAccountArg is a webhook's Plex account as the nullable plex_account
// column: NULL when the webhook takes every account's plays.
func PlexAccountArg(account string) sql.NullString {
	return sql.NullString{String: account, Valid: account != ""}
}

// ToDomain rebuilds the webhook, re-validating every column: the IDs, a
// known source, a Plex account only for Plex, of at most 255 characters,
// trimmed, without control characters, a 32-byte secret hash and a
// creation time. When columns fail it returns a *domain.ValidationError
// listing every one of them, named for the column. Times are returned in
// UTC; a NULL last_used_at stays the zero time.
func (r Webhook) ToDomain() (domain.Webhook, error) {
	var c checker
	c.row("", r.DecodeErrors)
	id, err := domain.WebhookIDFromUUID(r.ID)
	c.check("id", err)
	user, err := domain.UserIDFromUUID(r.UserID)
	c.check("user_id", err)
	source, err := domain.ParseWebhookSource(r.Source)
	c.check("source", err)
	switch {
	case r.PlexAccount == "":
	case source != domain.SourcePlex:
		c.add("plex_account", "may only be set for plex")
	case utf8.RuneCountInString(r.PlexAccount) > maxPlexAccount:
		c.add("plex_account", "must be at most 255 characters")
	case !utf8.ValidString(r.PlexAccount) || strings.IndexFunc(r.PlexAccount, unicode.IsControl) >= 0:
		c.add("plex_account", "must be valid UTF-8 without control characters")
	case strings.TrimSpace(r.PlexAccount) != r.PlexAccount:
		c.add("plex_account", "must be trimmed")
	}
	var hash domain.WebhookSecretHash
	if len(r.SecretHash) != len(hash) {
		c.add("secret_hash", "must be 32 bytes")
	}
	if r.CreatedAt.IsZero() {
		c.add("created_at", ruleRequired)
	}
	if c.failed {
		return domain.Webhook{}, c.v.Err()
	}
	copy(hash[:], r.SecretHash)
	return domain.Webhook{
		ID:          id,
		UserID:      user,
		Source:      source,
		PlexAccount: r.PlexAccount,
		SecretHash:  hash,
		CreatedAt:   r.CreatedAt.UTC(),
		LastUsedAt:  r.LastUsedAt.UTC(), // the zero time stays zero
	}, nil
}

// CheckWebhook refuses a webhook that a store is asked to save but that
// was not built by domain.NewWebhook: it returns a *domain.ValidationError
// listing every column that would not read back, or nil.
func CheckWebhook(w domain.Webhook) error {
	_, err := WebhookRow(w).ToDomain()
	return err
}
