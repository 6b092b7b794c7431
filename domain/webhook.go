package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// WebhookSource is a media server that reports plays to a webhook.
type WebhookSource string

// Webhook sources.
const (
	SourcePlex     WebhookSource = "plex"
	SourceJellyfin WebhookSource = "jellyfin"
	SourceEmby     WebhookSource = "emby"
)

// ParseWebhookSource accepts "plex", "jellyfin" or "emby".
func ParseWebhookSource(s string) (WebhookSource, error) {
	switch src := WebhookSource(s); src {
	case SourcePlex, SourceJellyfin, SourceEmby:
		return src, nil
	}
	return "", fieldErr("source", `must be "plex", "jellyfin" or "emby"`)
}

// webhookSecretBytes is the randomness of a webhook secret: 256 bits.
const webhookSecretBytes = 32

// maxPlexAccountLen bounds a webhook's Plex account name, in characters.
const maxPlexAccountLen = 255

// WebhookID identifies a webhook.
type WebhookID struct{ id uuid.UUID }

// NewWebhookID returns a fresh ID.
func NewWebhookID() WebhookID { return WebhookID{newUUID()} }

// ParseWebhookID parses a webhook ID.
func ParseWebhookID(s string) (WebhookID, error) {
	u, err := parseUUID("webhook_id", s)
	return WebhookID{u}, err
}

// WebhookIDFromUUID wraps u; the nil UUID is refused.
func WebhookIDFromUUID(u uuid.UUID) (WebhookID, error) {
	if u == uuid.Nil {
		return WebhookID{}, fieldErr("webhook_id", "must not be the nil UUID")
	}
	return WebhookID{u}, nil
}

// UUID returns the ID as a UUID.
func (id WebhookID) UUID() uuid.UUID { return id.id }

// String returns the canonical form.
func (id WebhookID) String() string { return id.id.String() }

// IsZero reports whether id is unset.
func (id WebhookID) IsZero() bool { return id.id == uuid.Nil }

// WebhookSecretHash is the SHA-256 of a webhook's secret: what is stored
// and looked up, never the secret (256 random bits: a fast hash is
// enough).
type WebhookSecretHash [sha256.Size]byte

// HashWebhookSecret returns the hash a secret is stored under.
func HashWebhookSecret(secret string) WebhookSecretHash { return sha256.Sum256([]byte(secret)) }

// Webhook is a user's secret URL for one media server: plays the server
// posts to it are logged in the user's diary.
type Webhook struct {
	// ID identifies the webhook.
	ID WebhookID
	// UserID is whose diary the plays go to.
	UserID UserID
	// Source is the media server that posts to it.
	Source WebhookSource
	// PlexAccount, when not empty, limits a Plex webhook to the plays of
	// that Plex account (Account.title): a Plex server posts every user's
	// plays to every webhook. Empty for the other sources.
	PlexAccount string
	// SecretHash is HashWebhookSecret of the secret in its URL.
	SecretHash WebhookSecretHash
	// CreatedAt is when it was made (UTC).
	CreatedAt time.Time
	// LastUsedAt is when a play last arrived, roughly (updated at most
	// once per LastUseGranularity); zero when never.
	LastUsedAt time.Time
}

// NewWebhook makes a webhook of user for source; plexAccount may only be
// given for Plex. It returns the record to store and the secret of its
// URL, which exists only here: show it once.
func NewWebhook(user UserID, source WebhookSource, plexAccount string, now time.Time) (Webhook, string, error) {
	var v Validation
	if user.IsZero() {
		v.Add("user_id", "must be set")
	}
	if _, err := ParseWebhookSource(string(source)); err != nil {
		v.Check("source", err)
	}
	plexAccount = strings.TrimSpace(plexAccount)
	switch {
	case plexAccount != "" && source != SourcePlex:
		v.Add("plex_account", "may only be given for plex")
	case utf8.RuneCountInString(plexAccount) > maxPlexAccountLen:
		v.Add("plex_account", "must be at most 255 characters")
	case !utf8.ValidString(plexAccount) || hasControl(plexAccount, false):
		v.Add("plex_account", "must be valid UTF-8 without control characters")
	}
	if err := v.Err(); err != nil {
		return Webhook{}, "", err
	}
	secret := NewWebhookSecret()
	return Webhook{
		ID:          NewWebhookID(),
		UserID:      user,
		Source:      source,
		PlexAccount: plexAccount,
		SecretHash:  HashWebhookSecret(secret),
		CreatedAt:   now.UTC().Truncate(time.Microsecond),
	}, secret, nil
}

