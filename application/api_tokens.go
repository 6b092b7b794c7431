package application

import (
	"context"
	"fmt"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// CreateAPITokenCommand asks for a personal API token.
type CreateAPITokenCommand struct {
	// UserID is the account the token will sign in as.
	UserID domain.UserID
	// Name says what the token is for, 1 to 100 characters.
	Name string
	// ExpiresAt is when the token stops working; nil for never. It must
	// lie in the future.
	ExpiresAt *time.Time
}

// CreatedAPIToken is a new token: its record, and the token itself, which
// is shown once and never stored.
type CreatedAPIToken struct {
	// Record is what is stored.
	Record domain.APIToken
	// Token is what the client sends as "Authorization: Bearer <Token>".
	Token string
}

// APITokens manages a user's personal API tokens: create, list, revoke.
// A token works wherever a session token does (Authenticate).
type APITokens struct {
	tokens domain.APITokenRepository
	now    func() time.Time
}

// NewAPITokens returns the use case; tokens must not be nil (give it the
// CredentialCache Authenticate uses, so that a revocation takes effect in
// this process at once). A nil now means time.Now.
func NewAPITokens(tokens domain.APITokenRepository, now func() time.Time) (*APITokens, error) {
	if err := checkDependencies("APITokens", dependency{"tokens", tokens}); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &APITokens{tokens: tokens, now: now}, nil
}

// Create makes and stores a token. A blank or overlong name, or an expiry
// that is not in the future, is a *domain.ValidationError naming the field
// (name, expires_at).
func (uc *APITokens) Create(ctx context.Context, cmd CreateAPITokenCommand) (CreatedAPIToken, error) {
	var expires time.Time
	if cmd.ExpiresAt != nil {
		if cmd.ExpiresAt.IsZero() {
			return CreatedAPIToken{}, domain.FieldError{Field: "expires_at", Rule: "must be a time in the future, or null for never"}
		}
		expires = *cmd.ExpiresAt
	}
	record, token, err := domain.NewAPIToken(cmd.UserID, cmd.Name, expires, uc.now())
	if err != nil {
		return CreatedAPIToken{}, err
	}
	if err := uc.tokens.SaveAPIToken(ctx, record); err != nil {
		return CreatedAPIToken{}, fmt.Errorf("create API token: %w", err)
	}
	return CreatedAPIToken{Record: record, Token: token}, nil
}

// List returns the user's tokens, newest first.
func (uc *APITokens) List(ctx context.Context, user domain.UserID) ([]domain.APIToken, error) {
	if user.IsZero() {
		return nil, domain.FieldError{Field: "user_id", Rule: ruleUserIDRequired}
	}
	tokens, err := uc.tokens.APITokens(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return tokens, nil
}

// Revoke deletes the user's token id: a malformed ID is a validation error
// (field token_id); an unknown one, or another user's, domain.ErrNotFound.
func (uc *APITokens) Revoke(ctx context.Context, user domain.UserID, id string) error {
	tid, err := domain.ParseAPITokenID(id)
	if err != nil {
		return err
	}
	if err := uc.tokens.DeleteAPIToken(ctx, user, tid); err != nil {
		return fmt.Errorf("revoke API token %s: %w", tid, err)
	}
	return nil
}
