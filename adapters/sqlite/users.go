package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// UserRepository stores accounts; it implements domain.UserRepository.
// Get it from DB.Users.
type UserRepository struct {
	db *DB
}

var _ domain.UserRepository = (*UserRepository)(nil)

// NewUserRepository returns the user repository of db (the same as
// db.Users()).
func NewUserRepository(db *DB) *UserRepository { return db.Users() }

// UserByEmail returns the user with that address, or an error wrapping
// domain.ErrNotFound.
func (r *UserRepository) UserByEmail(ctx context.Context, email domain.Email) (domain.User, error) {
	return r.userBy(ctx, "user by email", "email", email.String())
}

// UserByID returns the user, or an error wrapping domain.ErrNotFound.
func (r *UserRepository) UserByID(ctx context.Context, id domain.UserID) (domain.User, error) {
	return r.userBy(ctx, "user by id", "id", idArg(id.UUID()))
}

// UsersByID returns the users of ids that exist, each once, in one
// statement through the primary key.
func (r *UserRepository) UsersByID(ctx context.Context, ids []domain.UserID) ([]domain.User, error) {
	const op = "users by id"
	if r.db.closed.Load() {
		return nil, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	if len(ids) == 0 {
		return []domain.User{}, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = idArg(id.UUID())
	}
	var rows []userRow
	q := `SELECT ` + userColumns + ` FROM users WHERE id IN (?` + strings.Repeat(",?", len(ids)-1) + `)`
	if err := r.db.r.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, r.db.wrap(op, err)
	}
	users := make([]domain.User, 0, len(rows))
	for _, row := range rows {
		u, err := row.toDomain()
		if err != nil {
			return nil, r.db.wrap(op, err)
		}
		users = append(users, u)
	}
	return users, nil
}

func (r *UserRepository) userBy(ctx context.Context, op, column string, arg any) (domain.User, error) {
	if r.db.closed.Load() {
		return domain.User{}, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var row userRow
	if err := r.db.r.GetContext(ctx, &row, `SELECT `+userColumns+` FROM users WHERE `+column+` = ?`, arg); err != nil {
		return domain.User{}, r.db.wrap(op, err)
	}
	u, err := row.toDomain()
	return u, r.db.wrap(op, err)
}

// Owner returns the first account (the earliest created, then the lowest
// ID), or an error wrapping domain.ErrNotFound when there is none.
func (r *UserRepository) Owner(ctx context.Context) (domain.User, error) {
	const op = "owner"
	if r.db.closed.Load() {
		return domain.User{}, &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	var row userRow
	err := r.db.r.GetContext(ctx, &row, `SELECT `+userColumns+` FROM users ORDER BY created_at, id LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.User{}, r.db.wrap(op, fmt.Errorf("no account yet: %w", domain.ErrNotFound))
	}
	if err != nil {
		return domain.User{}, r.db.wrap(op, err)
	}
	u, err := row.toDomain()
	return u, r.db.wrap(op, err)
}

// SaveUser stores a new user, or returns an error wrapping
// domain.ErrConflict when the email (or the ID) is taken.
func (r *UserRepository) SaveUser(ctx context.Context, u domain.User) error {
	const op = "save user"
	if err := sqlrows.CheckUser(u); err != nil {
		return r.db.wrap(op, err)
	}
	return r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`, userArgs(u)...)
		return err
	})
}

// userArgs are u's columns, in userColumns' order.
func userArgs(u domain.User) []any {
	return []any{idArg(u.ID.UUID()), u.Email.String(), u.PasswordHash.PHC(), createdArg(u.CreatedAt),
		int64(u.SessionGeneration), nullString(u.DisplayName.String()), u.Private}
}

// SaveFirstUser stores u only when no user exists yet, atomically (the
// check and the insert share one write transaction); otherwise it returns
// an error wrapping domain.ErrForbidden.
func (r *UserRepository) SaveFirstUser(ctx context.Context, u domain.User) error {
	const op = "save first user"
	if err := sqlrows.CheckUser(u); err != nil {
		return r.db.wrap(op, err)
	}
	return r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`)
			SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)`, userArgs(u)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: an account already exists", domain.ErrForbidden)
		}
		return nil
	})
}

// IncrementSessionGeneration adds one to the user's session generation in
// one write transaction and returns the new value, or an error wrapping
// domain.ErrNotFound when the user is unknown. Writers are serialised, so
// concurrent calls each get their own value.
func (r *UserRepository) IncrementSessionGeneration(ctx context.Context, id domain.UserID) (uint64, error) {
	const op = "increment session generation"
	var gen int64
	err := r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &gen, `UPDATE users SET session_generation = session_generation + 1 WHERE id = ? RETURNING session_generation`,
			idArg(id.UUID()))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %v: %w", id, domain.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return uint64(gen), nil
}

// UpdateProfile applies the non-nil fields of p to the user's display name
// (a zero name is stored as NULL) and privacy in one write transaction and
// returns the user as stored, or an error wrapping domain.ErrNotFound when
// the user is unknown. Making a diary private takes its statistics out of
// the whole diary's, making it public puts them back, in that transaction
// (the trigger users_stats_private, migration 0008): a cost that follows
// the size of the user's statistics, not of their diary.
func (r *UserRepository) UpdateProfile(ctx context.Context, id domain.UserID, p domain.ProfileUpdate) (domain.User, error) {
	const op = "update profile"
	var (
		row  userRow
		name sql.NullString
		priv sql.NullBool
	)
	if p.DisplayName != nil {
		name = nullString(p.DisplayName.String())
	}
	if p.Private != nil {
		priv = sql.NullBool{Bool: *p.Private, Valid: true}
	}
	err := r.db.write(ctx, op, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &row, `UPDATE users
			SET display_name = CASE WHEN ? THEN ? ELSE display_name END, private = coalesce(?, private)
			WHERE id = ? RETURNING `+userColumns,
			p.DisplayName != nil, name, priv, idArg(id.UUID()))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %v: %w", id, domain.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return domain.User{}, err
	}
	u, err := row.toDomain()
	return u, r.db.wrap(op, err)
}
