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
// forged, expired or malformed, and one whose user no longer exists, give
// an error wrapping domain.ErrUnauthorized; failures of the machinery
// underneath keep their own kind.
func (uc *Authenticate) Handle(ctx context.Context, token string) (domain.User, error) {
	if token == "" {
		return domain.User{}, fmt.Errorf("%w: no token", domain.ErrUnauthorized)
	}
	id, err := uc.auth.ValidateToken(ctx, token)
	if err != nil {
		return domain.User{}, fmt.Errorf("authenticate: %w", err)
	}
	user, err := uc.users.UserByID(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.User{}, fmt.Errorf("%w: the token's user no longer exists", domain.ErrUnauthorized)
	}
	if err != nil {
		return domain.User{}, fmt.Errorf("authenticate: find user: %w", err)
	}
	return user, nil
}
