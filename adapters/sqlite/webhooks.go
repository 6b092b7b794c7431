package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// WebhookRepository stores users' media-server webhooks (the hashes of
// their secrets) in the table webhooks (migration 0006); it implements
// domain.WebhookRepository. Get it from DB.Webhooks.
type WebhookRepository struct {
	db *DB
}

var _ domain.WebhookRepository = (*WebhookRepository)(nil)

// Webhooks returns the webhook repository of db.
func (db *DB) Webhooks() *WebhookRepository { return db.webhooks }

// webhookColumns lists webhookRow's columns.
const webhookColumns = `id, user_id, source, plex_account, secret_hash, created_at, last_used_at`

// webhookRow is a row of webhooks.
type webhookRow struct {
	ID          []byte         `db:"id"`
	UserID      []byte         `db:"user_id"`
	Source      string         `db:"source"`
	PlexAccount sql.NullString `db:"plex_account"`
	SecretHash  []byte         `db:"secret_hash"`
	CreatedAt   int64          `db:"created_at"`
	LastUsedAt  sql.NullInt64  `db:"last_used_at"`
}

// decode decodes the row's columns.
func (r webhookRow) decode() sqlrows.Webhook {
	w := sqlrows.Webhook{Source: r.Source, PlexAccount: r.PlexAccount.String, SecretHash: r.SecretHash, CreatedAt: createdTime(r.CreatedAt)}
	if r.LastUsedAt.Valid {
		w.LastUsedAt = createdTime(r.LastUsedAt.Int64)
	}
	w.ID = blobUUID(&w.DecodeErrors, "id", r.ID)
	w.UserID = blobUUID(&w.DecodeErrors, "user_id", r.UserID)
	return w
}

// toDomain rebuilds the webhook.
func (r webhookRow) toDomain() (domain.Webhook, error) {
	w, err := r.decode().ToDomain()
	if err != nil {
		return domain.Webhook{}, sqlrows.Corrupt("webhook "+hex.EncodeToString(r.ID), err)
	}
	return w, nil
}

// SaveWebhook stores a new webhook, or returns an error wrapping
// domain.ErrConflict when its ID or secret hash is stored,
// domain.ErrValidation when it was not made by domain.NewWebhook.
func (r *WebhookRepository) SaveWebhook(ctx context.Context, w domain.Webhook) error {
	const op = "save webhook"
	if err := sqlrows.CheckWebhook(w); err != nil {
		return r.db.wrap(op, err)
	}
	return r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			idArg(w.ID.UUID()), idArg(w.UserID.UUID()), string(w.Source), sqlrows.PlexAccountArg(w.PlexAccount),
			w.SecretHash[:], createdArg(w.CreatedAt), nullTimeArg(w.LastUsedAt))
		return err
	})
}

// WebhookBySecret returns the webhook of source whose secret hashes to
// hash, or an error wrapping domain.ErrNotFound. It reads what is
// committed, by this process or another, so a rotated or deleted secret
// stops working at once.
func (r *WebhookRepository) WebhookBySecret(ctx context.Context, source domain.WebhookSource, hash domain.WebhookSecretHash) (domain.Webhook, error) {
	const op = "webhook by secret"
	if r.db.closed.Load() {
		return domain.Webhook{}, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var row webhookRow
	err := r.db.r.GetContext(ctx, &row, `SELECT `+webhookColumns+` FROM webhooks WHERE secret_hash = ? AND source = ?`,
		hash[:], string(source))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Webhook{}, r.db.wrap(op, fmt.Errorf("no %s webhook has that secret: %w", source, domain.ErrNotFound))
	}
	if err != nil {
		return domain.Webhook{}, r.db.wrap(op, err)
	}
	w, err := row.toDomain()
	return w, r.db.wrap(op, err)
}

// Webhooks returns the user's webhooks, newest first (then by ID,
// descending); none is an empty slice.
func (r *WebhookRepository) Webhooks(ctx context.Context, user domain.UserID) ([]domain.Webhook, error) {
	const op = "webhooks"
	if r.db.closed.Load() {
		return nil, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var rows []webhookRow
	if err := r.db.r.SelectContext(ctx, &rows, `SELECT `+webhookColumns+` FROM webhooks
		WHERE user_id = ? ORDER BY created_at DESC, id DESC`, idArg(user.UUID())); err != nil {
		return nil, r.db.wrap(op, err)
	}
	hooks, err := sqlrows.ToDomainAll(rows, webhookRow.toDomain)
	return hooks, r.db.wrap(op, err)
}

// RotateWebhook replaces the secret hash of the user's webhook id and
// returns the webhook as stored, or an error wrapping domain.ErrNotFound
// when the user has no such webhook, domain.ErrConflict when another
// webhook has that hash.
func (r *WebhookRepository) RotateWebhook(ctx context.Context, user domain.UserID, id domain.WebhookID, hash domain.WebhookSecretHash) (domain.Webhook, error) {
	const op = "rotate webhook"
	var rows []webhookRow
	err := r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, `UPDATE webhooks SET secret_hash = ? WHERE id = ? AND user_id = ?
			RETURNING `+webhookColumns, hash[:], idArg(id.UUID()), idArg(user.UUID()))
	})
	if err != nil {
		return domain.Webhook{}, err
	}
	if len(rows) == 0 {
		return domain.Webhook{}, r.db.wrap(op, fmt.Errorf("webhook %s of user %s: %w", id, user, domain.ErrNotFound))
	}
	w, err := rows[0].toDomain()
	return w, r.db.wrap(op, err)
}

// DeleteWebhook removes the user's webhook id, or returns an error
// wrapping domain.ErrNotFound when the user has no such webhook.
func (r *WebhookRepository) DeleteWebhook(ctx context.Context, user domain.UserID, id domain.WebhookID) error {
	return r.db.deleteOwned(ctx, "delete webhook", `DELETE FROM webhooks WHERE id = ? AND user_id = ?`, "webhook", id.UUID(), user.UUID())
}

// TouchWebhook sets the webhook's last_used_at to at unless it is already
// later; an unknown webhook is not an error.
func (r *WebhookRepository) TouchWebhook(ctx context.Context, id domain.WebhookID, at time.Time) error {
	const op = "touch webhook"
	return r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhooks SET last_used_at = ?1
			WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)`, createdArg(at), idArg(id.UUID()))
		return err
	})
}
