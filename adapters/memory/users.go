package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/moviediary/moviediary/domain"
)

var _ domain.UserRepository = (*UserRepository)(nil)

// UserRepository is an in-memory domain.UserRepository. The zero value is
// not usable; make one with NewUserRepository.
type UserRepository struct {
	mu      sync.RWMutex
	byID    map[domain.UserID]domain.User
	byEmail map[domain.Email]domain.UserID
	// order holds the IDs in the order they were saved.
	order []domain.UserID
}

// NewUserRepository returns an empty repository.
func NewUserRepository() *UserRepository {
	return &UserRepository{
		byID:    make(map[domain.UserID]domain.User),
		byEmail: make(map[domain.Email]domain.UserID),
	}
}

// UserByEmail returns the user with that address, or ErrNotFound. Email
// values are lower case, so the lookup ignores the case an address was
// typed in.
func (r *UserRepository) UserByEmail(_ context.Context, email domain.Email) (domain.User, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if id, ok := r.byEmail[email]; ok {
		return r.byID[id], nil
	}
	return domain.User{}, fmt.Errorf("user with email %v: %w", email, domain.ErrNotFound)
}

// UserByID returns the user, or ErrNotFound.
func (r *UserRepository) UserByID(_ context.Context, id domain.UserID) (domain.User, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if u, ok := r.byID[id]; ok {
		return u, nil
	}
	return domain.User{}, fmt.Errorf("user %v: %w", id, domain.ErrNotFound)
}

// Owner returns the first account saved, or ErrNotFound.
func (r *UserRepository) Owner(context.Context) (domain.User, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.order) == 0 {
		return domain.User{}, fmt.Errorf("owner: no account yet: %w", domain.ErrNotFound)
	}
	return r.byID[r.order[0]], nil
}

// IncrementSessionGeneration adds one to the user's session generation and
// returns the new value, or ErrNotFound.
func (r *UserRepository) IncrementSessionGeneration(_ context.Context, id domain.UserID) (uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.byID[id]
	if !ok {
		return 0, fmt.Errorf("user %v: %w", id, domain.ErrNotFound)
	}
	u.SessionGeneration++
	r.byID[id] = u
	return u.SessionGeneration, nil
}

// SaveUser stores a new user; ErrConflict when the email or the ID is
// taken.
func (r *UserRepository) SaveUser(_ context.Context, u domain.User) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.save(u)
}

// SaveFirstUser stores u only if no user exists yet; ErrForbidden when one
// does.
func (r *UserRepository) SaveFirstUser(_ context.Context, u domain.User) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byID) > 0 {
		return fmt.Errorf("save first user: an account exists already: %w", domain.ErrForbidden)
	}
	return r.save(u)
}

func (r *UserRepository) save(given domain.User) error {
	u, err := domain.RestoreUser(given.ID, given.Email, given.PasswordHash, given.CreatedAt)
	if err != nil {
		return fmt.Errorf("save user: %w", err)
	}
	u.SessionGeneration = given.SessionGeneration
	if _, ok := r.byEmail[u.Email]; ok {
		return fmt.Errorf("save user: email %v is taken: %w", u.Email, domain.ErrConflict)
	}
	if _, ok := r.byID[u.ID]; ok {
		return fmt.Errorf("save user: user %v exists: %w", u.ID, domain.ErrConflict)
	}
	r.byID[u.ID] = u
	r.byEmail[u.Email] = u.ID
	r.order = append(r.order, u.ID)
	return nil
}
