package porttest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// TestAuthService runs the AuthService contract. newAuth must return a
// service that reads the time from now; the suite moves that clock to test
// expiry. It is called once per subtest.
//
// The suite pins that an issued token validates to its session — user and
// session generation — expires in the future and is refused once expired,
// that a session without a user is not issued, and that garbage, an empty
// string and a token with one character changed are refused with
// ErrUnauthorized.
func TestAuthService(t *testing.T, newAuth func(t *testing.T, now func() time.Time) domain.AuthService) {
	t.Helper()
	t.Run("issued token validates to its session", func(t *testing.T) {
		clock := newClock()
		a := newAuth(t, clock.Now)
		ann, bob := domain.NewUserID(), domain.NewUserID()
		sessions := []domain.Session{
			{User: ann},
			{User: bob},
			{User: ann, Generation: 1},
			{User: ann, Generation: 3},
			{User: bob, Generation: 1 << 40},
		}
		tokens := make([]domain.Token, len(sessions))
		seen := map[string]int{}
		for i, s := range sessions {
			tokens[i] = mustIssue(t, a, s)
			if j, ok := seen[tokens[i].Value]; ok {
				t.Errorf("sessions %+v and %+v were issued the same token", sessions[j], s)
			}
			seen[tokens[i].Value] = i
		}
		for i, s := range sessions {
			got, err := a.ValidateToken(t.Context(), tokens[i].Value)
			if err != nil {
				t.Fatalf("ValidateToken: %v", err)
			}
			if got != s {
				t.Errorf("ValidateToken = %+v, want %+v", got, s)
			}
		}
	})

	t.Run("session without a user is not issued", func(t *testing.T) {
		a := newAuth(t, newClock().Now)
		for _, s := range []domain.Session{{}, {Generation: 2}} {
			if tok, err := a.IssueToken(t.Context(), s); !errors.Is(err, domain.ErrValidation) || tok.Value != "" {
				t.Errorf("IssueToken(%+v) = %q, %v; want no token and ErrValidation", s, tok.Value, err)
			}
		}
	})

	t.Run("token expires in the future", func(t *testing.T) {
		clock := newClock()
		tok := mustIssue(t, newAuth(t, clock.Now), domain.Session{User: domain.NewUserID()})
		if !tok.ExpiresAt.After(clock.Now()) {
			t.Errorf("ExpiresAt = %v, want after now (%v)", tok.ExpiresAt, clock.Now())
		}
	})

	t.Run("expired token is refused", func(t *testing.T) {
		clock := newClock()
		a := newAuth(t, clock.Now)
		tok := mustIssue(t, a, domain.Session{User: domain.NewUserID()})
		clock.Set(tok.ExpiresAt.Add(time.Minute))
		if _, err := a.ValidateToken(t.Context(), tok.Value); !errors.Is(err, domain.ErrUnauthorized) {
			t.Errorf("ValidateToken a minute after expiry: error = %v, want ErrUnauthorized", err)
		}
		clock.Advance(10 * 365 * 24 * time.Hour)
		if _, err := a.ValidateToken(t.Context(), tok.Value); !errors.Is(err, domain.ErrUnauthorized) {
			t.Errorf("ValidateToken ten years later: error = %v, want ErrUnauthorized", err)
		}
	})

	t.Run("malformed or altered token is refused", func(t *testing.T) {
		clock := newClock()
		a := newAuth(t, clock.Now)
		tok := mustIssue(t, a, domain.Session{User: domain.NewUserID(), Generation: 2}).Value
		for _, tc := range []struct{ name, token string }{
			{"empty", ""},
			{"garbage", "not-a-token"},
			{"three dots", "a.b.c"},
			{"first character changed", changeAt(tok, 0)},
			{"middle character changed", changeAt(tok, len(tok)/2)},
			{"character before the last changed", changeAt(tok, len(tok)-2)},
			{"truncated", tok[:len(tok)-4]},
			{"extended", tok + "AAAA"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := a.ValidateToken(t.Context(), tc.token); !errors.Is(err, domain.ErrUnauthorized) {
					t.Errorf("ValidateToken(%q) error = %v, want ErrUnauthorized", tc.token, err)
				}
			})
		}
	})
}

// changeAt returns s with the character at i replaced by another one of
// the base64url alphabet.
func changeAt(s string, i int) string {
	if s == "" {
		return "x"
	}
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func mustIssue(t *testing.T, a domain.AuthService, s domain.Session) domain.Token {
	t.Helper()
	tok, err := a.IssueToken(t.Context(), s)
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	if tok.Value == "" {
		t.Fatal("IssueToken returned an empty token")
	}
	return tok
}

// Clock is a settable clock, safe for concurrent use, that suites hand to
// adapters as their now function. Its zero value is not usable; make one
// with NewClock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

func newClock() *Clock { return NewClock(time.Now().UTC().Truncate(time.Second)) }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
