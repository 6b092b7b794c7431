package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/moviediary/moviediary/domain"
)

// Authenticate turns a bearer token into the user it was issued to.
type Authenticate struct {
	auth  domain.AuthService
	users domain.UserRepository
}

// NewAuthenticate returns the Authenticate use case; no port may be nil.
func NewAuthenticate(auth domain.AuthService, users domain.UserRepository) (*Authenticate, error) {
	if err := checkDependencies("Authenticate",
		dependency{"auth", auth},
		dependency{"users", users},
	); err != nil {
		return nil, err
	}
	return &Authenticate{auth: auth, users: users}, nil
}

// Handle returns the user token belongs to. A token that is missing,
// forged, expired or malformed, one whose user no longer exists, and one
// whose session was ended (its session generation is no longer the
// user's: the account signed out since it was issued) give an error
// wrapping domain.ErrUnauthorized; failures of the machinery underneath
// keep their own kind. The user is read on every call, so a sign-out in
// any process takes effect at the next request.
func (uc *Authenticate) Handle(ctx context.Context, token string) (domain.User, error) {
	if token == "" {
		return domain.User{}, fmt.Errorf("%w: no token", domain.ErrUnauthorized)
	}
	session, err := uc.auth.ValidateToken(ctx, token)
	if err != nil {
		return domain.User{}, fmt.Errorf("authenticate: %w", err)
	}
	user, err := uc.users.UserByID(ctx, session.User)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.User{}, fmt.Errorf("%w: the token's user no longer exists", domain.ErrUnauthorized)
	}
	if err != nil {
		return domain.User{}, fmt.Errorf("authenticate: find user: %w", err)
	}
	if !user.Accepts(session) {
		return domain.User{}, fmt.Errorf("%w: the token's session was ended (generation %d, the account is at %d)",
			domain.ErrUnauthorized, session.Generation, user.SessionGeneration)
	}
	return user, nil
}
