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

var _ domain.WebhookRepository = (*WebhookRepository)(nil)

// WebhookRepository is an in-memory domain.WebhookRepository. The zero
// value is not usable; make one with NewWebhookRepository.
type WebhookRepository struct {
	mu     sync.RWMutex
	byID   map[domain.WebhookID]domain.Webhook
	byHash map[domain.WebhookSecretHash]domain.WebhookID
}

// NewWebhookRepository returns an empty repository.
func NewWebhookRepository() *WebhookRepository {
	return &WebhookRepository{
		byID:   make(map[domain.WebhookID]domain.Webhook),
		byHash: make(map[domain.WebhookSecretHash]domain.WebhookID),
	}
}

// SaveWebhook stores a new webhook; ErrConflict when its ID or secret hash
// is stored, a validation error when it has no ID, user, known source or
// creation time.
func (r *WebhookRepository) SaveWebhook(_ context.Context, w domain.Webhook) error {
	var v domain.Validation
	if w.ID.IsZero() {
		v.Add("id", "must be set")
	}
	if w.UserID.IsZero() {
		v.Add("user_id", "must be set")
	}
	if _, err := domain.ParseWebhookSource(string(w.Source)); err != nil {
		v.Check("source", err)
	}
	if w.CreatedAt.IsZero() {
		v.Add("created_at", "is required")
	}
	if err := v.Err(); err != nil {
		return fmt.Errorf("save webhook: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byID[w.ID]; ok {
		return fmt.Errorf("save webhook: webhook %v exists: %w", w.ID, domain.ErrConflict)
	}
	if _, ok := r.byHash[w.SecretHash]; ok {
		return fmt.Errorf("save webhook %v: its secret hash is stored: %w", w.ID, domain.ErrConflict)
	}
	w.CreatedAt = w.CreatedAt.UTC()
	w.LastUsedAt = w.LastUsedAt.UTC()
	r.byID[w.ID] = w
	r.byHash[w.SecretHash] = w.ID
	return nil
}

// WebhookBySecret returns the webhook of source whose secret hashes to
// hash, or ErrNotFound.
func (r *WebhookRepository) WebhookBySecret(_ context.Context, source domain.WebhookSource, hash domain.WebhookSecretHash) (domain.Webhook, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if id, ok := r.byHash[hash]; ok && r.byID[id].Source == source {
		return r.byID[id], nil
	}
	return domain.Webhook{}, fmt.Errorf("%s webhook by secret: %w", source, domain.ErrNotFound)
}

// Webhooks returns the user's webhooks, newest first (then by ID,
// descending); none is an empty slice.
func (r *WebhookRepository) Webhooks(_ context.Context, user domain.UserID) ([]domain.Webhook, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := []domain.Webhook{}
	for _, w := range r.byID {
		if w.UserID == user {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b domain.Webhook) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID.String(), a.ID.String())
	})
	return out, nil
}

// RotateWebhook replaces the secret hash of the user's webhook id and
// returns the webhook; ErrNotFound when the user has no such webhook,
// ErrConflict when another webhook has that hash.
func (r *WebhookRepository) RotateWebhook(_ context.Context, user domain.UserID, id domain.WebhookID, hash domain.WebhookSecretHash) (domain.Webhook, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.byID[id]
	if !ok || w.UserID != user {
		return domain.Webhook{}, fmt.Errorf("rotate webhook %v of user %v: %w", id, user, domain.ErrNotFound)
	}
	if other, taken := r.byHash[hash]; taken && other != id {
		return domain.Webhook{}, fmt.Errorf("rotate webhook %v: the new secret hash is stored: %w", id, domain.ErrConflict)
	}
	delete(r.byHash, w.SecretHash)
	w.SecretHash = hash
	r.byID[id] = w
	r.byHash[hash] = id
	return w, nil
}

// DeleteWebhook removes the user's webhook id; ErrNotFound when the user
// has no such webhook.
func (r *WebhookRepository) DeleteWebhook(_ context.Context, user domain.UserID, id domain.WebhookID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.byID[id]
	if !ok || w.UserID != user {
		return fmt.Errorf("delete webhook %v of user %v: %w", id, user, domain.ErrNotFound)
	}
	delete(r.byID, id)
	delete(r.byHash, w.SecretHash)
	return nil
}

// TouchWebhook sets the webhook's LastUsedAt to at unless it is already
// later; an unknown webhook is ignored.
func (r *WebhookRepository) TouchWebhook(_ context.Context, id domain.WebhookID, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.byID[id]; ok && at.After(w.LastUsedAt) {
		w.LastUsedAt = at.UTC()
		r.byID[id] = w
	}
	return nil
}
