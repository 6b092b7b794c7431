package postgres_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestErrorKinds(t *testing.T) {
	t.Parallel()
	pqErr := func(code string) error {
		return fmt.Errorf("exec: %w", &pq.Error{Code: pqerror.Code(code), Message: "m"})
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"unique violation is a conflict", pqErr("23505"), domain.ErrConflict},
		{"foreign key violation is not found", pqErr("23503"), domain.ErrNotFound},
		{"check violation is a validation failure", pqErr("23514"), domain.ErrValidation},
		{"no rows is not found", fmt.Errorf("get: %w", sql.ErrNoRows), domain.ErrNotFound},
		{"admin shutdown is unavailable", pqErr("57P01"), domain.ErrUnavailable},
		{"cannot connect now is unavailable", pqErr("57P03"), domain.ErrUnavailable},
		{"connection failure is unavailable", pqErr("08006"), domain.ErrUnavailable},
		{"too many connections is unavailable", pqErr("53300"), domain.ErrUnavailable},
		{"deadlock is unavailable", pqErr("40P01"), domain.ErrUnavailable},
		{"bad password is misconfigured", pqErr("28P01"), domain.ErrMisconfigured},
		{"unknown database is misconfigured", pqErr("3D000"), domain.ErrMisconfigured},
		{"syntax error is infrastructure", pqErr("42601"), domain.ErrInfrastructure},
		{"connection refused is unavailable", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, domain.ErrUnavailable},
		{"bad connection is unavailable", driver.ErrBadConn, domain.ErrUnavailable},
		{"deadline is unavailable", context.DeadlineExceeded, domain.ErrUnavailable},
		{"anything else is infrastructure", errors.New("boom"), domain.ErrInfrastructure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := postgres.ErrorKind(tc.err); got != tc.want {
				t.Errorf("ErrorKind(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestUnreachableServerIsUnavailable points the pool at a closed port: Open
// fails with ErrUnavailable, the network error stays in the chain, nothing
// panics. It needs no database.
func TestUnreachableServerIsUnavailable(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(t.Context(), postgres.Config{URL: "postgres://postgres@127.0.0.1:1/moviediary?sslmode=disable&connect_timeout=5"})
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Open(closed port) error = %v, want ErrUnavailable", err)
	}
	var dbErr *postgres.Error
	if !errors.As(err, &dbErr) {
		t.Errorf("Open(closed port) error = %T, want a *postgres.Error", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("Open(closed port) error %v does not keep the *net.OpError", err)
	}
}

func TestOpenRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"", "postgres://[::1"} {
		t.Run(fmt.Sprintf("%q", url), func(t *testing.T) {
			if _, err := postgres.Open(t.Context(), postgres.Config{URL: url}); !errors.Is(err, domain.ErrMisconfigured) {
				t.Errorf("Open(%q) error = %v, want ErrMisconfigured", url, err)
			}
		})
	}
}

// TestDriverErrorIsWrapped shows that a conflict keeps the driver's error
// for logs: errors.Is finds the kind, errors.As the *pq.Error.
func TestDriverErrorIsWrapped(t *testing.T) {
	t.Parallel()
	users := openDB(t).Users()
	u := porttest.NewUser(t, "owner@example.com")
	if err := users.SaveUser(t.Context(), u); err != nil {
		t.Fatalf("SaveUser: %v", err)
	}
	again := porttest.NewUser(t, "OWNER@example.com")
	err := users.SaveUser(t.Context(), again)
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("SaveUser(taken email) error = %v, want ErrConflict", err)
	}
	if pqErr := pq.As(err); pqErr == nil || pqErr.Code != "23505" {
		t.Errorf("SaveUser(taken email) error %v does not wrap the driver's unique violation", err)
	}
}
