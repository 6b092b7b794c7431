package sqlrows

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// Bounds of the stored columns of a token that the domain gives no
// constructor for.
const (
	maxTokenName   = 100 // characters, as domain.NewAPIToken allows
	maxTokenPrefix = 64  // bytes; domain.NewAPIToken keeps the marker and 8 characters
)

// APIToken is a row of api_tokens, decoded.
type APIToken struct {
	// ID is the token's ID.
	ID uuid.UUID
	// UserID is the account the token signs in as.
	UserID uuid.UUID
	// Name says what the token is for.
	Name string
	// Prefix is the token's first characters, shown to recognise it.
	Prefix string
	// Hash is the SHA-256 of the token, 32 bytes.
	Hash []byte
	// CreatedAt is when the token was made.
	CreatedAt time.Time
	// LastUsedAt is when the token was last used; zero when the column is
	// NULL (never used).
	LastUsedAt time.Time
	// ExpiresAt is when the token stops working; zero when the column is
	// NULL (never).
	ExpiresAt time.Time
	// DecodeErrors lists the columns the store could not decode, as
	// Movie.DecodeErrors does.
	DecodeErrors []domain.FieldError
}

// APITokenRow is t's row, ready for a store to encode into its own column
// types; its ToDomain gives t back when t is valid.
func APITokenRow(t domain.APIToken) APIToken {
	return APIToken{
		ID:         t.ID.UUID(),
		UserID:     t.UserID.UUID(),
		Name:       t.Name,
		Prefix:     t.Prefix,
		Hash:       t.Hash[:],
		CreatedAt:  t.CreatedAt,
		LastUsedAt: t.LastUsedAt,
		ExpiresAt:  t.ExpiresAt,
	}
}

// ToDomain rebuilds the token, re-validating every column: the IDs, a name
// of 1 to 100 characters, trimmed, without control characters, a prefix
// starting with domain.APITokenPrefix, a 32-byte hash and a creation time.
// When columns fail it returns a *domain.ValidationError listing every one
// of them, named for the column. Times are returned in UTC; a NULL
// last_used_at or expires_at stays the zero time.
func (r APIToken) ToDomain() (domain.APIToken, error) {
	var c checker
	c.row("", r.DecodeErrors)
	id, err := domain.APITokenIDFromUUID(r.ID)
	c.check("id", err)
	user, err := domain.UserIDFromUUID(r.UserID)
	c.check("user_id", err)
	switch n := utf8.RuneCountInString(r.Name); {
	case n == 0 || n > maxTokenName:
		c.add("name", "must be 1 to 100 characters")
	case !utf8.ValidString(r.Name) || strings.IndexFunc(r.Name, unicode.IsControl) >= 0:
		c.add("name", "must be valid UTF-8 without control characters")
	case strings.TrimSpace(r.Name) != r.Name:
		c.add("name", "must be trimmed")
	}
	if !strings.HasPrefix(r.Prefix, domain.APITokenPrefix) || len(r.Prefix) > maxTokenPrefix {
		c.add("prefix", "must start with "+domain.APITokenPrefix+" and be at most 64 bytes")
	}
	var hash domain.APITokenHash
	if len(r.Hash) != len(hash) {
		c.add("hash", "must be 32 bytes")
	}
	if r.CreatedAt.IsZero() {
		c.add("created_at", ruleRequired)
	}
	if c.failed {
		return domain.APIToken{}, c.v.Err()
	}
	copy(hash[:], r.Hash)
	return domain.APIToken{
		ID:         id,
		UserID:     user,
		Name:       r.Name,
		Prefix:     r.Prefix,
		Hash:       hash,
		CreatedAt:  r.CreatedAt.UTC(),
		LastUsedAt: r.LastUsedAt.UTC(), // the zero time stays zero
		ExpiresAt:  r.ExpiresAt.UTC(),
	}, nil
}

// CheckAPIToken refuses a token that a store is asked to save but that was
// not built by domain.NewAPIToken: it returns a *domain.ValidationError
// listing every column that would not read back, or nil.
func CheckAPIToken(t domain.APIToken) error {
	_, err := APITokenRow(t).ToDomain()
	return err
}
