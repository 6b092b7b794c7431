package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/moviediary/moviediary/domain"
)

var _ domain.APITokenRepository = (*APITokenRepository)(nil)

// APITokenRepository is an in-memory domain.APITokenRepository. The zero
// value is not usable; make one with NewAPITokenRepository.
type APITokenRepository struct {
	mu     sync.RWMutex
	byID   map[domain.APITokenID]domain.APIToken
	byHash map[domain.APITokenHash]domain.APITokenID
}

// NewAPITokenRepository returns an empty repository.
func NewAPITokenRepository() *APITokenRepository {
	return &APITokenRepository{
		byID:   make(map[domain.APITokenID]domain.APIToken),
		byHash: make(map[domain.APITokenHash]domain.APITokenID),
	}
}

// SaveAPIToken stores a new token; ErrConflict when its ID or hash is
// stored, a validation error when it has no ID, user or creation time.
func (r *APITokenRepository) SaveAPIToken(_ context.Context, t domain.APIToken) error {
	var v domain.Validation
	if t.ID.IsZero() {
		v.Add("id", "must be set")
	}
	if t.UserID.IsZero() {
		v.Add("user_id", "must be set")
	}
	if t.CreatedAt.IsZero() {
		v.Add("created_at", "is required")
	}
	if err := v.Err(); err != nil {
		return fmt.Errorf("save API token: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byID[t.ID]; ok {
		return fmt.Errorf("save API token: token %v exists: %w", t.ID, domain.ErrConflict)
	}
	if _, ok := r.byHash[t.Hash]; ok {
		return fmt.Errorf("save API token %v: its hash is stored: %w", t.ID, domain.ErrConflict)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.LastUsedAt = t.LastUsedAt.UTC()
	t.ExpiresAt = t.ExpiresAt.UTC()
	r.byID[t.ID] = t
	r.byHash[t.Hash] = t.ID
	return nil
}

// APITokenByHash returns the token with that hash, or ErrNotFound.
func (r *APITokenRepository) APITokenByHash(_ context.Context, hash domain.APITokenHash) (domain.APIToken, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if id, ok := r.byHash[hash]; ok {
		return r.byID[id], nil
	}
	return domain.APIToken{}, fmt.Errorf("API token by hash: %w", domain.ErrNotFound)
}

// APITokens returns the user's tokens, newest first (then by ID); none is
// an empty slice.
func (r *APITokenRepository) APITokens(_ context.Context, user domain.UserID) ([]domain.APIToken, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := []domain.APIToken{}
	for _, t := range r.byID {
		if t.UserID == user {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b domain.APIToken) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID.String(), a.ID.String())
	})
	return out, nil
}

// DeleteAPIToken revokes the user's token id; ErrNotFound when the user has
// no such token.
func (r *APITokenRepository) DeleteAPIToken(_ context.Context, user domain.UserID, id domain.APITokenID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.byID[id]
	if !ok || t.UserID != user {
		return fmt.Errorf("delete API token %v of user %v: %w", id, user, domain.ErrNotFound)
	}
	delete(r.byID, id)
	delete(r.byHash, t.Hash)
	return nil
}

// TouchAPIToken sets the token's LastUsedAt to at unless it is already
// later; an unknown token is ignored.
func (r *APITokenRepository) TouchAPIToken(_ context.Context, id domain.APITokenID, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.byID[id]; ok && at.After(t.LastUsedAt) {
		t.LastUsedAt = at.UTC()
		r.byID[id] = t
	}
	return nil
}
