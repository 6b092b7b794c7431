package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// CreateWebhookCommand asks for a media-server webhook.
type CreateWebhookCommand struct {
	// UserID is whose diary the plays will go to.
	UserID domain.UserID
	// Source is "plex", "jellyfin" or "emby".
	Source string
	// PlexAccount limits a Plex webhook to one Plex account's plays; ""
	// for every account (and for the other sources).
	PlexAccount string
}

// CreatedWebhook is a webhook and the secret of its URL, which is shown
// once and never stored.
type CreatedWebhook struct {
	// Record is what is stored.
	Record domain.Webhook
	// Secret is the last path segment of the webhook's URL
	// (/webhooks/{source}/{secret}).
	Secret string
}

// Webhooks manages users' media-server webhooks — create, list, rotate,
// delete — and finds the webhook a request's URL names.
type Webhooks struct {
	hooks  domain.WebhookRepository
	logger *slog.Logger
	now    func() time.Time
}

// NewWebhooks returns the use case; hooks must not be nil. A nil logger
// means slog.Default() and a nil now time.Now.
func NewWebhooks(hooks domain.WebhookRepository, logger *slog.Logger, now func() time.Time) (*Webhooks, error) {
	if err := checkDependencies("Webhooks", dependency{"hooks", hooks}); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Webhooks{hooks: hooks, logger: logger, now: now}, nil
}

// Create makes and stores a webhook. An unknown source, or a Plex account
// given for another source, is a validation error (domain.ErrValidation)
// naming the field.
func (uc *Webhooks) Create(ctx context.Context, cmd CreateWebhookCommand) (CreatedWebhook, error) {
	source, err := domain.ParseWebhookSource(cmd.Source)
	if err != nil {
		return CreatedWebhook{}, err
	}
	hook, secret, err := domain.NewWebhook(cmd.UserID, source, cmd.PlexAccount, uc.now())
	if err != nil {
		return CreatedWebhook{}, err
	}
	if err := uc.hooks.SaveWebhook(ctx, hook); err != nil {
		return CreatedWebhook{}, fmt.Errorf("create webhook: %w", err)
	}
	return CreatedWebhook{Record: hook, Secret: secret}, nil
}

// List returns the user's webhooks, newest first.
func (uc *Webhooks) List(ctx context.Context, user domain.UserID) ([]domain.Webhook, error) {
	if user.IsZero() {
		return nil, domain.FieldError{Field: "user_id", Rule: ruleUserIDRequired}
	}
	hooks, err := uc.hooks.Webhooks(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return hooks, nil
}

// Rotate gives the user's webhook id a new secret; the old URL stops
// working at once, in every process (the secret is looked up on every
// request). A malformed ID is a validation error (webhook_id); an unknown
// one, or another user's, domain.ErrNotFound.
func (uc *Webhooks) Rotate(ctx context.Context, user domain.UserID, id string) (CreatedWebhook, error) {
	wid, err := domain.ParseWebhookID(id)
	if err != nil {
		return CreatedWebhook{}, err
	}
	secret := domain.NewWebhookSecret()
	hook, err := uc.hooks.RotateWebhook(ctx, user, wid, domain.HashWebhookSecret(secret))
	if err != nil {
		return CreatedWebhook{}, fmt.Errorf("rotate webhook %s: %w", wid, err)
	}
	return CreatedWebhook{Record: hook, Secret: secret}, nil
}

// Delete removes the user's webhook id, with the same errors as Rotate.
func (uc *Webhooks) Delete(ctx context.Context, user domain.UserID, id string) error {
	wid, err := domain.ParseWebhookID(id)
	if err != nil {
		return err
	}
	if err := uc.hooks.DeleteWebhook(ctx, user, wid); err != nil {
		return fmt.Errorf("delete webhook %s: %w", wid, err)
	}
	return nil
}

// Find returns the webhook a request to /webhooks/{source}/{secret} is
// for. An unknown source or secret — never made, rotated or deleted — is
// domain.ErrNotFound, the same whichever it is. A use is recorded when the
// last recorded one is older than domain.LastUseGranularity; a failure to
// record it is logged and does not refuse the request.
func (uc *Webhooks) Find(ctx context.Context, source, secret string) (domain.Webhook, error) {
	src, err := domain.ParseWebhookSource(source)
	if err != nil || secret == "" {
		return domain.Webhook{}, fmt.Errorf("%w: no such webhook", domain.ErrNotFound)
	}
	hook, err := uc.hooks.WebhookBySecret(ctx, src, domain.HashWebhookSecret(secret))
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Webhook{}, fmt.Errorf("%w: no such webhook", domain.ErrNotFound)
	}
	if err != nil {
		return domain.Webhook{}, fmt.Errorf("find webhook: %w", err)
	}
	if now := uc.now(); now.Sub(hook.LastUsedAt) > domain.LastUseGranularity {
		if err := uc.hooks.TouchWebhook(ctx, hook.ID, now); err != nil {
			uc.logger.WarnContext(ctx, "recording a webhook's use failed", "webhook_id", hook.ID.String(), "error", err.Error())
		}
	}
	return hook, nil
}
