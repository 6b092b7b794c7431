package domain_test

import (
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// TestUserAcceptsOnlyItsCurrentSession: a token's session signs a user in
// only when it names the user and the user's current session generation.
func TestUserAcceptsOnlyItsCurrentSession(t *testing.T) {
	t.Parallel()
	hash, err := domain.NewPasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo")
	if err != nil {
		t.Fatal(err)
	}
	u, err := domain.NewUser(domain.MustParseEmail("ann@example.com"), hash, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if u.SessionGeneration != 0 {
		t.Errorf("a new user's SessionGeneration = %d, want 0", u.SessionGeneration)
	}
	u.SessionGeneration = 2
	if got, want := u.Session(), (domain.Session{User: u.ID, Generation: 2}); got != want {
		t.Errorf("Session() = %+v, want %+v", got, want)
	}
	for _, tt := range []struct {
		name string
		s    domain.Session
		want bool
	}{
		{"the current session", domain.Session{User: u.ID, Generation: 2}, true},
		{"an ended generation", domain.Session{User: u.ID, Generation: 1}, false},
		{"a generation not reached", domain.Session{User: u.ID, Generation: 3}, false},
		{"another user", domain.Session{User: domain.NewUserID(), Generation: 2}, false},
		{"no user", domain.Session{Generation: 2}, false},
	} {
		if got := u.Accepts(tt.s); got != tt.want {
			t.Errorf("%s: Accepts = %v, want %v", tt.name, got, tt.want)
		}
	}
	if (domain.User{}).Accepts(domain.Session{}) {
		t.Error("the zero user accepts the zero session")
	}
}
