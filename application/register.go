package application

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
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
//
// Under RegistrationOwnerOnly it remembers once it has seen that the owner
// exists, and from then on refuses every sign-up before looking at the
// input: no lookup, no password hash, the same work whatever the email.
// Until then it asks the store only through SaveFirstUser, one sign-up at a
// time, so the owner's email and any other take the same path.
type Register struct {
	users  domain.UserRepository
	hasher domain.PasswordHasher
	policy RegistrationPolicy
	now    func() time.Time

	// ownerExists is set once SaveFirstUser stored the owner or refused
	// because an account exists (RegistrationOwnerOnly only).
	ownerExists atomic.Bool
	// firstSignUp lets one owner-only sign-up at a time hash a password
	// while ownerExists is not yet known, so a burst of sign-ups against an
	// existing owner costs one hash, not one each.
	firstSignUp chan struct{}
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
	return &Register{users: users, hasher: hasher, policy: policy, now: now, firstSignUp: make(chan struct{}, 1)}, nil
}

// Closed reports whether every sign-up is refused now, whatever its input:
// the policy is RegistrationClosed, or RegistrationOwnerOnly and the owner
// is known to exist. It does no I/O and never blocks, so a caller can ask
// before reading a request or waiting for anything; Handle refuses exactly
// these sign-ups with domain.ErrForbidden before looking at its input.
// Under RegistrationOwnerOnly it is false until a sign-up has found or
// stored the owner (after a restart, until the first sign-up asks).
func (uc *Register) Closed() bool {
	switch uc.policy {
	case RegistrationClosed:
		return true
	case RegistrationOwnerOnly:
		return uc.ownerExists.Load()
	}
	return false
}

// Handle creates the account cmd describes and returns it.
//
// Errors: domain.ErrForbidden when the policy refuses the sign-up — checked
// first, before the input, when registration is closed or the owner is
// known to exist; a *domain.ValidationError (fields email, password) for
// malformed input; domain.ErrConflict when the email is taken under the
// open policy (found before hashing); ctx's error when it ends while
// another owner-only sign-up is being decided. A refusal never reveals
// whether the email is the owner's: under the owner-only policy no email is
// looked up, and every refused address does the same work.
func (uc *Register) Handle(ctx context.Context, cmd RegisterCommand) (domain.User, error) {
	switch {
	case uc.policy == RegistrationClosed:
		return domain.User{}, errRegistrationClosed
	case uc.policy == RegistrationOwnerOnly && uc.ownerExists.Load():
		return domain.User{}, errOwnerRegistered
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
	if uc.policy == RegistrationOwnerOnly {
		return uc.registerOwner(ctx, email, cmd.Password)
	}

	switch _, err := uc.users.UserByEmail(ctx, email); {
	case err == nil:
		return domain.User{}, errEmailTaken
	case !errors.Is(err, domain.ErrNotFound):
		return domain.User{}, fmt.Errorf("register: find user by email: %w", err)
	}
	user, err := uc.newUser(ctx, email, cmd.Password)
	if err != nil {
		return domain.User{}, err
	}
	if err := uc.users.SaveUser(ctx, user); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return domain.User{}, errEmailTaken
		}
		return domain.User{}, fmt.Errorf("register: save user: %w", err)
	}
	return user, nil
}

// registerOwner stores the first account, one attempt at a time; the
// attempt that finds an account (or stores one) closes sign-up for every
// later call. The email is not looked up first: an existing owner's
// address and any other get the same hash and the same refusal.
func (uc *Register) registerOwner(ctx context.Context, email domain.Email, password string) (domain.User, error) {
	select {
	case uc.firstSignUp <- struct{}{}:
	case <-ctx.Done():
		return domain.User{}, fmt.Errorf("register: %w", ctx.Err())
	}
	defer func() { <-uc.firstSignUp }()
	if uc.ownerExists.Load() {
		return domain.User{}, errOwnerRegistered
	}
	user, err := uc.newUser(ctx, email, password)
	if err != nil {
		return domain.User{}, err
	}
	switch err := uc.users.SaveFirstUser(ctx, user); {
	case err == nil:
		uc.ownerExists.Store(true)
		return user, nil
	case errors.Is(err, domain.ErrForbidden):
		uc.ownerExists.Store(true)
		return domain.User{}, errOwnerRegistered
	default:
		return domain.User{}, fmt.Errorf("register: save first user: %w", err)
	}
}

// newUser hashes password and builds the account.
func (uc *Register) newUser(ctx context.Context, email domain.Email, password string) (domain.User, error) {
	hash, err := uc.hasher.HashPassword(ctx, password)
	if err != nil {
		return domain.User{}, fmt.Errorf("register: hash password: %w", err)
	}
	user, err := domain.NewUser(email, hash, uc.now())
	if err != nil {
		// Only the hash can be wrong here: a hasher bug, not the client's.
		return domain.User{}, fmt.Errorf("register: %w: unusable password hash: %v", domain.ErrInfrastructure, err)
	}
	return user, nil
}

// Errors Register returns for refused sign-ups.
var (
	errRegistrationClosed = fmt.Errorf("%w: registration is closed", domain.ErrForbidden)
	errOwnerRegistered    = fmt.Errorf("%w: registration is closed: the owner's account exists", domain.ErrForbidden)
	errEmailTaken         = fmt.Errorf("%w: an account with this email already exists", domain.ErrConflict)
)
