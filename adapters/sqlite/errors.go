package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/moviediary/moviediary/domain"
)

// dbError is what the adapter returns for a failed database operation: it
// matches both its domain kind and the underlying driver error with
// errors.Is/As, and its text names the operation for logs.
type dbError struct {
	op   string
	kind error
	err  error
}

func (e *dbError) Error() string {
	return "sqlite: " + e.op + ": " + e.kind.Error() + ": " + e.err.Error()
}

// Unwrap exposes the kind and the driver error to errors.Is and errors.As.
func (e *dbError) Unwrap() []error { return []error{e.kind, e.err} }

// errClosed is the cause recorded when the DB was used after Close.
var errClosed = errors.New("database is closed")

// wrap classifies err, returned by operation op, into a domain error kind.
// A nil err stays nil; an error that already carries a domain kind (one the
// adapter built itself) only gains the operation name.
func (db *DB) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *dbError
	if errors.As(err, &de) {
		return err
	}
	if kind := domainKind(err); kind != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return &dbError{op: op, kind: db.classify(err), err: err}
}

// domainKind returns the domain kind err already wraps, if any.
func domainKind(err error) error {
	for _, kind := range []error{
		domain.ErrValidation, domain.ErrNotFound, domain.ErrConflict, domain.ErrForbidden,
		domain.ErrUnavailable, domain.ErrInfrastructure, domain.ErrMisconfigured,
	} {
		if errors.Is(err, kind) {
			return kind
		}
	}
	return nil
}

// classify maps a driver or database/sql error to a domain kind.
func (db *DB) classify(err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return domain.ErrNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return domain.ErrUnavailable
	case errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn), errors.Is(err, errClosed):
		return domain.ErrUnavailable
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return kindOfCode(se.Code())
	}
	if db != nil && db.closed.Load() {
		// database/sql reports use after Close with an unexported error.
		return domain.ErrUnavailable
	}
	return domain.ErrInfrastructure
}

// kindOfCode maps an extended SQLite result code to a domain kind.
func kindOfCode(code int) error {
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return domain.ErrConflict
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		// A row refers to a movie that is not stored.
		return domain.ErrNotFound
	}
	switch code & 0xff { // the primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT,
		sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
		sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PROTOCOL:
		// Locked out, interrupted by a cancelled context, or the file is
		// unreachable or full: retrying later may succeed.
		return domain.ErrUnavailable
	}
	return domain.ErrInfrastructure
}