// NewWebhookSecret returns a fresh secret for a webhook URL: 256 random
// bits, URL-safe.
func NewWebhookSecret() string {
	raw := make([]byte, webhookSecretBytes)
	_, _ = rand.Read(raw) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Accepts reports whether a play of the Plex account account is for this
// webhook: always, unless the webhook is limited to another account
// (names compare ignoring case).
func (w Webhook) Accepts(account string) bool {
	return w.PlexAccount == "" || strings.EqualFold(strings.TrimSpace(account), w.PlexAccount)
}

// PlayKind says what a media server reported.
type PlayKind string

// Play kinds.
const (
	// PlayWatched: the film was watched to the end.
	PlayWatched PlayKind = "watched"
	// PlayRated: the user rated the film on the media server.
	PlayRated PlayKind = "rated"
)

// PlayDedupWindow is how close in time two reports of one film by one
// user from one source must be to count as the same play.
const PlayDedupWindow = 30 * time.Minute

// Play is a viewing (or a rating) a media server reported for a user.
type Play struct {
	// User is whose diary it goes to.
	User UserID
	// Source is the media server.
	Source WebhookSource
	// Kind is watched or rated.
	Kind PlayKind
	// ExternalID is the film's IMDb ID; zero when the server gave none.
	ExternalID ExternalMetadataID
	// Title is the film's title; zero when the server gave none.
	Title MovieTitle
	// Year is the film's release year; zero when the server gave none.
	Year ReleaseYear
	// At is when it was watched (or rated), UTC, to the second.
	At time.Time
	// Rating is the rating of a PlayRated; zero otherwise.
	Rating Rating
}

// NewPlay validates a reported play: the user, source and kind must be
// set, the film named by an IMDb ID or a title (else a FieldError on
// "film"), at must be set and not in the future (ValidateWatchedAt), and a
// rated play needs a rating.
func NewPlay(user UserID, source WebhookSource, kind PlayKind, ext ExternalMetadataID, title MovieTitle, year ReleaseYear, at time.Time, rating Rating, now time.Time) (Play, error) {
	var v Validation
	if user.IsZero() {
		v.Add("user_id", "must be set")
	}
	if _, err := ParseWebhookSource(string(source)); err != nil {
		v.Check("source", err)
	}
	switch kind {
	case PlayWatched:
	case PlayRated:
		if rating.IsZero() {
			v.Add("rating", "is required for a rating")
		}
	default:
		v.Add("kind", `must be "watched" or "rated"`)
	}
	if ext.IsZero() && title.IsZero() {
		v.Add("film", "needs an IMDb ID or a title")
	}
	v.Check("watched_at", ValidateWatchedAt(at, now))
	if err := v.Err(); err != nil {
		return Play{}, err
	}
	return Play{User: user, Source: source, Kind: kind, ExternalID: ext, Title: title, Year: year,
		At: at.UTC().Truncate(time.Second), Rating: rating}, nil
}

// FilmKey names the play's film for de-duplication: its IMDb ID when
// known, else its title (case-folded) and year.
func (p Play) FilmKey() string {
	if !p.ExternalID.IsZero() {
		return "imdb:" + p.ExternalID.String()
	}
	return "title:" + strings.ToLower(p.Title.String()) + "|" + p.Year.String()
}
