package application

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// RegistrationPolicy says who may create an account.
type RegistrationPolicy int

// Registration policies. The zero value is RegistrationOwnerOnly.
const (
	// RegistrationOwnerOnly lets only the first account (the owner) be
	// registered; later sign-ups are forbidden.
	RegistrationOwnerOnly RegistrationPolicy = iota
	// RegistrationOpen lets anyone register.
	RegistrationOpen
	// RegistrationClosed forbids every sign-up; accounts are added by an
	// operator.
	RegistrationClosed
)

// ParseRegistrationPolicy reads the ALLOW_REGISTRATION setting: "" is
// owner-only, "true" open, "false" closed; anything else is an error.
func ParseRegistrationPolicy(s string) (RegistrationPolicy, error) {
	switch s {
	case "":
		return RegistrationOwnerOnly, nil
	case "true":
		return RegistrationOpen, nil
	case "false":
		return RegistrationClosed, nil
	}
	return RegistrationOwnerOnly, fmt.Errorf("%w: registration policy %q: must be empty (owner only), true or false", domain.ErrValidation, s)
}

// String returns "owner-only", "open" or "closed".
func (p RegistrationPolicy) String() string {
	switch p {
	case RegistrationOpen:
		return "open"
	case RegistrationClosed:
		return "closed"
	}
	return "owner-only"
}

// Password bounds, in bytes.
const (
	MinPasswordBytes = 8
	MaxPasswordBytes = 1024
)

// RegisterCommand asks to create an account.
type RegisterCommand struct {
	// Email is the account's address.
	Email string
	// Password is the plain password, 8 to 1024 bytes; it is never stored.
	Password string
}

// Register creates accounts according to a RegistrationPolicy.
type Register struct {
	users  domain.UserRepository
	hasher domain.PasswordHasher
	policy RegistrationPolicy
	now    func() time.Time
}

// NewRegister returns the Register use case. users and hasher must not be
// nil; a nil now means time.Now.
func NewRegister(users domain.UserRepository, hasher domain.PasswordHasher, policy RegistrationPolicy, now func() time.Time) (*Register, error) {
	if err := checkDependencies("Register",
		dependency{"users", users},
		dependency{"hasher", hasher},
	); err != nil {
		return nil, err
	}
	switch policy {
	case RegistrationOwnerOnly, RegistrationOpen, RegistrationClosed:
	default:
		return nil, fmt.Errorf("%w: Register: unknown registration policy %d", domain.ErrValidation, int(policy))
	}
	if now == nil {
		now = time.Now
	}
	return &Register{users: users, hasher: hasher, policy: policy, now: now}, nil
}

// Handle creates the account cmd describes and returns it.
//
// Errors: domain.ErrForbidden when the policy refuses the sign-up (closed,
// checked first, or owner-only once an account exists); a
// *domain.ValidationError (fields email, password) for malformed input; domain.ErrConflict when the email
// is taken under the open policy. The policy and the email are checked
// before the password is hashed where the ports allow it.
func (uc *Register) Handle(ctx context.Context, cmd RegisterCommand) (domain.User, error) {
	if uc.policy == RegistrationClosed {
		return domain.User{}, errRegistrationClosed
	}
	var v domain.Validation
	email, err := domain.ParseEmail(cmd.Email)
	v.Check("email", err)
	switch n := len(cmd.Password); {
	case n < MinPasswordBytes:
		v.Add("password", "must be at least 8 bytes")
	case n > MaxPasswordBytes:
		v.Add("password", "must be at most 1024 bytes")
	}
	if err := v.Err(); err != nil {
		return domain.User{}, err
	}

	switch _, err := uc.users.UserByEmail(ctx, email); {
	case err == nil:
		if uc.policy == RegistrationOwnerOnly {
			// An account exists, so the owner is registered: say so
			// without revealing whose address this is.
			return domain.User{}, errOwnerRegistered
		}
		return domain.User{}, errEmailTaken
	case !errors.Is(err, domain.ErrNotFound):
		return domain.User{}, fmt.Errorf("register: find user by email: %w", err)
	}

	hash, err := uc.hasher.HashPassword(ctx, cmd.Password)
	if err != nil {
		return domain.User{}, fmt.Errorf("register: hash password: %w", err)
	}
	user, err := domain.NewUser(email, hash, uc.now())
	if err != nil {
		// Only the hash can be wrong here: a hasher bug, not the client's.
		return domain.User{}, fmt.Errorf("register: %w: unusable password hash: %v", domain.ErrInfrastructure, err)
	}
	if uc.policy == RegistrationOwnerOnly {
		if err := uc.users.SaveFirstUser(ctx, user); err != nil {
			if errors.Is(err, domain.ErrForbidden) {
				return domain.User{}, errOwnerRegistered
			}
			return domain.User{}, fmt.Errorf("register: save first user: %w", err)
		}
		return user, nil
	}
	if err := uc.users.SaveUser(ctx, user); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return domain.User{}, errEmailTaken
		}
		return domain.User{}, fmt.Errorf("register: save user: %w", err)
	}
	return user, nil
}

// Errors Register returns for refused sign-ups.
var (
	errRegistrationClosed = fmt.Errorf("%w: registration is closed", domain.ErrForbidden)
	errOwnerRegistered    = fmt.Errorf("%w: registration is closed: the owner's account exists", domain.ErrForbidden)
	errEmailTaken         = fmt.Errorf("%w: an account with this email already exists", domain.ErrConflict)
)
