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

// APITokenPrefix starts every personal API token, so that a token is
// recognisable in a script or a secret scanner's findings.
const APITokenPrefix = "mdpat_"

// apiTokenRandomBytes is the randomness of a token: 256 bits.
const apiTokenRandomBytes = 32

// apiTokenShownPrefix is how many characters of a token are kept to show
// which one it is: the marker and 8 random characters.
const apiTokenShownPrefix = len(APITokenPrefix) + 8

// maxTokenNameLen bounds a token's name, in characters.
const maxTokenNameLen = 100

// APITokenID identifies a personal API token.
type APITokenID struct{ id uuid.UUID }

// NewAPITokenID returns a fresh ID.
func NewAPITokenID() APITokenID { return APITokenID{newUUID()} }

// ParseAPITokenID parses a token ID.
func ParseAPITokenID(s string) (APITokenID, error) {
	u, err := parseUUID("token_id", s)
	return APITokenID{u}, err
}

// APITokenIDFromUUID wraps u; the nil UUID is refused.
func APITokenIDFromUUID(u uuid.UUID) (APITokenID, error) {
	if u == uuid.Nil {
		return APITokenID{}, fieldErr("token_id", "must not be the nil UUID")
	}
	return APITokenID{u}, nil
}

// UUID returns the ID as a UUID.
func (id APITokenID) UUID() uuid.UUID { return id.id }

// String returns the canonical form.
func (id APITokenID) String() string { return id.id.String() }

// IsZero reports whether id is unset.
func (id APITokenID) IsZero() bool { return id.id == uuid.Nil }

// APITokenHash is the SHA-256 of a token: what is stored and looked up,
// never the token itself. A token carries 256 random bits, so a fast hash
// is enough: there is nothing to guess.
type APITokenHash [sha256.Size]byte

// HashAPIToken returns the hash a token is stored under.
func HashAPIToken(token string) APITokenHash { return sha256.Sum256([]byte(token)) }

// IsAPIToken reports whether s has the form of a personal API token (as
// opposed to a session token): it starts with APITokenPrefix.
func IsAPIToken(s string) bool { return strings.HasPrefix(s, APITokenPrefix) }

// APIToken is a personal API token as stored: everything but the token.
type APIToken struct {
	// ID identifies the token.
	ID APITokenID
	// UserID is the account the token signs in as.
	UserID UserID
	// Name says what the token is for ("phone"), 1 to 100 characters.
	Name string
	// Prefix is the token's first characters, to recognise it by.
	Prefix string
	// Hash is HashAPIToken of the token.
	Hash APITokenHash
	// CreatedAt is when the token was made (UTC).
	CreatedAt time.Time
	// LastUsedAt is when it last signed a request in, roughly (stores
	// update it at most once a minute); zero when never.
	LastUsedAt time.Time
	// ExpiresAt is when it stops working; zero when never.
	ExpiresAt time.Time
}

// LastUseGranularity is how stale APIToken.LastUsedAt may be: a use is
// recorded only when the last recorded one is older.
const LastUseGranularity = time.Minute

// ActiveAt reports whether the token signs in at now: it has not expired.
func (t APIToken) ActiveAt(now time.Time) bool {
	return t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt)
}

// NewAPIToken makes a token for user named name, expiring at expiresAt
// (zero: never; otherwise it must lie after now). It returns the record to
// store and the token, which exists only here: show it once.
func NewAPIToken(user UserID, name string, expiresAt, now time.Time) (APIToken, string, error) {
	var v Validation
	if user.IsZero() {
		v.Add("user_id", "must be set")
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		v.Add("name", "must not be empty")
	case utf8.RuneCountInString(name) > maxTokenNameLen:
		v.Add("name", "must be at most 100 characters")
	case !utf8.ValidString(name) || hasControl(name, false):
		v.Add("name", "must be valid UTF-8 without control characters")
	}
	var expires time.Time
	if !expiresAt.IsZero() {
		// Stored to the second: checked as stored, so that a token is
		// never made already expired.
		expires = expiresAt.UTC().Truncate(time.Second)
		if !expires.After(now) {
			v.Add("expires_at", "must be in the future")
		}
	}
	if err := v.Err(); err != nil {
		return APIToken{}, "", err
	}
	raw := make([]byte, apiTokenRandomBytes)
	if _, err := rand.Read(raw); err != nil {
		return APIToken{}, "", err
	}
	token := APITokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	return APIToken{
		ID:        NewAPITokenID(),
		UserID:    user,
		Name:      name,
		Prefix:    token[:apiTokenShownPrefix],
		Hash:      HashAPIToken(token),
		CreatedAt: now.UTC().Truncate(time.Microsecond),
		ExpiresAt: expires,
	}, token, nil
}
