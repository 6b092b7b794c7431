package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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

// UserByID returns the user (display name and privacy included), or
// ErrNotFound.
func (r *UserRepository) UserByID(ctx context.Context, id domain.UserID) (domain.User, error) {
	return r.user(ctx, "user by ID", sqlUserByID, id.UUID())
}

// UsersByID returns the users of ids that exist, each once, in one
// prepared statement through the primary key: it runs on every miss of a
// page that names its entries' authors.
func (r *UserRepository) UsersByID(ctx context.Context, ids []domain.UserID) ([]domain.User, error) {
	const op = "users by ID"
	if len(ids) == 0 {
		return []domain.User{}, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = id.String()
	}
	rows, err := statementsOf(r.db).query(ctx, sqlUsersByID, pq.StringArray(keys))
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	scanner := &sqlx.Rows{Rows: rows, Mapper: r.db.Mapper}
	users := make([]domain.User, 0, len(ids))
	for rows.Next() {
		var row userRow
		if err := scanner.StructScan(&row); err != nil {
			return nil, dbError(op, err)
		}
		u, err := row.toDomain()
		if err != nil {
			return nil, dbError(op, err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return users, nil
}

// User look-ups, served by the primary key and the unique lower(email) index,
// and the session generation's increment, by the primary key.
const (
	sqlUserByID                   = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	sqlUsersByID                  = `SELECT ` + userColumns + ` FROM users WHERE id = ANY($1::uuid[])`
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

// insertUser inserts u. The profile columns are written only when u sets
// them: an account usually starts with no display name and public, the
// columns' defaults, and its insert then reads as it did before schema
// version 9, which the migration tests rely on to store accounts at older
// versions.
func insertUser(ctx context.Context, db sqlx.ExecerContext, op string, u domain.User) error {
	columns := `id, email, password_hash, created_at, session_generation`
	args := []any{u.ID.UUID(), u.Email.String(), u.PasswordHash.PHC(), u.CreatedAt, int64(u.SessionGeneration)}
	if !u.DisplayName.IsZero() || u.Private {
		columns += `, display_name, private`
		args = append(args, nullString(u.DisplayName.String()), u.Private)
	}
	params := make([]string, len(args))
	for i := range args {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO users (`+columns+`) VALUES (`+strings.Join(params, ", ")+`)`, args...)
	return dbError(op, err)
}

// UpdateProfile applies the non-nil fields of p to the user's display name
// (a pointer to the zero name stores NULL) and privacy in one UPDATE by the
// primary key, and returns the user as stored; ErrNotFound when the user
// is unknown. An update that changes nothing only reads the user. Making a
// diary private or public moves its statistics out of or into the whole
// diary's in the same transaction (the schema's trigger, which locks
// reviews and movies against writers meanwhile), and notifies the caches
// of every process (ListenChanges reports All).
func (r *UserRepository) UpdateProfile(ctx context.Context, id domain.UserID, p domain.ProfileUpdate) (domain.User, error) {
	const op = "update profile"
	if p.IsZero() {
		return r.user(ctx, op, sqlUserByID, id.UUID())
	}
	query, args := updateProfileSQL(id, p)
	return r.user(ctx, op, query, args...)
}

// updateProfileSQL builds UpdateProfile's statement, which sets only the
// columns p changes: the profile trigger fires only for those.
func updateProfileSQL(id domain.UserID, p domain.ProfileUpdate) (string, []any) {
	args := []any{id.UUID()}
	var sets []string
	if p.DisplayName != nil {
		args = append(args, nullString(p.DisplayName.String()))
		sets = append(sets, "display_name = $"+strconv.Itoa(len(args)))
	}
	if p.Private != nil {
		args = append(args, *p.Private)
		sets = append(sets, "private = $"+strconv.Itoa(len(args)))
	}
	return `UPDATE users SET ` + strings.Join(sets, ", ") + ` WHERE id = $1 RETURNING ` + userColumns, args
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
