package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/moviediary/moviediary/domain"
)

// Error is a database failure translated at the adapter's boundary. It
// wraps both a domain error kind (Kind, for errors.Is) and the driver's
// error (Err, for errors.As on *pq.Error and for logs). Its message holds the
// driver's text, so it belongs in logs, never in a reply to a client.
type Error struct {
	// Op names what the repository was doing, e.g. "save viewing".
	Op string
	// Kind is the domain error kind: ErrConflict, ErrNotFound,
	// ErrUnavailable, ErrValidation or ErrInfrastructure.
	Kind error
	// Err is the underlying driver or database/sql error.
	Err error
}

// Error returns "postgres: op: kind: driver message".
func (e *Error) Error() string {
	return "postgres: " + e.Op + ": " + e.Kind.Error() + ": " + e.Err.Error()
}

// Unwrap returns the kind and the driver's error.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// dbError classifies err, which a database call returned during op. An
// error the adapter already returned from dbError comes back unchanged; one
// that already wraps a domain error kind (built by the adapter or by
// sqlrows: a conflict, a missing event, a corrupt row) only gains op's name.
func dbError(op string, err error) error {
	if err == nil {
		return nil
	}
	var own *Error
	var named *opError
	if errors.As(err, &own) || errors.As(err, &named) {
		return err
	}
	if hasDomainKind(err) {
		return &opError{op: op, err: err}
	}
	return &Error{Op: op, Kind: errorKind(err), Err: err}
}

// opError is an error of the adapter's own that already wraps a domain
// kind, named for the operation that returned it.
type opError struct {
	op  string
	err error
}

// Error returns "postgres: op: message".
func (e *opError) Error() string { return "postgres: " + e.op + ": " + e.err.Error() }

// Unwrap returns the wrapped error.
func (e *opError) Unwrap() error { return e.err }

// hasDomainKind reports whether err already wraps a domain error kind.
func hasDomainKind(err error) bool {
	for _, kind := range []error{
		domain.ErrValidation, domain.ErrNotFound, domain.ErrConflict, domain.ErrForbidden,
		domain.ErrUnavailable, domain.ErrInfrastructure, domain.ErrMisconfigured,
	} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

// errorKind maps a database error to a domain error kind.
func errorKind(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	if pqErr := pq.As(err); pqErr != nil {
		switch pqErr.Code {
		case pqerror.UniqueViolation, pqerror.ExclusionViolation:
			return domain.ErrConflict
		case pqerror.ForeignKeyViolation:
			return domain.ErrNotFound
		case pqerror.CheckViolation, pqerror.NotNullViolation:
			return domain.ErrValidation
		case pqerror.TRSerializationFailure, pqerror.TRDeadlockDetected, pqerror.LockNotAvailable, pqerror.QueryCanceled:
			return domain.ErrUnavailable
		}
		switch pqErr.Code.Class() {
		case pqerror.ClassConnectionException, // 08: connection failures
			pqerror.ClassInsufficientResources, // 53: too many connections, disk full
			pqerror.ClassOperatorIntervention:  // 57: admin shutdown, cannot connect now
			return domain.ErrUnavailable
		case pqerror.ClassInvalidAuthorizationSpecification, // 28: bad password
			pqerror.ClassInvalidCatalogName: // 3D: no such database
			return domain.ErrMisconfigured
		}
		return domain.ErrInfrastructure
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return domain.ErrUnavailable
	case errors.As(err, &netErr), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return domain.ErrUnavailable
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, sql.ErrConnDone):
		return domain.ErrUnavailable
	}
	return domain.ErrInfrastructure
}
