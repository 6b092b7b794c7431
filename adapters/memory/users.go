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
	// private holds the users whose diary is private, for the movie
	// repositories that see these users (WithUsers).
	private map[domain.UserID]bool
}

// NewUserRepository returns an empty repository.
func NewUserRepository() *UserRepository {
	return &UserRepository{
		byID:    make(map[domain.UserID]domain.User),
		byEmail: make(map[domain.Email]domain.UserID),
		private: make(map[domain.UserID]bool),
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

// UsersByID returns the users of ids that exist, each once.
func (r *UserRepository) UsersByID(_ context.Context, ids []domain.UserID) ([]domain.User, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	users := make([]domain.User, 0, len(ids))
	seen := make(map[domain.UserID]bool, len(ids))
	for _, id := range ids {
		if u, ok := r.byID[id]; ok && !seen[id] {
			seen[id] = true
			users = append(users, u)
		}
	}
	return users, nil
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
	u.DisplayName, u.Private = given.DisplayName, given.Private
	if _, ok := r.byEmail[u.Email]; ok {
		return fmt.Errorf("save user: email %v is taken: %w", u.Email, domain.ErrConflict)
	}
	if _, ok := r.byID[u.ID]; ok {
		return fmt.Errorf("save user: user %v exists: %w", u.ID, domain.ErrConflict)
	}
	r.byID[u.ID] = u
	r.byEmail[u.Email] = u.ID
	r.order = append(r.order, u.ID)
	if u.Private {
		r.private[u.ID] = true
	}
	return nil
}

// UpdateProfile applies p's non-nil fields to the user's display name and
// privacy and returns the user as stored, or ErrNotFound. A movie
// repository that sees this repository (WithUsers) hides or shows the
// user's viewings at once.
func (r *UserRepository) UpdateProfile(_ context.Context, id domain.UserID, p domain.ProfileUpdate) (domain.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.byID[id]
	if !ok {
		return domain.User{}, fmt.Errorf("update profile of user %v: %w", id, domain.ErrNotFound)
	}
	u = p.Apply(u)
	r.byID[id] = u
	if u.Private {
		r.private[id] = true
	} else {
		delete(r.private, id)
	}
	return u, nil
}

// hidden returns the users whose diary viewer may not see: the private
// ones other than viewer; nil when there are none. A nil r hides no one.
func (r *UserRepository) hidden(viewer domain.UserID) map[domain.UserID]bool {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.private) == 0 || len(r.private) == 1 && r.private[viewer] {
		return nil
	}
	out := make(map[domain.UserID]bool, len(r.private))
	for id := range r.private {
		if id != viewer {
			out[id] = true
		}
	}
	return out
}
