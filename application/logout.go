package application

import (
	"context"
	"fmt"

	"github.com/moviediary/moviediary/domain"
)

// LogoutCommand asks to end the sessions of an account.
type LogoutCommand struct {
	// User is the account to sign out; its ID comes from the authenticated
	// request, never from the client's input.
	User domain.UserID
}

// Logout ends every session of an account: every page session and every
// session token issued to it so far, in every process. It adds one to the
// account's session generation; Authenticate refuses tokens of an older
// generation, and Login issues new ones for the new generation. Through a
// CredentialCache the sign-out holds in this process at once and in the
// others once their cache entry expires (its TTL). Personal API tokens are
// not sessions: they stay until revoked (APITokens.Revoke).
//
// It is the revocation a password change (or an administrator's "sign out
// everywhere") calls after storing the new password, so that the old
// sessions end with it.
type Logout struct {
	users domain.UserRepository
}

// NewLogout returns the Logout use case; users must not be nil.
func NewLogout(users domain.UserRepository) (*Logout, error) {
	if err := checkDependencies("Logout", dependency{"users", users}); err != nil {
		return nil, err
	}
	return &Logout{users: users}, nil
}

// Handle ends every session of cmd.User. Errors: a *domain.ValidationError
// (field user_id) for the zero ID; domain.ErrNotFound when the account does
// not exist; failures of the repository keep their kind.
func (uc *Logout) Handle(ctx context.Context, cmd LogoutCommand) error {
	if cmd.User.IsZero() {
		var v domain.Validation
		v.Add("user_id", "must be set")
		return v.Err()
	}
	if _, err := uc.users.IncrementSessionGeneration(ctx, cmd.User); err != nil {
		return fmt.Errorf("logout: end the sessions of user %v: %w", cmd.User, err)
	}
	return nil
}
