package sqlite

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

// APITokenRepository stores personal API tokens (their hashes); it
// implements domain.APITokenRepository. Get it from DB.Tokens.
type APITokenRepository struct {
	db *DB
}

var _ domain.APITokenRepository = (*APITokenRepository)(nil)

// SaveAPIToken stores a new token, or returns an error wrapping
// domain.ErrConflict when its ID or hash is stored, domain.ErrValidation
// when it was not made by domain.NewAPIToken.
func (r *APITokenRepository) SaveAPIToken(ctx context.Context, t domain.APIToken) error {
	const op = "save api token"
	if err := sqlrows.CheckAPIToken(t); err != nil {
		return r.db.wrap(op, err)
	}
	return r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(t.ID.UUID()), idArg(t.UserID.UUID()), t.Name, t.Prefix, t.Hash[:],
			createdArg(t.CreatedAt), nullTimeArg(t.LastUsedAt), nullTimeArg(t.ExpiresAt))
		return err
	})
}

// APITokenByHash returns the token with that hash, expired or not, or an
// error wrapping domain.ErrNotFound.
func (r *APITokenRepository) APITokenByHash(ctx context.Context, hash domain.APITokenHash) (domain.APIToken, error) {
	const op = "api token by hash"
	if r.db.closed.Load() {
		return domain.APIToken{}, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var row tokenRow
	err := r.db.r.GetContext(ctx, &row, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`, hash[:])
	if errors.Is(err, sql.ErrNoRows) {
		return domain.APIToken{}, r.db.wrap(op, fmt.Errorf("no token has that hash: %w", domain.ErrNotFound))
	}
	if err != nil {
		return domain.APIToken{}, r.db.wrap(op, err)
	}
	t, err := row.toDomain()
	return t, r.db.wrap(op, err)
}

// APITokens returns the user's tokens, newest first (then by ID,
// descending); none is an empty slice.
func (r *APITokenRepository) APITokens(ctx context.Context, user domain.UserID) ([]domain.APIToken, error) {
	const op = "api tokens"
	if r.db.closed.Load() {
		return nil, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var rows []tokenRow
	if err := r.db.r.SelectContext(ctx, &rows, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE user_id = ? ORDER BY created_at DESC, id DESC`, idArg(user.UUID())); err != nil {
		return nil, r.db.wrap(op, err)
	}
	tokens, err := sqlrows.ToDomainAll(rows, tokenRow.toDomain)
	return tokens, r.db.wrap(op, err)
}

// DeleteAPIToken revokes the user's token id, or returns an error wrapping
// domain.ErrNotFound when the user has no such token.
func (r *APITokenRepository) DeleteAPIToken(ctx context.Context, user domain.UserID, id domain.APITokenID) error {
	return r.db.deleteOwned(ctx, "delete api token", `DELETE FROM api_tokens WHERE id = ? AND user_id = ?`, "token", id.UUID(), user.UUID())
}

// deleteOwned runs del, a DELETE of the row id owned by user (the first
// parameter the id, the second the user), in a write transaction, and
// returns an error wrapping domain.ErrNotFound, naming what, when it
// deleted nothing: the user has no such row.
func (db *DB) deleteOwned(ctx context.Context, op, del, what string, id, user uuid.UUID) error {
	return db.write(ctx, op, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, del, idArg(id), idArg(user))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s %s of user %s: %w", what, id, user, domain.ErrNotFound)
		}
		return nil
	})
}

// TouchAPIToken sets the token's last_used_at to at unless it is already
// later; an unknown token is not an error.
func (r *APITokenRepository) TouchAPIToken(ctx context.Context, id domain.APITokenID, at time.Time) error {
	const op = "touch api token"
	return r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ?1
			WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)`, createdArg(at), idArg(id.UUID()))
		return err
	})
}
