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

// APITokenRepository keeps personal API tokens in api_tokens (migration
// 0006), by their SHA-256 hashes; it implements domain.APITokenRepository.
// Get one from (*DB).Tokens.
type APITokenRepository struct {
	db *sqlx.DB
}

var _ domain.APITokenRepository = (*APITokenRepository)(nil)

// Tokens returns the API token repository on this pool.
func (db *DB) Tokens() *APITokenRepository { return db.tokens }

// apiTokenRow is a row of api_tokens.
type apiTokenRow struct {
	ID         uuid.UUID    `db:"id"`
	UserID     uuid.UUID    `db:"user_id"`
	Name       string       `db:"name"`
	Prefix     string       `db:"prefix"`
	Hash       []byte       `db:"hash"`
	CreatedAt  time.Time    `db:"created_at"`
	LastUsedAt sql.NullTime `db:"last_used_at"`
	ExpiresAt  sql.NullTime `db:"expires_at"`
}

// apiTokenColumns lists apiTokenRow's columns in table order.
const apiTokenColumns = `id, user_id, name, prefix, hash, created_at, last_used_at, expires_at`

// toDomain rebuilds the token; a NULL time is the zero time.
func (r apiTokenRow) toDomain() (domain.APIToken, error) {
	t, err := sqlrows.APIToken{
		ID: r.ID, UserID: r.UserID, Name: r.Name, Prefix: r.Prefix, Hash: r.Hash,
		CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt.Time, ExpiresAt: r.ExpiresAt.Time,
	}.ToDomain()
	if err != nil {
		return domain.APIToken{}, sqlrows.Corrupt("API token "+r.ID.String(), err)
	}
	return t, nil
}

// Token statements: by hash through its unique index, a user's through
// (user_id, created_at DESC, id DESC), by ID through the primary key.
const (
	sqlAPITokenByHash = `SELECT ` + apiTokenColumns + ` FROM api_tokens WHERE hash = $1`
	sqlAPITokens      = `SELECT ` + apiTokenColumns + ` FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC`
	sqlDeleteAPIToken = `DELETE FROM api_tokens WHERE id = $2 AND user_id = $1`
	sqlTouchAPIToken  = `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`
)

// SaveAPIToken stores a new token; ErrConflict when its ID or hash is
// stored, ErrValidation when t was not made by domain.NewAPIToken.
func (r *APITokenRepository) SaveAPIToken(ctx context.Context, t domain.APIToken) error {
	const op = "save API token"
	if err := sqlrows.CheckAPIToken(t); err != nil {
		return dbError(op, err)
	}
	_, err := r.db.ExecContext(ctx, `INSERT INTO api_tokens (`+apiTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID.UUID(), t.UserID.UUID(), t.Name, t.Prefix, t.Hash[:], t.CreatedAt, nullTime(t.LastUsedAt), nullTime(t.ExpiresAt))
	return dbError(op, err)
}

// APITokenByHash returns the token with that hash, expired or not, or
// ErrNotFound.
func (r *APITokenRepository) APITokenByHash(ctx context.Context, hash domain.APITokenHash) (domain.APIToken, error) {
	const op = "API token by hash"
	var row apiTokenRow
	err := r.db.GetContext(ctx, &row, sqlAPITokenByHash, hash[:])
	if errors.Is(err, sql.ErrNoRows) {
		return domain.APIToken{}, fmt.Errorf("postgres: %s: no such token: %w", op, domain.ErrNotFound)
	}
	if err != nil {
		return domain.APIToken{}, dbError(op, err)
	}
	t, err := row.toDomain()
	if err != nil {
		return domain.APIToken{}, dbError(op, err)
	}
	return t, nil
}

// APITokens returns the user's tokens, newest first (ties by ID,
// descending); none is not an error.
func (r *APITokenRepository) APITokens(ctx context.Context, user domain.UserID) ([]domain.APIToken, error) {
	const op = "API tokens"
	var rows []apiTokenRow
	if err := r.db.SelectContext(ctx, &rows, sqlAPITokens, user.UUID()); err != nil {
		return nil, dbError(op, err)
	}
	tokens, err := sqlrows.ToDomainAll(rows, apiTokenRow.toDomain)
	if err != nil {
		return nil, dbError(op, err)
	}
	return tokens, nil
}

// DeleteAPIToken revokes the user's token id; ErrNotFound when the user
// has no such token, another user's token included.
func (r *APITokenRepository) DeleteAPIToken(ctx context.Context, user domain.UserID, id domain.APITokenID) error {
	return deleteOwned(ctx, r.db, "delete API token", sqlDeleteAPIToken, "token", user.UUID(), id.UUID())
}

// deleteOwned runs del, a DELETE of the row id owned by user ($1 the
// user, $2 the id), and returns an error wrapping domain.ErrNotFound,
// naming what, when it deleted nothing: the user has no such row.
func deleteOwned(ctx context.Context, db *sqlx.DB, op, del, what string, user, id uuid.UUID) error {
	res, err := db.ExecContext(ctx, del, user, id)
	if err != nil {
		return dbError(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(op, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: %s: user %v has no %s %v: %w", op, user, what, id, domain.ErrNotFound)
	}
	return nil
}

// TouchAPIToken records a use of token id at at: last_used_at becomes at
// unless it is already later (PostgreSQL keeps microseconds; at is
// truncated to them). An unknown token is not an error.
func (r *APITokenRepository) TouchAPIToken(ctx context.Context, id domain.APITokenID, at time.Time) error {
	const op = "touch API token"
	_, err := r.db.ExecContext(ctx, sqlTouchAPIToken, id.UUID(), at.Truncate(time.Microsecond))
	return dbError(op, err)
}

// nullTime is t, or NULL when t is the zero time.
func nullTime(t time.Time) sql.NullTime {
	return sql.NullTime{Time: t, Valid: !t.IsZero()}
}
