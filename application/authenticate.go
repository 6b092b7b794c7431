package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Authenticate turns a bearer token — a session token (AuthService) or a
// personal API token — into the user it signs in.
type Authenticate struct {
	auth   domain.AuthService
	users  domain.UserRepository
	tokens domain.APITokenRepository
	logger *slog.Logger
	now    func() time.Time
}

// NewAuthenticate returns the Authenticate use case; no port may be nil. A
// nil logger means slog.Default() and a nil now time.Now. Give it a
// CredentialCache as users and tokens so that requests cost no database
// round trip while the cache can answer.
func NewAuthenticate(auth domain.AuthService, users domain.UserRepository, tokens domain.APITokenRepository, logger *slog.Logger, now func() time.Time) (*Authenticate, error) {
	if err := checkDependencies("Authenticate",
		dependency{"auth", auth},
		dependency{"users", users},
		dependency{"tokens", tokens},
	); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Authenticate{auth: auth, users: users, tokens: tokens, logger: logger, now: now}, nil
}

// Handle returns the user token signs in. Every refusal wraps
// domain.ErrUnauthorized, whatever its cause: a token that is missing,
// forged, expired or malformed; a session token whose session was ended
// (its generation is no longer the account's: the account signed out
// since it was issued); an API token that is unknown, revoked or expired;
// a token whose user no longer exists. Failures of the machinery
// underneath keep their own kind.
//
// An API token's use is recorded (TouchAPIToken) when the last recorded
// use is older than domain.LastUseGranularity; a failure to record it is
// logged and does not refuse the request.
func (uc *Authenticate) Handle(ctx context.Context, token string) (domain.User, error) {
	if token == "" {
		return domain.User{}, fmt.Errorf("%w: no token", domain.ErrUnauthorized)
	}
	if domain.IsAPIToken(token) {
		return uc.apiToken(ctx, token)
	}
	session, err := uc.auth.ValidateToken(ctx, token)
	if err != nil {
		return domain.User{}, fmt.Errorf("authenticate: %w", err)
	}
	user, err := uc.user(ctx, session.User)
	if err != nil {
		return domain.User{}, err
	}
	if !user.Accepts(session) {
		return domain.User{}, fmt.Errorf("%w: the token's session was ended (generation %d, the account is at %d)",
			domain.ErrUnauthorized, session.Generation, user.SessionGeneration)
	}
	return user, nil
}

// apiToken signs in with a personal API token.
func (uc *Authenticate) apiToken(ctx context.Context, token string) (domain.User, error) {
	t, err := uc.tokens.APITokenByHash(ctx, domain.HashAPIToken(token))
	if errors.Is(err, domain.ErrNotFound) {
		return domain.User{}, fmt.Errorf("%w: unknown or revoked API token", domain.ErrUnauthorized)
	}
	if err != nil {
		return domain.User{}, fmt.Errorf("authenticate: find API token: %w", err)
	}
	now := uc.now()
	if !t.ActiveAt(now) {
		return domain.User{}, fmt.Errorf("%w: the API token expired at %s", domain.ErrUnauthorized, t.ExpiresAt.Format(time.RFC3339))
	}
	user, err := uc.user(ctx, t.UserID)
	if err != nil {
		return domain.User{}, err
	}
	if now.Sub(t.LastUsedAt) > domain.LastUseGranularity {
		if err := uc.tokens.TouchAPIToken(ctx, t.ID, now); err != nil {
			uc.logger.WarnContext(ctx, "recording an API token's use failed", "token_id", t.ID.String(), "error", err.Error())
		}
	}
	return user, nil
}

// user reads the account a token names; one that no longer exists is
// unauthorized.
func (uc *Authenticate) user(ctx context.Context, id domain.UserID) (domain.User, error) {
	user, err := uc.users.UserByID(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.User{}, fmt.Errorf("%w: the token's user no longer exists", domain.ErrUnauthorized)
	}
	if err != nil {
		return domain.User{}, fmt.Errorf("authenticate: find user: %w", err)
	}
	return user, nil
}
