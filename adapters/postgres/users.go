package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// UserRepository stores accounts; it implements domain.UserRepository. Get
// one from (*DB).Users.
type UserRepository struct {
	db *sqlx.DB
}

var _ domain.UserRepository = (*UserRepository)(nil)

// UserByEmail returns the user with that address, or ErrNotFound. The
// unique index on lower(email) serves the look-up.
func (r *UserRepository) UserByEmail(ctx context.Context, email domain.Email) (domain.User, error) {
	return r.user(ctx, "user by email", sqlUserByEmail, email.String())
}

// UserByID returns the user, or ErrNotFound.
func (r *UserRepository) UserByID(ctx context.Context, id domain.UserID) (domain.User, error) {
	return r.user(ctx, "user by ID", sqlUserByID, id.UUID())
}

// User look-ups, served by the primary key and the unique lower(email) index,
// and the session generation's increment, by the primary key.
const (
	sqlUserByID                   = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	sqlUserByEmail                = `SELECT ` + userColumns + ` FROM users WHERE lower(email) = lower($1)`
	sqlIncrementSessionGeneration = `UPDATE users SET session_generation = session_generation + 1 WHERE id = $1 RETURNING session_generation`
)

func (r *UserRepository) user(ctx context.Context, op, query string, args ...any) (domain.User, error) {
	var row userRow
	err := r.db.GetContext(ctx, &row, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.User{}, fmt.Errorf("postgres: %s: no such user: %w", op, domain.ErrNotFound)
	}
	if err != nil {
		return domain.User{}, dbError(op, err)
	}
	u, err := row.toDomain()
	if err != nil {
		return domain.User{}, dbError(op, err)
	}
	return u, nil
}

// SaveUser stores a new user, or returns ErrConflict when the email (in
// any case) or the ID is taken.
func (r *UserRepository) SaveUser(ctx context.Context, u domain.User) error {
	const op = "save user"
	if err := sqlrows.CheckUser(u); err != nil {
		return dbError(op, err)
	}
	return insertUser(ctx, r.db, op, u)
}

// SaveFirstUser stores u only if no user exists yet, or returns
// ErrForbidden. It locks the users table against other writers for the
// moment of the check and the insert, so two first sign-ups at once store
// exactly one owner.
func (r *UserRepository) SaveFirstUser(ctx context.Context, u domain.User) error {
	const op = "save first user"
	if err := sqlrows.CheckUser(u); err != nil {
		return dbError(op, err)
	}
	return inTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
		// SHARE ROW EXCLUSIVE conflicts with itself and with the ROW
		// EXCLUSIVE lock every INSERT takes, and not with readers.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return dbError(op+": lock users", err)
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM users)`); err != nil {
			return dbError(op, err)
		}
		if exists {
			return fmt.Errorf("postgres: %s: an account already exists: %w", op, domain.ErrForbidden)
		}
		return insertUser(ctx, tx, op, u)
	})
}

func insertUser(ctx context.Context, db sqlx.ExecerContext, op string, u domain.User) error {
	_, err := db.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		u.ID.UUID(), u.Email.String(), u.PasswordHash.PHC(), u.CreatedAt, int64(u.SessionGeneration))
	return dbError(op, err)
}

// IncrementSessionGeneration adds one to the user's session generation and
// returns the new value, or ErrNotFound when the user is unknown. The
// UPDATE locks the row, so concurrent calls each get their own value.
func (r *UserRepository) IncrementSessionGeneration(ctx context.Context, id domain.UserID) (uint64, error) {
	const op = "increment session generation"
	var gen int64
	err := r.db.GetContext(ctx, &gen, sqlIncrementSessionGeneration, id.UUID())
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("postgres: %s: no such user: %w", op, domain.ErrNotFound)
	}
	if err != nil {
		return 0, dbError(op, err)
	}
	return uint64(gen), nil
}

// sqlOwner reads the first account: the earliest created, ties broken by
// ID (time-ordered), through users_created_idx.
const sqlOwner = `SELECT ` + userColumns + ` FROM users ORDER BY created_at, id LIMIT 1`

// Owner returns the first account (the owner), or ErrNotFound when there
// is none yet.
func (r *UserRepository) Owner(ctx context.Context) (domain.User, error) {
	return r.user(ctx, "owner", sqlOwner)
}
