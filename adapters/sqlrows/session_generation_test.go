package sqlrows_test

import (
	"math"
	"slices"
	"testing"

	"github.com/moviediary/moviediary/adapters/sqlrows"
)

// TestUserSessionGeneration: the users row's session_generation becomes
// User.SessionGeneration; a negative one is a corrupt row, and a user whose
// generation does not fit the column is not saved.
func TestUserSessionGeneration(t *testing.T) {
	t.Parallel()
	row := sqlrows.User{ID: userUUID, Email: "ann@example.com",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo", CreatedAt: created, SessionGeneration: 5}
	u, err := row.ToDomain()
	if err != nil {
		t.Fatalf("ToDomain: %v", err)
	}
	if u.SessionGeneration != 5 {
		t.Errorf("SessionGeneration = %d, want 5", u.SessionGeneration)
	}

	row.SessionGeneration = -1
	_, err = row.ToDomain()
	if got, want := fieldsOf(t, err), []string{"session_generation"}; !slices.Equal(got, want) {
		t.Errorf("a negative generation reports %q, want %q", got, want)
	}

	u.SessionGeneration = math.MaxInt64
	if err := sqlrows.CheckUser(u); err != nil {
		t.Errorf("CheckUser at the largest generation: %v", err)
	}
	u.SessionGeneration = math.MaxInt64 + 1
	if got, want := fieldsOf(t, sqlrows.CheckUser(u)), []string{"session_generation"}; !slices.Equal(got, want) {
		t.Errorf("CheckUser of a generation beyond int64 reports %q, want %q", got, want)
	}
}
