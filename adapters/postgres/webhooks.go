package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// WebhookRepository keeps users' media-server webhooks in webhooks
// (migration 0007), by the SHA-256 hashes of their secrets; it implements
// domain.WebhookRepository. Get one from (*DB).Webhooks.
type WebhookRepository struct {
	db *sqlx.DB
}

var _ domain.WebhookRepository = (*WebhookRepository)(nil)

// Webhooks returns the webhook repository on this pool.
func (db *DB) Webhooks() *WebhookRepository { return db.webhooks }

// webhookRow is a row of webhooks.
type webhookRow struct {
	ID          uuid.UUID      `db:"id"`
	UserID      uuid.UUID      `db:"user_id"`
	Source      string         `db:"source"`
	PlexAccount sql.NullString `db:"plex_account"`
	SecretHash  []byte         `db:"secret_hash"`
	CreatedAt   time.Time      `db:"created_at"`
	LastUsedAt  sql.NullTime   `db:"last_used_at"`
}

// webhookColumns lists webhookRow's columns in table order.
const webhookColumns = `id, user_id, source, plex_account, secret_hash, created_at, last_used_at`

// toDomain rebuilds the webhook through sqlrows.Webhook, which
// re-validates every column; a NULL time is the zero time, a NULL Plex
// account the empty one.
func (r webhookRow) toDomain() (domain.Webhook, error) {
	w, err := sqlrows.Webhook{
		ID: r.ID, UserID: r.UserID, Source: r.Source, PlexAccount: r.PlexAccount.String, SecretHash: r.SecretHash,
		CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt.Time,
	}.ToDomain()
	if err != nil {
		return domain.Webhook{}, sqlrows.Corrupt("webhook "+r.ID.String(), err)
	}
	return w, nil
}

// Webhook statements: by hash through its unique index, a user's through
// (user_id, created_at DESC, id DESC), by ID through the primary key.
const (
	sqlWebhookBySecret = `SELECT ` + webhookColumns + ` FROM webhooks WHERE secret_hash = $1 AND source = $2`
	sqlWebhooks        = `SELECT ` + webhookColumns + ` FROM webhooks WHERE user_id = $1 ORDER BY created_at DESC, id DESC`
	sqlRotateWebhook   = `UPDATE webhooks SET secret_hash = $3 WHERE id = $2 AND user_id = $1 RETURNING ` + webhookColumns
	sqlDeleteWebhook   = `DELETE FROM webhooks WHERE id = $2 AND user_id = $1`
	sqlTouchWebhook    = `UPDATE webhooks SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`
)

// SaveWebhook stores a new webhook; ErrConflict when its ID or secret hash
// is stored, ErrValidation when w would not read back (it was not made by
// domain.NewWebhook). Times are kept to the microsecond (truncated, as
// PostgreSQL would otherwise round them).
func (r *WebhookRepository) SaveWebhook(ctx context.Context, w domain.Webhook) error {
	const op = "save webhook"
	if err := sqlrows.CheckWebhook(w); err != nil {
		return dbError(op, err)
	}
	_, err := r.db.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		w.ID.UUID(), w.UserID.UUID(), string(w.Source), sqlrows.PlexAccountArg(w.PlexAccount), w.SecretHash[:],
		w.CreatedAt.Truncate(time.Microsecond), nullTime(w.LastUsedAt.Truncate(time.Microsecond)))
	return dbError(op, err)
}

// WebhookBySecret returns the webhook of source whose secret hashes to
// hash, or ErrNotFound: a rotated or deleted secret, or one of another
// source, is not found.
func (r *WebhookRepository) WebhookBySecret(ctx context.Context, source domain.WebhookSource, hash domain.WebhookSecretHash) (domain.Webhook, error) {
	const op = "webhook by secret"
	var row webhookRow
	err := r.db.GetContext(ctx, &row, sqlWebhookBySecret, hash[:], string(source))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Webhook{}, fmt.Errorf("postgres: %s: no such %s webhook: %w", op, source, domain.ErrNotFound)
	}
	if err != nil {
		return domain.Webhook{}, dbError(op, err)
	}
	w, err := row.toDomain()
	return w, dbError(op, err)
}

// Webhooks returns the user's webhooks, newest first (ties by ID,
// descending); none is not an error.
func (r *WebhookRepository) Webhooks(ctx context.Context, user domain.UserID) ([]domain.Webhook, error) {
	const op = "webhooks"
	var rows []webhookRow
	if err := r.db.SelectContext(ctx, &rows, sqlWebhooks, user.UUID()); err != nil {
		return nil, dbError(op, err)
	}
	hooks, err := sqlrows.ToDomainAll(rows, webhookRow.toDomain)
	if err != nil {
		return nil, dbError(op, err)
	}
	return hooks, nil
}

// RotateWebhook replaces the secret hash of the user's webhook id, in one
// statement, and returns the webhook as stored: the old secret finds
// nothing from the commit on, in every process. ErrNotFound when the user
// has no such webhook (another user's included); ErrConflict when hash is
// another webhook's.
func (r *WebhookRepository) RotateWebhook(ctx context.Context, user domain.UserID, id domain.WebhookID, hash domain.WebhookSecretHash) (domain.Webhook, error) {
	const op = "rotate webhook"
	var row webhookRow
	err := r.db.GetContext(ctx, &row, sqlRotateWebhook, user.UUID(), id.UUID(), hash[:])
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Webhook{}, fmt.Errorf("postgres: %s: user %v has no webhook %v: %w", op, user, id, domain.ErrNotFound)
	}
	if err != nil {
		return domain.Webhook{}, dbError(op, err)
	}
	w, err := row.toDomain()
	return w, dbError(op, err)
}

// DeleteWebhook removes the user's webhook id; ErrNotFound when the user
// has no such webhook, another user's included.
func (r *WebhookRepository) DeleteWebhook(ctx context.Context, user domain.UserID, id domain.WebhookID) error {
	return deleteOwned(ctx, r.db, "delete webhook", sqlDeleteWebhook, "webhook", user.UUID(), id.UUID())
}

// TouchWebhook records a use of webhook id at at: last_used_at becomes at
// unless it is already later (at is truncated to microseconds, as
// PostgreSQL keeps it). An unknown webhook is not an error.
func (r *WebhookRepository) TouchWebhook(ctx context.Context, id domain.WebhookID, at time.Time) error {
	const op = "touch webhook"
	_, err := r.db.ExecContext(ctx, sqlTouchWebhook, id.UUID(), at.UTC().Truncate(time.Microsecond))
	return dbError(op, err)
}
