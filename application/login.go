package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/moviediary/moviediary/domain"
)

// ErrInvalidCredentials is the one error Login returns for an unknown email
// and for a wrong password alike, so that a client cannot tell which
// accounts exist. It wraps domain.ErrUnauthorized.
var ErrInvalidCredentials error = invalidCredentials{}

type invalidCredentials struct{}

func (invalidCredentials) Error() string { return "invalid email or password" }
func (invalidCredentials) Unwrap() error { return domain.ErrUnauthorized }

// LoginCommand asks for a token in exchange for credentials.
type LoginCommand struct {
	// Email is the account's address.
	Email string
	// Password is the plain password.
	Password string
}

// LoginResult is a signed-in user and their bearer token.
type LoginResult struct {
	// User is the account that logged in.
	User domain.User
	// Token is the bearer token issued to it.
	Token domain.Token
}

// Login checks credentials and issues a bearer token.
type Login struct {
	users  domain.UserRepository
	hasher domain.PasswordHasher
	auth   domain.AuthService
}

// NewLogin returns the Login use case; no port may be nil.
func NewLogin(users domain.UserRepository, hasher domain.PasswordHasher, auth domain.AuthService) (*Login, error) {
	if err := checkDependencies("Login",
		dependency{"users", users},
		dependency{"hasher", hasher},
		dependency{"auth", auth},
	); err != nil {
		return nil, err
	}
	return &Login{users: users, hasher: hasher, auth: auth}, nil
}

// Handle returns a token for the user cmd names when the password matches,
// issued for the account's current session generation (User.Session), so
// that it stays valid until the account next signs out (Logout).
// An unknown or malformed email and a wrong password both give
// ErrInvalidCredentials, after the same password-verification work, so
// neither the answer nor its timing tells them apart.
func (uc *Login) Handle(ctx context.Context, cmd LoginCommand) (LoginResult, error) {
	var user domain.User // the zero user has the zero hash: dummy work
	if email, err := domain.ParseEmail(cmd.Email); err == nil {
		user, err = uc.users.UserByEmail(ctx, email)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return LoginResult{}, fmt.Errorf("login: find user by email: %w", err)
		}
	}
	ok, err := uc.hasher.VerifyPassword(ctx, cmd.Password, user.PasswordHash)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: verify password: %w", err)
	}
	if !ok || user.ID.IsZero() {
		return LoginResult{}, ErrInvalidCredentials
	}
	token, err := uc.auth.IssueToken(ctx, user.Session())
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: issue token: %w", err)
	}
	return LoginResult{User: user, Token: token}, nil
}
